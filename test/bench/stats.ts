/**
 * `stats.year.ms`: the server time of a statistics page over a full year of data (the generated year of
 * test/bench/billing.ts: ~19,000 bookings, 70 facilities × 365 days of capacity), as the prefecture reads it
 * (the whole prefecture: the largest scope). Every built-in report is read five times; the figure is the
 * slowest report's median, in ms. Target < 300 ms.
 */
import { performance } from "node:perf_hooks";
import type { PrismaClient } from "../../hub/db/client.js";
import type { Actor } from "../../hub/identity/actor.js";
import { BUILT_IN_REPORTS } from "../../hub/stats/catalog.js";
import { readReport } from "../../hub/stats/stored-reports.js";
import type { Metric } from "./rounds.js";

const READS = 5;

export async function statsRound(
  prisma: PrismaClient,
  period: { from: string; to: string },
): Promise<Metric[]> {
  const prefecture: Actor = {
    userId: "00000000-0000-0000-0000-000000000000",
    role: "prefecture",
    displayName: "bench",
    municipalityCode: null,
    facilityId: null,
    associationId: null,
    residentId: null,
    sessionId: "bench",
    verified: true,
    csrfToken: "",
  };
  const medians: { key: string; ms: number; rows: number }[] = [];
  for (const report of BUILT_IN_REPORTS) {
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < READS; i++) {
      const t0 = performance.now();
      rows = (await readReport(prisma, prefecture, report.key, period, new Date())).rows.length;
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    medians.push({ key: report.key, ms: times[Math.floor(READS / 2)] as number, rows });
  }
  medians.sort((a, b) => b.ms - a.ms);
  const slowest = medians[0] as { key: string; ms: number };
  console.log(
    `statistics over ${period.from}..${period.to}: ${medians.map((m) => `${m.key} ${m.ms.toFixed(1)} ms (${m.rows} rows)`).join(", ")}`,
  );
  return [{ name: "stats.year.ms", value: Math.round(slowest.ms * 10) / 10, unit: "ms" }];
}
