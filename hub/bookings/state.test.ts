import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BookingStatus } from "../db/client.js";
import { DomainError } from "../errors.js";
import {
  assertStep,
  assertTransition,
  BOOKING_STATUSES,
  canTransition,
  HOLDS_CAPACITY,
  isFinal,
  releasesCapacity,
  replay,
  TRANSITIONS,
} from "./state.js";

/** The whole machine, written out pair by pair: every (from, to) not listed here must be refused. */
const ALLOWED = new Set([
  "requested→confirmed",
  "requested→rejected",
  "requested→expired",
  "requested→cancelled",
  "confirmed→cancelled",
  "confirmed→used",
  "confirmed→no_show",
  "used→reported",
]);

const pairs = BOOKING_STATUSES.flatMap((from) => BOOKING_STATUSES.map((to) => [from, to] as const));

describe("booking state machine", () => {
  it("covers every status of the schema", () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...BOOKING_STATUSES].sort());
  });

  it.each(pairs)("%s → %s", (from, to) => {
    const allowed = ALLOWED.has(`${from}→${to}`);
    expect(canTransition(from, to)).toBe(allowed);
    if (allowed) {
      expect(() => assertTransition(from, to)).not.toThrow();
      return;
    }
    try {
      assertTransition(from, to);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError);
      const p = e as DomainError;
      expect([p.kind, p.code]).toEqual(["conflict", "invalid_transition"]);
      expect(p.detail).toContain(from);
      expect(p.detail).toContain(to);
    }
  });

  it("has final states with no way out", () => {
    expect(BOOKING_STATUSES.filter(isFinal).sort()).toEqual([
      "cancelled",
      "expired",
      "no_show",
      "rejected",
      "reported",
    ]);
  });

  it("releases places exactly when a booking stops holding them", () => {
    for (const [from, to] of pairs) {
      if (!canTransition(from, to)) continue;
      const expected = ["rejected", "expired", "cancelled"].includes(to);
      expect(releasesCapacity(from, to), `${from}→${to}`).toBe(expected);
    }
    expect([...HOLDS_CAPACITY].sort()).toEqual(["confirmed", "no_show", "reported", "requested", "used"]);
  });
});

describe("assertStep (every event appended to a history)", () => {
  it("starts a hub booking as a hold or confirmed, a facility system's also as cancelled", () => {
    expect(() => assertStep(null, "requested", "portal")).not.toThrow();
    expect(() => assertStep(null, "confirmed", "staff")).not.toThrow();
    expect(() => assertStep(null, "cancelled", "portal")).toThrow(DomainError);
    expect(() => assertStep(null, "cancelled", "connector")).not.toThrow();
    expect(() => assertStep(null, "requested", "connector")).toThrow(DomainError);
    expect(() => assertStep(null, "used", "connector")).toThrow(DomainError);
  });

  it("lets a note keep the status, and a change only go where the machine allows", () => {
    expect(() => assertStep("used", "used", "staff")).not.toThrow();
    expect(() => assertStep("cancelled", "cancelled", "staff")).not.toThrow();
    expect(() => assertStep("confirmed", "cancelled", "connector")).not.toThrow();
    expect(() => assertStep("reported", "confirmed", "staff")).toThrow(DomainError);
  });

  it("lets only the facility's own system confirm again a booking it cancelled", () => {
    expect(() => assertStep("cancelled", "confirmed", "connector")).not.toThrow();
    expect(() => assertStep("cancelled", "confirmed", "portal")).toThrow(DomainError);
    expect(() => assertStep("cancelled", "confirmed", "staff")).toThrow(DomainError);
    expect(() => assertStep("used", "confirmed", "connector")).toThrow(DomainError);
  });
});

describe("replay", () => {
  const ev = (statuses: BookingStatus[]) => statuses.map((status, i) => ({ seq: i + 1, status }));

  it("folds a history into its last status and revision", () => {
    expect(replay(ev(["requested", "confirmed", "used", "reported"]))).toEqual({
      status: "reported",
      revision: 4,
    });
    expect(replay(ev(["requested"]))).toEqual({ status: "requested", revision: 1 });
  });

  it("accepts a booking imported as already confirmed", () => {
    expect(replay(ev(["confirmed", "cancelled"]))).toEqual({ status: "cancelled", revision: 2 });
  });

  it("replays a facility system's booking: first seen cancelled, confirmed again, moved", () => {
    const fromSystem = (statuses: BookingStatus[]) =>
      ev(statuses).map((e) => ({ ...e, source: "connector" as const }));
    expect(replay(fromSystem(["cancelled", "confirmed", "confirmed", "cancelled"]))).toEqual({
      status: "cancelled",
      revision: 4,
    });
    expect(() => replay(ev(["confirmed", "cancelled", "confirmed"]))).toThrow(DomainError);
  });

  it("refuses an empty history, a bad start, gaps and impossible steps", () => {
    expect(() => replay([])).toThrow();
    expect(() => replay(ev(["cancelled"]))).toThrow();
    expect(() =>
      replay([
        { seq: 1, status: "requested" },
        { seq: 3, status: "confirmed" },
      ]),
    ).toThrow();
    expect(() => replay(ev(["requested", "confirmed", "rejected"]))).toThrow(DomainError);
  });

  it("agrees with the machine on any random walk", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(7), { maxLength: 8 }), (choices) => {
        const path: BookingStatus[] = ["requested"];
        for (const c of choices) {
          const next = TRANSITIONS[path[path.length - 1] as BookingStatus];
          if (next.length === 0) break;
          path.push(next[c % next.length] as BookingStatus);
        }
        const r = replay(ev(path));
        expect(r).toEqual({ status: path[path.length - 1], revision: path.length });
      }),
    );
  });
});
