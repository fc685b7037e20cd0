/**
 * Benchmarks of billing (請求), on a database of their own (PostgreSQL when DATABASE_URL is set, else in-memory
 * PGlite) with the demo data plus a generated year (fixtures/billing-year.ts) of 3,000 residents of all 35
 * municipalities and ~20,000 service units, rules changing mid-year:
 *
 * - `billing.year.s`: computing and storing the draft runs of the whole year, every month of both associations
 *   (all municipalities each time), seconds. Target < 2 s.
 * - `invoices.all.s`: every municipality's invoice (xlsx + docx) of one month, seconds. Target < 10 s.
 * - `stats.year.ms`: statistics over the same year (test/bench/stats.ts). Target < 300 ms.
 *
 * Run alone: `npx tsx test/bench/billing.ts`; `npm run bench` runs it after the other rounds.
 */
import path from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { generateYear } from "../../fixtures/billing-year.js";
import { invoiceDocx, invoiceXlsx } from "../../hub/billing/invoices.js";
import { getRun, runMonth } from "../../hub/billing/runs.js";
import { invoiceContext } from "../../hub/billing/settings.js";
import { openDb } from "../../hub/db/client.js";
import { parseMonth } from "../../hub/usage/monthly.js";
import { createScratchDatabase } from "../support/hub.js";
import { statsRound } from "./stats.js";

export type Metric = { name: string; value: number; unit: string };

const round = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d;

export async function billingBench(): Promise<Metric[]> {
  const scratch = process.env.DATABASE_URL
    ? await createScratchDatabase(process.env.DATABASE_URL)
    : undefined;
  const db = await openDb({ databaseUrl: scratch?.url, dataDir: "memory://" });
  try {
    const { seedDemo } = await import("../../fixtures/seed.js");
    await seedDemo(db.prisma, { residents: 0 });
    const codes = (await db.prisma.municipality.findMany({ select: { code: true } })).map((m) => m.code);
    const gen = await generateYear(db.prisma, {
      from: "2025-04",
      municipalities: codes,
      residents: 3000,
      bookings: 19_000,
    });
    const now = new Date();
    const t0 = performance.now();
    let runs = 0;
    for (const associationId of ["medical", "midwife"]) {
      for (const m of gen.months) {
        const month = parseMonth(m);
        if (!month) throw new Error(m);
        runs += (await runMonth(db, { associationId, month, actorId: null, now })).items.length;
      }
    }
    const yearS = (performance.now() - t0) / 1000;

    // One month's invoices for every municipality (the medical association's runs, one per municipality).
    const month = gen.months[6] as string;
    const monthRuns = await db.prisma.billingRun.findMany({
      where: { associationId: "medical", month },
      select: { id: true },
    });
    const t1 = performance.now();
    let bytes = 0;
    for (const r of monthRuns) {
      const run = await getRun(db.prisma, r.id, now, { discrepancies: false });
      const ctx = await invoiceContext(db.prisma, run);
      const [x, d] = await Promise.all([invoiceXlsx(run, ctx, now), invoiceDocx(run, ctx, now)]);
      bytes += x.body.length + d.body.length;
    }
    const invoicesS = (performance.now() - t1) / 1000;
    console.log(
      `billing: ${gen.bookings} bookings, ${gen.units} units used, ${gen.residents} residents; ${runs} runs in a year; ` +
        `${monthRuns.length} municipalities' invoices of ${month}: ${Math.round(bytes / 1024)} KiB`,
    );
    // Statistics over the same year (test/bench/stats.ts).
    const first = gen.months[0] as string;
    const last = gen.months[gen.months.length - 1] as string;
    const stats = await statsRound(db.prisma, { from: first, to: last });
    return [
      { name: "billing.year.s", value: round(yearS, 2), unit: "s" },
      { name: "invoices.all.s", value: round(invoicesS, 2), unit: "s" },
      ...stats,
    ];
  } finally {
    await db.close();
    await scratch?.drop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const metrics = await billingBench();
  for (const m of metrics) console.log(`${m.name.padEnd(22)} ${m.value} ${m.unit}`);
}
