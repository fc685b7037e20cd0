/**
 * National-scale data in the bench (issue 18, part 2): the same reads and bulk work on 1× and N× the prefecture.
 * For each scale, a database of its own is loaded with `seedDemo({ scale })` and a generated year of bookings
 * (fixtures/year.ts: 19,000 a year per copy; at 40×: 1,400 municipalities, 2,800 facilities, 120,000 residents,
 * 760,000 bookings), then:
 *
 * - `scaleN.load.s`: the load itself (bulk inserts, hub/db/bulk.ts), in a process of its own, seconds;
 * - `scaleN.search.p95`, `scaleN.vacancy.p95`: facility search and the unified vacancy view at 8 connections, on a
 *   hub process started on that database (the searches of test/bench/rounds.ts), ms;
 * - `scaleN.import.residents.s`: the same 3,000-resident import (dry run + apply) into that database, seconds;
 * - `scaleN.billing.year.s`: every month's billing runs of the year, both associations, all municipalities, one
 *   request after another to that hub (POST /api/billing/runs, as each association's clerk);
 *   `scaleN.billing.year.cpu_s` (`.hub`, `.database`): the CPU seconds they cost the hub process and PostgreSQL
 *   (test/bench/cpu.ts), which unlike the seconds do not grow when the machine is busy with other work;
 * - `scaleN.stats.year.ms`: the slowest built-in statistics report over that year, as the prefecture reads it.
 *
 * Targets at 40×: vacancy and search p95 < 50 ms, billing year < 20 s, stats < 1 s. `npm run bench` runs 1×;
 * with BENCH_SCALE=40 (PostgreSQL only: DATABASE_URL) also 40×. Alone: `npx tsx test/bench/scale.ts`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { SeedResult } from "../../fixtures/seed.js";
import { openDb } from "../../hub/db/client.js";
import { TestClient } from "../support/client.js";
import { tokyoDay } from "../support/dates.js";
import { createScratchDatabase } from "../support/hub.js";
import { cpuMeter } from "./cpu.js";
import { freePort, spawnHub, stop, waitReady } from "./processes.js";
import { cycling, drive, importRound, type Metric, round, SEARCHES, vacancySearches } from "./rounds.js";
import { statsRound } from "./stats.js";

/** Connections for the read rounds: a busy hour of a national service, not a stress test. */
const CONNECTIONS = 8;
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);

/** The scales `npm run bench` runs: 1×, and BENCH_SCALE's when set (which needs PostgreSQL). */
export function benchScales(env: NodeJS.ProcessEnv = process.env): number[] {
  if (!env.BENCH_SCALE) return [1];
  const n = Number(env.BENCH_SCALE);
  if (!Number.isInteger(n) || n < 2)
    throw new Error(`BENCH_SCALE must be a whole number from 2, got ${env.BENCH_SCALE}`);
  if (!env.DATABASE_URL) throw new Error("BENCH_SCALE runs on PostgreSQL: set DATABASE_URL too");
  return [1, n];
}

export async function scaleBench(scales: number[] = benchScales()): Promise<Metric[]> {
  const metrics: Metric[] = [];
  for (const scale of scales) metrics.push(...(await oneScale(scale)));
  return metrics;
}

async function oneScale(scale: number): Promise<Metric[]> {
  const label = `scale ${scale}×: `;
  const scratch = process.env.DATABASE_URL
    ? await createScratchDatabase(process.env.DATABASE_URL)
    : undefined;
  const dataDir = mkdtempSync(path.join(tmpdir(), "hub-scale-"));
  let hub: ChildProcess | undefined;
  try {
    // Load, in a process of its own (test/bench/scale-load.ts), which has ended before the hub opens the database
    // (PGlite is one process's at a time).
    const now = new Date();
    const t0 = performance.now();
    const year = await load(scale, now, { DATABASE_URL: scratch?.url ?? "", DATA_DIR: dataDir });
    const loadS = round((performance.now() - t0) / 1000, 1);
    console.log(
      `${label}loaded ${year.municipalities} municipalities, ${year.facilities} facilities, ${year.residents} residents, ` +
        `${year.bookings} bookings in ${year.months[0]}..${year.months.at(-1)}: ${loadS} s`,
    );

    // Reads and the import, through a hub process on that database.
    const port = await freePort();
    hub = spawnHub({
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      COOKIE_SECURE: "false",
      PROCESS_ROLES: "api",
      DATABASE_URL: scratch?.url ?? "",
    });
    const url = `http://127.0.0.1:${port}/`;
    await waitReady(`${url}readyz`, 180_000);
    const search = await drive("search", url, {
      ...cycling(SEARCHES),
      connections: CONNECTIONS,
      duration: DURATION_S,
    });
    const vacancy = await drive("vacancy", url, {
      ...cycling(vacancySearches(tokyoDay(1, now), tokyoDay(90, now))),
      connections: CONNECTIONS,
      duration: DURATION_S,
    });
    for (const r of [search, vacancy]) {
      if (r.non2xx || r.errors) throw new Error(`${label}${r.name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      console.log(
        `${label}${r.name} at ${CONNECTIONS} connections: ${r.rps} req/s, p50 ${r.p50} ms, p95 ${r.p95} ms`,
      );
    }
    const sendai = new TestClient(url);
    await sendai.signIn("sendai@demo.example.jp");
    const importS = await importRound(sendai, label);

    // The year's billing as the two associations run it: every month, one request after another, on this hub.
    const meter = await cpuMeter(hub.pid as number, scratch?.url);
    const t1 = performance.now();
    let runs = 0;
    for (const association of ["medical@demo.example.jp", "midwife@demo.example.jp"]) {
      const clerk = new TestClient(url);
      await clerk.signIn(association);
      for (const month of year.months) {
        const res = await clerk.post("api/billing/runs", { month });
        if (res.status !== 200)
          throw new Error(`${label}billing ${month}: ${res.status} ${res.text.slice(0, 300)}`);
        runs += res.json.items.length;
      }
    }
    const billingS = round((performance.now() - t1) / 1000, 2);
    const cpu = await meter.stop();
    const billingCpu = { hub: round(cpu.hubMs / 1000, 2), database: round(cpu.databaseMs / 1000, 2) };
    console.log(
      `${label}billing: ${runs} runs over the year: ${billingS} s, CPU ${round(billingCpu.hub + billingCpu.database, 2)} s ` +
        `(the hub ${billingCpu.hub} s, PostgreSQL ${scratch ? `${billingCpu.database} s` : "inside the hub (PGlite)"})`,
    );
    await stop(hub);
    hub = undefined;

    // Statistics over the year, in this process.
    const db = await openDb({ databaseUrl: scratch?.url, dataDir });
    try {
      const [stats] = await statsRound(db.prisma, {
        from: year.months[0] as string,
        to: year.months.at(-1) as string,
      });
      const p = `scale${scale}`;
      return [
        { name: `${p}.load.s`, value: loadS, unit: "s" },
        { name: `${p}.search.p95`, value: search.p95, unit: "ms" },
        { name: `${p}.vacancy.p95`, value: vacancy.p95, unit: "ms" },
        { name: `${p}.import.residents.s`, value: importS, unit: "s" },
        { name: `${p}.billing.year.s`, value: billingS, unit: "s" },
        { name: `${p}.billing.year.cpu_s`, value: round(billingCpu.hub + billingCpu.database, 2), unit: "s" },
        { name: `${p}.billing.year.cpu_s.hub`, value: billingCpu.hub, unit: "s" },
        { name: `${p}.billing.year.cpu_s.database`, value: billingCpu.database, unit: "s" },
        { name: `${p}.stats.year.ms`, value: stats?.value ?? Number.NaN, unit: "ms" },
      ];
    } finally {
      await db.close();
    }
  } finally {
    if (hub) await stop(hub);
    await scratch?.drop().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
}

type Loaded = SeedResult & { bookings: number; months: string[] };

/** Runs test/bench/scale-load.ts and returns what it loaded. */
async function load(scale: number, now: Date, env: Record<string, string>): Promise<Loaded> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/bench/scale-load.ts"], {
    env: { ...process.env, ...env, SCALE: String(scale), NOW: now.toISOString() },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (chunk) => {
    out += chunk;
  });
  const code = await new Promise((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`the ${scale}× load failed (exit ${code})`);
  return JSON.parse(out.trim().split("\n").at(-1) ?? "");
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const metrics = await scaleBench();
  for (const m of metrics) console.log(`${m.name.padEnd(28)} ${m.value} ${m.unit}`);
}
