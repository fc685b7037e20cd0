import { describe, expect, it } from "vitest";
import { FAILURE_CODES, isGone, plainFailure } from "./log.js";
import { LOGGED_IDS, syncLogEntry } from "./sync.js";

describe("plainFailure: what staff read about a failure", () => {
  it("maps every kind of connector failure to a code with plain words", () => {
    const cases: [string, number | undefined, string][] = [
      ["network", undefined, "network"],
      ["timeout", undefined, "timeout"],
      ["tls", undefined, "tls"],
      ["upstream_5xx", 503, "http_status"],
      ["upstream_4xx", 422, "http_status"],
      ["upstream_4xx", 410, "gone"],
      ["auth_expired", 401, "auth"],
      ["rate_limited", 429, "rate_limited"],
      ["invalid_payload", undefined, "parse_error"],
      ["too_large", undefined, "too_large"],
      ["apply_failed", undefined, "apply_failed"],
      ["invalid_signature", undefined, "signature"],
      ["stale_timestamp", undefined, "signature"],
      ["refused_address", undefined, "refused_address"],
      ["unsupported", undefined, "not_supported"],
      ["circuit_open", undefined, "circuit_open"],
    ];
    for (const [code, status, want] of cases) {
      const got = plainFailure({ code, ...(status ? { status } : {}) });
      expect(got.code, code).toBe(want);
      expect(got.message.length).toBeGreaterThan(10);
    }
    expect(plainFailure({ code: "upstream_5xx", status: 503 }).message).toBe(
      "The facility's system answered with HTTP 503.",
    );
  });

  it("never passes on a message it does not know: anything else is `unexpected`", () => {
    const got = plainFailure({ code: "ECONNREFUSED 10.0.0.5:5432 at /srv/hub/db.ts:12" });
    expect(got).toEqual({ code: "unexpected", message: FAILURE_CODES.unexpected });
    for (const message of Object.values(FAILURE_CODES)) {
      expect(message).not.toMatch(/\/[a-z]+\/|\d+\.\d+\.\d+\.\d+|Error:|at [A-Za-z]+ \(/);
    }
  });

  it("knows 410 Gone, whatever the code it came with", () => {
    expect(isGone({ status: 410 })).toBe(true);
    expect(isGone({ status: 404 })).toBe(false);
    expect(isGone({})).toBe(false);
  });
});

describe("syncLogEntry: a pull as its log entry", () => {
  const conn = { id: "c", facilityId: "f" };
  const started = new Date("2026-12-07T01:00:00Z");
  const now = new Date("2026-12-07T01:00:02Z");
  const booking = (i: number) => ({
    kind: "booking" as const,
    externalId: `uid-${i}`,
    revision: 1,
    status: "confirmed" as const,
    serviceType: "day" as const,
    startDate: "2026-12-10",
    endDate: "2026-12-10",
  });

  it("counts what was read, imported, left out and applied, with the first ids and the skipped items", () => {
    const changes = Array.from({ length: LOGGED_IDS + 5 }, (_, i) => booking(i));
    const entry = syncLogEntry(
      conn,
      {
        changes,
        complete: true,
        state: {},
        skipped: {
          read: changes.length + 3,
          counts: { no_service_type: 2, bad_event: 1 },
          items: [
            { reason: "no_service_type", line: 12, date: "2026-12-11" },
            { reason: "no_service_type", line: 30, date: "2026-12-12" },
            { reason: "bad_event", line: 44, problem: "bad_value", property: "EXDATE" },
          ],
        },
      },
      { applied: 50, ignored: 5, conflicts: 0 },
      started,
      now,
    );
    expect(entry).toMatchObject({
      kind: "sync",
      result: "ok",
      counts: { read: 58, imported: 55, skipped: 3, applied: 50, ignored: 5, conflicts: 0 },
      refs: { more: 5 },
      skipped: { counts: { no_service_type: 2, bad_event: 1 } },
      durationMs: 2000,
    });
    expect(entry.refs?.externalIds).toHaveLength(LOGGED_IDS);
  });

  it("records a feed that had not changed as not_modified, with nothing counted", () => {
    const entry = syncLogEntry(
      conn,
      { changes: [], complete: false, notModified: true, state: {} },
      { applied: 0, ignored: 0, conflicts: 0 },
      started,
      now,
    );
    expect(entry).toMatchObject({ result: "not_modified", counts: {}, refs: {} });
    expect(entry.skipped).toBeUndefined();
  });
});
