import type { Redis } from "ioredis";
import { log } from "./log.js";

/**
 * Logs a Redis connection's outages once per change of state (down, then back), not once per reconnection attempt:
 * an outage of a minute is two log lines, with what it affects, instead of a stack trace every few hundred
 * milliseconds. Readiness (/readyz) reports the same state.
 */
export function logRedisState(connection: Redis, what: string): void {
  let down = false;
  connection.on("error", (err: NodeJS.ErrnoException) => {
    if (down) return;
    down = true;
    log.error({ redis: what, code: err.code ?? err.name, reason: err.message }, `Redis unreachable: ${what}`);
  });
  connection.on("ready", () => {
    if (!down) return;
    down = false;
    log.info({ redis: what }, `Redis reachable again: ${what}`);
  });
}
