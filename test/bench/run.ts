import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type autocannon from "autocannon";
import { checkEntitlement, type EntitlementInput } from "../../hub/policies/entitlement.js";
import { osaki } from "../../hub/policies/examples.js";
import { TestClient } from "../support/client.js";
import { tokyoDay } from "../support/dates.js";
import { createScratchDatabase } from "../support/hub.js";
import { billingBench } from "./billing.js";
import { bootBench } from "./boot.js";
import { cpuMeter } from "./cpu.js";
import { icalBench } from "./ical.js";
import { portalBench } from "./portal.js";
import { freePort, stop, waitReady } from "./processes.js";
import {
  cycling,
  drive as driveWith,
  importRound,
  type Metric,
  type Row,
  round,
  SEARCHES,
  vacancySearches,
} from "./rounds.js";
import { benchScales, scaleBench } from "./scale.js";
import { webhookBench } from "./webhook.js";

/**
 * `npm run bench`: the hub (PostgreSQL when DATABASE_URL is set, else PGlite) and a bare Koa server, each in
 * its own process, driven by autocannon at 50 connections; then a 500-request race for 3 places.
 * Prints one table and writes test/bench/results.json.
 */
const CONNECTIONS = 50;
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
const RESULTS = new URL("./results.json", import.meta.url);
/**
 * The rounds on hubs of their own that follow the main hub's (webhook, ical, billing, boot, scale, portal): all by default;
 * `BENCH_ONLY=billing,scale` runs those after the main rounds, `BENCH_ONLY=none` only the main rounds.
 */
const wanted = (name: string) => !process.env.BENCH_ONLY || process.env.BENCH_ONLY.split(",").includes(name);

/** At 50 connections, `BENCH_SECONDS` each. */
const drive = (name: string, url: string, opts: Partial<autocannon.Options>) =>
  driveWith(name, url, { ...opts, connections: CONNECTIONS, duration: DURATION_S });

async function main() {
  // A bad BENCH_SCALE fails now, not after the other rounds.
  const scales = benchScales();
  const scratch = process.env.DATABASE_URL
    ? await createScratchDatabase(process.env.DATABASE_URL)
    : undefined;
  const dataDir = mkdtempSync(path.join(tmpdir(), "hub-bench-"));
  const processes: ChildProcess[] = [];
  try {
    const hubPort = await freePort();
    // BENCH_CPU_PROF=<dir>: the hub writes a V8 CPU profile there when it stops (open it in Chrome DevTools).
    const profile = process.env.BENCH_CPU_PROF
      ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
      : [];
    const hub = spawnProcess([...profile, "hub/main.ts"], {
      PORT: String(hubPort),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      SEED_DEMO: "true",
      // As `npm run demo`: the demo's simulated calendar is served by this hub, on loopback.
      CONNECTOR_ALLOWED_NETWORKS: "127.0.0.0/8,::1/128",
      COOKIE_SECURE: "false",
      PROCESS_ROLES: "api,workers,cron",
      ...(scratch ? { DATABASE_URL: scratch.url } : { DATABASE_URL: "" }),
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    });
    processes.push(hub);
    const hubUrl = `http://127.0.0.1:${hubPort}/`;
    await waitReady(`${hubUrl}readyz`, 180_000);
    const ceilingPort = await freePort();
    processes.push(spawnProcess(["test/bench/hello-server.ts"], { PORT: String(ceilingPort) }));
    await waitReady(`http://127.0.0.1:${ceilingPort}/`, 30_000);

    const facility = new TestClient(hubUrl);
    const me = await facility.signIn("facility@demo.example.jp");
    const sendai = new TestClient(hubUrl);
    await sendai.signIn("sendai@demo.example.jp");
    const importSeconds = await importRound(sendai);
    const { residents, seconds: voucherSeconds } = await voucherRound(sendai);
    // The 3,000 voucher notices are being sent meanwhile; every one is a commit, which the vacancy view treats as a
    // possible change. Measure once they are out, so the rounds below measure themselves, not the set-up.
    await noticesSent(sendai, residents.length);
    const today = new Date();
    const day = (n: number) => tokyoDay(n, today);
    // Room for every hold the run can make, so the hold figures measure successful holds: 3,000 residents with
    // month-old babies and a voucher each, one-night stays (2 units of 7) on 80 days, while the babies are still
    // under the four months 仙台市 allows stays for.
    const cap = await facility.put(`api/facilities/${me.facilityId}/slots`, {
      serviceType: "stay",
      from: day(2),
      to: day(81),
      capacity: 100,
    });
    if (cap.status !== 200) throw new Error(`setCapacity failed: ${cap.status} ${cap.text}`);

    const rows: Row[] = [];
    // The machine's bare-Koa ceiling while the hub is idle: after the hold rounds the hub is still sending their
    // notices, which takes CPU from the ceiling server.
    rows.push(await drive("ceiling", `http://127.0.0.1:${ceilingPort}/`, {}));
    rows.push(await drive("search", hubUrl, cycling(SEARCHES)));
    rows.push(await drive("vacancy", hubUrl, cycling(vacancySearches(day(1), day(90)))));
    let h = 0;
    const holdHeaders = () => ({
      "content-type": "application/json",
      cookie: `sango_session=${facility.sessionToken()}`,
      "x-csrf-token": facility.csrfToken,
      "idempotency-key": randomUUID(),
    });
    const holds: Partial<autocannon.Options> = {
      requests: [
        {
          method: "POST",
          path: "/api/bookings",
          setupRequest: (r) => {
            const i = h++;
            return {
              ...r,
              headers: holdHeaders(),
              body: JSON.stringify({
                facilityId: me.facilityId,
                serviceType: "stay",
                // Each pass over the residents moves one day on, so no resident is held twice for the same night
                // (which would answer 409 already_booked and leave the round measuring refusals).
                startDate: day(2 + ((i + Math.floor(i / residents.length)) % 80)),
                nights: 1,
                residentId: residents[i % residents.length],
              }),
            };
          },
        },
      ],
    };
    // What a successful hold costs the hub and PostgreSQL together (test/bench/cpu.ts), measured over the round.
    const meter = await cpuMeter(hub.pid as number, scratch?.url);
    // A fixed number of holds, not a duration: every resident's voucher covers three stays (9,000 in all), and a
    // faster hub must not run out of them and measure refusals.
    const hold = await drive("hold", hubUrl, { ...holds, amount: HOLDS });
    const cpu = await meter.stop();
    rows.push(hold);
    // At 8 connections: the latency of a hold when the hub is busy but not saturated.
    rows.push(
      await driveWith("hold8", hubUrl, { ...holds, connections: 8, duration: DURATION_S, amount: HOLDS / 2 }),
    );

    const holdCpu = {
      hub: round(cpu.hubMs / hold.ok, 3),
      database: round(cpu.databaseMs / hold.ok, 3),
      total: round((cpu.hubMs + cpu.databaseMs) / hold.ok, 3),
    };
    const oversell = await oversellRound(facility, me.facilityId, residents, day(85));
    const waitlistSeconds = await waitlistRound(facility, sendai, me.facilityId, [day(86), day(87), day(88)]);
    const entitlementMs = entitlementRound();
    // The webhook connector, on a hub of its own (test/bench/webhook.ts; alone: npx tsx test/bench/webhook.ts).
    // This hub stops first: on the same Redis the two would share job queues and take each other's jobs.
    await Promise.all(processes.map(stop));
    const webhookMetrics = await (wanted("webhook") ? webhookBench() : []);
    // The iCal connector's first sync of a 10,000-event feed, on a hub of its own (test/bench/ical.ts; alone:
    // npx tsx test/bench/ical.ts).
    const icalMetrics = await (wanted("ical") ? icalBench() : []);
    // Billing runs over a year and all municipalities' invoices (test/bench/billing.ts; alone: npx tsx test/bench/billing.ts).
    const billingMetrics = await (wanted("billing") ? billingBench() : []);
    // The hub's own start, with nothing to migrate or seed (test/bench/boot.ts; alone: npx tsx test/bench/boot.ts).
    const bootMetrics = await (wanted("boot") ? bootBench() : []);
    // The same reads and bulk work at 1× and, with BENCH_SCALE, N× the prefecture (test/bench/scale.ts; alone:
    // npx tsx test/bench/scale.ts).
    const scaleMetrics = await (wanted("scale") ? scaleBench(scales) : []);
    // The portal's vacancy page in Chromium on a throttled phone line, on a hub of its own with the demo data
    // (test/bench/portal.ts; alone: npx tsx test/bench/portal.ts).
    const portalMetrics = await (wanted("portal") ? portalBench() : []);

    const ceiling = rows.find((r) => r.name === "ceiling") as Row;
    printTable(rows, ceiling, oversell);
    console.log(
      `entitlement check: ${entitlementMs} ms a call (pure function, 大崎市 example, 3-night stay)`,
    );
    console.log(
      `hold CPU per successful hold: ${holdCpu.total} ms (hub ${holdCpu.hub} ms, PostgreSQL ${scratch ? `${holdCpu.database} ms` : "inside the hub (PGlite)"}; ${hold.ok} holds)`,
    );
    console.log(`import of 3,000 residents (dry run + apply, through the API): ${importSeconds} s`);
    const metrics: Metric[] = [];
    for (const r of rows) {
      if (r.name === "ceiling") {
        metrics.push({ name: "ceiling.rps", value: r.rps, unit: "req/s" });
        continue;
      }
      metrics.push(
        { name: `${r.name}.rps`, value: r.rps, unit: "req/s" },
        { name: `${r.name}.p50`, value: r.p50, unit: "ms" },
        { name: `${r.name}.p95`, value: r.p95, unit: "ms" },
        { name: `${r.name}.p99`, value: r.p99, unit: "ms" },
        { name: `${r.name}.ceiling_ratio`, value: round(r.rps / ceiling.rps, 3), unit: "ratio" },
      );
    }
    metrics.push(
      { name: "hold.cpu_ms", value: holdCpu.total, unit: "ms" },
      { name: "hold.cpu_ms.hub", value: holdCpu.hub, unit: "ms" },
      { name: "hold.cpu_ms.database", value: holdCpu.database, unit: "ms" },
      { name: "entitlement.check.ms", value: entitlementMs, unit: "ms" },
      { name: "import.residents3000.s", value: importSeconds, unit: "s" },
      { name: "vouchers.bulk3000.s", value: voucherSeconds, unit: "s" },
      { name: "oversell.count", value: oversell.oversold, unit: "bookings" },
      { name: "oversell.granted", value: oversell.granted, unit: "bookings" },
      { name: "waitlist.offer.s", value: waitlistSeconds, unit: "s" },
    );
    metrics.push(...webhookMetrics, ...icalMetrics);
    metrics.push(...billingMetrics);
    metrics.push(...bootMetrics);
    metrics.push(...scaleMetrics);
    metrics.push(...portalMetrics);
    printScale(scaleMetrics);
    mkdirSync(path.dirname(RESULTS.pathname), { recursive: true });
    writeFileSync(
      RESULTS,
      `${JSON.stringify({ database: scratch ? "postgresql" : "pglite", jobs: process.env.REDIS_URL ? "bullmq" : "memory", connections: CONNECTIONS, durationSeconds: DURATION_S, metrics }, null, 2)}\n`,
    );
    console.log(`\nwritten: ${path.relative(process.cwd(), RESULTS.pathname)}`);
  } finally {
    for (const p of processes) p.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 500));
    await scratch?.drop().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Waits until the delivery log shows at least `count` messages sent about Sendai residents (at most 5 minutes). */
async function noticesSent(sendai: TestClient, count: number): Promise<void> {
  const started = performance.now();
  for (;;) {
    const res = await sendai.get("api/deliveries?status=sent&limit=1");
    if (res.status !== 200) throw new Error(`deliveries: ${res.status} ${res.text}`);
    if (res.json.total >= count) break;
    if (performance.now() - started > 300_000)
      throw new Error(`only ${res.json.total} of ${count} notices sent`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  console.log(
    `voucher notices sent: ${round((performance.now() - started) / 1000, 1)} s after the last issue`,
  );
}

/** A voucher for each of the 3,000 imported residents, issued in bulk by Sendai staff 500 at a time. */
async function voucherRound(sendai: TestClient): Promise<{ residents: string[]; seconds: number }> {
  const residents: string[] = [];
  for (let offset = 0; ; offset += 200) {
    const page = await sendai.get(`api/residents?q=bench&limit=200&offset=${offset}`);
    residents.push(...(page.json.items as { id: string }[]).map((r) => r.id));
    if (page.json.items.length < 200) break;
  }
  if (residents.length !== 3000)
    throw new Error(`expected 3,000 imported residents, found ${residents.length}`);
  const started = performance.now();
  for (let i = 0; i < residents.length; i += 500) {
    const res = await sendai.post("api/vouchers/bulk", { residentIds: residents.slice(i, i + 500) });
    if (res.status !== 201) throw new Error(`bulk issue failed: ${res.status} ${res.text.slice(0, 500)}`);
  }
  const seconds = round((performance.now() - started) / 1000, 3);
  console.log(`vouchers for 3,000 residents (bulk issue, 500 a request): ${seconds} s`);
  return { residents, seconds };
}

/** Mean time of one entitlement check (hub/policies), over many calls of a realistic request. */
function entitlementRound(calls = 100_000): number {
  const input: EntitlementInput = {
    policy: osaki,
    voucher: {
      status: "active",
      validFrom: "2025-04-01",
      validUntil: "2026-03-31",
      unitsByType: {},
      unitsUsed: { stay: 2 },
      unitsReserved: { day: 1 },
      usesSoFar: 1,
    },
    child: { birthDate: "2025-05-10", multipleBirth: 1 },
    resident: { incomeTier: "general" },
    request: { serviceType: "stay", startDate: "2025-07-01", nights: 3, addOns: [] },
  };
  if (!checkEntitlement(input).allowed)
    throw new Error("the benchmark's entitlement request must be allowed");
  const started = performance.now();
  for (let i = 0; i < calls; i++) checkEntitlement(input);
  return round((performance.now() - started) / calls, 5);
}

/**
 * The waitlist's fast path: seconds from a cancellation's HTTP response until the place is offered to the resident
 * waiting for it (the entry turns `offered`, polled through the API every 10 ms), the median of one round per date.
 * Each date gets one place, held by one fresh resident while another waits; the facility cancels the hold.
 */
async function waitlistRound(
  facility: TestClient,
  sendai: TestClient,
  facilityId: string,
  dates: string[],
): Promise<number> {
  const birthDate = tokyoDay(-30);
  const fresh = async (n: number) => {
    const res = await sendai.post("api/residents", {
      familyName: "待機",
      givenName: `計測${n}`,
      kana: "たいき けいそく",
      postalCode: "980-0811",
      address: "仙台市青葉区一番町（架空）",
      preferredLanguage: "ja",
      incomeTier: "general",
      consent: true,
      children: [{ name: "", birthDate, multipleBirth: 1 }],
    });
    if (res.status !== 201) throw new Error(`resident not created: ${res.status} ${res.text.slice(0, 300)}`);
    const voucher = await sendai.post("api/vouchers", { residentId: res.json.id });
    if (voucher.status !== 201) throw new Error(`voucher not issued: ${voucher.status} ${voucher.text}`);
    return res.json.id as string;
  };
  const samples: number[] = [];
  for (const [i, date] of dates.entries()) {
    const cap = await facility.put(`api/facilities/${facilityId}/slots`, {
      serviceType: "stay",
      from: date,
      to: date,
      capacity: 1,
    });
    if (cap.status !== 200) throw new Error(`setCapacity failed: ${cap.status} ${cap.text}`);
    const held = await facility.post("api/bookings", {
      facilityId,
      serviceType: "stay",
      startDate: date,
      nights: 1,
      residentId: await fresh(2 * i + 1),
    });
    if (held.status !== 201) throw new Error(`hold failed: ${held.status} ${held.text}`);
    const joined = await sendai.post("api/waitlist", {
      facilityId,
      serviceType: "stay",
      fromDate: date,
      toDate: date,
      nights: 1,
      residentId: await fresh(2 * i + 2),
    });
    if (joined.status !== 201) throw new Error(`waitlist join failed: ${joined.status} ${joined.text}`);
    const cancelled = await facility.post(`api/bookings/${held.json.id}/cancel`, { reason: "ベンチマーク" });
    if (cancelled.status !== 200) throw new Error(`cancel failed: ${cancelled.status} ${cancelled.text}`);
    const started = performance.now();
    for (;;) {
      const entry = await sendai.get(`api/waitlist/${joined.json.id}`);
      if (entry.json?.status === "offered") break;
      if (performance.now() - started > 120_000)
        throw new Error("the freed place was not offered within 2 minutes");
      await new Promise((r) => setTimeout(r, 10));
    }
    samples.push((performance.now() - started) / 1000);
  }
  samples.sort((a, b) => a - b);
  const median = round(samples[Math.floor(samples.length / 2)] ?? 0, 3);
  console.log(`waitlist: cancellation answered → place offered, median of ${samples.length}: ${median} s`);
  return median;
}

/** Simultaneous holds for a night with 3 places: exactly 3 may succeed. */
const RACE_REQUESTS = 500;
/** Holds of the hold round at 50 connections (half as many at 8): room is left for the oversell round's 3. */
const HOLDS = 4000;

/** RACE_REQUESTS simultaneous holds for a night with 3 places: exactly 3 may succeed. */
async function oversellRound(facility: TestClient, facilityId: string, residents: string[], date: string) {
  const cap = await facility.put(`api/facilities/${facilityId}/slots`, {
    serviceType: "stay",
    from: date,
    to: date,
    capacity: 3,
  });
  if (cap.status !== 200) throw new Error(`setCapacity failed: ${cap.status} ${cap.text}`);
  const results = await Promise.all(
    Array.from({ length: RACE_REQUESTS }, (_, i) =>
      facility.post("api/bookings", {
        facilityId,
        serviceType: "stay",
        startDate: date,
        nights: 1,
        residentId: residents[i % residents.length],
      }),
    ),
  );
  const granted = results.filter((r) => r.status === 201).length;
  const slots = await facility.get(
    `api/facilities/${facilityId}/slots?from=${date}&to=${date}&serviceType=stay`,
  );
  const slot = slots.json.items[0] as { capacity: number; free: number };
  const errors = results.filter((r) => r.status >= 500).length;
  if (errors) console.error(`${errors} holds answered with a server error`);
  // Fewer than the places means the race measured refusals of another kind (vouchers used up): not a valid round.
  if (granted < slot.capacity) {
    const other = results.find((r) => r.status !== 201 && r.status !== 409);
    throw new Error(
      `oversell round: only ${granted} of ${slot.capacity} places granted (${other?.status} ${other?.text})`,
    );
  }
  return { granted, oversold: Math.max(0, granted - slot.capacity), capacity: slot.capacity };
}

function printTable(
  rows: Row[],
  ceiling: Row,
  oversell: { granted: number; oversold: number; capacity: number },
) {
  const pad = (s: string | number, n: number) => String(s).padStart(n);
  console.log(`\nbenchmark: ${CONNECTIONS} connections, ${DURATION_S} s each\n`);
  console.log(
    `${"".padEnd(10)}${pad("req/s", 9)}${pad("p50 ms", 9)}${pad("p95 ms", 9)}${pad("p99 ms", 9)}${pad("÷ceiling", 10)}${pad("non-2xx", 9)}${pad("errors", 8)}`,
  );
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(10)}${pad(r.rps, 9)}${pad(r.p50, 9)}${pad(r.p95, 9)}${pad(r.p99, 9)}${pad(round(r.rps / ceiling.rps, 3), 10)}${pad(r.non2xx, 9)}${pad(r.errors, 8)}`,
    );
  }
  console.log(
    `\noversell round: ${RACE_REQUESTS} concurrent holds for ${oversell.capacity} places → ${oversell.granted} granted, oversell ${oversell.oversold}`,
  );
}

/** The scale rounds side by side: one row per metric, one column per scale. */
function printScale(metrics: Metric[]) {
  const scales = [...new Set(metrics.map((m) => m.name.split(".")[0] as string))];
  const names = [...new Set(metrics.map((m) => m.name.slice(m.name.indexOf(".") + 1)))];
  console.log(`\n${"".padEnd(22)}${scales.map((s) => s.padStart(12)).join("")}`);
  for (const n of names) {
    const cells = scales.map((s) =>
      String(metrics.find((m) => m.name === `${s}.${n}`)?.value ?? "").padStart(12),
    );
    console.log(`${n.padEnd(22)}${cells.join("")}`);
  }
}

function spawnProcess(args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  child.once("exit", (code) => {
    if (code !== null && code !== 0) {
      console.error(`${args.join(" ")} exited with code ${code}`);
      process.exit(1);
    }
  });
  return child;
}

await main();
