/**
 * What statistics the hub can compute: metrics, the dimensions each can be broken down by, and the reports
 * shipped with it. A report is data (a metric, up to two dimensions, the roles granted), so the prefecture adds
 * one without a code change; only a new metric needs code. Pure: no I/O.
 */

export const DIMENSIONS = ["month", "service_type", "municipality", "facility"] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** Roles the prefecture can grant a report to; the prefecture itself reads every report. */
export const GRANTABLE_ROLES = ["municipality", "facility", "association", "operator"] as const;
export type GrantableRole = (typeof GRANTABLE_ROLES)[number];
export type ReaderRole = GrantableRole | "prefecture";

export const METRICS = [
  "usage_bookings",
  "usage_units",
  "reservations",
  "cancellations",
  "cancellations_early",
  "cancellations_late",
  "cancellation_rate",
  "occupancy_rate",
  "unmet_searches",
  "waitlist_expired",
  "refusals",
] as const;
export type Metric = (typeof METRICS)[number];

/** Keys that once named a metric, and the metric they read now (reports stored with them are migrated too). */
export const LEGACY_METRICS: Record<string, Metric> = { vacancy_rate: "occupancy_rate" };

export type MetricInfo = {
  /** A count, or a ratio given with its numerator and denominator (as a percentage). */
  kind: "count" | "rate";
  dimensions: readonly Dimension[];
  /**
   * Whether a facility can be given this metric for itself. Searches that found nothing belong to no facility,
   * so unmet searches cannot be scoped to one.
   */
  facilityScoped: boolean;
  /** What is counted, in words a statistician signs: shown beside the figures and in the CSV. */
  definitionJa: string;
  definitionEn: string;
};

const count = (definitionJa: string, definitionEn: string): MetricInfo => ({
  kind: "count",
  dimensions: DIMENSIONS,
  facilityScoped: true,
  definitionJa,
  definitionEn,
});

const BY_RESIDENT_JA =
  "市町村は利用者の住所の市町村（施設のシステムからの予約は「施設のシステムからの予約」）。";
const BY_RESIDENT_EN =
  "Municipality: where the resident lives (bookings from a facility's own system are labelled as such).";

export const METRIC_INFO: Record<Metric, MetricInfo> = {
  usage_bookings: count(
    `利用件数：利用済みまたは実績報告済みの予約の件数。サービス開始日の月に数える。確定しただけの予約（これからの利用）は含めない。${BY_RESIDENT_JA}`,
    `Uses: bookings used or reported, in the month their service starts; confirmed bookings not yet used are not uses. ${BY_RESIDENT_EN}`,
  ),
  usage_units: count(
    `利用回数：利用済みまたは実績報告済みの予約の利用券の単位数の合計。サービス開始日の月に数える。${BY_RESIDENT_JA}`,
    `Units used: voucher units of bookings used or reported, in the month their service starts. ${BY_RESIDENT_EN}`,
  ),
  reservations: count(
    `予約件数（確定・未利用）：確定していてまだ利用されていない予約の件数。サービス開始日の月に数える。${BY_RESIDENT_JA}`,
    `Reservations: confirmed bookings not yet used, in the month their service starts. ${BY_RESIDENT_EN}`,
  ),
  cancellations: count(
    `キャンセル件数：取り消された予約の件数。取り消した日（日本時間）の月に数える。${BY_RESIDENT_JA}`,
    `Cancellations: bookings cancelled, in the month (Japan time) the cancellation was made. ${BY_RESIDENT_EN}`,
  ),
  cancellations_early: count(
    `期限内のキャンセル：無料で取り消せる期限まで（期限のない予約を含む）に取り消された予約。取り消した日の月に数える。${BY_RESIDENT_JA}`,
    `Early cancellations: cancelled by the free-cancellation deadline (or with none), in the month the cancellation was made. ${BY_RESIDENT_EN}`,
  ),
  cancellations_late: count(
    `期限後のキャンセル：無料で取り消せる期限を過ぎてから取り消された予約。取り消した日の月に数える。${BY_RESIDENT_JA}`,
    `Late cancellations: cancelled after the free-cancellation deadline, in the month the cancellation was made. ${BY_RESIDENT_EN}`,
  ),
  cancellation_rate: {
    ...count(
      `キャンセル率：サービス開始日がその月の予約のうち、取り消された割合（取り消し ÷ 確定・利用・実績報告・無断欠席・取り消しの予約）。${BY_RESIDENT_JA}`,
      `Cancellation rate: of the bookings whose service starts in the month (confirmed, used, reported, no-show or cancelled), the share cancelled. ${BY_RESIDENT_EN}`,
    ),
    kind: "rate",
  },
  occupancy_rate: {
    ...count(
      "稼働率：過ぎた日（今日より前）の受入枠のうち、確定した予約（確定・利用・実績報告・無断欠席）と施設のシステムの予約で埋まった割合。仮押さえと予約待機の提案は含めない。休業日は除く。市町村は施設の所在地。",
      "Occupancy (稼働率): of the places offered on days that have passed (before today, open days only), the share taken by confirmed bookings (confirmed, used, reported, no-show) or the facility's own system; holds and waitlist offers are not counted. Municipality: where the facility is.",
    ),
    kind: "rate",
  },
  unmet_searches: {
    kind: "count",
    dimensions: ["month", "service_type", "municipality"],
    facilityScoped: false,
    definitionJa:
      "空きが見つからなかった検索：空きが一つもなかった検索の回数（同じ人の同じ検索は一度）。検索した月（日本時間）に数える。市町村は検索した人の市町村（住民は住所、職員は所属。ログインしていない検索は不明）。",
    definitionEn:
      "Searches that found no vacancy: searches with no free place at all (the same searcher's same search once), in the month (Japan time) made. Municipality: the searcher's own (a resident's home, a staff member's office; unknown when not signed in).",
  },
  waitlist_expired: count(
    `予約待機の期限切れ：空きが出ないまま終わった予約待機の件数。待機期間の最終日の月に数える。${BY_RESIDENT_JA}`,
    `Waitlist entries that ended without a place, in the month of their last day. ${BY_RESIDENT_EN}`,
  ),
  refusals: count(
    `お断り件数：施設が断った予約申込みの件数。サービス開始日の月に数える。${BY_RESIDENT_JA}`,
    `Requests the facility refused, in the month their service would have started. ${BY_RESIDENT_EN}`,
  ),
};

export const CHARTS = ["bar", "line"] as const;
export type Chart = (typeof CHARTS)[number];

export type ReportDefinition = {
  key: string;
  titleJa: string;
  titleEn: string;
  description: string;
  metric: Metric;
  dimensions: Dimension[];
  roles: GrantableRole[];
  chart: Chart;
  sortOrder: number;
  builtIn: boolean;
};

const builtIn = (
  key: string,
  titleJa: string,
  titleEn: string,
  metric: Metric,
  dimensions: Dimension[],
  roles: GrantableRole[],
  chart: Chart,
  sortOrder: number,
): ReportDefinition => ({
  key,
  titleJa,
  titleEn,
  description: "",
  metric,
  dimensions,
  roles,
  chart,
  sortOrder,
  builtIn: true,
});

/**
 * Reports every instance has. Their metric and dimensions are fixed; the prefecture changes who may read them
 * (a row in the `report` table then overrides the roles given here).
 */
export const BUILT_IN_REPORTS: readonly ReportDefinition[] = [
  builtIn(
    "usage_by_month",
    "月別・サービス種別の利用件数",
    "Uses by month and service type",
    "usage_bookings",
    ["month", "service_type"],
    ["municipality", "facility", "association"],
    "bar",
    10,
  ),
  builtIn(
    "usage_by_municipality",
    "市町村別の利用件数",
    "Uses by municipality",
    "usage_bookings",
    ["municipality"],
    ["municipality", "association"],
    "bar",
    20,
  ),
  builtIn(
    "usage_by_facility",
    "施設別の利用件数",
    "Uses by facility",
    "usage_bookings",
    ["facility"],
    ["municipality", "facility", "association"],
    "bar",
    30,
  ),
  builtIn(
    "reservations_by_month",
    "月別・サービス種別の予約件数（確定・未利用）",
    "Reservations (confirmed, not yet used) by month and service type",
    "reservations",
    ["month", "service_type"],
    ["municipality", "facility", "association"],
    "bar",
    35,
  ),
  builtIn(
    "units_by_service",
    "サービス種別の利用回数（利用券の単位）",
    "Units used by service type",
    "usage_units",
    ["service_type"],
    ["municipality", "association"],
    "bar",
    40,
  ),
  builtIn(
    "vacancy_by_facility",
    "施設別の稼働率（確定した予約÷過ぎた日の受入枠）",
    "Occupancy by facility (confirmed places ÷ places offered on days past)",
    "occupancy_rate",
    ["facility"],
    ["facility"],
    "bar",
    50,
  ),
  builtIn(
    "vacancy_by_month",
    "月別・サービス種別の稼働率",
    "Occupancy by month and service type",
    "occupancy_rate",
    ["month", "service_type"],
    ["facility", "association"],
    "line",
    60,
  ),
  builtIn(
    "cancellations_by_facility",
    "施設別のキャンセル件数と率",
    "Cancellations by facility (count and rate)",
    "cancellation_rate",
    ["facility"],
    ["municipality", "facility"],
    "bar",
    70,
  ),
  builtIn(
    "cancellations_by_municipality",
    "市町村別のキャンセル件数と率",
    "Cancellations by municipality (count and rate)",
    "cancellation_rate",
    ["municipality"],
    ["municipality"],
    "bar",
    80,
  ),
  builtIn(
    "cancellations_early_by_month",
    "月別の期限内のキャンセル件数（取り消した月）",
    "Cancellations by the deadline, by the month made",
    "cancellations_early",
    ["month"],
    ["municipality", "facility"],
    "bar",
    85,
  ),
  builtIn(
    "cancellations_late_by_month",
    "月別の期限後のキャンセル件数（取り消した月）",
    "Cancellations after the deadline, by the month made",
    "cancellations_late",
    ["month"],
    ["municipality", "facility"],
    "bar",
    86,
  ),
  builtIn(
    "unmet_searches_by_month",
    "空きが見つからなかった検索（月別・サービス種別）",
    "Searches that found no vacancy, by month and service type",
    "unmet_searches",
    ["month", "service_type"],
    ["municipality"],
    "line",
    90,
  ),
  builtIn(
    "waitlist_expired_by_facility",
    "施設別の予約待機の期限切れ",
    "Waitlist entries that ended without a place, by facility",
    "waitlist_expired",
    ["facility"],
    ["municipality", "facility"],
    "bar",
    100,
  ),
  builtIn(
    "refusals_by_facility",
    "施設別のお断り件数",
    "Requests refused, by facility",
    "refusals",
    ["facility"],
    ["municipality", "facility"],
    "bar",
    110,
  ),
];

export const isBuiltIn = (key: string) => BUILT_IN_REPORTS.some((r) => r.key === key);

export type FieldProblem = { path: string; message: string };

const KEY = /^[a-z][a-z0-9_]{2,63}$/;

/** The fields of a new or changed report, as sent to the API. */
export type ReportInput = Partial<{
  key: unknown;
  titleJa: unknown;
  titleEn: unknown;
  description: unknown;
  metric: unknown;
  dimensions: unknown;
  roles: unknown;
  chart: unknown;
  sortOrder: unknown;
}>;

const text = (v: unknown, max: number): v is string =>
  typeof v === "string" && v.trim() !== "" && v.length <= max;

/**
 * Checks a report definition: every problem by field. `current` is the report being changed (then omitted
 * fields keep their value, and a built-in report's metric and dimensions cannot change).
 */
export function checkReport(
  input: ReportInput,
  current?: ReportDefinition,
): { ok: true; report: ReportDefinition } | { ok: false; errors: FieldProblem[] } {
  const errors: FieldProblem[] = [];
  const pick = <K extends keyof ReportInput>(k: K) => (input[k] === undefined ? current?.[k] : input[k]);

  const key = current ? current.key : input.key;
  if (!current && (typeof key !== "string" || !KEY.test(key))) {
    errors.push({ path: "key", message: "3–64 lower-case letters, digits and _, starting with a letter" });
  } else if (!current && isBuiltIn(key as string)) {
    errors.push({ path: "key", message: "is the key of a built-in report" });
  }
  const titleJa = pick("titleJa");
  if (!text(titleJa, 100)) errors.push({ path: "titleJa", message: "1–100 characters" });
  const titleEn = pick("titleEn") ?? "";
  if (typeof titleEn !== "string" || titleEn.length > 100) {
    errors.push({ path: "titleEn", message: "up to 100 characters" });
  }
  const description = pick("description") ?? "";
  if (typeof description !== "string" || description.length > 1000) {
    errors.push({ path: "description", message: "up to 1000 characters" });
  }

  if (current?.builtIn && input.metric !== undefined && input.metric !== current.metric) {
    errors.push({ path: "metric", message: "a built-in report's metric cannot change" });
  }
  if (
    current?.builtIn &&
    input.dimensions !== undefined &&
    JSON.stringify(input.dimensions) !== JSON.stringify(current.dimensions)
  ) {
    errors.push({ path: "dimensions", message: "a built-in report's dimensions cannot change" });
  }
  const picked = pick("metric");
  const metric = typeof picked === "string" ? (LEGACY_METRICS[picked] ?? picked) : picked;
  const info = METRICS.includes(metric as Metric) ? METRIC_INFO[metric as Metric] : undefined;
  if (!info) errors.push({ path: "metric", message: `one of ${METRICS.join(", ")}` });

  const dimensions = pick("dimensions");
  if (
    !Array.isArray(dimensions) ||
    dimensions.length < 1 ||
    dimensions.length > 2 ||
    new Set(dimensions).size !== dimensions.length
  ) {
    errors.push({ path: "dimensions", message: "one or two different dimensions" });
  } else {
    for (const [i, d] of dimensions.entries()) {
      if (!DIMENSIONS.includes(d as Dimension)) {
        errors.push({ path: `dimensions/${i}`, message: `one of ${DIMENSIONS.join(", ")}` });
      } else if (info && !info.dimensions.includes(d as Dimension)) {
        errors.push({ path: `dimensions/${i}`, message: `${String(metric)} cannot be broken down by ${d}` });
      }
    }
  }

  const roles = pick("roles") ?? [];
  if (!Array.isArray(roles) || new Set(roles).size !== roles.length) {
    errors.push({ path: "roles", message: "a list of different roles" });
  } else {
    for (const [i, r] of roles.entries()) {
      if (!GRANTABLE_ROLES.includes(r as GrantableRole)) {
        errors.push({ path: `roles/${i}`, message: `one of ${GRANTABLE_ROLES.join(", ")}` });
      } else if (r === "facility" && info && !info.facilityScoped) {
        errors.push({ path: `roles/${i}`, message: `${String(metric)} cannot be limited to one facility` });
      }
    }
  }

  const chart = pick("chart") ?? "bar";
  if (!CHARTS.includes(chart as Chart)) errors.push({ path: "chart", message: "bar or line" });
  const sortOrder = pick("sortOrder") ?? 1000;
  if (!Number.isInteger(sortOrder) || (sortOrder as number) < 0 || (sortOrder as number) > 100_000) {
    errors.push({ path: "sortOrder", message: "an integer from 0 to 100000" });
  }

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    report: {
      key: key as string,
      titleJa: (titleJa as string).trim(),
      titleEn: (titleEn as string).trim(),
      description: description as string,
      metric: metric as Metric,
      dimensions: dimensions as Dimension[],
      roles: [...(roles as GrantableRole[])].sort(),
      chart: chart as Chart,
      sortOrder: sortOrder as number,
      builtIn: current?.builtIn ?? false,
    },
  };
}

/** Whether a role may read a report: the prefecture always, others when granted. */
export const canRead = (report: ReportDefinition, role: string): boolean =>
  role === "prefecture" || (report.roles as string[]).includes(role);
