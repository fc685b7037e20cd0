/**
 * The portal on the line its residents really have: a phone (375 × 812) on a slow mobile link. A hub of its own with
 * the demo data (PostgreSQL when DATABASE_URL is set, else PGlite; API only, so no job competes for the CPU) serves
 * the built portal (`npm run build` first); Chromium (playwright-core, /usr/bin/chromium) opens /vacancy with a cold
 * cache (a new browser context each run), the CPU slowed ×4 and the network held to 1.5 Mbps both ways with 150 ms
 * of latency per request (Chrome DevTools Protocol: Emulation.setCPUThrottlingRate,
 * Network.emulateNetworkConditions).
 *
 * - `portal.vacancy.tti.ms`: time to interactive of the vacancy page, from the start of navigation to the later of
 *   (a) the results being rendered (the result count, `.result-count`, is in the document: it is drawn with the
 *   results, after the vacancy data arrived) and (b) the end of the last long task (a main-thread task over 50 ms,
 *   PerformanceObserver "longtask") before a quiet window of 500 ms with no long task. Median of PORTAL_RUNS runs
 *   (default 3; the machine is shared).
 * - `portal.initial_js.kb`: kB (1,000 bytes) of JavaScript on the wire (compressed, headers included; CDP
 *   Network.loadingFinished encodedDataLength) whose loading finished before that moment, in the median run.
 * - `portal.vacancy.transfer.kb`: everything on the wire before interactive (HTML, CSS, JS, API JSON), median run.
 *
 * `PORTAL_TRACE=1` prints each run's responses (start–end ms, type, kB on the wire, path) and where the main thread's
 * time went (CDP Performance.getMetrics: layout, style, script, tasks).
 *
 * Run alone: `npx tsx test/bench/portal.ts`; `npm run bench` runs it with the other own-hub rounds
 * (`BENCH_ONLY=portal`: this one and not the other own-hub rounds).
 */
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS } from "../browser/chromium.js";
import { createScratchDatabase } from "../support/hub.js";
import { freePort, spawnHub, stop, waitReady } from "./processes.js";

type Metric = { name: string; value: number; unit: string };

const RUNS = Number(process.env.PORTAL_RUNS ?? 3);
const CPU_SLOWDOWN = 4;
const LINK_BITS_PER_S = 1_500_000;
const LATENCY_MS = 150;
const QUIET_MS = 500;
/** Drawn with the results once the vacancy data has arrived (portal/src/pages/Vacancy.tsx). */
const RESULTS = ".result-count";
const BUDGET_MS = 180_000;

type Run = { ttiMs: number; resultsMs: number; jsBytes: number; allBytes: number; scripts: number };

export async function portalBench(): Promise<Metric[]> {
  if (!existsSync(new URL("../../portal/dist/index.html", import.meta.url))) {
    throw new Error("portal/dist is missing: run `npm run build` first");
  }
  const scratch = process.env.DATABASE_URL
    ? await createScratchDatabase(process.env.DATABASE_URL)
    : undefined;
  const dataDir = mkdtempSync(path.join(tmpdir(), "hub-bench-portal-"));
  let hub: ChildProcess | undefined;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const port = await freePort();
    hub = spawnHub({
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      COOKIE_SECURE: "false",
      PROCESS_ROLES: "api",
      SEED_DEMO: "true",
      DATABASE_URL: scratch?.url ?? "",
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    });
    const url = `http://127.0.0.1:${port}/`;
    await waitReady(`${url}readyz`, 300_000);
    // One unthrottled load first, so the hub's own first-request costs (JIT, caches) are not in run 1.
    await measure(browser, `${url}vacancy`, false);
    const runs: Run[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await measure(browser, `${url}vacancy`, true));
    const sorted = [...runs].sort((a, b) => a.ttiMs - b.ttiMs);
    const median = sorted[Math.floor(sorted.length / 2)] as Run;
    console.log(
      `portal /vacancy at 375 px, CPU ×${CPU_SLOWDOWN}, ${LINK_BITS_PER_S / 1e6} Mbps / ${LATENCY_MS} ms, cold cache: ` +
        `time to interactive median of ${RUNS}: ${median.ttiMs} ms (${runs.map((r) => r.ttiMs).join(", ")}; ` +
        `results drawn at ${median.resultsMs} ms); before interactive: ${median.scripts} scripts, ` +
        `${kb(median.jsBytes)} kB of JavaScript, ${kb(median.allBytes)} kB in all, on the wire`,
    );
    return [
      { name: "portal.vacancy.tti.ms", value: median.ttiMs, unit: "ms" },
      { name: "portal.initial_js.kb", value: kb(median.jsBytes), unit: "kB" },
      { name: "portal.vacancy.transfer.kb", value: kb(median.allBytes), unit: "kB" },
    ];
  } finally {
    await browser.close().catch(() => {});
    if (hub) await stop(hub);
    await scratch?.drop().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** One cold load of `url` in a fresh context; throttled as the header says unless `throttled` is false. */
async function measure(
  browser: import("playwright-core").Browser,
  url: string,
  throttled: boolean,
): Promise<Run> {
  const context = await browser.newContext({ viewport: { width: 375, height: 812 }, locale: "ja-JP" });
  try {
    const page = await context.newPage();
    // Before any script of the page runs: long tasks (buffered) and the moment the results appear. (Scripts for the
    // page are strings: tsx would wrap functions passed as such in helpers the page does not have.)
    await page.addInitScript(`
      window.__longTaskEnd = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__longTaskEnd = Math.max(window.__longTaskEnd, e.startTime + e.duration);
      }).observe({ type: "longtask", buffered: true });
      new MutationObserver((_, observer) => {
        if (document.querySelector(${JSON.stringify(RESULTS)})) {
          window.__resultsAt = performance.now();
          observer.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });
    `);
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Performance.enable");
    await cdp.send("Network.clearBrowserCache");
    if (throttled) {
      await cdp.send("Emulation.setCPUThrottlingRate", { rate: CPU_SLOWDOWN });
      await cdp.send("Network.emulateNetworkConditions", {
        offline: false,
        latency: LATENCY_MS,
        downloadThroughput: LINK_BITS_PER_S / 8,
        uploadThroughput: LINK_BITS_PER_S / 8,
      });
    }
    const requests = new Map<string, { url: string; sent: number; type?: string }>();
    const finished: { url: string; type: string; bytes: number; sent: number; at: number }[] = [];
    // Navigation start in CDP's clock (monotonic seconds): the page's performance.now() counts from about there.
    let origin = 0;
    cdp.on("Network.requestWillBeSent", (e) => {
      if (e.type === "Document" && !origin) origin = e.timestamp;
      requests.set(e.requestId, { url: e.request.url, sent: e.timestamp });
    });
    cdp.on("Network.responseReceived", (e) => {
      const r = requests.get(e.requestId);
      if (r) r.type = e.type;
    });
    cdp.on("Network.loadingFinished", (e) => {
      const r = requests.get(e.requestId);
      finished.push({
        url: r?.url ?? "",
        type: r?.type ?? "",
        bytes: e.encodedDataLength,
        sent: r?.sent ?? 0,
        at: e.timestamp,
      });
    });
    await page.goto(url, { waitUntil: "commit", timeout: BUDGET_MS });
    await page.waitForSelector(RESULTS, { timeout: BUDGET_MS });
    // Interactive: QUIET_MS without a long task after both the results and the last long task.
    const timing = (await page.evaluate(`
      new Promise((resolve, reject) => {
        const started = performance.now();
        function check() {
          const results = window.__resultsAt ?? performance.now();
          const settled = Math.max(results, window.__longTaskEnd);
          if (performance.now() - settled >= ${QUIET_MS}) resolve({ resultsMs: results, ttiMs: settled });
          else if (performance.now() - started > ${BUDGET_MS}) reject(new Error("the page never went quiet"));
          else setTimeout(check, 50);
        }
        check();
      })
    `)) as { resultsMs: number; ttiMs: number };
    if (process.env.PORTAL_TRACE) {
      for (const f of finished) {
        const ms = (t: number) => Math.round((t - origin) * 1000);
        console.log(`${ms(f.sent)}–${ms(f.at)} ms ${f.type} ${kb(f.bytes)} kB ${new URL(f.url).pathname}`);
      }
      console.log(`results ${Math.round(timing.resultsMs)} ms, interactive ${Math.round(timing.ttiMs)} ms`);
      const { metrics } = await cdp.send("Performance.getMetrics");
      console.log(
        metrics
          .filter((m) => m.name.endsWith("Duration"))
          .map((m) => `${m.name} ${Math.round(m.value * 1000)} ms`)
          .join(", "),
      );
    }
    const before = finished.filter((f) => (f.at - origin) * 1000 <= timing.ttiMs);
    const scripts = before.filter((f) => f.type === "Script");
    return {
      ttiMs: Math.round(timing.ttiMs),
      resultsMs: Math.round(timing.resultsMs),
      jsBytes: scripts.reduce((s, f) => s + f.bytes, 0),
      allBytes: before.reduce((s, f) => s + f.bytes, 0),
      scripts: scripts.length,
    };
  } finally {
    await context.close();
  }
}

const kb = (bytes: number) => Math.round(bytes / 100) / 10;

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  console.log(await portalBench());
}
