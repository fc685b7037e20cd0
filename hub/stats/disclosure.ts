/**
 * Small-cell protection: the disclosure rule (a threshold per report and reader role, set by the prefecture) and
 * the suppression it implies, applied to a report's rows and total before they leave the hub, in JSON and in
 * every CSV alike. Pure: no I/O.
 *
 * The rule: a count from 1 to threshold − 1 is hidden (primary suppression); 0 is shown as 0 (nobody is
 * identified by nobody). A rate is hidden when its numerator or its denominator is such a count. Then
 * complementary suppression: in every group whose total can be known (all rows, against the report's total; in a
 * two-dimension report also each row and each column, whose totals another report may show), when a hidden cell
 * is small, at least one other hidden cell must be at least the threshold, so the total minus the shown cells
 * cannot pin any hidden cell below the threshold. The smallest such cell is hidden; when a group has none, its
 * total is hidden.
 */
import type { ReaderRole } from "./catalog.js";
import { GRANTABLE_ROLES } from "./catalog.js";
import type { StatsRow } from "./query.js";

export const READER_ROLES: readonly ReaderRole[] = [...GRANTABLE_ROLES, "prefecture"];

/** Roles that have a tenant of their own (their figures can be about themselves). */
export const TENANT_ROLES = ["municipality", "facility", "association"] as const;
export type TenantRole = (typeof TENANT_ROLES)[number];

export const DEFAULT_THRESHOLD = 3;
export const MAX_THRESHOLD = 100;

export type DisclosureRule = {
  /** Applies to every report and role not named in `thresholds`. 1 shows every count. */
  defaultThreshold: number;
  /** Per report key, per reader role. */
  thresholds: Record<string, Partial<Record<ReaderRole, number>>>;
  /** Roles that see exact figures when they read about their own tenant (a facility about itself). */
  exactOwnRoles: TenantRole[];
};

/** As shipped: counts under 3 hidden for every role and report; no role exempt. */
export const DEFAULT_RULE: DisclosureRule = {
  defaultThreshold: DEFAULT_THRESHOLD,
  thresholds: {},
  exactOwnRoles: [],
};

/**
 * The threshold for one reader of one report: 1 (nothing hidden) for a role exempt about its own tenant, else the
 * report's threshold for the role, else the default.
 */
export function thresholdFor(rule: DisclosureRule, reportKey: string, role: string): number {
  if ((rule.exactOwnRoles as string[]).includes(role)) return 1;
  return rule.thresholds[reportKey]?.[role as ReaderRole] ?? rule.defaultThreshold;
}

export type FieldProblem = { path: string; message: string };

const isThreshold = (v: unknown): v is number =>
  typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= MAX_THRESHOLD;

/** Checks a rule sent by the prefecture: every problem by field. `reportKeys` are the reports that exist. */
export function checkRule(
  input: unknown,
  reportKeys: readonly string[],
): { ok: true; rule: DisclosureRule } | { ok: false; errors: FieldProblem[] } {
  const errors: FieldProblem[] = [];
  const body = (typeof input === "object" && input !== null ? input : {}) as Record<string, unknown>;
  const range = `an integer from 1 (nothing hidden) to ${MAX_THRESHOLD}`;
  if (!isThreshold(body.defaultThreshold)) errors.push({ path: "defaultThreshold", message: range });
  const thresholds: DisclosureRule["thresholds"] = {};
  const t = body.thresholds ?? {};
  if (typeof t !== "object" || t === null || Array.isArray(t)) {
    errors.push({ path: "thresholds", message: "an object: report key → role → threshold" });
  } else {
    for (const [key, byRole] of Object.entries(t)) {
      if (!reportKeys.includes(key)) {
        errors.push({ path: `thresholds/${key}`, message: "no such report" });
        continue;
      }
      if (typeof byRole !== "object" || byRole === null || Array.isArray(byRole)) {
        errors.push({ path: `thresholds/${key}`, message: "an object: role → threshold" });
        continue;
      }
      const entry: Partial<Record<ReaderRole, number>> = {};
      for (const [role, n] of Object.entries(byRole)) {
        if (!READER_ROLES.includes(role as ReaderRole)) {
          errors.push({ path: `thresholds/${key}/${role}`, message: `one of ${READER_ROLES.join(", ")}` });
        } else if (!isThreshold(n)) {
          errors.push({ path: `thresholds/${key}/${role}`, message: range });
        } else entry[role as ReaderRole] = n;
      }
      if (Object.keys(entry).length > 0) thresholds[key] = entry;
    }
  }
  const exact = body.exactOwnRoles ?? [];
  if (!Array.isArray(exact) || new Set(exact).size !== exact.length) {
    errors.push({ path: "exactOwnRoles", message: "a list of different roles" });
  } else {
    for (const [i, r] of exact.entries()) {
      if (!TENANT_ROLES.includes(r as TenantRole)) {
        errors.push({ path: `exactOwnRoles/${i}`, message: `one of ${TENANT_ROLES.join(", ")}` });
      }
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    rule: {
      defaultThreshold: body.defaultThreshold as number,
      thresholds,
      exactOwnRoles: [...(exact as TenantRole[])].sort(),
    },
  };
}

/** A cell to protect: its measures (a count: [value]; a rate: [numerator, denominator]). */
export type Cell = { measures: readonly number[] };

export type Suppression = {
  /** Indexes of the cells hidden. */
  hidden: Set<number>;
  /** Whether the total over all cells is hidden. */
  totalHidden: boolean;
};

const small = (v: number, t: number) => v > 0 && v < t;

/**
 * Which cells (and whether the total) to hide at threshold `t`. `groups` are lists of cell indexes whose sum is
 * or may be known besides the total over all cells (rows and columns of a two-dimension report). A pure
 * function of its input: the same cells always hide the same way.
 */
export function suppress(
  cells: readonly Cell[],
  t: number,
  groups: readonly (readonly number[])[] = [],
): Suppression {
  const hidden = new Set<number>();
  const width = cells[0]?.measures.length ?? 0;
  const totals = Array.from({ length: width }, (_, m) => cells.reduce((s, c) => s + (c.measures[m] ?? 0), 0));
  let totalHidden = totals.some((v) => small(v, t));
  if (t <= 1) return { hidden, totalHidden: false };
  cells.forEach((c, i) => {
    if (c.measures.some((v) => small(v, t))) hidden.add(i);
  });
  const all = cells.map((_, i) => i);
  // Each pass hides at least one more cell or the total, so this ends.
  for (let changed = true; changed; ) {
    changed = false;
    // Rows and columns first: the cells they hide often protect the total as well.
    for (const [gi, group] of [...groups, all].entries()) {
      const isAll = gi === groups.length;
      if (isAll && totalHidden) continue;
      for (let m = 0; m < width; m++) {
        const inGroup = group.filter((i) => hidden.has(i));
        const value = (i: number) => cells[i]?.measures[m] ?? 0;
        if (!inGroup.some((i) => small(value(i), t))) continue;
        if (inGroup.some((i) => value(i) >= t)) continue;
        const candidates = group.filter((i) => !hidden.has(i) && value(i) >= t);
        if (candidates.length > 0) {
          const next = candidates.reduce((a, b) => (value(b) < value(a) ? b : a));
          hidden.add(next);
          changed = true;
        } else if (isAll) {
          totalHidden = true;
          changed = true;
          break;
        }
        // A row or column whose nonzero cells are all small has every one hidden already; its own total, if
        // shown elsewhere, is small too unless several small cells add up, which that report protects.
      }
    }
  }
  return { hidden, totalHidden };
}

/**
 * The rows and columns of a two-dimension table: for each value of the first dimension the cells that share it,
 * then for each value of the second. `keys` gives each cell's pair of dimension values.
 */
export function tableGroups(keys: readonly (readonly [string, string])[]): number[][] {
  const rows = new Map<string, number[]>();
  const cols = new Map<string, number[]>();
  keys.forEach(([a, b], i) => {
    rows.set(a, [...(rows.get(a) ?? []), i]);
    cols.set(b, [...(cols.get(b) ?? []), i]);
  });
  return [...rows.values(), ...cols.values()];
}

const dimensionKey = (r: Record<string, unknown>, d: string) =>
  String(
    d === "month"
      ? r.month
      : d === "service_type"
        ? r.serviceType
        : d === "municipality"
          ? r.municipalityCode
          : r.facilityId,
  );

/**
 * A report's rows and total with the rule applied at threshold `t`: a hidden figure is `value: null,
 * suppressed: true` (a rate's numerator and denominator null too). The same function serves the API and the CSV.
 */
export function protect(
  kind: "count" | "rate",
  dimensions: readonly string[],
  rows: readonly StatsRow[],
  total: StatsRow,
  t: number,
): { rows: StatsRow[]; total: StatsRow } {
  const measures = (r: StatsRow) =>
    kind === "count" ? [r.value ?? 0] : [r.numerator ?? 0, r.denominator ?? 0];
  const groups =
    dimensions.length === 2
      ? tableGroups(
          rows.map(
            (r) =>
              [
                dimensionKey(r as Record<string, unknown>, dimensions[0] as string),
                dimensionKey(r as Record<string, unknown>, dimensions[1] as string),
              ] as const,
          ),
        )
      : [];
  const { hidden, totalHidden } = suppress(
    rows.map((r) => ({ measures: measures(r) })),
    t,
    groups,
  );
  const hide = (r: StatsRow): StatsRow =>
    kind === "count"
      ? { ...r, value: null, suppressed: true }
      : { ...r, value: null, numerator: null, denominator: null, suppressed: true };
  return {
    rows: rows.map((r, i) => (hidden.has(i) ? hide(r) : r)),
    total: totalHidden ? hide(total) : total,
  };
}
