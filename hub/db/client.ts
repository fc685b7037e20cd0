import { availableParallelism } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { type DriverTransaction, pgliteTransaction, postgresTransaction } from "./driver.js";
import { PrismaClient } from "./generated/client.js";
import { sendHotReadsOn, statementNameFor } from "./hot.js";
import { applyMigrations, type SqlRunner } from "./migrate.js";

export type * from "./generated/client.js";
export { Prisma, PrismaClient } from "./generated/client.js";
export { PLAN_CACHED } from "./hot.js";

export type Db = {
  prisma: PrismaClient;
  kind: "postgres" | "pglite";
  /** The embedded instance (PGlite only), for operations that need it: the scheduled backup dumps its data dir. */
  pglite?: PGlite;
  /**
   * A transaction on the driver itself (hub/db/driver.ts), for bulk writes through COPY, which Prisma cannot send,
   * and reads of tens of thousands of rows.
   */
  driverTransaction: DriverTransaction;
  /** True when the database answers a trivial query. */
  ping(): Promise<boolean>;
  /** PostgreSQL only: the pool's connections (all, idle) and requests waiting for one, for /metrics. */
  poolStats?(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;
};

export type DbOptions = {
  databaseUrl?: string;
  dataDir: string;
  /** PostgreSQL: the most connections this process opens (default DEFAULT_POOL_SIZE). */
  poolSize?: number;
  /**
   * PostgreSQL only, for the application's pool (not its migrations): statement_timeout, lock_timeout, and how long
   * to wait for a connection. A request then ends in 503 instead of waiting behind a lock or a stuck server.
   */
  timeouts?: { statementMs: number; lockMs: number; connectMs: number };
  /** Embedded only: start from this data directory (a `dumpDataDir` tarball) instead of an empty cluster. */
  loadDataDir?: Blob;
};

/**
 * Connections per hub process unless DB_POOL_SIZE says otherwise: twice the cores plus one (the rule of Prisma's own
 * default, which counts physical cores).
 * More connections than the database's cores can run only make its backends contend: on the bench's 2-core machine
 * a pool of 20 cost 3.8–4.7 ms of CPU per hold against 2.9–3.0 ms with 4 to 6 (back to back), at the same or
 * better throughput and latency. Requests beyond the pool wait in the process for a connection (DB_CONNECT_TIMEOUT_MS).
 */
export const DEFAULT_POOL_SIZE = 2 * availableParallelism() + 1;

/**
 * Opens the database and brings its schema up to date. With a URL: a PostgreSQL server through
 * adapter-pg. Without: embedded PGlite, its files under `<dataDir>/pglite` ("memory://" keeps it in memory).
 */
export async function openDb(opts: DbOptions): Promise<Db> {
  if (opts.databaseUrl) {
    // Migrations run on a connection of their own, without the pool's timeouts: they may take long on big tables.
    const migrator = new pg.Client({ connectionString: opts.databaseUrl });
    await migrator.connect();
    try {
      await applyMigrations(pgRunner(migrator));
    } finally {
      await migrator.end().catch(() => {});
    }
    const t = opts.timeouts;
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: opts.poolSize ?? DEFAULT_POOL_SIZE,
      // No JIT compilation: PostgreSQL compiles a query whose estimated cost passes jit_above_cost, which the
      // statistics reports over a year do; compiling took ~0.6 s of a 0.9 s report at the demo's size and pays
      // off only for queries running many seconds, which the hub has none of. (PGlite has no JIT.)
      options: "-c jit=off",
      ...(t
        ? { statement_timeout: t.statementMs, lock_timeout: t.lockMs, connectionTimeoutMillis: t.connectMs }
        : {}),
    });
    // An idle connection dropped by the server (restart, failover) must not crash the process; the pool
    // replaces it and /readyz reports the outage.
    pool.on("error", () => {});
    const prisma = new PrismaClient({
      adapter: new PrismaPg(pool, { statementNameGenerator: (query) => statementNameFor(query.sql) }),
    });
    sendHotReadsOn(prisma, pool);
    return {
      prisma,
      kind: "postgres",
      driverTransaction: postgresTransaction(pool),
      ping: () => ping(prisma),
      poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
      close: async () => {
        await prisma.$disconnect();
        await pool.end().catch(() => {});
      },
    };
  }
  const dir = opts.dataDir === "memory://" ? "memory://" : path.resolve(opts.dataDir, "pglite");
  const lite = await PGlite.create(dir, opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {});
  await applyMigrations(pgliteRunner(lite));
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(lite) });
  return {
    prisma,
    kind: "pglite",
    pglite: lite,
    driverTransaction: pgliteTransaction(lite),
    ping: () => ping(prisma),
    close: async () => {
      await prisma.$disconnect();
      await lite.close();
    },
  };
}

async function ping(prisma: PrismaClient): Promise<boolean> {
  try {
    await prisma.$queryRawUnsafe("SELECT 1");
    return true;
  } catch {
    return false;
  }
}

function pgRunner(client: pg.ClientBase): SqlRunner {
  return {
    exec: async (sql) => {
      await client.query(sql);
    },
    query: async (sql, params) => (await client.query(sql, params as unknown[])).rows,
    // Several API processes may start at once against one server: one migrates, the others wait.
    withLock: async (fn) => {
      await client.query("SELECT pg_advisory_lock(727001)");
      try {
        return await fn();
      } finally {
        await client.query("SELECT pg_advisory_unlock(727001)");
      }
    },
  };
}

function pgliteRunner(lite: PGlite): SqlRunner {
  return {
    exec: async (sql) => {
      await lite.exec(sql);
    },
    query: async (sql, params) =>
      (await lite.query(sql, params as unknown[])).rows as Record<string, unknown>[],
    withLock: (fn) => fn(),
  };
}
