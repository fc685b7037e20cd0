import { Redis } from "ioredis";
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from "rate-limiter-flexible";
import { problems } from "../http/problem.js";

/**
 * Sign-in throttles, shared by all API processes through Redis when it is configured.
 * Lockout after repeated wrong passwords lives on the user row (see auth.ts); these limit attempts per
 * address and per destination so neither passwords nor one-time codes can be guessed at speed.
 */
export type Limits = {
  signInPerAddress: RateLimiterAbstract;
  codeRequestPerDestination: RateLimiterAbstract;
  codeRequestPerAddress: RateLimiterAbstract;
  close(): Promise<void>;
};

const LIMITS = {
  signInPerAddress: { points: 30, duration: 60 },
  codeRequestPerDestination: { points: 5, duration: 15 * 60 },
  codeRequestPerAddress: { points: 30, duration: 15 * 60 },
} as const;

export function createLimits(redisUrl?: string, prefix = "sango"): Limits {
  const redis = redisUrl ? new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }) : null;
  redis?.on("error", () => {});
  const make = (name: keyof typeof LIMITS) => {
    const opts = { ...LIMITS[name], keyPrefix: `${prefix}:rl:${name}` };
    // With Redis down, fall back to a per-process limit instead of refusing every sign-in.
    return redis
      ? new RateLimiterRedis({ ...opts, storeClient: redis, insuranceLimiter: new RateLimiterMemory(opts) })
      : new RateLimiterMemory(opts);
  };
  return {
    signInPerAddress: make("signInPerAddress"),
    codeRequestPerDestination: make("codeRequestPerDestination"),
    codeRequestPerAddress: make("codeRequestPerAddress"),
    close: async () => {
      redis?.disconnect();
    },
  };
}

/** Consumes one point; over the limit, throws the 429 problem. */
export async function consume(limiter: RateLimiterAbstract, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (err) {
    if (err instanceof RateLimiterRes) throw problems.tooMany();
    throw err;
  }
}
