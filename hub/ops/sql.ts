import path from "node:path";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import pg from "pg";
import { applyMigrations } from "../db/migrate.js";

/**
 * A single database session for operations (backup sidecars, export, import, erase). Statements run in order on
 * one connection, so session settings and transactions hold; on PGlite every transaction goes through
 * `lite.transaction`, so a hub sharing the instance cannot interleave its own statements into ours.
 */
export type OpsSql = {
  readonly kind: "postgres" | "pglite";
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /**
   * Runs `fn` in one transaction with the settings that make text output stable (UTC, ISO dates); `snapshot`:
   * repeatable read, read only, so every table is read as of one moment (PGlite runs one transaction at a time anyway).
   */
  tx<T>(fn: (q: OpsQuery) => Promise<T>, opts?: { snapshot?: boolean }): Promise<T>;
};
export type OpsQuery = <T = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;

/** Text forms of values must not depend on the session: same time zone, date style and float digits everywhere. */
const STABLE_SETTINGS =
  "SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 1";

export function pgliteSql(lite: PGlite): OpsSql {
  return {
    kind: "pglite",
    query: async <T>(sql: string, params?: unknown[]) => (await lite.query(sql, params)).rows as T[],
    tx: (fn) =>
      lite.transaction(async (t: Transaction) => {
        await t.exec(STABLE_SETTINGS);
        return fn(async <T>(sql: string, params?: unknown[]) => (await t.query(sql, params)).rows as T[]);
      }),
  };
}

export function pgClientSql(client: pg.Client | pg.PoolClient): OpsSql {
  const q: OpsQuery = async <T>(sql: string, params?: unknown[]) =>
    (await client.query(sql, params as unknown[])).rows as T[];
  return {
    kind: "postgres",
    query: q,
    tx: async (fn, opts) => {
      await client.query(opts?.snapshot ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN");
      try {
        await client.query(STABLE_SETTINGS);
        const out = await fn(q);
        await client.query("COMMIT");
        return out;
      } catch (err) {
        await client.query("ROLLBACK").catch(() => {});
        throw err;
      }
    },
  };
}

export type OpsDb = { sql: OpsSql; lite?: PGlite; close(): Promise<void> };

export type OpenOpsOptions = {
  databaseUrl?: string;
  dataDir: string;
  /** Apply the checked-in migrations first (true for import into a new instance). */
  migrate?: boolean;
};

/** The PGlite files of the embedded default. */
export const pgliteDir = (dataDir: string) => path.resolve(dataDir, "pglite");

/** Opens the configured database for an operations command: one connection, or the PGlite data directory. */
export async function openOpsDb(opts: OpenOpsOptions): Promise<OpsDb> {
  if (opts.databaseUrl) {
    const client = new pg.Client({ connectionString: opts.databaseUrl });
    client.on("error", () => {});
    await client.connect();
    if (opts.migrate) await applyMigrations(runnerOfClient(client));
    return { sql: pgClientSql(client), close: () => client.end() };
  }
  const lite = await PGlite.create(opts.dataDir === "memory://" ? "memory://" : pgliteDir(opts.dataDir));
  if (opts.migrate) {
    await applyMigrations({
      exec: async (s) => {
        await lite.exec(s);
      },
      query: async (s, p) => (await lite.query(s, p)).rows as Record<string, unknown>[],
      withLock: (fn) => fn(),
    });
  }
  return { sql: pgliteSql(lite), lite, close: () => lite.close() };
}

function runnerOfClient(client: pg.Client) {
  return {
    exec: async (s: string) => {
      await client.query(s);
    },
    query: async (s: string, p?: unknown[]) => (await client.query(s, p as unknown[])).rows,
    withLock: async <T>(fn: () => Promise<T>) => {
      await client.query("SELECT pg_advisory_lock(727001)");
      try {
        return await fn();
      } finally {
        await client.query("SELECT pg_advisory_unlock(727001)");
      }
    },
  };
}

/** Quotes an SQL identifier. */
export const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** An expected failure of an operations command: printed as a message, never as a stack trace. */
export class OpsError extends Error {}
