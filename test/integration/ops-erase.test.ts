import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { openDb } from "../../hub/db/client.js";
import { exportArchive } from "../../hub/ops/archive.js";
import { createBackup, listBackups } from "../../hub/ops/backup.js";
import { runCli } from "../../hub/ops/commands.js";
import { eraseEverything, recordExport } from "../../hub/ops/erase.js";
import { openOpsDb } from "../../hub/ops/sql.js";
import { BullQueue } from "../../jobs/bullmq.js";
import { createScratchDatabase, openEmbeddedCopy } from "../support/hub.js";

const server = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;
const run = promisify(execFile);
const dirs: string[] = [];
const tmp = (name: string) => {
  const d = mkdtempSync(path.join(tmpdir(), `ops-erase-${name}-`));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The CLI as an operator runs it: `tsx hub/ops/cli.ts …` in a process of its own with only the given environment. */
async function cliProcess(args: string[], env: Record<string, string>) {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => k !== "DATABASE_URL" && k !== "REDIS_URL"),
  ) as Record<string, string>;
  try {
    const r = await run(process.execPath, ["--import", "tsx", "hub/ops/cli.ts", ...args], {
      env: { ...base, ...env },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The same commands in this process (a process start costs seconds): exit code and what each stream got. */
async function cli(args: string[], env: Record<string, string>) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runCli(args, env, { out: (l) => stdout.push(l), err: (l) => stderr.push(l) });
  return { code, stdout: stdout.join("\n"), stderr: stderr.join("\n") };
}

describe.skipIf(server)("two instances sharing one backup folder", () => {
  it("rotation and complete deletion act only on the instance's own backups", async () => {
    const shared = path.join(tmp("shared"), "backups");
    const instance = async (name: string) => {
      const dataDir = tmp(name);
      // Copies of one template share its instance id: each gets an id of its own, as a new installation does.
      const db = await openEmbeddedCopy(dataDir, { seed: "none" });
      const [row] = await db.prisma.$queryRawUnsafe<{ id: string }[]>(
        `UPDATE hub_instance SET id = gen_random_uuid() RETURNING id::text AS id`,
      );
      await db.close();
      return {
        id: row?.id as string,
        config: { DATA_DIR: dataDir, BACKUP_DIR: shared, BACKUP_GENERATIONS: 1 },
      };
    };
    const a = await instance("a");
    const b = await instance("b");
    expect(a.id).not.toBe(b.id);
    const at = (minutes: number) => new Date(Date.UTC(2026, 10, 1, 3, minutes));
    await createBackup({ config: a.config, now: at(0) });
    const fromB = await createBackup({ config: b.config, now: at(1) });
    expect(fromB.meta.instance).toBe(b.id);
    // A's second backup rotates A's first away (one generation kept), and leaves B's.
    const second = await createBackup({ config: a.config, now: at(2) });
    expect(second.removed.map((f) => path.basename(f)).sort()).toEqual([
      "sango-2026-11-01T03-00-00-000Z.json",
      "sango-2026-11-01T03-00-00-000Z.pglite.tar.gz",
    ]);
    expect((await listBackups(shared)).map((e) => e.instance)).toEqual([a.id, b.id]);

    const erased = await eraseEverything({ config: a.config });
    expect(erased.ok, erased.report).toBe(true);
    expect(erased.report).toMatch(
      /backups in .*\n\s+removed: 2 files \(this instance's backups\); 1 backup\(s\) of other instances left in place/,
    );
    expect(readdirSync(shared).sort()).toEqual([
      "sango-2026-11-01T03-01-00-000Z.json",
      "sango-2026-11-01T03-01-00-000Z.pglite.tar.gz",
    ]);
  });
});

describe.skipIf(server)("complete deletion (embedded database)", () => {
  it("removes the database, backups, exports (also outside DATA_DIR), logs and the key, and reports nothing remains", async () => {
    const dataDir = tmp("lite");
    const elsewhere = tmp("exports");
    const db = await openEmbeddedCopy(dataDir, { seed: "none" });
    await db.prisma.$executeRawUnsafe(`INSERT INTO audit_log (action) VALUES ('one'), ('two')`);
    await db.close();
    const config = { DATA_DIR: dataDir, BACKUP_GENERATIONS: 3 };
    await createBackup({ config });
    const ops = await openOpsDb({ dataDir });
    const archive = path.join(elsewhere, "export.zip");
    await exportArchive(ops.sql, archive);
    await ops.close();
    await recordExport(dataDir, archive);
    mkdirSync(path.join(dataDir, "logs"));
    writeFileSync(path.join(dataDir, "logs", "hub.log"), "a log line\n");
    writeFileSync(path.join(dataDir, "secret.key"), randomBytes(32).toString("hex"));

    // In use: refused, nothing deleted.
    const live = await openDb({ dataDir });
    await expect(eraseEverything({ config })).rejects.toThrow(/seems to be in use.*Nothing was deleted/);
    await live.close();
    expect(existsSync(archive)).toBe(true);

    const r = await eraseEverything({ config });
    expect(r.ok).toBe(true);
    expect(r.report).toContain("Complete deletion: verification report");
    expect(r.report).toMatch(
      /database \(PGlite .*\)\n\s+removed: \d+ tables \(\d+ rows\), with its files\n\s+verified: nothing remains/,
    );
    expect(r.report).toMatch(
      /exported archives outside DATA_DIR\n\s+removed: 1 archive\(s\)\n\s+verified: nothing remains/,
    );
    expect(r.report).toMatch(
      /files in DATA_DIR .*\n\s+removed: \d+ files \(backups, exports.log, logs, pglite, secret.key\)/,
    );
    expect(r.report).toContain("RESULT: everything was removed; nothing remains.");
    expect(r.items.every((i) => i.remaining === 0)).toBe(true);
    expect(existsSync(dataDir)).toBe(false);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it("the CLI asks for the explicit flag, prints the report and exits 0; errors without stack traces", async () => {
    const dataDir = tmp("cli");
    const db = await openEmbeddedCopy(dataDir, { seed: "none" });
    await db.close();
    const refused = await cli(["erase"], { DATA_DIR: dataDir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--yes-delete-everything");
    expect(existsSync(path.join(dataDir, "pglite"))).toBe(true);

    const backup = await cli(["backup"], { DATA_DIR: dataDir });
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(/backup: .*\.pglite\.tar\.gz/);

    const missing = await cli(["restore", path.join(dataDir, "nope.pgdump")], { DATA_DIR: dataDir });
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split("\n").at(-1)).toBe(
      `error: backup file not found: ${path.join(dataDir, "nope.pgdump")}`,
    );
    const missingArchive = await cli(["import", path.join(dataDir, "nope.zip")], { DATA_DIR: dataDir });
    expect(missingArchive.code).toBe(1);
    expect(missingArchive.stderr).toContain("error: archive not found");
    expect(missingArchive.stderr).not.toMatch(/\n\s+at /);

    // The last one as an operator runs it, in a process of its own.
    const erased = await cliProcess(["erase", "--yes-delete-everything"], { DATA_DIR: dataDir });
    expect(erased.code).toBe(0);
    expect(erased.stdout).toContain("RESULT: everything was removed; nothing remains.");
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe.skipIf(!server)("complete deletion on PostgreSQL and Redis", () => {
  it("drops every table, obliterates the app's queues and verifies that nothing remains", async () => {
    const scratch = await createScratchDatabase(server as string);
    const dataDir = tmp("pg");
    const prefix = `ops-erase-${randomBytes(4).toString("hex")}`;
    const other = `ops-keep-${randomBytes(4).toString("hex")}`;
    try {
      const db = await openDb({ databaseUrl: scratch.url, dataDir });
      await db.prisma.$executeRawUnsafe(`INSERT INTO audit_log (action) VALUES ('one')`);
      await db.close();
      const config = {
        DATABASE_URL: scratch.url,
        DATA_DIR: dataDir,
        BACKUP_DIR: path.join(tmp("backups"), "b"),
        LOG_DIR: path.join(tmp("logs"), "l"),
        BACKUP_GENERATIONS: 3,
        ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
      };
      await createBackup({ config });
      mkdirSync(config.LOG_DIR);
      writeFileSync(path.join(config.LOG_DIR, "hub.2026-11-26.1.log"), "{}\n");
      let redis: Redis | undefined;
      if (redisUrl) {
        for (const p of [prefix, other]) {
          const q = new BullQueue(redisUrl, p);
          await q.add("outbox.dispatch", {}, { delayMs: 60_000 });
          await q.add("audit.purge", {});
          await q.close();
        }
        redis = new Redis(redisUrl);
        await redis.set(`${prefix}:rl:signin:someone`, "3");
        expect((await redis.keys(`${prefix}:*`)).length).toBeGreaterThan(3);
      }
      const r = await eraseEverything({ config, redisPrefix: prefix });
      expect(r.report).toMatch(
        /database \(PostgreSQL .*\)\n\s+removed: \d+ tables \(\d+ rows\), \d+ sequences, \d+ types\n\s+verified: nothing remains/,
      );
      expect(r.report).toMatch(/backups in .*\n\s+removed: 2 files/);
      expect(r.ok).toBe(true);
      const ops = await openOpsDb({ databaseUrl: scratch.url, dataDir: "memory://" });
      const [left] = await ops.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'`,
      );
      await ops.close();
      expect(left?.n).toBe(0);
      expect(existsSync(config.BACKUP_DIR)).toBe(false);
      expect(r.report).toMatch(
        /log files in .*\n\s+removed: 1 files \(hub.2026-11-26.1.log\)\n\s+verified: nothing remains/,
      );
      expect(existsSync(config.LOG_DIR)).toBe(false);
      if (redis) {
        expect(r.report).toMatch(
          /job queues \(Redis .*\)\n\s+removed: \d+ keys \(5 queues obliterated\)\n\s+verified: nothing remains/,
        );
        expect(await redis.keys(`${prefix}:*`)).toEqual([]);
        // Another prefix (another app or test run on the same Redis) is left alone.
        expect((await redis.keys(`${other}:*`)).length).toBeGreaterThan(0);
        for (const k of await redis.keys(`${other}:*`)) await redis.del(k);
        redis.disconnect();
      }
    } finally {
      await scratch.drop();
    }
  });
});
