import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../hub/context.js";
import { openDb } from "../../hub/db/client.js";
import { type BackupMeta, createBackup, listBackups, restoreBackup } from "../../hub/ops/backup.js";
import { runScheduledBackup } from "../../hub/ops/job.js";
import { OpsError, openOpsDb } from "../../hub/ops/sql.js";
import { compareSnapshots, type Snapshot, snapshot } from "../../hub/ops/tables.js";
import { SCHEDULES } from "../../jobs/cron.js";
import { JOB_QUEUE } from "../../jobs/names.js";
import { createScratchDatabase, demoDatabase, openEmbeddedCopy, startTestHub } from "../support/hub.js";

const server = process.env.DATABASE_URL;
const day = (n: number) => new Date(Date.UTC(2026, 10, 20 + n, 18, 30));

async function state(opts: { databaseUrl?: string; dataDir: string }): Promise<Snapshot> {
  const db = await openOpsDb(opts);
  try {
    return await db.sql.tx((q) => snapshot(q));
  } finally {
    await db.close();
  }
}

/** A fresh age key pair in an identity file, as `age-keygen -o key.txt` writes it. */
async function ageKey(dir: string) {
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  const identityFile = path.join(dir, `key-${recipient.slice(4, 12)}.txt`);
  writeFileSync(identityFile, `# created: 2026-12-07\n# public key: ${recipient}\n${identity}\n`);
  return { recipient, identityFile };
}

/** An age file starts with its text header; a pg_dump custom archive with PGDMP, a tarball with gzip's 1f 8b. */
const isAgeFile = (file: string) => readFileSync(file).subarray(0, 21).toString() === "age-encryption.org/v1";

/** Something a restore must undo: rows changed, deleted and added. */
async function damage(opts: { databaseUrl?: string; dataDir: string }) {
  const db = await openOpsDb(opts);
  try {
    await db.sql.query(
      "UPDATE resident SET family_name = 'changed' WHERE id = (SELECT id FROM resident ORDER BY id LIMIT 1)",
    );
    await db.sql.query("DELETE FROM slot WHERE id IN (SELECT id FROM slot ORDER BY id LIMIT 10)");
    await db.sql.query("INSERT INTO audit_log (action) VALUES ('after the backup')");
  } finally {
    await db.close();
  }
}

it("the daily backup is scheduled at a quiet hour on the maintenance queue", () => {
  expect(SCHEDULES).toContainEqual({ name: "ops.backup", cron: "45 3 * * *" });
  expect(JOB_QUEUE["ops.backup"]).toBe("maintenance");
});

it("a hub's worker runs the queued ops.backup job", async () => {
  const backups = mkdtempSync(path.join(tmpdir(), "ops-backup-job-"));
  const t = await startTestHub({ workers: true, env: { BACKUP_DIR: backups } });
  try {
    await t.hub.queue.add("ops.backup", {}, { jobId: "ops.backup@test" });
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline && (await listBackups(backups)).length === 0) {
      await new Promise((r) => setTimeout(r, 250));
    }
    const [b] = await listBackups(backups);
    expect(b?.file).toMatch(server ? /\.pgdump$/ : /\.pglite\.tar\.gz$/);
    const meta = JSON.parse(readFileSync(b?.sidecar ?? "", "utf8")) as BackupMeta;
    expect(Object.keys(meta.tables).length).toBeGreaterThan(20);
  } finally {
    await t.close();
    rmSync(backups, { recursive: true, force: true });
  }
});

// Embedded only: the run on PostgreSQL leaves these to CI's run on the embedded default (.ci/run), which runs this file.
describe.skipIf(server)("backup and restore of the embedded database (PGlite)", () => {
  let dataDir = "";
  // Two generations: the retention is shown with one backup fewer than with the default three (each is seconds).
  let config = { DATA_DIR: "", BACKUP_GENERATIONS: 2 };
  let original: Snapshot;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "ops-backup-lite-"));
    config = { DATA_DIR: dataDir, BACKUP_GENERATIONS: 2 };
    const db = await openEmbeddedCopy(dataDir, { seed: "demo", residents: 20 });
    await db.close();
    original = await state({ dataDir });
  });
  afterAll(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("backs up the running hub's live instance (the scheduled job), and refuses a second opener", async () => {
    const db = await openDb({ dataDir });
    try {
      await expect(createBackup({ config })).rejects.toThrow(/seems to be in use/);
      const hub = { config, db, now: () => day(0) } as unknown as Hub;
      const r = await runScheduledBackup(hub);
      expect(r?.file).toMatch(/sango-2026-11-20T18-30-00-000Z\.pglite\.tar\.gz$/);
      expect(existsSync(r?.sidecar ?? "")).toBe(true);
      expect(r?.meta.tables).toEqual(original.tables);
    } finally {
      await db.close();
    }
  });

  it("keeps its generations, deleting the oldest only after a new one is complete", async () => {
    const results = [];
    for (const n of [1, 2]) results.push(await createBackup({ config, now: day(n) }));
    expect(results[0]?.removed).toEqual([]);
    expect(results[1]?.removed.map((f) => path.basename(f)).sort()).toEqual([
      "sango-2026-11-20T18-30-00-000Z.json",
      "sango-2026-11-20T18-30-00-000Z.pglite.tar.gz",
    ]);
    const kept = await listBackups(path.join(dataDir, "backups"));
    expect(kept.map((b) => path.basename(b.file))).toEqual([
      "sango-2026-11-22T18-30-00-000Z.pglite.tar.gz",
      "sango-2026-11-21T18-30-00-000Z.pglite.tar.gz",
    ]);
    const meta = JSON.parse(readFileSync(kept[0]?.sidecar ?? "", "utf8")) as BackupMeta;
    expect(meta).toMatchObject({ format: "sango-backup", kind: "pglite", migrations: original.migrations });
    expect(meta.tables.resident?.rows).toBeGreaterThan(10);
  });

  it("restores a backup into the data dir and verifies counts and checksums", async () => {
    await damage({ dataDir });
    const damaged = await state({ dataDir });
    expect(
      compareSnapshots(original, damaged)
        .differences.map((d) => d.table)
        .sort(),
    ).toEqual(["audit_log", "resident", "slot"]);
    const [newest] = await listBackups(path.join(dataDir, "backups"));
    const r = await restoreBackup({ config, file: newest?.file ?? "" });
    expect(r.report).toContain("every count and checksum matches");
    expect(r.ok).toBe(true);
    const restored = await state({ dataDir });
    expect(compareSnapshots(original, restored)).toMatchObject({ ok: true, differences: [] });
  });

  it("refuses a damaged backup, one without its sidecar, a missing file, and a data dir in use", async () => {
    const [newest] = await listBackups(path.join(dataDir, "backups"));
    const file = newest?.file ?? "";
    const damagedDir = mkdtempSync(path.join(tmpdir(), "ops-backup-damaged-"));
    try {
      const copy = path.join(damagedDir, path.basename(file));
      const bytes = readFileSync(file);
      const at = Math.floor(bytes.length / 2);
      bytes[at] = (bytes[at] ?? 0) ^ 0xff;
      writeFileSync(copy, bytes);
      await expect(restoreBackup({ config, file: copy })).rejects.toThrow(/sidecar .* is missing/);
      copyFileSync(newest?.sidecar ?? "", copy.replace(/\.pglite\.tar\.gz$/, ".json"));
      await expect(restoreBackup({ config, file: copy })).rejects.toThrow(/is damaged: its sha256/);
      await expect(
        restoreBackup({ config, file: path.join(damagedDir, "nope.pgdump") }),
      ).rejects.toBeInstanceOf(OpsError);
      // A sidecar that disagrees with what the backup holds: the restore reports it and keeps the data dir as it was.
      const lying = path.join(damagedDir, path.basename(file));
      copyFileSync(file, lying);
      const meta = JSON.parse(readFileSync(newest?.sidecar ?? "", "utf8")) as BackupMeta;
      (meta.tables.resident as { rows: number }).rows += 1;
      writeFileSync(lying.replace(/\.pglite\.tar\.gz$/, ".json"), JSON.stringify(meta));
      const before = await state({ dataDir });
      await damage({ dataDir });
      const damagedState = await state({ dataDir });
      const r = await restoreBackup({ config, file: lying });
      expect(r.ok).toBe(false);
      expect(r.report).toMatch(
        /MISMATCH resident[\s\S]*VERIFICATION FAILED: 1 table\(s\) differ[\s\S]*left unchanged/,
      );
      expect(compareSnapshots(damagedState, await state({ dataDir })).ok).toBe(true);
      expect(compareSnapshots(before, damagedState).ok).toBe(false);

      const db = await openDb({ dataDir });
      try {
        await expect(restoreBackup({ config, file })).rejects.toThrow(/seems to be in use/);
      } finally {
        await db.close();
      }
      await expect(
        restoreBackup({ config: { ...config, DATABASE_URL: "postgresql://x@127.0.0.1:1/x" }, file }),
      ).rejects.toThrow(/restore it without DATABASE_URL/);
    } finally {
      rmSync(damagedDir, { recursive: true, force: true });
    }
  });
  it("encrypts to BACKUP_RECIPIENTS as it writes, and restores only with a matching secret key", async () => {
    const keys = mkdtempSync(path.join(tmpdir(), "ops-backup-keys-"));
    try {
      const ours = await ageKey(keys);
      const other = await ageKey(keys);
      const sealed = {
        ...config,
        BACKUP_DIR: path.join(dataDir, "sealed"),
        BACKUP_RECIPIENTS: [ours.recipient],
      };
      const b = await createBackup({ config: sealed, now: day(9) });
      expect(path.basename(b.file)).toBe("sango-2026-11-29T18-30-00-000Z.pglite.tar.gz.age");
      expect(isAgeFile(b.file)).toBe(true);
      expect(b.meta.encryption).toEqual({ scheme: "age", recipients: [ours.recipient] });
      expect(b.meta.tables).toEqual((await state({ dataDir })).tables);
      // Nothing but the dump itself and its sidecar is left in the folder: no plain copy.
      expect((await listBackups(sealed.BACKUP_DIR)).map((x) => x.file)).toEqual([b.file]);

      await expect(restoreBackup({ config: sealed, file: b.file })).rejects.toThrow(
        /is encrypted: give the age secret key with --identity/,
      );
      await expect(
        restoreBackup({ config: sealed, file: b.file, identityFile: other.identityFile }),
      ).rejects.toThrow(/cannot decrypt .*no identity matched/);
      await damage({ dataDir });
      const r = await restoreBackup({ config: sealed, file: b.file, identityFile: ours.identityFile });
      expect(r.ok).toBe(true);
      expect(compareSnapshots(b.meta, await state({ dataDir })).ok).toBe(true);
    } finally {
      rmSync(keys, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!server)("backup and restore on PostgreSQL (pg_dump / pg_restore)", () => {
  let dataDir = "";
  const scratches: { url: string; drop(): Promise<void> }[] = [];
  let source: { url: string };
  let original: Snapshot;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "ops-backup-pg-"));
    const s = await demoDatabase(server as string, 20);
    scratches.push(s);
    source = s;
    original = await state({ databaseUrl: s.url, dataDir });
  });
  afterAll(async () => {
    for (const s of scratches) await s.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("restores a backup into a fresh database with the same counts and checksums", async () => {
    const config = { DATABASE_URL: source.url, DATA_DIR: dataDir, BACKUP_GENERATIONS: 3 };
    const b = await createBackup({ config, now: day(1) });
    expect(b.file).toMatch(/\.pgdump$/);
    expect(b.meta).toMatchObject({
      kind: "postgres",
      tables: original.tables,
      migrations: original.migrations,
    });

    const fresh = await createScratchDatabase(server as string);
    scratches.push(fresh);
    const r = await restoreBackup({ config, file: b.file, targetUrl: fresh.url });
    expect(r.report).toContain("every count and checksum matches");
    expect(r.ok).toBe(true);
    const restored = await state({ databaseUrl: fresh.url, dataDir });
    expect(compareSnapshots(original, restored)).toMatchObject({ ok: true, differences: [] });
    expect(Object.values(restored.tables).reduce((s, t) => s + t.rows, 0)).toBeGreaterThan(1000);
  });

  it("restores over the damaged database itself (--clean), and the scheduled job backs up the server", async () => {
    const config = { DATABASE_URL: source.url, DATA_DIR: dataDir, BACKUP_GENERATIONS: 3 };
    const hub = { config, db: { kind: "postgres" }, now: () => day(2) } as unknown as Hub;
    const b = await runScheduledBackup(hub);
    expect(b?.file).toMatch(/sango-2026-11-22T18-30-00-000Z\.pgdump$/);
    await damage({ databaseUrl: source.url, dataDir });
    expect(compareSnapshots(original, await state({ databaseUrl: source.url, dataDir })).ok).toBe(false);
    const r = await restoreBackup({ config, file: b?.file ?? "" });
    expect(r.ok).toBe(true);
    expect(compareSnapshots(original, await state({ databaseUrl: source.url, dataDir })).ok).toBe(true);
    expect((await listBackups(path.join(dataDir, "backups"))).length).toBe(2);
  });
  it("encrypts a PostgreSQL dump as pg_dump streams it, and restores it with the secret key", async () => {
    const keys = mkdtempSync(path.join(tmpdir(), "ops-backup-keys-"));
    try {
      const { recipient, identityFile } = await ageKey(keys);
      const config = {
        DATABASE_URL: source.url,
        DATA_DIR: dataDir,
        BACKUP_DIR: path.join(dataDir, "sealed"),
        BACKUP_GENERATIONS: 3,
        BACKUP_RECIPIENTS: [recipient],
        BACKUP_IDENTITY_FILE: identityFile,
      };
      const b = await createBackup({ config, now: day(3) });
      expect(b.file).toMatch(/\.pgdump\.age$/);
      expect(isAgeFile(b.file)).toBe(true);
      const fresh = await createScratchDatabase(server as string);
      scratches.push(fresh);
      const r = await restoreBackup({ config, file: b.file, targetUrl: fresh.url });
      expect(r.ok).toBe(true);
      expect(compareSnapshots(b.meta, await state({ databaseUrl: fresh.url, dataDir })).ok).toBe(true);
    } finally {
      rmSync(keys, { recursive: true, force: true });
    }
  });
});
