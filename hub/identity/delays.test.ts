import { describe, expect, it } from "vitest";
import { delayAfter, SIGN_IN_RULES } from "./delays.js";

describe("delayAfter", () => {
  const rule = SIGN_IN_RULES.perAccountAndAddress;

  it("costs nothing before the 5th failure, then doubles from 30 s", () => {
    expect([1, 2, 3, 4].map((n) => delayAfter(n, rule))).toEqual([0, 0, 0, 0]);
    expect([5, 6, 7, 8].map((n) => delayAfter(n, rule) / 1000)).toEqual([30, 60, 120, 240]);
  });

  it("never waits longer than 15 minutes, however many failures", () => {
    expect(delayAfter(10, rule)).toBe(15 * 60_000);
    expect(delayAfter(10_000, rule)).toBe(15 * 60_000);
  });

  it("keeps guessing well under 100 failures an hour per account (ASVS 2.2.1)", () => {
    let failures = 0;
    let t = 0;
    while (t < 3600_000) {
      failures++;
      t += Math.max(1, delayAfter(failures, SIGN_IN_RULES.perAccount));
    }
    expect(failures).toBeLessThan(100);
  });
});
