import { type RateLimiterAbstract, RateLimiterRes } from "rate-limiter-flexible";
import { type DomainError, problems } from "../errors.js";
import type { Throttle } from "./limits.js";

/**
 * Throttles (./limits.ts) at the edge of a sign-in step: refuse while a key must wait, count a failure after
 * one. Only failures count, so a town hall whose staff all sign in through one gateway at 8:30 is not slowed.
 */
export async function assertNotThrottled(throttle: Throttle, key: string): Promise<void> {
  const ms = await throttle.waitMs(key);
  if (ms > 0) throw tooMany(ms);
}

/** Counts every call (code and link requests): over the limit, the 429 problem. */
export async function spend(limiter: RateLimiterAbstract, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (err) {
    if (err instanceof RateLimiterRes) throw tooMany(err.msBeforeNext);
    throw err;
  }
}

/** 429 `rate_limited`, saying (and telling clients in Retry-After) how long to wait. */
export function tooMany(ms: number): DomainError {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return problems.tooMany(
    `Too many attempts; try again in about ${minutes} minute${minutes === 1 ? "" : "s"}`,
    seconds,
  );
}
