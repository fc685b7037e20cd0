import { describe, expect, it } from "vitest";
import type { ServiceType } from "../../connectors/contract.js";
import type { TimeBlock } from "../inventory/slots.js";
import { availabilityStep, type Known, placesOf, stepFor } from "./merge.js";

const services = new Map<ServiceType, TimeBlock[]>([
  ["stay", []],
  [
    "day",
    [
      { code: "am", start: "09:00", end: "12:00" },
      { code: "pm", start: "13:00", end: "16:00" },
    ],
  ],
]);

describe("placesOf", () => {
  it("takes each night of a stay, and one night for a same-day stay", () => {
    expect(
      placesOf({ serviceType: "stay", startDate: "2026-12-30", endDate: "2027-01-02" }, services),
    ).toEqual({
      serviceType: "stay",
      dates: ["2026-12-30", "2026-12-31", "2027-01-01"],
      timeBlock: "",
    });
    expect(
      placesOf({ serviceType: "stay", startDate: "2026-12-30", endDate: "2026-12-30" }, services),
    ).toEqual({
      serviceType: "stay",
      dates: ["2026-12-30"],
      timeBlock: "",
    });
  });

  it("takes one day in a time block the facility has", () => {
    expect(
      placesOf(
        { serviceType: "day", startDate: "2026-12-01", endDate: "2026-12-01", timeBlock: "pm" },
        services,
      ),
    ).toEqual({ serviceType: "day", dates: ["2026-12-01"], timeBlock: "pm" });
  });

  it("explains what it cannot place", () => {
    const day = { serviceType: "day" as const, startDate: "2026-12-01", endDate: "2026-12-01" };
    expect(placesOf({ ...day, serviceType: "visit" }, services)).toMatch(/does not offer visit/);
    expect(placesOf({ ...day, timeBlock: "night" }, services)).toMatch(/time block "night"/);
    expect(placesOf(day, services)).toMatch(/time block ""/);
    expect(placesOf({ ...day, endDate: "2026-12-02", timeBlock: "am" }, services)).toMatch(/one day/);
    expect(placesOf({ ...day, serviceType: "stay", endDate: "2026-11-30" }, services)).toMatch(/before/);
    expect(placesOf({ ...day, serviceType: "stay", endDate: "2027-03-01" }, services)).toMatch(/longer/);
    expect(placesOf({ ...day, startDate: "2026-02-30" }, services)).toMatch(/must be dates/);
  });
});

describe("stepFor", () => {
  const places = { serviceType: "stay" as const, dates: ["2026-12-01"], timeBlock: "" };
  const known = (over: Partial<Known> = {}): Known => ({
    status: "confirmed",
    places,
    lastRevision: 3,
    ...over,
  });
  const moved = { ...places, dates: ["2026-12-02"] };

  it("creates what it has not seen", () => {
    expect(stepFor(null, { revision: 0, status: "confirmed" }, places)).toEqual({ do: "create" });
  });

  it("ignores duplicates and older revisions", () => {
    expect(stepFor(known(), { revision: 3, status: "cancelled" }, places)).toEqual({ do: "ignore" });
    expect(stepFor(known(), { revision: 2, status: "confirmed" }, moved)).toEqual({ do: "ignore" });
  });

  it("cancels, moves, reinstates, or only notes a newer revision", () => {
    expect(stepFor(known(), { revision: 4, status: "cancelled" }, places)).toEqual({ do: "cancel" });
    expect(stepFor(known(), { revision: 4, status: "confirmed" }, moved)).toEqual({ do: "move" });
    expect(stepFor(known(), { revision: 4, status: "confirmed" }, places)).toEqual({ do: "note" });
    const cancelled = known({ status: "cancelled" });
    expect(stepFor(cancelled, { revision: 4, status: "confirmed" }, places)).toEqual({ do: "reinstate" });
    expect(stepFor(cancelled, { revision: 4, status: "cancelled" }, places)).toEqual({ do: "note" });
  });

  it("leaves a used booking as it is", () => {
    expect(stepFor(known({ status: "used" }), { revision: 4, status: "cancelled" }, places)).toEqual({
      do: "note",
    });
  });
});

describe("availabilityStep", () => {
  const at = (iso: string) => new Date(iso);
  it("orders by revision when both have one, whatever their times say", () => {
    expect(availabilityStep({ revision: 5 }, { revision: 4 })).toBe("stale");
    expect(availabilityStep({ revision: 5 }, { revision: 5 })).toBe("apply");
    expect(
      availabilityStep(
        { revision: 5, occurredAt: at("2026-12-10T10:00:00Z") },
        { revision: 6, occurredAt: at("2026-12-10T09:00:00Z") },
      ),
    ).toBe("apply");
  });
  it("orders by occurredAt when a revision is missing on either side", () => {
    expect(
      availabilityStep(
        { revision: 5, occurredAt: at("2026-12-10T10:00:00Z") },
        { occurredAt: at("2026-12-10T09:59:59Z") },
      ),
    ).toBe("stale");
    expect(
      availabilityStep(
        { occurredAt: at("2026-12-10T10:00:00Z") },
        { occurredAt: at("2026-12-10T10:00:00Z") },
      ),
    ).toBe("apply");
  });
  it("applies in the order received when there is nothing to compare", () => {
    expect(availabilityStep({}, {})).toBe("apply");
    expect(availabilityStep({ revision: 9 }, {})).toBe("apply");
    expect(availabilityStep({}, { revision: 1, occurredAt: at("2020-01-01T00:00:00Z") })).toBe("apply");
  });
});
