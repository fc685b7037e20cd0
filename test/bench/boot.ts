import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { openDb } from "../../hub/db/client.js";
import { createScratchDatabase } from "../support/hub.js";
import { freePort, spawnHub, stop, waitReady } from "./processes.js";

type Metric = { name: string; value: number; unit: string };

const ROUNDS = Number(process.env.BOOT_ROUNDS ?? 5);

export async function bootBench(): Promise<Metric[]> {
  const scratch = process.env.DATABASE_URL
    ? await createScratchDatabase(process.env.DATABASE_URL)
    : undefined;
  const dataDir = mkdtempSync(path.join(tmpdir(), "hub-boot-"));
  try {
    // Migrated beforehand, as a restarted production hub finds it.
    const db = await openDb({ databaseUrl: scratch?.url, dataDir });
    await db.close();
    const samples: number[] = [];
    for (let i = 0; i < ROUNDS; i++) samples.push(await bootOnce(dataDir, scratch?.url));
    samples.sort((a, b) => a - b);
    const median = round(samples[Math.floor(samples.length / 2)] ?? 0, 2);
    console.log(
      `boot: process start → /readyz 200 on ${scratch ? "PostgreSQL" : "PGlite"}, median of ${ROUNDS}: ${median} s (${samples.map((s) => round(s, 2)).join(", ")})`,
    );
    return [{ name: "boot.ready.s", value: median, unit: "s" }];
  } finally {
    await scratch?.drop().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function bootOnce(dataDir: string, databaseUrl?: string): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawnHub({
    PORT: String(port),
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    COOKIE_SECURE: "false",
    PROCESS_ROLES: "api,workers,cron",
    DATABASE_URL: databaseUrl ?? "",
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
  });
  try {
    await waitReady(`http://127.0.0.1:${port}/readyz`, 120_000, 20);
    return (performance.now() - started) / 1000;
  } finally {
    await stop(child);
  }
}

const round = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d;

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  console.log(await bootBench());
}
