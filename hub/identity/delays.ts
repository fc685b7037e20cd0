/**
 * Growing delays instead of a lockout (OWASP ASVS 2.2.1). Failures are counted per key within a window; once
 * `after` failures have been counted, each further attempt must wait `baseMs`, then twice that after the next
 * failure, and so on up to `maxMs`. Nothing is ever locked for good: waiting is always enough, and a success
 * clears the count.
 */
export type DelayRule = {
  /** The failure that starts the waits (the 5th, say); the ones before it cost nothing. */
  after: number;
  baseMs: number;
  maxMs: number;
  /** How long failures are remembered, from the first one of an episode. */
  windowSeconds: number;
};

/** The wait a key must observe after `failures` failures in the window (0: it may try at once). */
export function delayAfter(failures: number, rule: DelayRule): number {
  if (failures < rule.after) return 0;
  const doublings = Math.min(failures - rule.after, 30);
  return Math.min(rule.maxMs, rule.baseMs * 2 ** doublings);
}

const MINUTE = 60_000;

/**
 * The rules of the sign-in throttles (hub/identity/limits.ts):
 * - an account from one address: 5 failures, then 30 s, 1 min, 2 min, … up to 15 min: a person who mistypes
 *   is barely slowed, a guesser from one address gets a handful of tries an hour, and nobody else is affected;
 * - an account from anywhere: 20 failures, then the same growth, so guessing spread over many addresses is
 *   held well under ASVS's 100 failures an hour per account, while a stranger cannot lock the real person out
 *   (they wait minutes, never longer than 15);
 * - one address, over all accounts (credential stuffing): 30 failures, then 1 min doubling to 15 min;
 * - a second factor (TOTP or recovery code) of one account: 5 failures, then 30 s doubling to 15 min.
 */
export const SIGN_IN_RULES = {
  perAccountAndAddress: { after: 5, baseMs: MINUTE / 2, maxMs: 15 * MINUTE, windowSeconds: 3600 },
  perAccount: { after: 20, baseMs: MINUTE / 2, maxMs: 15 * MINUTE, windowSeconds: 3600 },
  perAddress: { after: 30, baseMs: MINUTE, maxMs: 15 * MINUTE, windowSeconds: 3600 },
  secondFactor: { after: 5, baseMs: MINUTE / 2, maxMs: 15 * MINUTE, windowSeconds: 3600 },
} as const satisfies Record<string, DelayRule>;

/**
 * Voucher look-ups at redemption that find no booking here, per staff account (hub/vouchers/redemption.ts): a
 * facility redeeming its own bookings never meets it; typing numbers to probe other people's vouchers waits after
 * 20 misses an hour, 1 min doubling to 15 min.
 */
export const REDEMPTION_MISS_RULE: DelayRule = {
  after: 20,
  baseMs: MINUTE,
  maxMs: 15 * MINUTE,
  windowSeconds: 3600,
};
