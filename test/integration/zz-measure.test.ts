import { type ChildProcess, spawn } from "node:child_process";
import pg from "pg";
import { expect, it } from "vitest";
import { freePort } from "../bench/processes.js";
import { TestClient } from "../support/client.js";
import { tokyoDay } from "../support/dates.js";
import { startTestHub } from "../support/hub.js";
import { clientFor } from "../support/sessions.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const out: string[] = [];
async function timed(label: string, f: () => Promise<{ status: number; json?: unknown }>) {
  const t0 = performance.now();
  const r = await f();
  out.push(
    `${label}: ${r.status} ${Math.round(performance.now() - t0)} ms ${JSON.stringify(r.json ?? "").slice(0, 120)}`,
  );
  return r;
}

it("measures", async () => {
  const port = await freePort();
  let redis: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  await sleep(500);
  const t = await startTestHub({
    seed: "demo",
    residents: 20,
    workers: true,
    env: { REDIS_URL: `redis://127.0.0.1:${port}` },
  });
  const anon = new TestClient(t.url);
  const sendai = await clientFor(t, "sendai@demo.example.jp");
  const operator = await clientFor(t, "operator@demo.example.jp");
  try {
    await timed("redis up: readyz", () => anon.get("readyz"));
    await timed("redis up: sign-in code", () =>
      anon.post("api/auth/resident/code", { destination: "resident@demo.example.jp" }),
    );
    redis.kill("SIGKILL");
    await new Promise((r) => redis.once("exit", r));
    const down = performance.now();
    for (let i = 0; i < 3; i++) await timed("redis down: readyz", () => anon.get("readyz"));
    await timed("redis down: GET api/facilities", () => anon.get("api/facilities"));
    await timed("redis down: sign-in code", () =>
      anon.post("api/auth/resident/code", { destination: "resident@demo.example.jp" }),
    );
    const resident = await t.hub.prisma.resident.create({
      data: {
        municipalityCode: "041009",
        familyName: "障害",
        givenName: "試験",
        email: "m@example.jp",
        children: { create: { birthDate: new Date(`${tokyoDay(-20)}T00:00:00Z`) } },
      },
    });
    await timed("redis down: voucher issue", () => sendai.post("api/vouchers", { residentId: resident.id }));
    const feed = await t.hub.prisma.connection.findFirstOrThrow({
      where: { connector: "ical", enabled: true, consecutiveFailures: 0 },
    });
    await timed("redis down: sync now", () =>
      operator.post(`api/facilities/${feed.facilityId}/connection/sync`),
    );
    await timed("redis down: metrics", () => anon.get("metrics"));
    const pending = await t.hub.prisma.outboxMessage.count({ where: { dispatchedAt: null } });
    out.push(`outbox pending while down: ${pending}; down for ${Math.round(performance.now() - down)} ms`);
    redis = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      { stdio: "ignore" },
    );
    const up = performance.now();
    let ready = await anon.get("readyz");
    while (ready.json.status !== "ok") {
      await sleep(50);
      ready = await anon.get("readyz");
    }
    out.push(`readyz ok ${Math.round(performance.now() - up)} ms after Redis restart`);
    // outbox dispatched by periodic dispatch: no cron here, so nudge as cron would
    let left = pending;
    while (left > 0 && performance.now() - up < 60_000) {
      await t.hub.queue.add("outbox.dispatch", {}).catch(() => {});
      await sleep(250);
      left = await t.hub.prisma.outboxMessage.count({ where: { dispatchedAt: null } });
    }
    out.push(`outbox drained ${Math.round(performance.now() - up)} ms after Redis restart (left ${left})`);
  } finally {
    await t.close();
    redis.kill("SIGKILL");
  }
  // lock drill with default timeouts
  const t2 = await startTestHub({});
  const anon2 = new TestClient(t2.url);
  const locker = new pg.Client({ connectionString: t2.hub.config.DATABASE_URL });
  await locker.connect();
  try {
    await timed("no lock: GET api/faq", () => anon2.get("api/faq"));
    await locker.query("BEGIN");
    await locker.query("LOCK TABLE faq_entry IN ACCESS EXCLUSIVE MODE");
    await timed("locked: GET api/faq", () => anon2.get("api/faq"));
    await timed("locked: readyz", () => anon2.get("readyz"));
    await timed("locked: GET api/facilities", () => anon2.get("api/facilities"));
    await locker.query("ROLLBACK");
    await timed("after: GET api/faq", () => anon2.get("api/faq"));
    // terminated connections
    await locker.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );
    await timed("after terminate: GET api/faq", () => anon2.get("api/faq"));
    await timed("after terminate: GET api/faq (2)", () => anon2.get("api/faq"));
  } finally {
    await locker.end();
    await t2.close();
  }
  console.log(out.join("\n"));
  expect(out.length).toBeGreaterThan(0);
}, 180_000);
