import { existsSync } from "node:fs";
import { appendFile, readdir, readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import pg from "pg";
import { QueueName } from "../../jobs/names.js";
import { backupDir, isOwnBackup, listBackups, type OpsConfig, pgliteInUse, redact } from "./backup.js";
import { OpsError, pgClientSql, pgliteDir, pgliteSql } from "./sql.js";
import { instanceId } from "./tables.js";

export type EraseConfig = OpsConfig & { REDIS_URL?: string; LOG_DIR?: string };

export type EraseItem = {
  item: string;
  /** What was removed, in words. */
  removed: string;
  /** What is left after removal and verification: 0 when nothing remains. */
  remaining: number;
  detail?: string;
};
export type EraseResult = { ok: boolean; items: EraseItem[]; report: string };

export type EraseOptions = {
  config: EraseConfig;
  /** Redis key prefix of the app's queues and rate limits (the hub's default: "sango"). */
  redisPrefix?: string;
  /** Erase an embedded database even though postmaster.pid says it may be in use. */
  force?: boolean;
};

/** Exports written anywhere are listed here, so the complete deletion can find and delete them too. */
export const exportsLog = (dataDir: string) => path.resolve(dataDir, "exports.log");

export async function recordExport(dataDir: string, file: string) {
  if (dataDir === "memory://") return;
  await appendFile(exportsLog(dataDir), `${path.resolve(file)}\n`);
}

/**
 * Complete deletion: the database (every table, type and sequence of the public schema, or the PGlite files), every
 * file under DATA_DIR (PGlite, backups, exports, logs, the generated secret key), the backup directory, archives
 * exported elsewhere, and every Redis key of the app's queues. Each is then verified and reported.
 */
export async function eraseEverything(opts: EraseOptions): Promise<EraseResult> {
  const { config } = opts;
  const items: EraseItem[] = [];
  // Read before the database goes: a backup folder shared with other instances loses only this one's backups.
  let own: string | null = null;
  if (config.DATABASE_URL) {
    own = await postgresInstance(config.DATABASE_URL);
    items.push(await erasePostgres(config.DATABASE_URL));
  } else if (!opts.force && config.DATA_DIR !== "memory://" && pgliteInUse(config.DATA_DIR)) {
    throw new OpsError(
      `the embedded database ${pgliteDir(config.DATA_DIR)} seems to be in use (postmaster.pid exists): stop the hub ` +
        "first, or pass --force if it crashed. Nothing was deleted.",
    );
  } else {
    const described = await describePglite(config.DATA_DIR);
    own = described.instance;
    items.push(described.item);
  }

  // Exported archives outside DATA_DIR, listed when they were written.
  if (config.DATA_DIR !== "memory://" && existsSync(exportsLog(config.DATA_DIR))) {
    const files = [
      ...new Set((await readFile(exportsLog(config.DATA_DIR), "utf8")).split("\n").filter(Boolean)),
    ];
    const outside = files.filter((f) => !inside(f, config.DATA_DIR));
    let removed = 0;
    for (const f of outside) {
      if (existsSync(f)) {
        await rm(f, { force: true });
        removed++;
      }
    }
    const left = outside.filter((f) => existsSync(f));
    items.push({
      item: "exported archives outside DATA_DIR",
      removed: `${removed} archive(s)`,
      remaining: left.length,
      detail: left.join(", ") || undefined,
    });
  }

  const backups = backupDir(config);
  if (!inside(backups, config.DATA_DIR)) items.push(await eraseOwnBackups(backups, own));
  if (config.LOG_DIR && !inside(config.LOG_DIR, config.DATA_DIR)) {
    const logs = path.resolve(config.LOG_DIR);
    items.push(await eraseDir(`log files in ${logs}`, logs));
  }
  if (config.DATA_DIR !== "memory://") {
    items.push(
      await eraseDir(`files in DATA_DIR ${path.resolve(config.DATA_DIR)}`, path.resolve(config.DATA_DIR)),
    );
  }
  if (!config.DATABASE_URL) {
    // Verified after DATA_DIR went: nothing of the embedded database is left.
    const pglite = items.find((i) => i.item.startsWith("database"));
    if (pglite && config.DATA_DIR !== "memory://") {
      pglite.remaining = existsSync(pgliteDir(config.DATA_DIR)) ? 1 : 0;
    }
  }
  if (config.REDIS_URL) items.push(await eraseRedis(config.REDIS_URL, opts.redisPrefix ?? "sango"));
  else
    items.push({
      item: "job queues",
      removed: "in-process queue: nothing is kept outside the hub process",
      remaining: 0,
    });

  const ok = items.every((i) => i.remaining === 0);
  return { ok, items, report: formatReport(items, ok) };
}

function inside(p: string, dir: string) {
  if (dir === "memory://") return false;
  const rel = path.relative(path.resolve(dir), path.resolve(p));
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

async function erasePostgres(url: string): Promise<EraseItem> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => {});
  await client.connect();
  const countObjects = async () => {
    const [r] = (
      await client.query(
        `SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p'))::int AS tables,
                (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = 'public' AND c.relkind = 'S')::int AS sequences,
                (SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                  WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'c') AND t.typrelid = 0)::int AS types,
                (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = 'public')::int AS relations`,
      )
    ).rows;
    return r as { tables: number; sequences: number; types: number; relations: number };
  };
  try {
    const before = await countObjects();
    const tables = (
      await client.query(
        `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1`,
      )
    ).rows as { relname: string }[];
    let rows = 0;
    for (const t of tables) {
      const [r] = (
        await client.query(`SELECT count(*)::bigint AS n FROM "${t.relname.replaceAll('"', '""')}"`)
      ).rows;
      rows += Number(r.n);
    }
    await client.query("SET lock_timeout = '15s'");
    try {
      await client.query("BEGIN; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public; COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      throw new OpsError(
        `could not drop the database's tables (${(err as Error).message}): is the hub still running? Stop it first.`,
      );
    }
    const after = await countObjects();
    return {
      item: `database (PostgreSQL ${redact(url)})`,
      removed: `${before.tables} tables (${rows} rows), ${before.sequences} sequences, ${before.types} types`,
      remaining: after.relations + after.types,
      detail: `${after.tables} tables, ${after.sequences} sequences, ${after.types} types left`,
    };
  } finally {
    await client.end();
  }
}

/** Counts what the embedded database holds before its files go with DATA_DIR. */
/** The instance id of a PostgreSQL database (hub_instance), null when it has none (or cannot be read). */
async function postgresInstance(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => {});
  try {
    await client.connect();
    return await instanceId(pgClientSql(client).query);
  } catch {
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * This instance's backups in a backup folder outside DATA_DIR, which other instances may share: theirs stay (a
 * backup written before sidecars recorded their instance counts as this one's). The folder goes once it is empty.
 */
async function eraseOwnBackups(dir: string, own: string | null): Promise<EraseItem> {
  const all = await listBackups(dir);
  const mine = all.filter((b) => isOwnBackup(b, own));
  const files = mine.flatMap((b) => [b.file, b.sidecar].filter(Boolean));
  for (const f of files) await rm(f, { force: true });
  const others = all.length - mine.length;
  if (others === 0) {
    const item = await eraseDir(`backups in ${dir}`, dir);
    return {
      ...item,
      removed: files.length ? `${files.length} files (this instance's backups)` : item.removed,
    };
  }
  const left = files.filter((f) => existsSync(f)).length;
  return {
    item: `backups in ${dir}`,
    removed: `${files.length} files (this instance's backups); ${others} backup(s) of other instances left in place`,
    remaining: left,
    detail: left ? `${left} of this instance's backup files could not be deleted` : undefined,
  };
}

async function describePglite(dataDir: string): Promise<{ item: EraseItem; instance: string | null }> {
  const dir = pgliteDir(dataDir);
  if (dataDir === "memory://" || !existsSync(dir)) {
    return {
      item: { item: `database (PGlite ${dir})`, removed: "nothing: no embedded database", remaining: 0 },
      instance: null,
    };
  }
  const lite = await PGlite.create(dir);
  let tables = 0;
  let rows = 0;
  let instance: string | null = null;
  try {
    instance = await instanceId(pgliteSql(lite).query);
    const names = (
      await lite.query<{ relname: string }>(
        `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind = 'r'`,
      )
    ).rows;
    tables = names.length;
    for (const t of names) {
      const r = await lite.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${t.relname.replaceAll('"', '""')}"`,
      );
      rows += r.rows[0]?.n ?? 0;
    }
  } finally {
    await lite.close();
  }
  return {
    item: {
      item: `database (PGlite ${dir})`,
      removed: `${tables} tables (${rows} rows), with its files`,
      remaining: 1,
    },
    instance,
  };
}

async function countFiles(dir: string): Promise<number> {
  if (!existsSync(dir)) return 0;
  const s = await stat(dir);
  if (!s.isDirectory()) return 1;
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    n += e.isDirectory() ? await countFiles(path.join(dir, e.name)) : 1;
  }
  return n;
}

async function eraseDir(item: string, dir: string): Promise<EraseItem> {
  const entries = existsSync(dir) ? await readdir(dir) : [];
  const files = await countFiles(dir);
  await rm(dir, { recursive: true, force: true });
  const left = await countFiles(dir);
  return {
    item,
    removed: files ? `${files} files (${entries.sort().join(", ")})` : "nothing: no files",
    remaining: left + (existsSync(dir) ? 1 : 0),
    detail: existsSync(dir) ? `${dir} still exists` : undefined,
  };
}

async function scanKeys(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== "0");
  return keys;
}

async function eraseRedis(url: string, prefix: string): Promise<EraseItem> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on("error", () => {});
  try {
    await redis.connect();
  } catch (err) {
    throw new OpsError(`Redis at ${redact(url)} is unreachable: ${(err as Error).message}`);
  }
  try {
    const before = (await scanKeys(redis, prefix)).length;
    for (const name of Object.values(QueueName)) {
      const queue = new Queue(name, { connection: redis.duplicate({ maxRetriesPerRequest: null }), prefix });
      try {
        await queue.obliterate({ force: true });
      } finally {
        await queue.close();
      }
    }
    // Whatever else the app kept under its prefix (sign-in rate limits, stray keys).
    for (let keys = await scanKeys(redis, prefix); keys.length; keys = await scanKeys(redis, prefix)) {
      for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    }
    const left = (await scanKeys(redis, prefix)).length;
    return {
      item: `job queues (Redis ${redact(url)}, prefix "${prefix}")`,
      removed: `${before} keys (${Object.values(QueueName).length} queues obliterated)`,
      remaining: left,
      detail: left ? `${left} keys with the prefix left` : undefined,
    };
  } finally {
    redis.disconnect();
  }
}

function formatReport(items: EraseItem[], ok: boolean): string {
  const lines = ["Complete deletion: verification report"];
  for (const i of items) {
    lines.push(`  ${i.item}`);
    lines.push(`    removed: ${i.removed}`);
    lines.push(
      i.remaining === 0
        ? "    verified: nothing remains"
        : `    NOT REMOVED: ${i.remaining} left${i.detail ? ` (${i.detail})` : ""}`,
    );
  }
  lines.push(
    ok ? "RESULT: everything was removed; nothing remains." : "RESULT: SOMETHING REMAINS (see above).",
  );
  return lines.join("\n");
}
