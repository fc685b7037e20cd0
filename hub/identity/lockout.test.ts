import { describe, expect, it } from "vitest";
import { afterFailure, CLEARED, isLocked, LOCK_MINUTES, type LockState, MAX_FAILURES } from "./lockout.js";

const now = new Date("2026-11-25T01:00:00Z");
const later = (min: number) => new Date(now.getTime() + min * 60_000);

describe("lockout", () => {
  it("locks on the fifth consecutive failure, for 15 minutes", () => {
    let s: LockState = CLEARED;
    for (let i = 1; i < MAX_FAILURES; i++) {
      const next = afterFailure(s, now);
      expect(next.locked).toBe(false);
      expect(next.failedSignIns).toBe(i);
      s = next;
    }
    const fifth = afterFailure(s, now);
    expect(fifth.locked).toBe(true);
    expect(fifth.lockedUntil).toEqual(later(LOCK_MINUTES));
    expect(isLocked(fifth, now)).toBe(true);
    expect(isLocked(fifth, later(LOCK_MINUTES - 1))).toBe(true);
    expect(isLocked(fifth, later(LOCK_MINUTES))).toBe(false);
  });

  it("starts counting afresh after a lock has run out", () => {
    const locked: LockState = { failedSignIns: 5, lockedUntil: later(-1) };
    const next = afterFailure(locked, now);
    expect(next).toEqual({ failedSignIns: 1, lockedUntil: null, locked: false });
  });

  it("is not locked without a lock time", () => {
    expect(isLocked({ failedSignIns: 4, lockedUntil: null }, now)).toBe(false);
  });
});
