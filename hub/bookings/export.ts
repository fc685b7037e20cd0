/**
 * Booking history as CSV (予約・変更・キャンセル履歴の一覧化, 帳票出力) for staff: the same filters and tenant scoping as
 * GET /api/bookings (queries.bookingWhere), one row per booking, oldest first. UTF-8 with a BOM by default (Excel
 * reads it as UTF-8), or Shift_JIS (Windows code page 932) for older Excel. Cells that a spreadsheet would run as a
 * formula are defused. The column layout is fixed and documented in schemas/openapi.yaml (exportBookingsCsv).
 */
import iconv from "iconv-lite";
import type { BookingStatus, Prisma, PrismaClient } from "../db/client.js";
import { problems } from "../errors.js";
import type { Actor } from "../identity/actor.js";
import { daysBetween, formatDate } from "../inventory/dates.js";
import { formatVoucherNumber } from "../vouchers/number.js";
import { type BookingFilters, bookingWhere } from "./queries.js";

export type CsvEncoding = "utf-8" | "sjis";

/** More rows than this in one file: narrow the filters (dates, status, facility). */
export const MAX_EXPORT_ROWS = 100_000;
const BATCH = 1000;

/** The columns, in order: header (Japanese, as staff read it in Excel) and the stable key documented in the API. */
export const BOOKING_CSV_COLUMNS = [
  ["予約ID", "booking_id"],
  ["状態", "status"],
  ["受付経路", "source"],
  ["外部参照", "external_ref"],
  ["施設ID", "facility_id"],
  ["施設名", "facility_name"],
  ["サービス", "service_type"],
  ["開始日", "start_date"],
  ["終了日", "end_date"],
  ["泊数", "nights"],
  ["時間帯", "time_block"],
  ["利用者ID", "resident_id"],
  ["利用券番号", "voucher_number"],
  ["回数", "units"],
  ["委託料", "fee"],
  ["自己負担額", "resident_copay"],
  ["市町村負担額", "municipality_share"],
  ["キャンセル料", "cancellation_fee"],
  ["キャンセル料_利用者負担", "fee_resident_share"],
  ["キャンセル料_市町村負担", "fee_municipality_share"],
  ["キャンセル理由コード", "cancel_reason"],
  ["キャンセル・お断りの理由", "reason"],
  ["利用条件の版", "policy_version"],
  ["受付日時", "created_at"],
  ["更新日時", "updated_at"],
  ["承認期限", "hold_expires_at"],
  // Last, so the columns before it keep their places for systems that read them by position.
  ["キャンセル料免除の申出", "fee_waiver"],
] as const;

export type BookingCsvKey = (typeof BOOKING_CSV_COLUMNS)[number][1];
type Cell = string | number | null;

const csvSelect = {
  id: true,
  status: true,
  source: true,
  externalRef: true,
  facilityId: true,
  facility: { select: { name: true } },
  serviceType: true,
  startDate: true,
  endDate: true,
  timeBlock: true,
  residentId: true,
  voucher: { select: { number: true } },
  units: true,
  fee: true,
  residentCopay: true,
  municipalityShare: true,
  cancellationFee: true,
  feeResidentShare: true,
  feeMunicipalityShare: true,
  cancelReason: true,
  feeWaiver: true,
  policyVersion: { select: { version: true } },
  createdAt: true,
  updatedAt: true,
  holdExpiresAt: true,
  // The words given with the last cancellation or rejection.
  events: {
    where: { type: { in: ["cancelled", "rejected"] } },
    orderBy: { seq: "desc" },
    take: 1,
    select: { data: true },
  },
} satisfies Prisma.BookingSelect;

/** An instant as Japan time, "2026-11-25 14:05:09" (what Excel reads as a date and time). */
export function jstDateTime(instant: Date | null): string {
  if (!instant) return "";
  return new Date(instant.getTime() + 9 * 3600_000).toISOString().slice(0, 19).replace("T", " ");
}

/**
 * One CSV field: quoted when it holds a comma, quote or line break; text a spreadsheet would take for a formula
 * (= + - @, tab, carriage return first) gets a leading apostrophe. Numbers are written as they are.
 */
export function csvField(value: Cell): string {
  if (value === null) return "";
  if (typeof value === "number") return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export const csvLine = (cells: Cell[]) => `${cells.map(csvField).join(",")}\r\n`;

type CsvRow = Record<BookingCsvKey, Cell>;

function toCsvRow(b: {
  id: string;
  status: BookingStatus;
  source: string;
  externalRef: string | null;
  facilityId: string;
  facility: { name: string };
  serviceType: string;
  startDate: Date;
  endDate: Date;
  timeBlock: string;
  residentId: string | null;
  voucher: { number: string } | null;
  units: number;
  fee: number;
  residentCopay: number;
  municipalityShare: number;
  cancellationFee: number;
  feeResidentShare: number;
  feeMunicipalityShare: number;
  cancelReason: string | null;
  feeWaiver: string | null;
  policyVersion: { version: number } | null;
  createdAt: Date;
  updatedAt: Date;
  holdExpiresAt: Date | null;
  events: { data: unknown }[];
}): CsvRow {
  const data = b.events[0]?.data;
  const reason =
    data && typeof data === "object" && "reason" in data && typeof data.reason === "string"
      ? data.reason
      : null;
  return {
    booking_id: b.id,
    status: b.status,
    source: b.source,
    external_ref: b.externalRef,
    facility_id: b.facilityId,
    facility_name: b.facility.name,
    service_type: b.serviceType,
    start_date: formatDate(b.startDate),
    end_date: formatDate(b.endDate),
    nights: b.serviceType === "stay" ? daysBetween(b.startDate, b.endDate) : null,
    time_block: b.timeBlock,
    resident_id: b.residentId,
    voucher_number: b.voucher ? formatVoucherNumber(b.voucher.number) : null,
    units: b.units,
    fee: b.fee,
    resident_copay: b.residentCopay,
    municipality_share: b.municipalityShare,
    cancellation_fee: b.cancellationFee,
    fee_resident_share: b.feeResidentShare,
    fee_municipality_share: b.feeMunicipalityShare,
    cancel_reason: b.cancelReason,
    reason,
    policy_version: b.policyVersion?.version ?? null,
    created_at: jstDateTime(b.createdAt),
    updated_at: jstDateTime(b.updatedAt),
    hold_expires_at: jstDateTime(b.holdExpiresAt),
    fee_waiver: b.feeWaiver,
  };
}

export type BookingCsv = { body: Buffer; rows: number; contentType: string; fileName: string };

/** The bookings the caller may see that match the filters, as a CSV file in the chosen encoding. */
export async function exportBookingsCsv(
  prisma: PrismaClient,
  actor: Actor,
  filters: Omit<BookingFilters, "limit" | "offset">,
  encoding: CsvEncoding,
  now: Date,
): Promise<BookingCsv> {
  const where = bookingWhere(actor, filters);
  const count = await prisma.booking.count({ where });
  if (count > MAX_EXPORT_ROWS) {
    throw problems.unprocessable(
      "too_many_rows",
      `${count} bookings match; at most ${MAX_EXPORT_ROWS} fit in one file. Narrow the dates or the status.`,
    );
  }
  const parts: string[] = [csvLine(BOOKING_CSV_COLUMNS.map(([header]) => header))];
  let rows = 0;
  let cursor: string | undefined;
  for (;;) {
    const batch = await prisma.booking.findMany({
      where,
      select: csvSelect,
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      take: BATCH,
      ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
    });
    for (const b of batch) {
      const row = toCsvRow(b);
      parts.push(csvLine(BOOKING_CSV_COLUMNS.map(([, key]) => row[key])));
    }
    rows += batch.length;
    const last = batch[batch.length - 1];
    if (!last || batch.length < BATCH) break;
    cursor = last.id;
  }
  const stamp = jstDateTime(now).slice(0, 10).replace(/-/g, "");
  return { ...encodeCsv(parts.join(""), encoding, `bookings-${stamp}`), rows };
}

/**
 * CSV text as a file: UTF-8 with a BOM (so Excel reads it as UTF-8), or Shift_JIS (Windows-31J) for older
 * Excel, named `<baseName>.csv` or `<baseName>-sjis.csv`.
 */
export function encodeCsv(
  text: string,
  encoding: CsvEncoding,
  baseName: string,
): { body: Buffer; contentType: string; fileName: string } {
  return encoding === "sjis"
    ? {
        body: iconv.encode(text, "cp932"),
        contentType: "text/csv; charset=Shift_JIS",
        fileName: `${baseName}-sjis.csv`,
      }
    : {
        body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, "utf8")]),
        contentType: "text/csv; charset=utf-8",
        fileName: `${baseName}.csv`,
      };
}
