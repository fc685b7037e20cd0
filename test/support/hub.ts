import { randomBytes } from "node:crypto";
import pg from "pg";
import { loadConfig } from "../../hub/config.js";
import type { Hub } from "../../hub/context.js";
import { hashPassword } from "../../hub/identity/passwords.js";
import { createHub, startHub } from "../../hub/server.js";

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
 * A hub on a fresh database for one test file: a new PostgreSQL database when DATABASE_URL is set
 * (dropped on close), else an in-memory PGlite; BullMQ with a unique key prefix when REDIS_URL is set,
 * else the in-process queue.
 */
export async function startTestHub(opts: TestHubOptions = {}): Promise<TestHub> {
  const scratch = process.env.DATABASE_URL
    ? await createScratchDatabase(process.env.DATABASE_URL)
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
  });
  if (opts.seed === "demo") {
    const { seedDemo } = await import("../../fixtures/seed.js");
    await seedDemo(hub.prisma, { hashPassword, residents: opts.residents ?? 200 });
  }
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

/** CREATE DATABASE for one test run, so parallel runs and files never interfere. */
export async function createScratchDatabase(
  serverUrl: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `hubtest_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
