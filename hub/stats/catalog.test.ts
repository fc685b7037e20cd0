import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { BUILT_IN_REPORTS, canRead, checkReport, METRIC_INFO, METRICS } from "./catalog.js";

const valid = {
  key: "cancel_by_area",
  titleJa: "市町村別キャンセル率",
  metric: "cancellation_rate",
  dimensions: ["municipality", "month"],
  roles: ["municipality"],
};

describe("checkReport", () => {
  it("accepts a new report and fills the defaults", () => {
    const r = checkReport(valid);
    expect(r).toEqual({
      ok: true,
      report: {
        ...valid,
        titleEn: "",
        description: "",
        chart: "bar",
        sortOrder: 1000,
        builtIn: false,
      },
    });
  });

  it("lists every problem by field", () => {
    const r = checkReport({
      key: "A",
      titleJa: " ",
      metric: "profit",
      dimensions: ["month", "month", "colour"],
      roles: ["resident"],
      chart: "pie",
      sortOrder: -1,
    });
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.errors.map((e) => e.path)).toEqual([
      "key",
      "titleJa",
      "metric",
      "dimensions",
      "roles/0",
      "chart",
      "sortOrder",
    ]);
  });

  it("refuses a dimension the metric has no data for", () => {
    const r = checkReport({ ...valid, metric: "unmet_searches", dimensions: ["facility"], roles: [] });
    expect(r.ok ? [] : r.errors).toEqual([
      { path: "dimensions/0", message: "unmet_searches cannot be broken down by facility" },
    ]);
  });

  it("refuses to grant a facility a metric that belongs to no facility", () => {
    const r = checkReport({ ...valid, metric: "unmet_searches", dimensions: ["month"], roles: ["facility"] });
    expect(r.ok ? [] : r.errors.map((e) => e.path)).toEqual(["roles/0"]);
  });

  it("refuses the key of a built-in report for a new one", () => {
    const r = checkReport({ ...valid, key: "usage_by_month" });
    expect(r.ok ? [] : r.errors).toEqual([{ path: "key", message: "is the key of a built-in report" }]);
  });

  it("lets a built-in report's roles change but not its metric or dimensions", () => {
    const current = BUILT_IN_REPORTS.find((b) => b.key === "vacancy_by_facility");
    if (!current) throw new Error("missing built-in");
    const granted = checkReport({ roles: ["municipality", "facility"] }, current);
    expect(granted.ok && granted.report).toMatchObject({
      key: "vacancy_by_facility",
      metric: "occupancy_rate",
      roles: ["facility", "municipality"],
      builtIn: true,
    });
    const changed = checkReport({ metric: "usage_bookings", dimensions: ["month"] }, current);
    expect(changed.ok ? [] : changed.errors.map((e) => e.path)).toEqual(["metric", "dimensions"]);
  });

  it("reads the old occupancy key as 稼働率 (occupancy_rate)", () => {
    const r = checkReport({ ...valid, metric: "vacancy_rate" });
    expect(r.ok && r.report.metric).toBe("occupancy_rate");
  });

  it("defines every metric in both languages, in characters Shift_JIS CSV can carry", () => {
    for (const m of METRICS) {
      const ja = METRIC_INFO[m].definitionJa;
      expect(iconv.decode(iconv.encode(ja, "cp932"), "cp932"), m).toBe(ja);
      expect(METRIC_INFO[m].definitionJa.length, m).toBeGreaterThan(20);
      expect(METRIC_INFO[m].definitionEn.length, m).toBeGreaterThan(20);
    }
  });

  it("keeps every built-in report valid", () => {
    for (const b of BUILT_IN_REPORTS) {
      const { builtIn: _, ...input } = b;
      expect(checkReport({ ...input, key: `x_${b.key}` }).ok, b.key).toBe(true);
    }
    expect(new Set(BUILT_IN_REPORTS.map((b) => b.key)).size).toBe(BUILT_IN_REPORTS.length);
  });

  it("covers every metric with at least one built-in report", () => {
    const used = new Set(BUILT_IN_REPORTS.map((b) => b.metric));
    expect(METRICS.filter((m) => !used.has(m) && m !== "cancellations")).toEqual([]);
    expect(Object.keys(METRIC_INFO).sort()).toEqual([...METRICS].sort());
  });
});

describe("canRead", () => {
  const report = BUILT_IN_REPORTS.find((b) => b.key === "vacancy_by_facility");
  it("lets the prefecture read everything and others what they are granted", () => {
    if (!report) throw new Error("missing built-in");
    expect(canRead(report, "prefecture")).toBe(true);
    expect(canRead(report, "facility")).toBe(true);
    expect(canRead(report, "municipality")).toBe(false);
    expect(canRead(report, "resident")).toBe(false);
  });
});
