/**
 * Per-account lockout after consecutive wrong passwords or TOTP codes: the 5th failure in a row locks the
 * account for 15 minutes. Counting starts afresh once a lock has run out, and a success clears it.
 */
export const MAX_FAILURES = 5;
export const LOCK_MINUTES = 15;

export type LockState = { failedSignIns: number; lockedUntil: Date | null };

export const isLocked = (s: LockState, now: Date): boolean => !!s.lockedUntil && s.lockedUntil > now;

/** The state after one more failure; `locked` tells whether this failure is the one that locks. */
export function afterFailure(s: LockState, now: Date): LockState & { locked: boolean } {
  const expired = !!s.lockedUntil && s.lockedUntil <= now;
  const failedSignIns = (expired ? 0 : s.failedSignIns) + 1;
  if (failedSignIns >= MAX_FAILURES) {
    return { failedSignIns, lockedUntil: new Date(now.getTime() + LOCK_MINUTES * 60_000), locked: true };
  }
  return { failedSignIns, lockedUntil: null, locked: false };
}

export const CLEARED: LockState = { failedSignIns: 0, lockedUntil: null };
