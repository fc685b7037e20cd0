/**
 * Rounds shared by the benchmark's hub runs (test/bench/run.ts at the demo's size, test/bench/scale.ts at N× the
 * prefecture): driving one scenario with autocannon, the portal's searches, and the residents import.
 */
import autocannon from "autocannon";
import { demoResidentsCsv } from "../../fixtures/import/residents-csv.js";
import type { TestClient } from "../support/client.js";

export type Metric = { name: string; value: number; unit: string };
export type Row = {
  name: string;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  /** Responses with a 2xx status. */
  ok: number;
  non2xx: number;
  errors: number;
};

export const round = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d;

/** What the portal's search page asks for: 20 results a page. */
export const SEARCHES = [
  "api/facilities?limit=20",
  "api/facilities?limit=20&serviceType=stay",
  "api/facilities?limit=20&region=%E4%BB%99%E5%8F%B0%E9%83%BD%E5%B8%82%E5%9C%8F",
  "api/facilities?limit=20&kind=midwife_home&serviceType=visit",
  "api/facilities?limit=20&q=%E3%82%AF%E3%83%AA%E3%83%8B%E3%83%83%E3%82%AF",
  "api/facilities?limit=20&municipality=041009&language=en",
  "api/facilities?limit=20&offset=20",
];

/**
 * The unified vacancy view over every facility: 90 days from `from` to `to` (tomorrow on, so never in the past in
 * Tokyo), per service type and region, and the portal's default two weeks.
 */
export function vacancySearches(from: string, to: string): string[] {
  return [
    `api/vacancy?from=${from}&to=${to}`,
    `api/vacancy?from=${from}&to=${to}&serviceType=stay`,
    `api/vacancy?from=${from}&to=${to}&serviceType=day`,
    `api/vacancy?from=${from}&to=${to}&region=%E4%BB%99%E5%8F%B0%E9%83%BD%E5%B8%82%E5%9C%8F`,
    "api/vacancy",
  ];
}

/** GET requests going round `paths`. */
export function cycling(paths: string[]): Partial<autocannon.Options> {
  let n = 0;
  return {
    requests: [{ method: "GET", setupRequest: (r) => ({ ...r, path: `/${paths[n++ % paths.length]}` }) }],
  };
}

export function drive(
  name: string,
  url: string,
  opts: Partial<autocannon.Options> & { connections: number; duration: number },
): Promise<Row> {
  return new Promise((resolve, reject) => {
    // Every response time is kept, so p95 is exact rather than read off autocannon's fixed percentiles.
    const times: number[] = [];
    const instance = autocannon({ url, ...opts }, (err, r) => {
      if (err) return reject(err);
      times.sort((a, b) => a - b);
      const at = (p: number) =>
        round(times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))] ?? 0, 1);
      resolve({
        name,
        rps: round(r.requests.average, 0),
        p50: at(50),
        p95: at(95),
        p99: at(99),
        ok: r["2xx"],
        non2xx: r.non2xx,
        errors: r.errors + r.timeouts,
      });
    });
    instance.on("response", (_client, _status, _bytes, responseTime) => times.push(responseTime));
  });
}

/**
 * 3,000 仙台市 residents (demo generators, each with a month-old baby) as CSV, posted by Sendai staff: a dry run,
 * then the apply. Seconds for both.
 */
export async function importRound(sendai: TestClient, label = ""): Promise<number> {
  const csv = demoResidentsCsv("041009", 3000, {
    externalIdStart: 800001,
    emailPrefix: "bench",
    bom: true,
    babyAgeDays: 30,
  });
  const body = { fileName: "residents3000.csv", contentBase64: Buffer.from(csv).toString("base64") };
  const started = performance.now();
  for (const dryRun of [true, false]) {
    const res = await sendai.post(`api/imports/residents?dryRun=${dryRun}`, body);
    if (res.status !== 200 || res.json.created !== 3000) {
      throw new Error(`import (dryRun=${dryRun}) failed: ${res.status} ${res.text.slice(0, 500)}`);
    }
  }
  const seconds = round((performance.now() - started) / 1000, 3);
  console.log(
    `${label}import of 3,000 residents (dry run + apply, base64 ${body.contentBase64.length} bytes): ${seconds} s`,
  );
  return seconds;
}
