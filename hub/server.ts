import type { Server } from "node:http";
import { startCron } from "../jobs/cron.js";
import { jobHandlers } from "../jobs/handlers.js";
import { createQueue } from "../jobs/index.js";
import { AuditWriter } from "./audit/audit.js";
import type { Config } from "./config.js";
import type { Hub } from "./context.js";
import { openDb } from "./db/client.js";
import { FacilityDirectory } from "./facilities/directory.js";
import { createApp } from "./http/app.js";
import { NetworkGuard } from "./identity/lgwan.js";
import { createLimits } from "./identity/limits.js";
import { createTransport } from "./notify/transport.js";

export type HubOptions = {
  /** Prefix for Redis keys instead of REDIS_PREFIX (parallel test runs never share queues). */
  redisPrefix?: string;
  now?: () => Date;
  /** Embedded only: open the database from this data directory dump (tests start from a seeded template). */
  loadDataDir?: Blob;
  /** The demo's calendar feeds (given by the entry point when it seeds the demo data). */
  demoFeed?: Hub["demoFeed"];
};

/** Opens the database (migrating it) and the job queue. */
export async function createHub(config: Config, opts: HubOptions = {}): Promise<Hub> {
  const db = await openDb({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    loadDataDir: opts.loadDataDir,
    timeouts: {
      statementMs: config.DB_STATEMENT_TIMEOUT_MS,
      lockMs: config.DB_LOCK_TIMEOUT_MS,
      connectMs: config.DB_CONNECT_TIMEOUT_MS,
    },
    poolSize: config.DB_POOL_SIZE,
  });
  return {
    config,
    db,
    prisma: db.prisma,
    queue: await createQueue(config.REDIS_URL, opts.redisPrefix ?? config.REDIS_PREFIX),
    limits: createLimits(config.REDIS_URL, opts.redisPrefix ?? config.REDIS_PREFIX),
    networks: new NetworkGuard(db.prisma),
    audit: AuditWriter.for(db.prisma),
    directory: new FacilityDirectory(db.prisma),
    transport: createTransport(config, db.prisma),
    now: opts.now ?? (() => new Date()),
    demoFeed: opts.demoFeed,
  };
}

export type Running = { hub: Hub; server?: Server; url?: string; stop(): Promise<void> };

/** Starts the roles this process was configured for: the API, the job workers, the cron scheduler. */
export async function startHub(hub: Hub): Promise<Running> {
  const roles = new Set(hub.config.PROCESS_ROLES);
  if (roles.has("workers")) await hub.queue.work(jobHandlers(hub));
  const cron = roles.has("cron") ? startCron(hub.queue) : undefined;
  let server: Server | undefined;
  let url: string | undefined;
  if (roles.has("api")) {
    const app = await createApp(hub);
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(hub.config.PORT, hub.config.HOST, () => resolve(s));
      s.once("error", reject);
    });
    // Longer than clients' and load balancers' idle timeouts, so a kept-alive connection is never closed
    // by the hub just as a client reuses it.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : hub.config.PORT;
    url = `http://${hub.config.HOST === "0.0.0.0" ? "localhost" : hub.config.HOST}:${port}${hub.config.BASE_PATH}`;
  }
  return {
    hub,
    server,
    url,
    stop: async () => {
      cron?.stop();
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((r) => server?.close(() => r()));
      }
      await hub.queue.close();
      await hub.limits.close();
      await hub.db.close();
    },
  };
}
