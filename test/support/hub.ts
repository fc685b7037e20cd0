import { randomBytes } from "node:crypto";
import { demoCalendarFeed } from "../../fixtures/simulators/calendar-feed.js";
import { loadConfig } from "../../hub/config.js";
import type { Hub } from "../../hub/context.js";
import { type Db, openDb, type PrismaClient } from "../../hub/db/client.js";
import { hashPassword } from "../../hub/identity/passwords.js";
import { createHub, startHub } from "../../hub/server.js";
import {
  createDatabase,
  databaseUrl,
  dropDatabase,
  loadTemplate,
  type Template,
  type TemplateKind,
  template,
  templateRun,
  uniqueName,
} from "./templates.js";

export type TestHub = {
  hub: Hub;
  /** e.g. http://127.0.0.1:41234/ (with the trailing slash of the base path) */
  url: string;
  close(): Promise<void>;
};

export type TestHubOptions = {
  /** "demo": the full demo data set (35 municipalities, ~70 facilities, residents, demo accounts); "none": empty. */
  seed?: "demo" | "none";
  residents?: number;
  env?: Record<string, string>;
  now?: () => Date;
  /** Start the job workers too (default false: tests call job functions directly). */
  workers?: boolean;
};

/**
 * A hub on a fresh database for one test file: a new PostgreSQL database when DATABASE_URL is set (dropped on
 * close), else an in-memory PGlite; BullMQ with a unique key prefix when REDIS_URL is set, else the in-process
 * queue. The database is a copy of the run's template for its seed (test/support/templates.ts): the demo data
 * is seeded once per run and size, not once per file.
 */
export async function startTestHub(opts: TestHubOptions = {}): Promise<TestHub> {
  const serverUrl = process.env.DATABASE_URL;
  const from = await runTemplate(
    opts.seed === "demo" ? { seed: "demo", residents: opts.residents ?? 200 } : { seed: "none" },
    serverUrl,
  );
  const scratch = serverUrl
    ? await createScratchDatabase(serverUrl, from && "postgres" in from ? from.postgres : undefined)
    : undefined;
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: "memory://",
    SECRET_KEY: randomBytes(32).toString("hex"),
    COOKIE_SECURE: "false",
    PROCESS_ROLES: opts.workers ? "api,workers" : "api",
    // Connectors reach the tests' own servers on this machine: allowed here explicitly, never by default.
    CONNECTOR_ALLOWED_NETWORKS: "127.0.0.0/8,::1/128",
    ...(scratch ? { DATABASE_URL: scratch.url } : {}),
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    ...opts.env,
  });
  const hub = await createHub(config, {
    redisPrefix: `test-${randomBytes(4).toString("hex")}`,
    now: opts.now,
    loadDataDir: from && "pglite" in from ? loadTemplate(from) : undefined,
    demoFeed: config.SEED_DEMO ? demoCalendarFeed : undefined,
  });
  // Outside a run with templates (global-setup.ts), the demo data is seeded here.
  if (opts.seed === "demo" && !from) await seedDemoHere(hub.prisma, opts.residents ?? 200);
  const running = await startHub(hub);
  return {
    hub,
    url: running.url ?? "",
    close: async () => {
      await running.stop();
      await scratch?.drop();
    },
  };
}

/** CREATE DATABASE for one test run (a copy of `template` if given), so parallel runs and files never interfere. */
export async function createScratchDatabase(
  serverUrl: string,
  template?: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = uniqueName("hubtest");
  await createDatabase(serverUrl, name, template);
  return {
    url: databaseUrl(serverUrl, name),
    drop: () => dropDatabase(serverUrl, name),
  };
}

/**
 * A PostgreSQL database of its own holding the demo data (a copy of the run's template when there is one), for tests
 * that start hub processes themselves (test/integration/scale-out.test.ts).
 */
export async function demoDatabase(
  serverUrl: string,
  residents: number,
): Promise<{ url: string; drop(): Promise<void> }> {
  const from = await runTemplate({ seed: "demo", residents }, serverUrl);
  const scratch = await createScratchDatabase(
    serverUrl,
    from && "postgres" in from ? from.postgres : undefined,
  );
  if (!from) {
    const db = await openDb({ databaseUrl: scratch.url, dataDir: "memory://" });
    try {
      await seedDemoHere(db.prisma, residents);
    } finally {
      await db.close();
    }
  }
  return scratch;
}

/**
 * An embedded database in a folder on disk (for tests of what lies in DATA_DIR: backups, complete deletion) that
 * starts as a copy of the run's template for `kind`, or is migrated (and seeded) afresh outside a run with templates.
 * Copies of one template share its instance id (hub_instance): tests that need two instances migrate their own.
 */
export async function openEmbeddedCopy(dataDir: string, kind: TemplateKind): Promise<Db> {
  const from = await runTemplate(kind);
  const db = await openDb({
    dataDir,
    loadDataDir: from && "pglite" in from ? loadTemplate(from) : undefined,
  });
  if (kind.seed === "demo" && !from) await seedDemoHere(db.prisma, kind.residents);
  return db;
}

/** The run's template for `kind` (built now if this run has none yet), or undefined outside a run with templates. */
async function runTemplate(kind: TemplateKind, serverUrl?: string): Promise<Template | undefined> {
  const run = await templateRun();
  return run ? template(run, kind, serverUrl) : undefined;
}

/** The demo data seeded into this database, for when the run has no template to copy. */
async function seedDemoHere(prisma: PrismaClient, residents: number): Promise<void> {
  const { seedDemo } = await import("../../fixtures/seed.js");
  await seedDemo(prisma, { hashPassword, residents });
}
