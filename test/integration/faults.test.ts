/**
 * Drills for operations under faults (issue 19): what a client sees while a dependency is down or stuck. The hub
 * must answer, quickly and truthfully, instead of waiting: a table held by a long lock ends a request in 503 with
 * Retry-After; readiness answers within a second whatever is down and stays in service (degraded) without Redis.
 * Redis is one the test starts itself (never the machine's own), so stopping it harms nothing else.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../bench/processes.js";
import { TestClient } from "../support/client.js";
import { expectProblem } from "../support/contract.js";
import { startTestHub, type TestHub } from "../support/hub.js";

const onPostgres = Boolean(process.env.DATABASE_URL);
const redisServer = (() => {
  try {
    return execFileSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" }).trim();
  } catch {
    return "";
  }
})();

describe.skipIf(!onPostgres)("a table held by a long lock (PostgreSQL)", () => {
  let t: TestHub;
  let anon: TestClient;

  beforeAll(async () => {
    t = await startTestHub({ env: { DB_LOCK_TIMEOUT_MS: "300" } });
    anon = new TestClient(t.url);
  });
  afterAll(() => t?.close());

  it("ends a request that needs it in 503 database_unavailable with Retry-After, and others go on", async () => {
    expect((await anon.get("api/faq")).status).toBe(200);
    const locker = new pg.Client({ connectionString: t.hub.config.DATABASE_URL });
    await locker.connect();
    try {
      await locker.query("BEGIN");
      await locker.query("LOCK TABLE faq_entry IN ACCESS EXCLUSIVE MODE");
      const blocked = await anon.get("api/faq");
      expectProblem(blocked, 503, "database_unavailable");
      expect(blocked.headers.get("retry-after")).toBe("5");
      // The database itself answers: the process stays in service.
      const ready = await anon.get("readyz");
      expect(ready.status).toBe(200);
      expect(ready.json).toEqual({ status: "ok", checks: { database: "ok", jobs: "ok" } });
    } finally {
      await locker.query("ROLLBACK").catch(() => {});
      await locker.end();
    }
    expect((await anon.get("api/faq")).status).toBe(200);
  });
});

describe.skipIf(!redisServer)("Redis stopped (a Redis of the test's own)", () => {
  let t: TestHub;
  let anon: TestClient;
  let redis: ChildProcess | undefined;
  let port = 0;

  const startRedis = async () => {
    redis = spawn(
      redisServer,
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      {
        stdio: "ignore",
      },
    );
    for (let i = 0; i < 100; i++) {
      if (await reachable(port)) return;
      await sleep(50);
    }
    throw new Error("redis-server did not start");
  };

  beforeAll(async () => {
    port = await freePort();
    await startRedis();
    t = await startTestHub({ env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
    anon = new TestClient(t.url);
  });
  afterAll(async () => {
    if (!redis || redis.exitCode !== null || redis.signalCode) await startRedis();
    await t?.close();
    redis?.kill("SIGKILL");
  });

  it("readiness answers at once, degraded but in service; requests that need no queue go on; it recovers", async () => {
    expect((await anon.get("readyz")).json).toEqual({ status: "ok", checks: { database: "ok", jobs: "ok" } });
    redis?.kill("SIGKILL");
    await new Promise((r) => redis?.once("exit", r));

    const ready = await anon.get("readyz");
    expect(ready.status, ready.text).toBe(200);
    expect(ready.json.status).toBe("degraded");
    expect(ready.json.checks.database).toBe("ok");
    expect(["timeout", "unreachable"]).toContain(ready.json.checks.jobs);
    expect((await anon.get("api/faq")).status).toBe(200);
    expect((await anon.get("api/facilities")).status).toBe(200);

    await startRedis();
    let after = await anon.get("readyz");
    for (let i = 0; i < 100 && after.json.status !== "ok"; i++) {
      await sleep(100);
      after = await anon.get("readyz");
    }
    expect(after.json).toEqual({ status: "ok", checks: { database: "ok", jobs: "ok" } });
  });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function reachable(port: number): Promise<boolean> {
  const net = await import("node:net");
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.end();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
