/**
 * Benchmark of the iCal connector, on a hub of its own (PostgreSQL when DATABASE_URL is set, else PGlite; BullMQ
 * when REDIS_URL is set), with the demo data and one facility connected to a calendar feed served from this
 * process on loopback:
 *
 * - `ical.import10k.s`: seconds of a first sync of a feed of 10,000 events (one-night stays spread over the
 *   sync window, 8 MB with their descriptions), from "sync now" to the connection's success with the last booking
 *   applied (polled every 100 ms). Checked after: 10,000 bookings from the feed in the ledger.
 *
 * Run alone: `npx tsx test/bench/ical.ts`; `npm run bench` runs it after the webhook round.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { openDb } from "../../hub/db/client.js";
import { hashPassword } from "../../hub/identity/passwords.js";
import { TestClient } from "../support/client.js";
import { tokyoDay } from "../support/dates.js";
import { createScratchDatabase } from "../support/hub.js";
import { largeFeed } from "../support/ical-feeds.js";
import { freePort, spawnHub, stop, waitReady } from "./processes.js";

export type Metric = { name: string; value: number; unit: string };

const EVENTS = 10_000;
const FEED_BYTES = 8_000_000;
/** Room for every booking of the feed: the round measures importing, not review of oversold days. */
const CAPACITY = 1000;

export async function icalBench(): Promise<Metric[]> {
  const scratch = process.env.DATABASE_URL
    ? await createScratchDatabase(process.env.DATABASE_URL)
    : undefined;
  const dataDir = mkdtempSync(path.join(tmpdir(), "hub-bench-ical-"));
  const dbUrl = scratch?.url;
  const body = largeFeed({ count: EVENTS, from: tokyoDay(0), days: 85, bytes: FEED_BYTES });
  const calendar = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/calendar; charset=utf-8" });
    res.end(body);
  });
  await new Promise<void>((r) => calendar.listen(0, "127.0.0.1", r));
  const feedUrl = `http://127.0.0.1:${(calendar.address() as AddressInfo).port}/calendar.ics`;
  let hub: ChildProcess | undefined;
  try {
    const facilityId = await prepare(dataDir, dbUrl, feedUrl);
    const port = await freePort();
    hub = spawnHub({
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      COOKIE_SECURE: "false",
      PROCESS_ROLES: "api,workers,cron",
      SEED_DEMO: "false",
      // The calendar is served by this process, on loopback.
      CONNECTOR_ALLOWED_NETWORKS: "127.0.0.0/8,::1/128",
      ...(dbUrl ? { DATABASE_URL: dbUrl } : { DATABASE_URL: "" }),
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    });
    const url = `http://127.0.0.1:${port}/`;
    await waitReady(`${url}readyz`, 180_000);
    const operator = new TestClient(url);
    await operator.signIn("operator@demo.example.jp");

    const started = performance.now();
    const queued = await operator.post(`api/facilities/${facilityId}/connection/sync`, {});
    if (queued.status !== 202) throw new Error(`sync now: ${queued.status} ${queued.text}`);
    let seconds = 0;
    for (;;) {
      const res = await operator.get(`api/facilities/${facilityId}/connection`);
      if (res.status !== 200) throw new Error(`connection health: ${res.status} ${res.text}`);
      const c = res.json.connection;
      if (c?.lastSuccessAt) {
        seconds = Math.round((performance.now() - started) / 10) / 100;
        break;
      }
      if (c?.lastError) throw new Error(`the first sync failed: ${c.lastError}`);
      if (performance.now() - started > 600_000) throw new Error("the first sync took over 10 minutes");
      await new Promise((r) => setTimeout(r, 100));
    }
    await stop(hub);
    hub = undefined;
    const imported = await countImported(dataDir, dbUrl, facilityId);
    if (imported !== EVENTS) throw new Error(`${imported} of ${EVENTS} events imported`);
    console.log(
      `ical: first sync of ${EVENTS} events (${(Buffer.byteLength(body) / 1e6).toFixed(1)} MB): ${seconds} s`,
    );
    return [{ name: "ical.import10k.s", value: seconds, unit: "s" }];
  } finally {
    calendar.close();
    if (hub) await stop(hub);
    await scratch?.drop().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Demo data, and an iCal connection for the demo facility account's facility, not due before "sync now". */
async function prepare(dataDir: string, databaseUrl: string | undefined, feedUrl: string): Promise<string> {
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
    await db.prisma.connection.deleteMany({ where: { facilityId } });
    await db.prisma.connection.create({
      data: {
        facilityId,
        connector: "ical",
        config: { url: feedUrl, serviceType: "stay" },
        nextRunAt: new Date(Date.now() + 24 * 3_600_000),
      },
    });
    return facilityId;
  } finally {
    await db.close();
  }
}

async function countImported(dataDir: string, databaseUrl: string | undefined, facilityId: string) {
  const db = await openDb({ databaseUrl, dataDir });
  try {
    return await db.prisma.booking.count({ where: { facilityId, source: "connector" } });
  } finally {
    await db.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const metrics = await icalBench();
  for (const m of metrics) console.log(`${m.name.padEnd(22)} ${m.value} ${m.unit}`);
}
