/**
 * Benchmarks of the webhook connector, on a hub of their own (PostgreSQL when DATABASE_URL is set, else PGlite;
 * BullMQ when REDIS_URL is set), with the demo data and one facility connected through `webhook`:
 *
 * - `webhook.visible.p95`: ms from sending a signed booking to seeing its place taken in GET /api/vacancy
 *   (polled every 10 ms), over VISIBLE_SAMPLES deliveries one after the other, before any load.
 * - `webhook.ingest.rps`: signed deliveries (one booking each) acknowledged per second, 50 connections for
 *   BENCH_SECONDS with autocannon.
 * - `webhook.lost.count`: acknowledged deliveries that are not, once the hub has worked through them, both stored
 *   in inbound_webhook as applied and in the ledger as a booking (checked in the database after the hub stopped).
 *   Must be 0.
 * - `push.latency.p95`: ms from a hub booking's answer (its transaction committed) to the facility's REST API (a
 *   local receiver in this process) having answered 2xx to its push, over PUSH_SAMPLES holds one after another,
 *   before any load: the outbox's after-commit channel, not the push sweep's 10 s cadence.
 *
 * Run alone: `npx tsx test/bench/webhook.ts`; `npm run bench` runs it after the other rounds.
 */
import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import autocannon from "autocannon";
import { Webhook } from "standardwebhooks";
import { loadConfig } from "../../hub/config.js";
import { newWebhookSecret, sealSecret } from "../../hub/connections/store.js";
import { openDb } from "../../hub/db/client.js";
import { hashPassword } from "../../hub/identity/passwords.js";
import { addDays, formatDate, parseDate } from "../../hub/inventory/dates.js";
import { TestClient } from "../support/client.js";
import { tokyoDay } from "../support/dates.js";
import { createScratchDatabase } from "../support/hub.js";
import { bookableResidents } from "../support/residents.js";
import { freePort, spawnHub, stop, waitReady } from "./processes.js";

const CONNECTIONS = 50;
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
const VISIBLE_SAMPLES = 40;
const PUSH_SAMPLES = 40;
/** The stay capacity of the connected facility: room for every booking the run sends. */
const CAPACITY = 1000;

export type Metric = { name: string; value: number; unit: string };

const day = (n: number) => tokyoDay(n);
const round = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d;

/** Prepares the database (demo data, one webhook connection), starts a hub on it, runs the rounds, checks. */
export async function webhookBench(): Promise<Metric[]> {
  const scratch = process.env.DATABASE_URL
    ? await createScratchDatabase(process.env.DATABASE_URL)
    : undefined;
  const dataDir = mkdtempSync(path.join(tmpdir(), "hub-bench-webhook-"));
  const dbUrl = scratch?.url;
  let hub: ChildProcess | undefined;
  const receiver = await facilityApi();
  try {
    const prepared = await prepare(dataDir, dbUrl, receiver.baseUrl);
    const port = await freePort();
    hub = spawnHub({
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      COOKIE_SECURE: "false",
      PROCESS_ROLES: "api,workers,cron",
      SEED_DEMO: "false",
      // The facility's API (the push receiver) is in this process, on loopback.
      CONNECTOR_ALLOWED_NETWORKS: "127.0.0.0/8,::1/128",
      ...(dbUrl ? { DATABASE_URL: dbUrl } : { DATABASE_URL: "" }),
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    });
    const url = `http://127.0.0.1:${port}/`;
    await waitReady(`${url}readyz`, 180_000);
    const operator = new TestClient(url);
    await operator.signIn("operator@demo.example.jp");

    const visible = await visibleRound(url, prepared);
    const push = await pushRound(url, prepared, receiver);
    const ingest = await ingestRound(url, prepared);
    const drainedIn = await drain(operator, prepared.facilityId);
    await stop(hub);
    hub = undefined;
    const lost = await lostCount(dataDir, dbUrl, ingest.acked);

    console.log(
      `\nwebhooks: ${ingest.acked.size} deliveries acknowledged in ${ingest.seconds} s (${ingest.rps} events/s, ` +
        `${CONNECTIONS} connections, p95 ${ingest.p95} ms, ${ingest.refused} refused, ${ingest.errors} errors); ` +
        `applied ${drainedIn} s after the load ended; lost ${lost}`,
    );
    console.log(
      `webhooks: signed POST → place taken in the vacancy, p95 of ${VISIBLE_SAMPLES}: ${visible} ms`,
    );
    console.log(
      `pushes: hub booking answered → facility API answered 2xx, p95 of ${PUSH_SAMPLES}: ${push} ms`,
    );
    return [
      { name: "webhook.ingest.rps", value: ingest.rps, unit: "events/s" },
      { name: "webhook.ingest.p95", value: ingest.p95, unit: "ms" },
      { name: "webhook.lost.count", value: lost, unit: "deliveries" },
      { name: "webhook.visible.p95", value: visible, unit: "ms" },
      { name: "webhook.drain.s", value: drainedIn, unit: "s" },
      { name: "push.latency.p95", value: push, unit: "ms" },
    ];
  } finally {
    receiver.close();
    if (hub) await stop(hub);
    await scratch?.drop().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
}

type Prepared = { connectionId: string; facilityId: string; secret: string; residents: string[] };

/**
 * Demo data and a webhook connection for the demo facility account's facility, pushing to `apiBaseUrl`, with room for
 * every booking, and residents with vouchers to book for.
 */
async function prepare(
  dataDir: string,
  databaseUrl: string | undefined,
  apiBaseUrl: string,
): Promise<Prepared> {
  const config = loadConfig({ DATA_DIR: dataDir, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) });
  const db = await openDb({ databaseUrl, dataDir });
  try {
    const { seedDemo } = await import("../../fixtures/seed.js");
    await seedDemo(db.prisma, { hashPassword });
    const staff = await db.prisma.user.findUniqueOrThrow({ where: { email: "facility@demo.example.jp" } });
    const facilityId = staff.facilityId as string;
    await db.prisma.facilityService.update({
      where: { facilityId_serviceType: { facilityId, serviceType: "stay" } },
      data: { capacity: CAPACITY },
    });
    await db.prisma.slot.updateMany({
      where: { facilityId, serviceType: "stay" },
      data: { capacity: CAPACITY },
    });
    const secret = newWebhookSecret();
    const conn = await db.prisma.connection.create({
      data: {
        facilityId,
        connector: "webhook",
        config: { apiBaseUrl },
        secretSealed: sealSecret({ config }, secret),
      },
    });
    const residents = await bookableResidents(db.prisma, "041009", PUSH_SAMPLES);
    return { connectionId: conn.id, facilityId, secret, residents };
  } finally {
    await db.close();
  }
}

function signedRequest(p: Prepared, reservationId: string, date: string) {
  const body = JSON.stringify({
    type: "booking.upserted",
    data: { reservationId, version: 1, service: "stay", checkIn: date, checkOut: nextDay(date) },
  });
  const id = `msg_${randomUUID()}`;
  const now = new Date();
  return {
    id,
    body,
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": signer(p.secret).sign(id, now, body),
    },
  };
}
const signers = new Map<string, Webhook>();
const signer = (secret: string) => {
  let w = signers.get(secret);
  if (!w) {
    w = new Webhook(secret);
    signers.set(secret, w);
  }
  return w;
};
const nextDay = (date: string) => formatDate(addDays(parseDate(date) as Date, 1));

/** The facility's free stay places on `date`, as residents see them. */
async function freeOn(url: string, facilityId: string, date: string): Promise<number | undefined> {
  const res = await fetch(`${url}api/vacancy?from=${date}&to=${date}&serviceType=stay&limit=200`);
  const json = (await res.json()) as {
    items: { facilityId: string; services: { blocks: { free: number[] }[] }[] }[];
  };
  return json.items.find((f) => f.facilityId === facilityId)?.services[0]?.blocks[0]?.free[0];
}

async function visibleRound(url: string, p: Prepared): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < VISIBLE_SAMPLES; i++) {
    const date = day(2 + (i % 60));
    const before = await freeOn(url, p.facilityId, date);
    if (before === undefined) throw new Error(`the facility is not in the vacancy on ${date}`);
    const req = signedRequest(p, `VIS-${i}-${randomUUID().slice(0, 8)}`, date);
    const started = performance.now();
    const res = await fetch(`${url}api/connections/${p.connectionId}/webhook`, {
      method: "POST",
      headers: req.headers,
      body: req.body,
    });
    if (res.status !== 202) throw new Error(`webhook refused: ${res.status} ${await res.text()}`);
    for (;;) {
      if ((await freeOn(url, p.facilityId, date)) === before - 1) break;
      if (performance.now() - started > 60_000)
        throw new Error("the webhook did not reach the vacancy in 60 s");
      await new Promise((r) => setTimeout(r, 10));
    }
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return round(samples[Math.min(samples.length - 1, Math.floor(0.95 * samples.length))] ?? 0, 1);
}

/** The facility's REST API: answers every push 2xx and notes when it answered each booking's first push. */
async function facilityApi() {
  const answered = new Map<string, number>();
  const waiting = new Map<string, () => void>();
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      const id = (JSON.parse(body || "{}") as { data?: { hubBookingId?: string } }).data?.hubBookingId;
      res.writeHead(req.method === "POST" ? 201 : 200, { "content-type": "application/json" });
      res.end(JSON.stringify({ reservationId: `R-${id ?? "x"}` }));
      if (id && !answered.has(id)) {
        answered.set(id, performance.now());
        waiting.get(id)?.();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/api`,
    /** When the push of `bookingId` was answered (waits for it, at most a minute). */
    answeredAt(bookingId: string): Promise<number> {
      const at = answered.get(bookingId);
      if (at !== undefined) return Promise.resolve(at);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no push of ${bookingId} within 60 s`)), 60_000);
        waiting.set(bookingId, () => {
          clearTimeout(timer);
          resolve(answered.get(bookingId) as number);
        });
      });
    },
    close: () => server.close(),
  };
}

async function pushRound(url: string, p: Prepared, api: Awaited<ReturnType<typeof facilityApi>>) {
  const facility = new TestClient(url);
  await facility.signIn("facility@demo.example.jp");
  const samples: number[] = [];
  for (let i = 0; i < PUSH_SAMPLES; i++) {
    const res = await facility.post("api/bookings", {
      facilityId: p.facilityId,
      serviceType: "stay",
      startDate: day(2 + (i % 60)),
      nights: 1,
      residentId: p.residents[i],
    });
    const committed = performance.now();
    if (res.status !== 201) throw new Error(`hold refused: ${res.status} ${res.text}`);
    samples.push((await api.answeredAt(res.json.id as string)) - committed);
  }
  samples.sort((a, b) => a - b);
  return round(samples[Math.min(samples.length - 1, Math.floor(0.95 * samples.length))] ?? 0, 1);
}

type Ingest = {
  acked: Map<string, string>;
  rps: number;
  p95: number;
  seconds: number;
  refused: number;
  errors: number;
};

/** Sustained signed deliveries; returns the acknowledged ones (webhook-id → reservation id). */
function ingestRound(url: string, p: Prepared): Promise<Ingest> {
  const acked = new Map<string, string>();
  const times: number[] = [];
  let n = 0;
  let refused = 0;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: CONNECTIONS,
        duration: DURATION_S,
        requests: [
          {
            method: "POST",
            path: `/api/connections/${p.connectionId}/webhook`,
            setupRequest: (request, context) => {
              const i = n++;
              const reservationId = `LOAD-${i}`;
              const req = signedRequest(p, reservationId, day(2 + (i % 80)));
              Object.assign(context, { id: req.id, reservationId });
              return { ...request, headers: req.headers, body: req.body };
            },
            onResponse: (status, _body, context) => {
              const c = context as { id: string; reservationId: string };
              if (status === 202) acked.set(c.id, c.reservationId);
              else refused++;
            },
          },
        ],
      },
      (err, r) => {
        if (err) return reject(err);
        const seconds = round((performance.now() - started) / 1000, 2);
        times.sort((a, b) => a - b);
        resolve({
          acked,
          rps: round(acked.size / Math.max(1, r.duration), 0),
          p95: round(times[Math.floor(0.95 * times.length)] ?? 0, 1),
          seconds,
          refused,
          errors: r.errors + r.timeouts,
        });
      },
    );
    instance.on("response", (_c, _s, _b, responseTime) => times.push(responseTime));
  });
}

/** Waits until the connection has nothing pending; seconds it took. */
async function drain(operator: TestClient, facilityId: string): Promise<number> {
  const started = performance.now();
  for (;;) {
    const res = await operator.get(`api/facilities/${facilityId}/connection`);
    if (res.status !== 200) throw new Error(`connection health: ${res.status} ${res.text}`);
    if (res.json.connection?.pendingWebhooks === 0) return round((performance.now() - started) / 1000, 2);
    if (performance.now() - started > 600_000) throw new Error("webhooks still pending after 10 minutes");
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Acknowledged deliveries missing from inbound_webhook (as applied) or from the ledger. */
async function lostCount(dataDir: string, databaseUrl: string | undefined, acked: Map<string, string>) {
  const db = await openDb({ databaseUrl, dataDir });
  try {
    const ids = [...acked.keys()];
    let applied = 0;
    let booked = 0;
    for (let i = 0; i < ids.length; i += 5000) {
      const chunk = ids.slice(i, i + 5000);
      applied += await db.prisma.inboundWebhook.count({
        where: { webhookId: { in: chunk }, status: "applied" },
      });
      booked += await db.prisma.booking.count({
        where: { source: "connector", externalRef: { in: chunk.map((id) => acked.get(id) as string) } },
      });
    }
    return Math.max(ids.length - applied, ids.length - booked);
  } finally {
    await db.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const metrics = await webhookBench();
  for (const m of metrics) console.log(`${m.name.padEnd(22)} ${m.value} ${m.unit}`);
}
