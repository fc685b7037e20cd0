import { Redis } from "ioredis";
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from "rate-limiter-flexible";
import { problems } from "../errors.js";
import { logRedisState } from "../redis-state.js";
import { type DelayRule, delayAfter, REDEMPTION_MISS_RULE, SIGN_IN_RULES } from "./delays.js";

/**
 * Sign-in throttles and request limits, shared by all API processes through Redis when it is configured (each
 * with a per-process stand-in while Redis is down, rather than refusing every sign-in).
 *
 * Throttles (./delays.ts) count failures and impose growing waits, never a lock: per account and address,
 * per account, per address, and per account for the second factor. Accounts are keyed by a keyed hash of the
 * typed address, so unknown addresses are throttled exactly like real ones. Limits count every call: code and
 * link requests per address and per destination, help-desk inquiries per sender, and one "you are being
 * throttled" e-mail per account and episode.
 */
export type Limits = {
  signInPerAddress: Throttle;
  signInPerAccount: Throttle;
  signInPerAccountAndAddress: Throttle;
  secondFactorPerAccount: Throttle;
  codeRequestPerDestination: RateLimiterAbstract;
  codeRequestPerAddress: RateLimiterAbstract;
  /** Help-desk inquiries sent (hub/support): per address when anonymous, per user when signed in. */
  inquiryPerSender: RateLimiterAbstract;
  /** Voucher look-ups at redemption that found no booking here, per staff account: numbers cannot be probed at speed. */
  redemptionMissPerUser: Throttle;
  /** One throttling notice per account within the hour it lasts at most (once per episode, not per try). */
  throttleNotice: RateLimiterAbstract;
  close(): Promise<void>;
};

const LIMITS = {
  codeRequestPerDestination: { points: 5, duration: 15 * 60 },
  codeRequestPerAddress: { points: 30, duration: 15 * 60 },
  inquiryPerSender: { points: 10, duration: 60 * 60 },
  throttleNotice: { points: 1, duration: 60 * 60 },
} as const;

/** Failures of one key and the wait they impose (./delays.ts), kept in two limiters: a count and a block. */
export class Throttle {
  constructor(
    readonly rule: DelayRule,
    private readonly failures: RateLimiterAbstract,
    private readonly waits: RateLimiterAbstract,
  ) {}

  /** How long `key` must still wait before its next attempt is even looked at (0: it may try now). */
  async waitMs(key: string): Promise<number> {
    const res = await this.waits.get(key);
    return res && res.consumedPoints > this.waits.points ? Math.max(1, res.msBeforeNext) : 0;
  }

  /** Counts a failure; `startedWaiting` is true for the failure that brings in the first wait of an episode. */
  async fail(key: string): Promise<{ failures: number; waitMs: number; startedWaiting: boolean }> {
    const res = await this.failures.penalty(key, 1);
    const failures = res.consumedPoints;
    const waitMs = delayAfter(failures, this.rule);
    if (waitMs > 0) await this.waits.block(key, Math.ceil(waitMs / 1000));
    return { failures, waitMs, startedWaiting: waitMs > 0 && delayAfter(failures - 1, this.rule) === 0 };
  }

  /** Forgets `key` (a success, or a test's clean slate). */
  async delete(key: string): Promise<void> {
    await Promise.all([this.failures.delete(key), this.waits.delete(key)]);
  }
}

export function createLimits(redisUrl?: string, prefix = "sango"): Limits {
  const redis = redisUrl ? new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }) : null;
  if (redis)
    logRedisState(redis, "sign-in and request throttles (counted in this process's memory meanwhile)");
  const limiter = (name: string, points: number, duration: number) => {
    const opts = { points, duration, keyPrefix: `${prefix}:rl:${name}` };
    // With Redis down, fall back to a per-process limit instead of refusing every sign-in.
    return redis
      ? new RateLimiterRedis({ ...opts, storeClient: redis, insuranceLimiter: new RateLimiterMemory(opts) })
      : new RateLimiterMemory(opts);
  };
  const make = (name: keyof typeof LIMITS) => limiter(name, LIMITS[name].points, LIMITS[name].duration);
  // The count never refuses by itself (penalty only adds); the block limiter carries the wait.
  const throttle = (name: string, rule: DelayRule) =>
    new Throttle(
      rule,
      limiter(`${name}:failures`, 1_000_000, rule.windowSeconds),
      limiter(`${name}:wait`, 1, 1),
    );
  return {
    signInPerAddress: throttle("perAddress", SIGN_IN_RULES.perAddress),
    signInPerAccount: throttle("perAccount", SIGN_IN_RULES.perAccount),
    signInPerAccountAndAddress: throttle("perAccountAndAddress", SIGN_IN_RULES.perAccountAndAddress),
    secondFactorPerAccount: throttle("secondFactor", SIGN_IN_RULES.secondFactor),
    codeRequestPerDestination: make("codeRequestPerDestination"),
    codeRequestPerAddress: make("codeRequestPerAddress"),
    inquiryPerSender: make("inquiryPerSender"),
    redemptionMissPerUser: throttle("redemptionMiss", REDEMPTION_MISS_RULE),
    throttleNotice: make("throttleNotice"),
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
