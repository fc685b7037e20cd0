/**
 * Drills for operations under faults (issue 19): what a client sees while a dependency is down or stuck. The hub
 * must answer, quickly and truthfully, instead of waiting: a table held by a long lock ends a request in 503 with
 * Retry-After; readiness answers within a second whatever is down and stays in service (degraded) without Redis.
 * Redis is one the test starts itself (never the machine's own), so stopping it harms nothing else.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TimedOut } from "../../hub/time-limit.js";
import { freePort } from "../bench/processes.js";
import { TestClient } from "../support/client.js";
import { expectProblem } from "../support/contract.js";
import { tokyoDay } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { clientFor } from "../support/sessions.js";

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
  let sendai: TestClient;
  let operator: TestClient;

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
    t = await startTestHub({ seed: "demo", residents: 20, env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
    anon = new TestClient(t.url);
    sendai = await clientFor(t, "sendai@demo.example.jp");
    operator = await clientFor(t, "operator@demo.example.jp");
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

    // Work whose message goes out later answers at once: the message waits in the outbox, not the request on Redis.
    const outbox = () => t.hub.prisma.outboxMessage.count({ where: { dispatchedAt: null } });
    const before = await outbox();
    const code = await anon.post("api/auth/resident/code", { destination: "resident@demo.example.jp" });
    expect(code.status, code.text).toBe(202);
    const resident = await t.hub.prisma.resident.create({
      data: {
        municipalityCode: "041009",
        familyName: "障害",
        givenName: "試験",
        email: "redis-down@example.jp",
        children: { create: { birthDate: new Date(`${tokyoDay(-20)}T00:00:00Z`) } },
      },
    });
    const issued = await sendai.post("api/vouchers", { residentId: resident.id });
    expect(issued.status, issued.text).toBe(201);
    expect(await outbox()).toBe(before + 2);

    // "Sync now" makes the connection due in the database (the cron's scan runs it) instead of waiting on the queue.
    const feed = await t.hub.prisma.connection.findFirstOrThrow({
      where: { connector: "ical", enabled: true, consecutiveFailures: 0 },
    });
    await t.hub.prisma.connection.update({
      where: { id: feed.id },
      data: { lastSyncAt: null, nextRunAt: new Date(Date.now() + 3_600_000) },
    });
    const synced = await operator.post(`api/facilities/${feed.facilityId}/connection/sync`);
    expect(synced.status, synced.text).toBe(202);
    const due = await t.hub.prisma.connection.findUniqueOrThrow({ where: { id: feed.id } });
    expect(due.nextRunAt?.getTime()).toBeLessThanOrEqual(Date.now());
    // Every Redis call is bounded: a job added or counts read give up instead of waiting for Redis to return.
    await expect(t.hub.queue.add("outbox.dispatch", {})).rejects.toBeInstanceOf(TimedOut);
    await expect(t.hub.queue.countsByQueue()).rejects.toBeInstanceOf(TimedOut);
    // Metrics still move where they can: the job store's gauges are marked stale, the outbox backlog is counted.
    const metrics = await anon.get("metrics");
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/^hub_metrics_refresh_failed\{source="job_store"\} 1$/m);
    expect(metrics.text).toMatch(/^hub_metrics_refresh_failed\{source="database"\} 0$/m);
    expect(Number(/^hub_outbox_backlog_messages (\d+)$/m.exec(metrics.text)?.[1])).toBeGreaterThanOrEqual(2);

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
