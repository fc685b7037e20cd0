/**
 * The application log: JSON lines (pino) on standard output, and with LOG_DIR also in daily files
 * (`hub.YYYY-MM-DD.N.log`) that the retention job deletes after LOG_RETENTION_DAYS (180 by default, the SLA's).
 * Secrets never reach it: known secret fields are redacted wherever they appear, and requests are logged by
 * path only (a query string may hold an e-mail address or a token).
 */
import { readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import pino, { type Logger } from "pino";

const REDACT = [
  "password",
  "token",
  "secret",
  "authorization",
  "cookie",
  "*.password",
  "*.token",
  "*.secret",
  "*.authorization",
  "*.cookie",
  "*.apiKey",
  "*.headers.authorization",
  "*.headers.cookie",
];

// Tests start many hubs: only errors, unless LOG_LEVEL says otherwise.
const level = process.env.LOG_LEVEL ?? (process.env.VITEST ? "error" : "info");
const streams = pino.multistream([{ stream: process.stdout, level: "trace" }]);

/** The process's logger; modules take a child with their own `module` field. */
export const log: Logger = pino(
  {
    level,
    base: { service: "sango-hub", pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT, censor: "[redacted]" },
    formatters: { level: (label) => ({ level: label }) },
  },
  streams,
);

/** Where the log files go for a configuration, if anywhere. */
export function logDir(config: { LOG_DIR?: string; DATA_DIR: string }): string | undefined {
  if (config.LOG_DIR) return path.resolve(config.LOG_DIR);
  return config.DATA_DIR === "memory://" ? undefined : path.resolve(config.DATA_DIR, "logs");
}

/**
 * The log a connector is given (connectors/contract.ts Logger): its lines name the connection. Connectors log
 * messages and small facts, never payloads (they may carry what a facility's system says about its bookings).
 */
export function connectorLog(connectionId: string): {
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
} {
  const child = log.child({ module: "connector", connectionId });
  return {
    info: (msg, data) => child.info(data ?? {}, msg),
    warn: (msg, data) => child.warn(data ?? {}, msg),
  };
}

const LOG_FILE = /^hub\.(\d{4}-\d{2}-\d{2})\.\d+\.log$/;
let fileDir: string | undefined;

/** Also writes the log to daily files under `dir` (once per process). */
export async function logToFiles(dir: string): Promise<void> {
  if (fileDir) return;
  fileDir = dir;
  // Loaded here, not at the top: pino-roll brings date-fns (300 files), which every start would load otherwise.
  const { default: roll } = await import("pino-roll");
  const stream = await roll({
    file: path.join(dir, "hub"),
    frequency: "daily",
    dateFormat: "yyyy-MM-dd",
    mkdir: true,
  });
  streams.add({ stream, level: "trace" });
}

/**
 * The day a log file of `now` is named after: the date in Asia/Tokyo (hub/main.ts runs the hub in that time zone,
 * so pino-roll names and rolls its daily files by it), as "YYYY-MM-DD".
 */
export function logDay(now: Date): string {
  return new Date(now.getTime() + 9 * 3600_000).toISOString().slice(0, 10);
}

/** The log files of `names` whose day is more than `days` days before `today` ("YYYY-MM-DD"). */
export function expiredLogFiles(names: readonly string[], today: string, days: number): string[] {
  const cutoff = new Date(Date.parse(`${today}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
  return names.filter((n) => {
    const day = LOG_FILE.exec(n)?.[1];
    return day !== undefined && day < cutoff;
  });
}

/** Deletes the log files past retention in `dir`; returns their names. A missing folder has none. */
export async function purgeLogFiles(dir: string, days: number, now: Date): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const expired = expiredLogFiles(names, logDay(now), days);
  for (const name of expired) {
    const file = path.join(dir, name);
    if ((await stat(file)).isFile()) await rm(file);
  }
  return expired;
}
