/**
 * Statistics reports: the built-in ones (hub/stats/catalog.ts) with the prefecture's changes to who may read
 * them, and the reports the prefecture added, both kept in the `report` table; reading one checks the grant in
 * the API and limits the figures to what the reader may see.
 */

import { audit } from "../audit/audit.js";
import { csvLine } from "../bookings/export.js";
import type { PrismaClient } from "../db/client.js";
import { problems } from "../errors.js";
import type { Actor } from "../identity/actor.js";
import { formatDate, tokyoToday } from "../inventory/dates.js";
import { SERVICE_LABEL } from "../policies/policy.js";
import {
  BUILT_IN_REPORTS,
  canRead,
  checkReport,
  LEGACY_METRICS,
  METRIC_INFO,
  type ReportDefinition,
  type ReportInput,
} from "./catalog.js";
import { checkRule, DEFAULT_RULE, type DisclosureRule, protect, thresholdFor } from "./disclosure.js";
import { buildQuery, type Period, type RawRow, type Scope, type StatsRow, shapeRows } from "./query.js";

type Row = {
  key: string;
  titleJa: string;
  titleEn: string;
  description: string;
  metric: string;
  dimensions: string[];
  roles: string[];
  chart: string;
  sortOrder: number;
  builtIn: boolean;
};

const fromRow = (r: Row): ReportDefinition => ({
  key: r.key,
  titleJa: r.titleJa,
  titleEn: r.titleEn,
  description: r.description,
  metric: (LEGACY_METRICS[r.metric] ?? r.metric) as ReportDefinition["metric"],
  dimensions: r.dimensions as ReportDefinition["dimensions"],
  roles: r.roles as ReportDefinition["roles"],
  chart: r.chart as ReportDefinition["chart"],
  sortOrder: r.sortOrder,
  builtIn: r.builtIn,
});

/** Every report: built-in ones as shipped unless the prefecture changed them, then the added ones. */
export async function allReports(prisma: PrismaClient): Promise<ReportDefinition[]> {
  const rows = new Map((await prisma.report.findMany()).map((r) => [r.key, fromRow(r)]));
  const builtIn = BUILT_IN_REPORTS.map((b) => {
    const changed = rows.get(b.key);
    rows.delete(b.key);
    // The stored row holds what the prefecture may change; metric and dimensions always come from the code.
    return changed ? { ...changed, metric: b.metric, dimensions: b.dimensions, builtIn: true } : b;
  });
  return [...builtIn, ...rows.values()].sort(
    (a, b) => a.sortOrder - b.sortOrder || a.key.localeCompare(b.key),
  );
}

/** The reports the caller may read. */
export async function listReports(prisma: PrismaClient, actor: Actor): Promise<ReportDefinition[]> {
  return (await allReports(prisma)).filter((r) => canRead(r, actor.role));
}

async function findReport(prisma: PrismaClient, key: string): Promise<ReportDefinition | undefined> {
  return (await allReports(prisma)).find((r) => r.key === key);
}

/** The prefecture adds a report: a metric by dimensions, granted to roles. */
export async function createReport(
  prisma: PrismaClient,
  actor: Actor,
  ip: string,
  input: ReportInput,
  now: Date,
): Promise<ReportDefinition> {
  const checked = checkReport(input);
  if (!checked.ok) throw problems.validation(checked.errors, "The report is not valid");
  const r = checked.report;
  if (await prisma.report.findUnique({ where: { key: r.key } })) {
    throw problems.conflict("report_exists", `A report with the key ${r.key} already exists`);
  }
  await prisma.$transaction(async (tx) => {
    await tx.report.create({ data: { ...r, builtIn: false, createdBy: actor.userId } });
    await auditReport(tx, actor, ip, "stats.report.create", r.key, { after: r }, now);
  });
  return r;
}

/** The prefecture changes a report: titles, roles granted, chart, order; an added report also its metric. */
export async function updateReport(
  prisma: PrismaClient,
  actor: Actor,
  ip: string,
  key: string,
  input: ReportInput,
  now: Date,
): Promise<ReportDefinition> {
  const current = await findReport(prisma, key);
  if (!current) throw problems.notFound("report");
  const checked = checkReport(input, current);
  if (!checked.ok) throw problems.validation(checked.errors, "The report is not valid");
  const r = checked.report;
  await prisma.$transaction(async (tx) => {
    await tx.report.upsert({
      where: { key },
      create: { ...r, createdBy: actor.userId },
      update: {
        titleJa: r.titleJa,
        titleEn: r.titleEn,
        description: r.description,
        metric: r.metric,
        dimensions: r.dimensions,
        roles: r.roles,
        chart: r.chart,
        sortOrder: r.sortOrder,
      },
    });
    await auditReport(tx, actor, ip, "stats.report.update", key, { before: current, after: r }, now);
  });
  return r;
}

/** Removes an added report; a built-in one returns to how it was shipped. */
export async function deleteReport(
  prisma: PrismaClient,
  actor: Actor,
  ip: string,
  key: string,
  now: Date,
): Promise<void> {
  const current = await findReport(prisma, key);
  if (!current) throw problems.notFound("report");
  await prisma.$transaction(async (tx) => {
    await tx.report.deleteMany({ where: { key } });
    // An added report's thresholds go with it (a later report with the same key starts from the default).
    const rule = current.builtIn ? null : await tx.statsDisclosure.findUnique({ where: { id: 1 } });
    const thresholds = (rule?.thresholds ?? {}) as DisclosureRule["thresholds"];
    if (rule && key in thresholds) {
      const { [key]: _, ...rest } = thresholds;
      await tx.statsDisclosure.update({ where: { id: 1 }, data: { thresholds: rest } });
    }
    await auditReport(tx, actor, ip, "stats.report.delete", key, { before: current }, now);
  });
}

/** Who may read which statistics is a setting of the prefecture's: every change is audited. */
const auditReport = (
  tx: Parameters<typeof audit>[0],
  actor: Actor,
  ip: string,
  action: string,
  key: string,
  detail: Record<string, unknown>,
  now: Date,
) => audit(tx, actor, ip, { action, resourceType: "report", resourceId: key, detail }, now);

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
export const MAX_PERIOD_MONTHS = 36;

/** The period asked for; by default the current fiscal year (April to March, Japan time). */
export function parsePeriod(from: unknown, to: unknown, now: Date): Period {
  const today = formatDate(tokyoToday(now));
  const [year, month] = today.split("-").map(Number) as [number, number];
  const fiscal = month >= 4 ? year : year - 1;
  const period = {
    from: typeof from === "string" && from !== "" ? from : `${fiscal}-04`,
    to: typeof to === "string" && to !== "" ? to : `${fiscal + 1}-03`,
  };
  const errors = [];
  if (!MONTH.test(period.from)) errors.push({ path: "from", message: "a month, YYYY-MM" });
  if (!MONTH.test(period.to)) errors.push({ path: "to", message: "a month, YYYY-MM" });
  if (errors.length === 0) {
    const count = monthIndex(period.to) - monthIndex(period.from) + 1;
    if (count < 1) errors.push({ path: "to", message: "must not be before from" });
    else if (count > MAX_PERIOD_MONTHS) {
      errors.push({ path: "to", message: `at most ${MAX_PERIOD_MONTHS} months from from` });
    }
  }
  if (errors.length > 0) throw problems.unprocessable("invalid_period", "The period is not valid", errors);
  return period;
}

const monthIndex = (m: string) => {
  const [y, mo] = m.split("-").map(Number) as [number, number];
  return y * 12 + mo;
};

/** What a reader sees: the prefecture and the operator everything; others their own tenant. */
export function scopeOf(actor: Actor): Scope {
  switch (actor.role) {
    case "municipality":
      return { kind: "municipality", code: actor.municipalityCode ?? "" };
    case "facility":
      return { kind: "facility", id: actor.facilityId ?? "" };
    case "association":
      return { kind: "association", id: actor.associationId ?? "" };
    default:
      return { kind: "all" };
  }
}

export type ReportData = {
  report: ReportDefinition;
  period: Period;
  /** The figures are a count or a percentage (with numerator and denominator). */
  kind: "count" | "rate";
  /** Whose figures these are: "all", or the reader's municipality, facility or association. */
  scope: Scope["kind"];
  rows: StatsRow[];
  /** The figure over every row: the sum of counts, or the rate of the sums. */
  total: StatsRow;
  /** Counts from 1 to threshold − 1 are hidden (`suppressed`), and cells that would reveal them; 1: none. */
  disclosure: { threshold: number };
  /** What the metric counts, in Japanese and English (hub/stats/catalog.ts). */
  definition: { ja: string; en: string };
};

/** The prefecture's disclosure rule, or the default when it never set one. */
export async function readDisclosure(prisma: PrismaClient): Promise<DisclosureRule> {
  const row = await prisma.statsDisclosure.findUnique({ where: { id: 1 } });
  if (!row) return DEFAULT_RULE;
  return {
    defaultThreshold: row.defaultThreshold,
    thresholds: row.thresholds as DisclosureRule["thresholds"],
    exactOwnRoles: row.exactOwnRoles as DisclosureRule["exactOwnRoles"],
  };
}

/** The prefecture sets the disclosure rule (thresholds per report and role, roles exempt about themselves); audited. */
export async function updateDisclosure(
  prisma: PrismaClient,
  actor: Actor,
  ip: string,
  input: unknown,
  now: Date,
): Promise<DisclosureRule> {
  const keys = (await allReports(prisma)).map((r) => r.key);
  const checked = checkRule(input, keys);
  if (!checked.ok) throw problems.validation(checked.errors, "The disclosure rule is not valid");
  const before = await readDisclosure(prisma);
  const rule = checked.rule;
  const data = {
    defaultThreshold: rule.defaultThreshold,
    thresholds: rule.thresholds,
    exactOwnRoles: rule.exactOwnRoles,
    updatedBy: actor.userId,
  };
  await prisma.$transaction(async (tx) => {
    await tx.statsDisclosure.upsert({ where: { id: 1 }, create: { id: 1, ...data }, update: data });
    await audit(
      tx,
      actor,
      ip,
      {
        action: "stats.disclosure.update",
        resourceType: "stats_disclosure",
        resourceId: "1",
        detail: { before, after: rule },
      },
      now,
    );
  });
  return rule;
}

/** A report's figures for the period, as the reader may see them; 403 `report_not_granted` otherwise. */
export async function readReport(
  prisma: PrismaClient,
  actor: Actor,
  key: string,
  period: Period,
  now: Date,
): Promise<ReportData> {
  const report = await findReport(prisma, key);
  if (!report) throw problems.notFound("report");
  if (!canRead(report, actor.role)) {
    throw problems.forbidden(
      "The prefecture has not made this report available to your role",
      "report_not_granted",
    );
  }
  const scope = scopeOf(actor);
  const query = buildQuery(report.metric, report.dimensions, period, scope, formatDate(tokyoToday(now)));
  if (!query) {
    throw problems.forbidden("This report cannot be limited to your organisation", "report_not_granted");
  }
  const raw = await prisma.$queryRawUnsafe<RawRow[]>(query.sql, ...query.params);
  const rows = shapeRows(report.metric, report.dimensions, period, raw);
  const kind = METRIC_INFO[report.metric].kind;
  // Exact figures only for a role the prefecture exempted; such roles (municipality, facility, association)
  // always read their own tenant only.
  const threshold = thresholdFor(await readDisclosure(prisma), report.key, actor.role);
  const shown = protect(kind, report.dimensions, rows, totalOf(kind, rows), threshold);
  const info = METRIC_INFO[report.metric];
  return {
    report,
    period,
    kind,
    scope: scope.kind,
    ...shown,
    disclosure: { threshold },
    definition: { ja: info.definitionJa, en: info.definitionEn },
  };
}

function totalOf(kind: "count" | "rate", rows: StatsRow[]): StatsRow {
  if (kind === "count") return { value: rows.reduce((s, r) => s + (r.value ?? 0), 0) };
  const numerator = rows.reduce((s, r) => s + (r.numerator ?? 0), 0);
  const denominator = rows.reduce((s, r) => s + (r.denominator ?? 0), 0);
  return {
    value: denominator > 0 ? Math.round((numerator / denominator) * 1000) / 10 : null,
    numerator,
    denominator,
  };
}

/** How a hidden figure is shown, in the CSV as in the portal. */
export const HIDDEN = "＊";

/** The footnote under a report whose small counts are hidden. */
export const disclosureNote = (threshold: number) =>
  `${HIDDEN}：${threshold}未満（または${threshold}未満の数が合計から分からないよう秘匿） / ${HIDDEN}: < ${threshold}, or hidden so that a count under ${threshold} cannot be worked out from the totals`;

const SERVICE_JA: Record<string, string> = { ...SERVICE_LABEL, any: "指定なし" };

/**
 * A report's data as CSV lines: the metric's definition, the header, one column per dimension (codes beside
 * names), then the figure; rates add what was counted and out of what; the total; what ＊ means when figures
 * may be hidden. Japanese headers, as the other CSV exports.
 */
export function reportCsv(data: ReportData): string {
  const dims = data.report.dimensions;
  const header: string[] = [];
  for (const d of dims) {
    if (d === "month") header.push("年月");
    if (d === "service_type") header.push("サービス種別");
    if (d === "municipality") header.push("市町村コード", "市町村名");
    if (d === "facility") header.push("施設ID", "施設名");
  }
  header.push(...(data.kind === "rate" ? ["率（%）", "分子", "分母"] : ["件数"]));
  const line = (r: StatsRow, label?: string) => {
    const cells: (string | number | null)[] = [];
    for (const d of dims) {
      if (d === "month") cells.push(r.month ?? "");
      if (d === "service_type") cells.push(SERVICE_JA[r.serviceType ?? ""] ?? r.serviceType ?? "");
      if (d === "municipality") cells.push(r.municipalityCode ?? "", r.municipalityName ?? "不明");
      if (d === "facility") cells.push(r.facilityId ?? "", r.facilityName ?? "不明");
    }
    // The total row has no dimension values: its label stands in the first column.
    if (label) cells.fill("").splice(0, 1, label);
    if (r.suppressed) cells.push(...(data.kind === "rate" ? [HIDDEN, HIDDEN, HIDDEN] : [HIDDEN]));
    else {
      cells.push(r.value);
      if (data.kind === "rate") cells.push(r.numerator ?? 0, r.denominator ?? 0);
    }
    return csvLine(cells);
  };
  // The definition of what is counted comes first, so it travels with the figures.
  const lines = [
    csvLine([`定義：${data.definition.ja}`]),
    csvLine(header),
    ...data.rows.map((r) => line(r)),
    line(data.total, "合計"),
  ];
  if (data.disclosure.threshold > 1) lines.push(csvLine([disclosureNote(data.disclosure.threshold)]));
  return lines.join("");
}
