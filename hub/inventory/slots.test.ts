import { describe, expect, it } from "vitest";
import { compareSlots, freePlaces, slotBlocks, timeBlockErrors } from "./slots.js";

const am = { code: "am", start: "09:00", end: "11:00" };
const pm = { code: "pm", start: "13:00", end: "15:00" };

describe("slotBlocks", () => {
  it("gives stays one whole-day slot per night", () => {
    expect(slotBlocks("stay", [])).toEqual([""]);
    expect(slotBlocks("stay", [am])).toEqual([""]);
  });

  it("gives day care and visits one slot per block, or a whole-day slot without blocks", () => {
    expect(slotBlocks("visit", [am, pm])).toEqual(["am", "pm"]);
    expect(slotBlocks("day", [])).toEqual([""]);
  });
});

describe("freePlaces", () => {
  it("is capacity minus hub and external bookings", () => {
    expect(freePlaces({ capacity: 3, booked: 1, external: 1, closed: false })).toBe(1);
  });

  it("is never negative (capacity lowered in the facility's own system)", () => {
    expect(freePlaces({ capacity: 1, booked: 1, external: 2, closed: false })).toBe(0);
  });

  it("is zero on a closed day", () => {
    expect(freePlaces({ capacity: 3, booked: 0, external: 0, closed: true })).toBe(0);
  });
});

describe("timeBlockErrors", () => {
  it("accepts distinct blocks that start before they end", () => {
    expect(timeBlockErrors("visit", [am, pm])).toEqual([]);
    expect(timeBlockErrors("stay", [])).toEqual([]);
  });

  it("reports duplicate codes", () => {
    expect(timeBlockErrors("day", [am, { ...pm, code: "am" }])).toEqual([
      { path: "/timeBlocks/1/code", message: 'code "am" is used twice' },
    ]);
  });

  it("reports blocks that end before or when they start", () => {
    const errors = timeBlockErrors("day", [
      { code: "a", start: "15:00", end: "09:00" },
      { code: "b", start: "10:00", end: "10:00" },
    ]);
    expect(errors.map((e) => e.path)).toEqual(["/timeBlocks/0", "/timeBlocks/1"]);
  });

  it("reports time blocks on a stay", () => {
    expect(timeBlockErrors("stay", [am])[0]?.path).toBe("/timeBlocks");
  });
});

describe("compareSlots", () => {
  it("orders by date, then stay / day / visit, then the service's block order", () => {
    const rows = [
      { date: "2026-12-02", serviceType: "stay" as const, order: 0 },
      { date: "2026-12-01", serviceType: "visit" as const, order: 1 },
      { date: "2026-12-01", serviceType: "visit" as const, order: 0 },
      { date: "2026-12-01", serviceType: "stay" as const, order: 0 },
    ];
    expect(rows.sort(compareSlots).map((r) => `${r.date} ${r.serviceType} ${r.order}`)).toEqual([
      "2026-12-01 stay 0",
      "2026-12-01 visit 0",
      "2026-12-01 visit 1",
      "2026-12-02 stay 0",
    ]);
  });
});
