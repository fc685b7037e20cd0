import { describe, expect, it } from "vitest";
import { healthState, STALE_AFTER_MIN_MINUTES, staleAfterMs } from "./health.js";

const now = new Date("2026-12-01T12:00:00Z");
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);
const conn = (over: Partial<Parameters<typeof healthState>[0]> = {}) => ({
  enabled: true,
  lastSuccessAt: minutesAgo(5),
  consecutiveFailures: 0,
  syncMinutes: 15,
  warnedAt: null,
  ...over,
});

describe("healthState", () => {
  it("is ok while a pulled feed succeeds within its window", () => {
    expect(healthState(conn(), true, now)).toEqual({ state: "ok", requestOnly: false });
  });

  it("turns a pulled feed stale after three intervals, and never before an hour", () => {
    expect(staleAfterMs(15)).toBe(STALE_AFTER_MIN_MINUTES * 60_000);
    expect(staleAfterMs(60)).toBe(180 * 60_000);
    expect(healthState(conn({ lastSuccessAt: minutesAgo(59) }), true, now).state).toBe("ok");
    expect(healthState(conn({ lastSuccessAt: minutesAgo(60) }), true, now)).toEqual({
      state: "stale",
      requestOnly: true,
    });
    // Connections that are not pulled (webhooks, files) are never stale by the clock.
    expect(healthState(conn({ lastSuccessAt: null }), false, now)).toEqual({
      state: "ok",
      requestOnly: false,
    });
  });

  it("says never for a feed not pulled yet, and shows failures before that", () => {
    expect(healthState(conn({ lastSuccessAt: null }), true, now)).toEqual({
      state: "never",
      requestOnly: true,
    });
    expect(healthState(conn({ lastSuccessAt: null, consecutiveFailures: 2 }), true, now)).toEqual({
      state: "warning",
      requestOnly: true,
    });
    expect(healthState(conn({ consecutiveFailures: 4, warnedAt: now }), true, now)).toEqual({
      state: "failing",
      requestOnly: false,
    });
  });

  it("shows a disabled connection as request only", () => {
    expect(healthState(conn({ enabled: false }), false, now)).toEqual({
      state: "disabled",
      requestOnly: true,
    });
  });
});
