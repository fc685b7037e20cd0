import { type RateLimiterAbstract, RateLimiterRes } from "rate-limiter-flexible";
import { type Problem, problems } from "../http/problem.js";

/**
 * Failure-counting throttles (brute-force protection): only failed attempts spend points, so a town hall
 * whose staff all sign in through one gateway at 8:30 is not throttled, while guessing from one address is.
 * Check before the attempt, record after a failure.
 */
export async function assertNotThrottled(limiter: RateLimiterAbstract, key: string): Promise<void> {
  const res = await limiter.get(key);
  if (res && res.consumedPoints >= limiter.points) throw tooMany(res.msBeforeNext);
}

export async function recordFailure(limiter: RateLimiterAbstract, key: string): Promise<void> {
  await limiter.consume(key).catch((err) => {
    if (!(err instanceof RateLimiterRes)) throw err;
  });
}

/** Counts every call (code requests): over the limit, the 429 problem. */
export async function spend(limiter: RateLimiterAbstract, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (err) {
    if (err instanceof RateLimiterRes) throw tooMany(err.msBeforeNext);
    throw err;
  }
}

function tooMany(ms: number): Problem {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  return problems.tooMany(
    `Too many attempts; try again in about ${minutes} minute${minutes === 1 ? "" : "s"}`,
  );
}
