/**
 * File exchange for facilities on the csv connector (connectors/csv/README.md): uploading bookings or capacity
 * (a dry run that reports, or an apply that writes all or nothing through apply.ts), and downloading both in the
 * same layout, so a downloaded file uploads again without changing anything.
 *
 * An upload is checked twice: the connector reads the file (columns, values, duplicates), then the hub checks each
 * row against the facility (its services and time blocks, sensible dates) and works out what it would do with it
 * using the ledger's own rules (merge.ts: created, changed, cancelled or ignored). Any error, and nothing is
 * applied. Rows that would change nothing are left out of the batch, so uploading the same file twice writes
 * nothing the second time.
 */
import type { ExternalAvailability, ExternalBooking, ServiceType } from "../../connectors/contract.js";
import {
  BOOKING_COLUMNS,
  CAPACITY_COLUMNS,
  CAPACITY_INFO_COLUMNS,
  COLUMNS,
  type ColumnKey,
  type CsvConfig,
  type CsvRead,
  headerOf,
  readCsvFile,
  toCsv,
} from "../../connectors/csv/mapping.js";
import { loadRegistry } from "../../connectors/registry.js";
import type { Hub } from "../context.js";
import type { BookingStatus, Prisma } from "../db/client.js";
import { DomainError, problems } from "../errors.js";
import { parseTimeBlocks } from "../facilities/mapper.js";
import type { Actor } from "../identity/actor.js";
import { addDays, dateRange, formatDate, parseDate, parseRange, tokyoToday } from "../inventory/dates.js";
import { TX_OPTIONS } from "../inventory/inventory.js";
import { freePlaces, slotBlocks, type TimeBlock } from "../inventory/slots.js";
import { applyInTx } from "./apply.js";
import { writeLog } from "./log.js";
import { availabilityStep, type Known, placesOf, stepFor } from "./merge.js";
import { recordSuccess } from "./store.js";
import { LOGGED_IDS, LOGGED_SKIPPED } from "./sync.js";

/** Dates further from today than this are refused (a typo in the year, most likely). */
const PAST_LIMIT_DAYS = 366;
const FUTURE_LIMIT_DAYS = 731;
/** The most rows in one download. */
export const MAX_DOWNLOAD_ROWS = 50_000;

export type UploadError = { line: number; column: string; message: string };

export type UploadReport = {
  layout: "bookings" | "capacity" | null;
  encoding: string | null;
  /** Data lines read (not counting the header and blank lines). */
  lines: number;
  dryRun: boolean;
  applied: boolean;
  created: number;
  changed: number;
  cancelled: number;
  /** Unchanged rows, revisions not newer than the hub's, and the hub's own bookings listed in a download. */
  ignored: number;
  /** Conflicts the apply sent to the review queue (bookings on places the hub had filled, capacity below bookings). */
  conflicts: number;
  errors: UploadError[];
};

/** Facility staff for their own facility, operators for any. */
function mayUse(actor: Actor, facilityId: string) {
  if (actor.role === "operator") return;
  if (actor.role === "facility" && actor.facilityId === facilityId) return;
  throw problems.forbidden("Only this facility's own staff or an operator may exchange its files");
}

async function requireFacility(hub: Hub, facilityId: string) {
  const facility = await hub.prisma.facility.findUnique({ where: { id: facilityId }, select: { id: true } });
  if (!facility) throw problems.notFound("facility");
}

/** Reads, checks and (unless a dry run) applies an uploaded file. 422 file_invalid when applying a file with errors. */
export async function uploadConnectionFile(
  hub: Hub,
  actor: Actor,
  facilityId: string,
  bytes: Buffer | undefined,
  opts: { dryRun: boolean },
): Promise<UploadReport> {
  mayUse(actor, facilityId);
  await requireFacility(hub, facilityId);
  const conn = await hub.prisma.connection.findUnique({ where: { facilityId } });
  const connector = conn ? (await loadRegistry()).get(conn.connector) : undefined;
  if (!conn || !connector?.manifest.capabilities.includes("fileUpload")) {
    throw problems.conflict(
      "no_file_connection",
      "This facility does not exchange files: set its connection to the csv connector first",
    );
  }
  if (!bytes?.length) {
    throw new DomainError(
      "invalid",
      "file_missing",
      "No file",
      "Send the CSV file as the body (Content-Type: text/csv)",
    );
  }
  const now = hub.now();
  const read = readCsvFile((conn.config ?? {}) as CsvConfig, bytes, now);
  const report: UploadReport = {
    layout: read.layout,
    encoding: read.encoding,
    lines: read.report.lines,
    dryRun: opts.dryRun,
    applied: false,
    created: 0,
    changed: 0,
    cancelled: 0,
    ignored: read.hubLines,
    conflicts: 0,
    errors: read.report.errors.map((e) => ({ line: e.line, column: e.field ?? "", message: e.message })),
  };
  const batch = read.rows.length ? await classify(hub, facilityId, read, report, now) : [];
  report.errors.sort((a, b) => a.line - b.line);
  if (opts.dryRun) return report;
  const entry = {
    connectionId: conn.id,
    facilityId,
    at: now,
    kind: "upload" as const,
    request: `${read.layout ?? "unknown"} file, ${read.report.lines} lines`,
  };
  if (report.errors.length) {
    // Refused as a whole: the log lists the lines at fault (what staff sent, in the hub's own words).
    await writeLog(hub.prisma, {
      ...entry,
      result: "failed",
      failure: { code: "invalid_payload" },
      counts: { lines: report.lines, errors: report.errors.length },
      skipped: {
        counts: { file_error: new Set(report.errors.map((e) => e.line)).size },
        items: report.errors.slice(0, LOGGED_SKIPPED).map((e) => ({
          reason: "file_error",
          line: e.line,
          problem: `${e.column ? `${e.column}: ` : ""}${e.message}`.slice(0, 300),
        })),
      },
    });
    throw problems.unprocessable(
      "file_invalid",
      `${report.errors.length} errors; nothing was applied`,
      report.errors.map((e) => ({ ...e, path: `line ${e.line}${e.column ? ` ${e.column}` : ""}` })),
    );
  }
  await hub.prisma.$transaction(async (tx) => {
    if (batch.length) {
      const result = await applyInTx(tx, { id: conn.id, facilityId }, batch, now);
      report.conflicts = result.conflicts;
    }
    await recordSuccess(tx, conn.id, now);
    await writeLog(tx, {
      ...entry,
      result: "ok",
      counts: {
        lines: report.lines,
        created: report.created,
        changed: report.changed,
        cancelled: report.cancelled,
        ignored: report.ignored,
        conflicts: report.conflicts,
      },
      refs: {
        externalIds: batch.flatMap((c) => (c.kind === "booking" ? [c.externalId] : [])).slice(0, LOGGED_IDS),
      },
    });
  }, TX_OPTIONS);
  report.applied = true;
  return report;
}

/**
 * Checks every row against the facility and counts what it would do; returns the changes worth applying (in file
 * order). Problems go to report.errors with their lines.
 */
async function classify(
  hub: Hub,
  facilityId: string,
  read: CsvRead,
  report: UploadReport,
  now: Date,
): Promise<(ExternalBooking | ExternalAvailability)[]> {
  const prisma = hub.prisma;
  const column = (k: ColumnKey) => read.columns[k] ?? COLUMNS[k][0] ?? k;
  const error = (line: number, k: ColumnKey, message: string) =>
    report.errors.push({ line, column: column(k), message });
  const today = tokyoToday(now);
  const earliest = formatDate(addDays(today, -PAST_LIMIT_DAYS));
  const latest = formatDate(addDays(today, FUTURE_LIMIT_DAYS));
  const outOfRange = (date: string) => date < earliest || date > latest;

  const serviceRows = await prisma.facilityService.findMany({ where: { facilityId } });
  const services = new Map<ServiceType, TimeBlock[]>(
    serviceRows.map((s) => [s.serviceType, parseTimeBlocks(s.timeBlocks)]),
  );
  const batch: (ExternalBooking | ExternalAvailability)[] = [];

  if (read.layout === "bookings") {
    const known = await knownBookings(
      hub,
      facilityId,
      read.rows.map((r) => (r.change as ExternalBooking).externalId),
    );
    for (const { line, change } of read.rows) {
      const b = change as ExternalBooking;
      if (outOfRange(b.startDate)) {
        error(line, "startDate", `${b.startDate} is too far from today (${earliest} to ${latest})`);
        continue;
      }
      const places = placesOf(b, services);
      if (typeof places === "string") {
        error(line, places.startsWith("time block") ? "timeBlock" : "serviceType", places);
        continue;
      }
      const step = stepFor(known.get(b.externalId) ?? null, b, places).do;
      if (step === "ignore" || step === "note") {
        report.ignored++;
        continue;
      }
      if (step === "create") report.created++;
      else if (step === "cancel") report.cancelled++;
      else report.changed++;
      batch.push(b);
    }
    return batch;
  }

  // Capacity.
  const rows = read.rows.map((r) => ({ line: r.line, change: r.change as ExternalAvailability }));
  const dates = [...new Set(rows.map((r) => r.change.date))].map((d) => parseDate(d) as Date);
  const slots = await prisma.slot.findMany({
    where: { facilityId, date: { in: dates } },
    select: {
      serviceType: true,
      date: true,
      timeBlock: true,
      capacity: true,
      external: true,
      externalRevision: true,
      externalAt: true,
    },
  });
  const slotByKey = new Map(slots.map((s) => [`${s.serviceType}|${formatDate(s.date)}|${s.timeBlock}`, s]));
  for (const { line, change } of rows) {
    const blocks = services.get(change.serviceType);
    if (!blocks) {
      error(line, "serviceType", `the facility does not offer ${change.serviceType}`);
      continue;
    }
    if (outOfRange(change.date)) {
      error(line, "date", `${change.date} is too far from today (${earliest} to ${latest})`);
      continue;
    }
    const valid = slotBlocks(change.serviceType, blocks);
    const given = change.timeBlock ?? "";
    const block = given === "" && valid.length === 1 ? (valid[0] ?? "") : given;
    if (!valid.includes(block)) {
      error(
        line,
        "timeBlock",
        `time block "${given}" is not one of the facility's (${valid.filter(Boolean).join(", ") || "whole day"})`,
      );
      continue;
    }
    const service = serviceRows.find((s) => s.serviceType === change.serviceType);
    const current = slotByKey.get(`${change.serviceType}|${change.date}|${block}`) ?? {
      capacity: service?.capacity ?? 0,
      external: 0,
    };
    const capacity = change.capacity ?? current.capacity;
    const taken = change.taken ?? current.external;
    const last = "externalRevision" in current ? current : { externalRevision: null, externalAt: null };
    const stale =
      availabilityStep(
        { revision: last.externalRevision, occurredAt: last.externalAt },
        { revision: change.revision ?? null },
      ) === "stale";
    if (stale || (capacity === current.capacity && taken === current.external)) {
      report.ignored++;
      continue;
    }
    report.changed++;
    batch.push({ ...change, ...(block ? { timeBlock: block } : {}) });
  }
  return batch;
}

/** The hub's bookings for these external ids, with their places and last applied external revision. */
async function knownBookings(hub: Hub, facilityId: string, refs: string[]): Promise<Map<string, Known>> {
  const out = new Map<string, Known>();
  const unique = [...new Set(refs)];
  for (let i = 0; i < unique.length; i += 1000) {
    const rows = await hub.prisma.booking.findMany({
      where: { facilityId, externalRef: { in: unique.slice(i, i + 1000) } },
      select: {
        externalRef: true,
        status: true,
        serviceType: true,
        timeBlock: true,
        revision: true,
        slots: { select: { slot: { select: { date: true } } } },
        events: {
          where: { externalRevision: { not: null } },
          orderBy: { externalRevision: "desc" },
          take: 1,
          select: { externalRevision: true },
        },
      },
    });
    for (const r of rows) {
      if (!r.externalRef) continue;
      out.set(r.externalRef, {
        status: r.status,
        lastRevision: r.events[0]?.externalRevision ?? -1,
        places: {
          serviceType: r.serviceType,
          timeBlock: r.timeBlock,
          dates: r.slots.map((s) => formatDate(s.slot.date)).sort(),
        },
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Downloads.

export type CsvDownload = { body: Buffer; rows: number; fileName: string; contentType: string };
type Encoding = "utf-8" | "sjis";

const TYPE_JA: Record<ServiceType, string> = { stay: "宿泊", day: "デイ", visit: "訪問" };
const HUB_STATUS_JA: Record<BookingStatus, string> = {
  requested: "承認待ち",
  confirmed: "確定",
  rejected: "お断り",
  expired: "期限切れ",
  cancelled: "取消",
  used: "利用済",
  reported: "報告済",
  no_show: "不在",
};
const ENDED: BookingStatus[] = ["cancelled", "rejected", "expired"];

const download = (
  kind: string,
  facilityId: string,
  now: Date,
  body: Buffer,
  rows: number,
  encoding: Encoding,
) => ({
  body,
  rows,
  fileName: `${kind}-${facilityId.slice(0, 8)}-${formatDate(tokyoToday(now)).replaceAll("-", "")}${encoding === "sjis" ? "-sjis" : ""}.csv`,
  contentType: `text/csv; charset=${encoding === "sjis" ? "Shift_JIS" : "utf-8"}`,
});

/**
 * The facility's bookings in the bookings layout: those from its own system (経路 施設, with the last revision
 * the hub applied, so the file uploads again as it is) and the hub's own (経路 ハブ, for reference; ignored on
 * upload), by start date. `from`/`to` filter on the start date.
 */
export async function connectionBookingsCsv(
  hub: Hub,
  actor: Actor,
  facilityId: string,
  opts: { from?: string; to?: string; encoding: Encoding },
): Promise<CsvDownload> {
  mayUse(actor, facilityId);
  await requireFacility(hub, facilityId);
  const startDate: Prisma.DateTimeFilter = {};
  if (opts.from) startDate.gte = parseDate(opts.from) ?? undefined;
  if (opts.to) startDate.lte = parseDate(opts.to) ?? undefined;
  const where: Prisma.BookingWhereInput = { facilityId, ...(opts.from || opts.to ? { startDate } : {}) };
  const count = await hub.prisma.booking.count({ where });
  if (count > MAX_DOWNLOAD_ROWS) {
    throw problems.unprocessable(
      "too_many_rows",
      `${count} bookings match; at most ${MAX_DOWNLOAD_ROWS} fit in one file. Give from and to.`,
    );
  }
  const bookings = await hub.prisma.booking.findMany({
    where,
    select: {
      id: true,
      source: true,
      externalRef: true,
      status: true,
      revision: true,
      serviceType: true,
      startDate: true,
      endDate: true,
      timeBlock: true,
      events: {
        where: { externalRevision: { not: null } },
        orderBy: { externalRevision: "desc" },
        take: 1,
        select: { externalRevision: true },
      },
    },
    orderBy: [{ startDate: "asc" }, { id: "asc" }],
  });
  const rows = bookings.map((b) => {
    const fromFacility = b.source === "connector" && b.externalRef !== null;
    return [
      fromFacility ? (b.externalRef as string) : b.id,
      fromFacility ? (b.events[0]?.externalRevision ?? b.revision) : b.revision,
      fromFacility ? (ENDED.includes(b.status) ? "取消" : "確定") : HUB_STATUS_JA[b.status],
      TYPE_JA[b.serviceType],
      formatDate(b.startDate),
      formatDate(b.endDate),
      b.timeBlock,
      fromFacility ? "施設" : "ハブ",
    ];
  });
  const body = toCsv(headerOf(BOOKING_COLUMNS), rows, opts.encoding);
  return download("bookings", facilityId, hub.now(), body, rows.length, opts.encoding);
}

/**
 * Capacity per service, day and time block in the capacity layout, from `from` to `to` (default: today and the
 * next 89 days; at most 366 days), with 予約数, 空き and 休業 for reading.
 */
export async function connectionCapacityCsv(
  hub: Hub,
  actor: Actor,
  facilityId: string,
  opts: { from?: string; to?: string; encoding: Encoding },
): Promise<CsvDownload> {
  mayUse(actor, facilityId);
  await requireFacility(hub, facilityId);
  const today = tokyoToday(hub.now());
  const range = parseRange(opts.from ?? formatDate(today), opts.to ?? formatDate(addDays(today, 89)));
  const [services, slots, closures] = await Promise.all([
    hub.prisma.facilityService.findMany({ where: { facilityId } }),
    hub.prisma.slot.findMany({ where: { facilityId, date: { gte: range.from, lte: range.to } } }),
    hub.prisma.closure.findMany({ where: { facilityId, date: { gte: range.from, lte: range.to } } }),
  ]);
  const byKey = new Map(slots.map((s) => [`${s.serviceType}|${formatDate(s.date)}|${s.timeBlock}`, s]));
  const order: Record<ServiceType, number> = { stay: 0, day: 1, visit: 2 };
  const rows: (string | number)[][] = [];
  for (const date of dateRange(range.from, range.to).map(formatDate)) {
    for (const s of [...services].sort((a, b) => order[a.serviceType] - order[b.serviceType])) {
      for (const block of slotBlocks(s.serviceType, parseTimeBlocks(s.timeBlocks))) {
        const closed = closures.some(
          (c) => formatDate(c.date) === date && (c.serviceType === null || c.serviceType === s.serviceType),
        );
        const slot = byKey.get(`${s.serviceType}|${date}|${block}`) ?? {
          capacity: s.capacity,
          booked: 0,
          external: 0,
          closed,
        };
        rows.push([
          TYPE_JA[s.serviceType],
          date,
          block,
          slot.capacity,
          slot.external,
          slot.booked,
          freePlaces(slot),
          slot.closed ? 1 : "",
        ]);
      }
    }
  }
  const body = toCsv([...headerOf(CAPACITY_COLUMNS), ...CAPACITY_INFO_COLUMNS], rows, opts.encoding);
  return download("capacity", facilityId, hub.now(), body, rows.length, opts.encoding);
}
