/**
 * Turns a report (metric × dimensions) over a period, within what the reader may see, into one SQL query, and
 * its rows into the report's data. The SQL is built here as text from fixed fragments only: values are always
 * bound parameters.
 */
import type { Dimension, Metric } from "./catalog.js";
import { METRIC_INFO } from "./catalog.js";

/** What the reader may see: everything, or one municipality's residents, one facility, one association's facilities. */
export type Scope =
  | { kind: "all" }
  | { kind: "municipality"; code: string }
  | { kind: "facility"; id: string }
  | { kind: "association"; id: string };

/** Whole months, `from` and `to` inclusive, as "YYYY-MM". */
export type Period = { from: string; to: string };

const BOOKING_USE = "('used','reported')";
const BOOKING_DECIDED = "('confirmed','used','reported','no_show','cancelled')";
/** Bookings whose place is taken for good: not a hold, not an offer from the waitlist. */
const BOOKING_PLACE = "('confirmed','used','reported','no_show')";

/** Bookings without a resident came from a facility's own system: their municipality is this, not 「不明」. */
export const CONNECTOR_MUNICIPALITY = "施設のシステムからの予約";

/**
 * Each metric as facts with the same columns: month (its first instant, a timestamp: formatting it as text is done
 * once per group, which over a national-scale year was most of a report), service_type, municipality_code,
 * facility_id, num, den.
 * `$START` is the first day of the period, `$END` the day after it, `$TODAY` today in Japan, `$SCOPE` the
 * scope's value: buildQuery numbers those the query uses.
 * Bookings count in the month their service starts, cancellations in the month (Japan time) they were made,
 * searches in the month they were made.
 */
function facts(
  metric: Metric,
  scope: Scope["kind"],
): { sql: string; scope: Record<Exclude<Scope["kind"], "all">, string | null> } {
  // A booking's facility is joined only for an association's figures, the one scope that needs it (every booking
  // has a facility): over a year at national scale the join was a third of a report.
  const bookingFacility = scope === "association" ? "JOIN facility f ON f.id = b.facility_id" : "";
  const bookingScope = {
    municipality: "r.municipality_code = $SCOPE",
    facility: "b.facility_id = $SCOPE::uuid",
    association: "f.association_id = $SCOPE",
  };
  const booking = (where: string, num: string, den = "NULL::int") => ({
    sql: `SELECT date_trunc('month', b.start_date::timestamp) AS month, b.service_type::text AS service_type,
        r.municipality_code AS municipality_code, b.facility_id AS facility_id, ${num} AS num, ${den} AS den
      FROM booking b
      ${bookingFacility}
      LEFT JOIN resident r ON r.id = b.resident_id
      WHERE b.start_date >= $START::date AND b.start_date < $END::date AND ${where}`,
    scope: bookingScope,
  });
  // When a cancellation was made: its event (Japan time), else the booking's last change; early when by the
  // free-cancellation deadline or with none.
  const cancelled = (which: "all" | "early" | "late") => ({
    sql: `SELECT date_trunc('month', c.at AT TIME ZONE 'UTC' AT TIME ZONE 'Asia/Tokyo') AS month,
        b.service_type::text AS service_type, r.municipality_code AS municipality_code,
        b.facility_id AS facility_id, 1 AS num, NULL::int AS den
      FROM booking b
      ${bookingFacility}
      LEFT JOIN resident r ON r.id = b.resident_id
      CROSS JOIN LATERAL (SELECT COALESCE((SELECT MIN(e.occurred_at) FROM booking_event e
          WHERE e.booking_id = b.id AND e.type = 'cancelled'), b.updated_at) AS at) c
      WHERE b.status = 'cancelled'
        AND c.at >= ($START::date::timestamp - interval '9 hours') AND c.at < ($END::date::timestamp - interval '9 hours')
        ${which === "early" ? "AND (b.cancel_deadline IS NULL OR c.at <= b.cancel_deadline)" : ""}
        ${which === "late" ? "AND b.cancel_deadline IS NOT NULL AND c.at > b.cancel_deadline" : ""}`,
    scope: bookingScope,
  });
  switch (metric) {
    case "usage_bookings":
      return booking(`b.status IN ${BOOKING_USE}`, "1");
    case "usage_units":
      return booking(`b.status IN ${BOOKING_USE}`, "b.units");
    case "reservations":
      return booking("b.status = 'confirmed'", "1");
    case "cancellations":
      return cancelled("all");
    case "cancellations_early":
      return cancelled("early");
    case "cancellations_late":
      return cancelled("late");
    case "cancellation_rate":
      return booking(`b.status IN ${BOOKING_DECIDED}`, "(b.status = 'cancelled')::int", "1");
    case "refusals":
      return booking("b.status = 'rejected'", "1");
    case "waitlist_expired":
      return {
        sql: `SELECT date_trunc('month', w.to_date::timestamp) AS month, w.service_type::text AS service_type,
            r.municipality_code AS municipality_code, w.facility_id AS facility_id, 1 AS num, NULL::int AS den
          FROM waitlist_entry w
          JOIN facility f ON f.id = w.facility_id
          JOIN resident r ON r.id = w.resident_id
          WHERE w.status = 'ended' AND w.to_date >= $START::date AND w.to_date < $END::date`,
        scope: {
          municipality: "r.municipality_code = $SCOPE",
          facility: "w.facility_id = $SCOPE::uuid",
          association: "f.association_id = $SCOPE",
        },
      };
    case "unmet_searches":
      return {
        sql: `SELECT date_trunc('month', u.at AT TIME ZONE 'UTC' AT TIME ZONE 'Asia/Tokyo') AS month,
            COALESCE(u.service_type::text, 'any') AS service_type,
            u.searcher_municipality_code AS municipality_code,
            NULL::uuid AS facility_id, 1 AS num, NULL::int AS den
          FROM unmet_search u
          WHERE u.at >= ($START::date::timestamp - interval '9 hours') AND u.at < ($END::date::timestamp - interval '9 hours')`,
        // Searches belong to no facility: a municipality sees the searches of its own people, an association all.
        scope: {
          municipality: "u.searcher_municipality_code = $SCOPE",
          facility: null,
          association: "$SCOPE::text IS NOT NULL",
        },
      };
    case "occupancy_rate":
      // Every date before today × service × time block a facility offers, whether or not its slot row exists yet
      // (rows are made lazily from the service's default capacity): places taken by confirmed bookings of the hub
      // or by the facility's own system, over places offered on open days. Holds and offers are not taken.
      return { sql: OCCUPANCY, scope: FACILITY_SERVICE_SCOPE };
  }
}

/** Where a fact query also needs the reader's scope inside (buildQuery puts `AND <condition>` there too). */
const IN_SCOPE = "/* in scope */";

const FACILITY_SERVICE_SCOPE = {
  municipality: "f.municipality_code = $SCOPE",
  facility: "fs.facility_id = $SCOPE::uuid",
  association: "f.association_id = $SCOPE",
};

/**
 * 稼働率's facts. A day on which a service has no slot row and no closure (most days: rows are made when someone
 * books) is the same for each of its blocks: open, at the service's capacity, nothing taken. Such plain days are
 * counted per service and month (days × blocks) instead of one row per day and block; only the other days (a slot
 * row or a closure) are looked at block by block. The figures are those of expanding every date × service × block
 * (test/integration/stats.test.ts compares them), at a cost that grows with slot rows and closures, not with
 * facilities × days: a year at 40× the prefecture was 2.5 million cells and 4.8 s. The reader's scope applies from
 * the start (`IN_SCOPE`), so a facility reads only its own slot rows, and places taken are counted per slot row
 * looked at.
 */
const OCCUPANCY = `WITH period AS (SELECT $START::date AS lo, LEAST($END::date, $TODAY::date) AS hi),
    -- The days counted (before today), per month.
    months AS (SELECT date_trunc('month', (p.lo + i)::timestamp) AS month, COUNT(*)::int AS days
        FROM period p CROSS JOIN generate_series(0, p.hi - p.lo - 1) AS i GROUP BY 1),
    -- Each service's cells of a day: its time blocks, or one ('') for a stay or a service without blocks.
    -- (Within the reader's scope: one facility reads its own slot rows only.)
    svc AS (SELECT fs.facility_id, fs.service_type, fs.capacity,
          CASE WHEN fs.service_type = 'stay' OR jsonb_array_length(fs.time_blocks) = 0
            THEN ARRAY['']
            ELSE ARRAY(SELECT e->>'code' FROM jsonb_array_elements(fs.time_blocks) e) END AS blocks
        FROM facility_service fs
        JOIN facility f ON f.id = fs.facility_id
        WHERE true ${IN_SCOPE}),
    -- Days that are not plain for a service: it has a slot row, or the facility is closed for it.
    odd AS (SELECT s.facility_id, s.service_type, s.date FROM slot s CROSS JOIN period p
          JOIN svc ON svc.facility_id = s.facility_id AND svc.service_type = s.service_type
          WHERE s.date >= p.lo AND s.date < p.hi
        UNION
        SELECT c.facility_id, svc.service_type, c.date FROM closure c CROSS JOIN period p
          JOIN svc ON svc.facility_id = c.facility_id
            AND (c.service_type IS NULL OR c.service_type = svc.service_type)
          WHERE c.date >= p.lo AND c.date < p.hi),
    cells AS (
      -- Plain days: every block open at the service's capacity, nothing taken.
      SELECT svc.facility_id, svc.service_type, m.month,
          (m.days - COALESCE(o.days, 0))::bigint * cardinality(svc.blocks) * LEAST(0, svc.capacity) AS num,
          (m.days - COALESCE(o.days, 0))::bigint * cardinality(svc.blocks) * svc.capacity AS den
        FROM svc CROSS JOIN months m
        LEFT JOIN (SELECT facility_id, service_type, date_trunc('month', date::timestamp) AS month, COUNT(*)::int AS days
            FROM odd GROUP BY 1, 2, 3) o
          ON o.facility_id = svc.facility_id AND o.service_type = svc.service_type AND o.month = m.month
        WHERE m.days > COALESCE(o.days, 0)
      UNION ALL
      -- The other days, block by block: the slot row's capacity and places taken, else closed or the default.
      SELECT svc.facility_id, svc.service_type, date_trunc('month', o.date::timestamp),
          LEAST(COALESCE(s.external, 0) + COALESCE(t.taken, 0), COALESCE(s.capacity, svc.capacity)),
          COALESCE(s.capacity, svc.capacity)
        FROM odd o
        JOIN svc ON svc.facility_id = o.facility_id AND svc.service_type = o.service_type
        CROSS JOIN LATERAL unnest(svc.blocks) AS blk(code)
        LEFT JOIN slot s ON s.facility_id = o.facility_id AND s.service_type = o.service_type
          AND s.date = o.date AND s.time_block = blk.code
        -- Places taken in the slot (only the other days' slot rows are looked at).
        LEFT JOIN LATERAL (SELECT COUNT(*) AS taken FROM booking_slot bs JOIN booking bk ON bk.id = bs.booking_id
            WHERE bs.slot_id = s.id AND bk.status IN ${BOOKING_PLACE}) t ON s.id IS NOT NULL
        WHERE COALESCE(s.closed, EXISTS (SELECT 1 FROM closure c WHERE c.facility_id = o.facility_id
            AND c.date = o.date AND (c.service_type IS NULL OR c.service_type = o.service_type))) = false)
  SELECT c.month, fs.service_type::text AS service_type, f.municipality_code AS municipality_code,
      fs.facility_id AS facility_id, c.num, c.den
    FROM cells c
    JOIN facility_service fs ON fs.facility_id = c.facility_id AND fs.service_type = c.service_type
    JOIN facility f ON f.id = fs.facility_id
    WHERE true`;

const GROUP_COLUMN: Record<Dimension, string> = {
  month: "x.month",
  service_type: "x.service_type",
  municipality: "x.municipality_code",
  facility: "x.facility_id",
};

/** First day of a "YYYY-MM" month, and the first day of the month after another, as "YYYY-MM-DD". */
export function periodDates(period: Period): { start: string; end: string } {
  const [y, m] = period.to.split("-").map(Number) as [number, number];
  const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, "0")}`;
  return { start: `${period.from}-01`, end: `${next}-01` };
}

export type StatsQuery = { sql: string; params: string[] };

/** The query of one report, or null when the metric cannot be scoped as asked (unmet searches of a facility). */
export function buildQuery(
  metric: Metric,
  dimensions: readonly Dimension[],
  period: Period,
  scope: Scope,
  today: string,
): StatsQuery | null {
  const f = facts(metric, scope.kind);
  const { start, end } = periodDates(period);
  let sql = f.sql;
  let scopeValue: string | undefined;
  if (scope.kind !== "all") {
    const condition = f.scope[scope.kind];
    if (!condition) return null;
    sql = `${sql.replaceAll(IN_SCOPE, `AND ${condition}`)} AND ${condition}`;
    scopeValue = scope.kind === "municipality" ? scope.code : scope.id;
  }
  // Named values to numbered parameters, in the order first used (PostgreSQL refuses an unused parameter).
  const values: Record<string, string | undefined> = {
    START: start,
    END: end,
    TODAY: today,
    SCOPE: scopeValue,
  };
  const params: string[] = [];
  const numbers = new Map<string, number>();
  sql = sql.replace(/\$(START|END|TODAY|SCOPE)\b/g, (_, name: string) => {
    if (!numbers.has(name)) {
      params.push(values[name] ?? "");
      numbers.set(name, params.length);
    }
    return `$${numbers.get(name)}`;
  });
  const groups = dimensions.map((d) => GROUP_COLUMN[d]);
  const select = dimensions.map((d) =>
    d === "month" ? `to_char(${GROUP_COLUMN[d]}, 'YYYY-MM') AS month` : `${GROUP_COLUMN[d]} AS ${d}`,
  );
  // Names are joined to the groups, not to every fact (a year at national scale is 760,000 bookings).
  const names = [
    dimensions.includes("municipality") ? "m.name AS municipality_name" : null,
    dimensions.includes("facility") ? "fa.name AS facility_name" : null,
  ].filter(Boolean);
  const joins = [
    dimensions.includes("municipality") ? "LEFT JOIN municipality m ON m.code = g.municipality" : "",
    dimensions.includes("facility") ? "LEFT JOIN facility fa ON fa.id = g.facility" : "",
  ].join(" ");
  return {
    sql: `SELECT ${["g.*", ...names].join(", ")}
      FROM (SELECT ${[...select, "SUM(x.num)::float8 AS num", "SUM(x.den)::float8 AS den"].join(", ")}
        FROM (${sql}) x
        GROUP BY ${groups.join(", ")}) g ${joins}`,
    params,
  };
}

export type RawRow = {
  month?: string;
  service_type?: string;
  municipality?: string | null;
  municipality_name?: string | null;
  facility?: string | null;
  facility_name?: string | null;
  num: number;
  den: number | null;
};

/** One row of a report's data: the values of its dimensions, and the figure. */
export type StatsRow = {
  month?: string;
  serviceType?: string;
  municipalityCode?: string | null;
  municipalityName?: string | null;
  facilityId?: string | null;
  facilityName?: string | null;
  /** The count, or for a rate the percentage (one decimal; null when nothing could be counted). */
  value: number | null;
  /** For a rate: what was counted (cancelled bookings, places taken) over what it is out of. */
  numerator?: number | null;
  denominator?: number | null;
  /** Hidden by the disclosure rule (hub/stats/disclosure.ts): the figures are null. */
  suppressed?: boolean;
};

/** Months of a period, "YYYY-MM", in order. */
export function monthsOf(period: Period): string[] {
  const out: string[] = [];
  let [y, m] = period.from.split("-").map(Number) as [number, number];
  for (;;) {
    const month = `${y}-${String(m).padStart(2, "0")}`;
    out.push(month);
    if (month >= period.to) return out;
    m += 1;
    if (m > 12) {
      m = 1;
      y += 1;
    }
  }
}

const SERVICE_ORDER: Record<string, number> = { stay: 0, day: 1, visit: 2, any: 3 };

/**
 * The rows of a query as a report's data: rates computed, every month of the period present (a month with
 * nothing is 0, so charts show the gap), sorted by month, then service type, then name.
 */
export function shapeRows(
  metric: Metric,
  dimensions: readonly Dimension[],
  period: Period,
  raw: RawRow[],
): StatsRow[] {
  const rate = METRIC_INFO[metric].kind === "rate";
  // Every booking has a resident with a municipality, unless it came from a facility's own system.
  const noResident =
    metric === "unmet_searches" || metric === "occupancy_rate" ? null : CONNECTOR_MUNICIPALITY;
  const rows: StatsRow[] = raw.map((r) => toRow(r, dimensions, rate, noResident));
  if (dimensions.includes("month")) {
    const others = dimensions.filter((d) => d !== "month");
    const seen = new Map<string, StatsRow>();
    for (const r of rows) seen.set(`${r.month}|${otherKey(r, others)}`, r);
    const combos = new Map<string, StatsRow>();
    for (const r of rows) combos.set(otherKey(r, others), r);
    if (combos.size === 0) combos.set("", {} as StatsRow);
    for (const month of monthsOf(period)) {
      for (const [k, sample] of combos) {
        if (seen.has(`${month}|${k}`)) continue;
        const filler: StatsRow = { month, value: rate ? null : 0 };
        for (const d of others) copyDimension(sample, filler, d);
        if (rate) Object.assign(filler, { numerator: 0, denominator: 0 });
        rows.push(filler);
      }
    }
  }
  return rows.sort(compareRows);
}

function toRow(
  r: RawRow,
  dimensions: readonly Dimension[],
  rate: boolean,
  noMunicipality: string | null,
): StatsRow {
  const row: StatsRow = { value: 0 };
  for (const d of dimensions) {
    if (d === "month") row.month = r.month;
    else if (d === "service_type") row.serviceType = r.service_type;
    else if (d === "municipality") {
      row.municipalityCode = r.municipality ?? null;
      row.municipalityName = r.municipality_name ?? (r.municipality == null ? noMunicipality : null);
    } else {
      row.facilityId = r.facility ?? null;
      row.facilityName = r.facility_name ?? null;
    }
  }
  const num = Number(r.num);
  if (!rate) row.value = num;
  else {
    const den = Number(r.den ?? 0);
    row.numerator = num;
    row.denominator = den;
    row.value = den > 0 ? Math.round((num / den) * 1000) / 10 : null;
  }
  return row;
}

function copyDimension(from: StatsRow, to: StatsRow, d: Dimension) {
  if (d === "service_type") to.serviceType = from.serviceType;
  else if (d === "municipality") {
    to.municipalityCode = from.municipalityCode ?? null;
    to.municipalityName = from.municipalityName ?? null;
  } else if (d === "facility") {
    to.facilityId = from.facilityId ?? null;
    to.facilityName = from.facilityName ?? null;
  }
}

const otherKey = (r: StatsRow, dims: readonly Dimension[]) =>
  dims
    .map((d) =>
      d === "service_type"
        ? r.serviceType
        : d === "municipality"
          ? r.municipalityCode
          : d === "facility"
            ? r.facilityId
            : "",
    )
    .join("|");

/** Nulls (no municipality, no facility) sort last. */
const byText = (a: string | null | undefined, b: string | null | undefined, locale = false) =>
  a == null || b == null
    ? (a == null ? 1 : 0) - (b == null ? 1 : 0)
    : locale
      ? a.localeCompare(b, "ja")
      : a < b
        ? -1
        : a > b
          ? 1
          : 0;

function compareRows(a: StatsRow, b: StatsRow): number {
  return (
    byText(a.month, b.month) ||
    (SERVICE_ORDER[a.serviceType ?? ""] ?? 9) - (SERVICE_ORDER[b.serviceType ?? ""] ?? 9) ||
    byText(a.municipalityCode, b.municipalityCode) ||
    byText(a.facilityName, b.facilityName, true) ||
    byText(a.facilityId, b.facilityId)
  );
}
