import { describe, expect, it } from "vitest";
import { buildQuery, monthsOf, periodDates, shapeRows } from "./query.js";

const FY = { from: "2025-04", to: "2026-03" };

describe("periods", () => {
  it("runs from the first day of the first month to the day after the last", () => {
    expect(periodDates(FY)).toEqual({ start: "2025-04-01", end: "2026-04-01" });
    expect(periodDates({ from: "2025-12", to: "2025-12" })).toEqual({
      start: "2025-12-01",
      end: "2026-01-01",
    });
  });

  it("lists the months across a year end", () => {
    expect(monthsOf({ from: "2025-11", to: "2026-02" })).toEqual([
      "2025-11",
      "2025-12",
      "2026-01",
      "2026-02",
    ]);
    expect(monthsOf(FY)).toHaveLength(12);
  });
});

describe("buildQuery", () => {
  it("binds the period and the scope as parameters, never as text", () => {
    const q = buildQuery(
      "usage_bookings",
      ["facility"],
      FY,
      { kind: "municipality", code: "041009'; --" },
      "2025-06-15",
    );
    // Only the values the query uses, numbered in order (today is not used by uses).
    expect(q?.params).toEqual(["2025-04-01", "2026-04-01", "041009'; --"]);
    expect(q?.sql).not.toContain("041009");
    expect(q?.sql).toContain("r.municipality_code = $3");
    expect(q?.sql).not.toMatch(/\$[A-Z]/);
  });

  it("has no facility view of unmet searches", () => {
    expect(
      buildQuery("unmet_searches", ["month"], FY, { kind: "facility", id: "x" }, "2025-06-15"),
    ).toBeNull();
    expect(buildQuery("unmet_searches", ["month"], FY, { kind: "all" }, "2025-06-15")?.params).toHaveLength(
      2,
    );
  });

  it("groups by every dimension asked for and joins names only when needed", () => {
    const q = buildQuery("occupancy_rate", ["month", "facility"], FY, { kind: "all" }, "2025-06-15");
    // Occupancy counts days before today only.
    expect(q?.params).toEqual(["2025-04-01", "2026-04-01", "2025-06-15"]);
    expect(q?.sql).toContain("LEAST($2::date, $3::date)");
    expect(q?.sql).toContain("GROUP BY x.month, x.facility_id");
    expect(q?.sql).toContain("facility_name");
    expect(q?.sql).not.toContain("municipality_name");
  });
});

describe("shapeRows", () => {
  it("fills every month of the period with 0 and sorts by month and service type", () => {
    const rows = shapeRows("usage_bookings", ["month", "service_type"], { from: "2025-04", to: "2025-06" }, [
      { month: "2025-05", service_type: "visit", num: 2, den: null },
      { month: "2025-05", service_type: "stay", num: 3, den: null },
    ]);
    expect(rows).toEqual([
      { month: "2025-04", serviceType: "stay", value: 0 },
      { month: "2025-04", serviceType: "visit", value: 0 },
      { month: "2025-05", serviceType: "stay", value: 3 },
      { month: "2025-05", serviceType: "visit", value: 2 },
      { month: "2025-06", serviceType: "stay", value: 0 },
      { month: "2025-06", serviceType: "visit", value: 0 },
    ]);
  });

  it("gives a one-dimension month report every month even with no data", () => {
    const rows = shapeRows("cancellations", ["month"], { from: "2025-04", to: "2025-05" }, []);
    expect(rows).toEqual([
      { month: "2025-04", value: 0 },
      { month: "2025-05", value: 0 },
    ]);
  });

  it("computes rates as percentages with one decimal, null when nothing was counted", () => {
    const rows = shapeRows("cancellation_rate", ["facility"], FY, [
      { facility: "b", facility_name: "B", num: 1, den: 3 },
      { facility: "a", facility_name: "A", num: 0, den: 0 },
    ]);
    expect(rows).toEqual([
      { facilityId: "a", facilityName: "A", value: null, numerator: 0, denominator: 0 },
      { facilityId: "b", facilityName: "B", value: 33.3, numerator: 1, denominator: 3 },
    ]);
  });

  it("keeps rows of residents with no municipality (bookings from a facility's own system)", () => {
    const rows = shapeRows("usage_bookings", ["municipality"], FY, [
      { municipality: null, municipality_name: null, num: 4, den: null },
      { municipality: "041009", municipality_name: "仙台市", num: 2, den: null },
    ]);
    expect(rows.map((r) => [r.municipalityCode, r.municipalityName, r.value])).toEqual([
      ["041009", "仙台市", 2],
      [null, "施設のシステムからの予約", 4],
    ]);
    // Searches with no searcher's municipality (not signed in) are not bookings: no such label.
    const unmet = shapeRows("unmet_searches", ["municipality"], FY, [
      { municipality: null, num: 1, den: null },
    ]);
    expect(unmet[0]?.municipalityName).toBeNull();
  });
});
