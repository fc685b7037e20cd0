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
 * Lockout after repeated wrong passwords or codes lives on the user row (staff-auth.ts, lockout.ts). These
 * count failed sign-ins per address (so a town hall behind one gateway is not blocked by its own successes)
 * and code requests per address and per destination, so neither passwords nor codes can be guessed at speed.
 */
export type Limits = {
  signInPerAddress: RateLimiterAbstract;
  codeRequestPerDestination: RateLimiterAbstract;
  codeRequestPerAddress: RateLimiterAbstract;
  /** Help-desk inquiries sent (hub/support): per address when anonymous, per user when signed in. */
  inquiryPerSender: RateLimiterAbstract;
  /** Voucher look-ups at redemption that found no booking here, per staff account: numbers cannot be probed at speed. */
  redemptionMissPerUser: RateLimiterAbstract;
  close(): Promise<void>;
};

const LIMITS = {
  signInPerAddress: { points: 30, duration: 60 },
  codeRequestPerDestination: { points: 5, duration: 15 * 60 },
  codeRequestPerAddress: { points: 30, duration: 15 * 60 },
  inquiryPerSender: { points: 10, duration: 60 * 60 },
  redemptionMissPerUser: { points: 20, duration: 60 * 60 },
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
    inquiryPerSender: make("inquiryPerSender"),
    redemptionMissPerUser: make("redemptionMissPerUser"),
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
