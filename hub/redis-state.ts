import type { Redis } from "ioredis";
import { log } from "./log.js";

/**
 * Reports an outage once per change of state (down, then back) however often it is seen meanwhile: `failed` on
 * every error, `ok` on every success; `onDown` and `onUp` run only when the state changes.
 */
export function stateChanges<E>(onDown: (err: E) => void, onUp: () => void) {
  let down = false;
  return {
    failed(err: E) {
      if (down) return;
      down = true;
      onDown(err);
    },
    ok() {
      if (!down) return;
      down = false;
      onUp();
    },
  };
}

/**
 * Logs a Redis connection's outages once per change of state, not once per reconnection attempt: an outage of a
 * minute is two log lines, with what it affects, instead of a stack trace every few hundred milliseconds.
 * Readiness (/readyz) reports the same state.
 */
export function logRedisState(connection: Redis, what: string): void {
  const state = stateChanges<NodeJS.ErrnoException>(
    (err) =>
      log.error(
        { redis: what, code: err.code ?? err.name, reason: err.message },
        `Redis unreachable: ${what}`,
      ),
    () => log.info({ redis: what }, `Redis reachable again: ${what}`),
  );
  connection.on("error", (err: NodeJS.ErrnoException) => state.failed(err));
  connection.on("ready", () => state.ok());
}
