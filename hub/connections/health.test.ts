import { describe, expect, it } from "vitest";
import type { Connector } from "../../connectors/contract.js";
import {
  healthState,
  STALE_AFTER_MIN_MINUTES,
  staleAfterMs,
  vacancyTrustMinutes,
  withStale,
} from "./health.js";

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

  it("is skipping, never ok, when the last pull read events and left every one out", () => {
    const report = (imported: number, counts: Record<string, number>) => ({
      lastSkipped: { read: 5, imported, counts, items: [] },
    });
    expect(healthState(conn(report(0, { no_service_type: 5 })), true, now).state).toBe("skipping");
    expect(healthState(conn(report(3, { no_service_type: 2 })), true, now).state).toBe("ok");
    // An empty calendar skipped nothing: still ok.
    expect(healthState(conn(report(0, {})), true, now).state).toBe("ok");
    // Failures come first.
    expect(
      healthState(conn({ ...report(0, { bad_event: 5 }), consecutiveFailures: 1 }), true, now).state,
    ).toBe("warning");
    // Stale availability updates (late deliveries) are the ordering at work: not skipping.
    expect(healthState(conn(report(0, { stale: 2 })), false, now).state).toBe("ok");
  });
});

describe("vacancyTrustMinutes", () => {
  const connector = (capabilities: string[], scheduled?: (c: Record<string, unknown>) => boolean) =>
    ({ manifest: { capabilities }, pull: async () => ({}), scheduled }) as unknown as Connector;
  it("gives a pulled connection three intervals, at least an hour, and nothing pulled no window", () => {
    expect(vacancyTrustMinutes(connector(["pullBookings"]), {}, 15)).toBe(60);
    expect(vacancyTrustMinutes(connector(["pullBookings"]), {}, 30)).toBe(90);
    expect(vacancyTrustMinutes(connector(["webhooks"]), {}, 15)).toBeNull();
    expect(vacancyTrustMinutes(undefined, {}, 15)).toBeNull();
  });
  it("follows the connector's own word on whether this configuration is pulled", () => {
    const webhook = connector(["webhooks", "pullBookings"], (c) => c.pullChanges === true);
    expect(vacancyTrustMinutes(webhook, { pullChanges: true }, 20)).toBe(60);
    expect(vacancyTrustMinutes(webhook, {}, 20)).toBeNull();
  });
});

describe("withStale", () => {
  const item = { reason: "stale", date: "2026-12-10", property: "stay", problem: "older_revision" };
  it("adds stale updates to a pull's report, or makes the report of a delivery that had none", () => {
    const pulled = { read: 5, imported: 4, counts: { no_service_type: 1 }, items: [] };
    expect(withStale(pulled, [item], 4)).toEqual({
      read: 5,
      imported: 3,
      counts: { no_service_type: 1, stale: 1 },
      items: [item],
    });
    expect(withStale(null, [item, item], 3)).toEqual({
      read: 3,
      imported: 1,
      counts: { stale: 2 },
      items: [item, item],
    });
    expect(withStale(pulled, [], 4)).toBe(pulled);
    expect(withStale(null, [], 4)).toBeNull();
  });
});
