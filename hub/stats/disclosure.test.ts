import { describe, expect, it } from "vitest";
import { checkRule, DEFAULT_RULE, protect, suppress, tableGroups, thresholdFor } from "./disclosure.js";

const counts = (...v: number[]) => v.map((n) => ({ measures: [n] }));

/**
 * What a reader can work out about hidden cells from a shown total: within a group, the hidden cells add up to
 * the total minus the shown ones, and each hidden cell is at least 1 (0 is shown). A hidden cell is exposed when
 * that pins it below the threshold: the hidden sum minus one for each other hidden cell is under `t`.
 */
function exposed(values: number[], hidden: Set<number>, group: number[], t: number): boolean {
  const h = group.filter((i) => hidden.has(i));
  if (h.length === 0) return false;
  const sum = h.reduce((s, i) => s + (values[i] ?? 0), 0);
  return sum - (h.length - 1) < t;
}

describe("suppress", () => {
  it("hides nothing when nothing is small, and 0 stays shown", () => {
    expect(suppress(counts(0, 5, 7, 0), 3)).toEqual({ hidden: new Set(), totalHidden: false });
  });

  it("hides a municipality with one use and the next-smallest cell, so the total reveals neither", () => {
    const values = [1, 12, 5, 0, 8];
    const s = suppress(counts(...values), 3);
    expect([...s.hidden].sort()).toEqual([0, 2]);
    expect(s.totalHidden).toBe(false);
    expect(exposed(values, s.hidden, [0, 1, 2, 3, 4], 3)).toBe(false);
  });

  it("hides the total when no other cell can hide a small one", () => {
    expect(suppress(counts(1, 0, 0), 3)).toEqual({ hidden: new Set([0]), totalHidden: true });
    // Three cells of 1 add up to 3: shown, the total would pin each at 1.
    expect(suppress(counts(1, 1, 1), 3)).toEqual({ hidden: new Set([0, 1, 2]), totalHidden: true });
  });

  it("leaves a group alone when a large cell is already hidden beside the small ones", () => {
    const s = suppress(counts(1, 2, 9, 4), 3);
    expect([...s.hidden].sort()).toEqual([0, 1, 3]);
    expect(exposed([1, 2, 9, 4], s.hidden, [0, 1, 2, 3], 3)).toBe(false);
  });

  it("with threshold 1 hides nothing", () => {
    expect(suppress(counts(1, 2, 0), 1)).toEqual({ hidden: new Set(), totalHidden: false });
  });

  it("protects rows and columns of a table, and the total", () => {
    // municipality × month: A has one use in May.
    //        Apr May Jun
    //   A     4   1   6
    //   B     9   5   3
    const keys = [
      ["A", "04"],
      ["A", "05"],
      ["A", "06"],
      ["B", "04"],
      ["B", "05"],
      ["B", "06"],
    ] as const;
    const values = [4, 1, 6, 9, 5, 3];
    const groups = tableGroups(keys);
    const s = suppress(counts(...values), 3, groups);
    expect(s.hidden.has(1)).toBe(true);
    for (const g of [values.map((_, i) => i), ...groups]) expect(exposed(values, s.hidden, g, 3)).toBe(false);
    // The smallest large cell in A's row (4) and in May's column (5); they protect the total too.
    expect([...s.hidden].sort()).toEqual([0, 1, 4]);
  });

  it("never exposes a hidden cell, for many tables and thresholds", () => {
    // A small deterministic generator: the same tables every run.
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed;
    };
    for (let n = 0; n < 300; n++) {
      const t = 2 + (next() % 9);
      const rows = 1 + (next() % 4);
      const cols = 1 + (next() % 5);
      const keys: [string, string][] = [];
      const values: number[] = [];
      for (let a = 0; a < rows; a++)
        for (let b = 0; b < cols; b++) {
          keys.push([`r${a}`, `c${b}`]);
          values.push(next() % 3 === 0 ? 0 : next() % (t * 3));
        }
      const groups = tableGroups(keys);
      const s = suppress(counts(...values), t, groups);
      values.forEach((v, i) => {
        if (v > 0 && v < t) expect(s.hidden.has(i)).toBe(true);
      });
      const all = values.map((_, i) => i);
      if (!s.totalHidden) expect(exposed(values, s.hidden, all, t)).toBe(false);
      const total = values.reduce((a, b) => a + b, 0);
      if (total > 0 && total < t) expect(s.totalHidden).toBe(true);
      for (const g of groups) {
        // A row or column whose only nonzero cells are small cannot be protected by its own cells; its total is
        // small or made of small cells, which the report that shows it hides.
        if (g.some((i) => (values[i] ?? 0) >= t)) expect(exposed(values, s.hidden, g, t)).toBe(false);
      }
    }
  });

  it("hides a rate whose numerator or denominator is small, and protects both sums", () => {
    const cells = [{ measures: [1, 10] }, { measures: [4, 2] }, { measures: [5, 20] }, { measures: [6, 30] }];
    const s = suppress(cells, 3);
    expect(s.hidden.has(0)).toBe(true);
    expect(s.hidden.has(1)).toBe(true);
    for (const m of [0, 1]) {
      const values = cells.map((c) => c.measures[m] ?? 0);
      expect(exposed(values, s.hidden, [0, 1, 2, 3], 3)).toBe(false);
    }
  });
});

describe("protect", () => {
  it("marks hidden counts as null and suppressed, the total too when needed", () => {
    const rows = [
      { municipalityCode: "041009", value: 1 },
      { municipalityCode: "042021", value: 7 },
      { municipalityCode: "042030", value: 4 },
    ];
    const out = protect("count", ["municipality"], rows, { value: 12 }, 3);
    expect(out.rows).toEqual([
      { municipalityCode: "041009", value: null, suppressed: true },
      { municipalityCode: "042021", value: 7 },
      { municipalityCode: "042030", value: null, suppressed: true },
    ]);
    expect(out.total).toEqual({ value: 12 });
    expect(protect("count", ["municipality"], rows.slice(0, 1), { value: 1 }, 3).total).toEqual({
      value: null,
      suppressed: true,
    });
  });

  it("hides a rate's value, numerator and denominator", () => {
    const rows = [
      { facilityId: "a", value: 50, numerator: 1, denominator: 2 },
      { facilityId: "b", value: 10, numerator: 3, denominator: 30 },
      { facilityId: "c", value: 20, numerator: 4, denominator: 20 },
    ];
    const out = protect("rate", ["facility"], rows, { value: 15.4, numerator: 8, denominator: 52 }, 3);
    expect(out.rows[0]).toEqual({
      facilityId: "a",
      value: null,
      numerator: null,
      denominator: null,
      suppressed: true,
    });
    expect(out.rows.filter((r) => r.suppressed)).toHaveLength(2);
    expect(out.total.suppressed).toBeUndefined();
  });
});

describe("thresholdFor and checkRule", () => {
  const rule = {
    defaultThreshold: 3,
    thresholds: { usage_by_municipality: { municipality: 10 } },
    exactOwnRoles: ["facility" as const],
  };

  it("takes the report's role threshold, else the default; an exempt role sees exact figures", () => {
    expect(thresholdFor(rule, "usage_by_municipality", "municipality")).toBe(10);
    expect(thresholdFor(rule, "usage_by_municipality", "association")).toBe(3);
    expect(thresholdFor(rule, "usage_by_facility", "facility")).toBe(1);
    expect(thresholdFor(DEFAULT_RULE, "usage_by_facility", "facility")).toBe(3);
  });

  it("accepts a valid rule and refuses each bad field", () => {
    expect(checkRule(rule, ["usage_by_municipality"])).toEqual({ ok: true, rule });
    const bad = checkRule(
      {
        defaultThreshold: 0,
        thresholds: { nope: { municipality: 3 }, usage_by_municipality: { resident: 3, facility: 2.5 } },
        exactOwnRoles: ["prefecture"],
      },
      ["usage_by_municipality"],
    );
    expect(bad.ok ? [] : bad.errors.map((e) => e.path)).toEqual([
      "defaultThreshold",
      "thresholds/nope",
      "thresholds/usage_by_municipality/resident",
      "thresholds/usage_by_municipality/facility",
      "exactOwnRoles/0",
    ]);
  });
});
