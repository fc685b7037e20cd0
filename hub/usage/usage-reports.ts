/**
 * Usage reports (実績報告): after a use, the facility completes a short report of the care it gave.
 *
 * Everything known from the booking and the voucher (resident, municipality, dates, service type, units, the
 * copay under the policy) is prefilled; staff enter only the care given (codes of CARE_CODES), the infant's
 * condition, notes and the copay they collected. The booking must be `used` (its voucher redeemed): the first
 * submission moves it `used → reported` in the same transaction that stores the report (one per booking,
 * table usage_report). The facility may edit its report until the resident's municipality confirms it; then
 * it is fixed (409 `report_confirmed`).
 *
 * A month's reports are due by the 10th of the following month (Asia/Tokyo), or the next business day when the
 * 10th is a Saturday, Sunday or public holiday. The job `usage.remind-reports` (daily) e-mails each facility once
 * per month when it still has uses without a report and that deadline is 3 days away or has passed. "Once" is
 * remembered by the outbox itself: a reminder's subject names the month, and a facility that already has an
 * outbox row with that subject about it is not written to again (outbox rows are never deleted); an advisory
 * lock per facility and month keeps two workers from writing it twice.
 */

import { isBusinessDay } from "../bookings/cancellation.js";
import { applyTransition } from "../bookings/ledger.js";
import type { BookingStatus, Prisma, PrismaClient, ServiceType } from "../db/client.js";
import { problems } from "../errors.js";
import { bookingScope } from "../identity/access.js";
import type { Actor } from "../identity/actor.js";
import { addDays, formatDate, tokyoToday } from "../inventory/dates.js";
import { TX_OPTIONS } from "../inventory/inventory.js";
import { enqueueMessage } from "../notify/outbox.js";
import { type Month, parseMonth, USE_STATUSES } from "./monthly.js";

/** The care a facility may report, in the order the form shows them. */
export const CARE_CODES = [
  "maternal_check",
  "breast_care",
  "feeding",
  "bathing",
  "rest",
  "counselling",
  "family_support",
  "other",
] as const;
export type CareCode = (typeof CARE_CODES)[number];

export const INFANT_CONDITION_MAX = 1000;
export const NOTES_MAX = 2000;
/** The reminder is sent from this many days before the deadline on. */
export const REMIND_DAYS_BEFORE = 3;
/** How many months back (before last month) the reminder job still looks for missing reports. */
export const REMIND_LOOKBACK_MONTHS = 3;

export type ReportStatus = "due" | "submitted" | "confirmed";
export const REPORT_STATUSES: readonly ReportStatus[] = ["due", "submitted", "confirmed"];

export type ReportInput = {
  care: CareCode[];
  infantCondition: string;
  notes: string;
  copayCollected: number;
};

export type UsageReportDto = ReportInput & {
  submittedAt: string;
  submittedBy: string | null;
  updatedAt: string;
  confirmedAt: string | null;
  confirmedBy: string | null;
};

/** One use of the month with what is known of it and its report, if any. */
export type UsageReportItem = {
  bookingId: string;
  bookingStatus: BookingStatus;
  status: ReportStatus;
  month: string;
  facilityId: string;
  facilityName: string;
  municipalityCode: string;
  municipalityName: string;
  residentName: string;
  residentKana: string;
  /** 宛名番号, the municipality's own number for the resident (null when it gave none). */
  residentNumber: string | null;
  voucherNumber: string | null;
  startDate: string;
  endDate: string;
  serviceType: ServiceType;
  timeBlock: string;
  units: number;
  fee: number;
  /** The copay under the policy, as recorded when the booking was made (yen). */
  residentCopay: number;
  report: UsageReportDto | null;
};

export type UsageReportList = {
  month: string;
  /** The last day reports of the month are due (Asia/Tokyo), "YYYY-MM-DD". */
  deadline: string;
  deadlinePassed: boolean;
  counts: Record<ReportStatus, number>;
  items: UsageReportItem[];
};

// ---------------------------------------------------------------------------------------------------------------
// Pure parts

/**
 * The day a month's reports are due: the 10th of the following month, or the next business day (not a Saturday,
 * Sunday or Japanese public holiday) when the 10th is not one. A DATE value (midnight UTC of that day).
 */
export function reportDeadline(month: Month): Date {
  let d = new Date(Date.UTC(month.year, month.month, 10));
  for (let i = 0; i < 31 && !isBusinessDay(d, new Set()); i++) d = addDays(d, 1);
  return d;
}

/** Whether the deadline day is over in Asia/Tokyo at `now`. */
export function deadlinePassed(deadline: Date, now: Date): boolean {
  return tokyoToday(now).getTime() > deadline.getTime();
}

/** Whether a reminder is due at `now`: from REMIND_DAYS_BEFORE days before the deadline on (and after it). */
export function reminderDue(deadline: Date, now: Date): boolean {
  return tokyoToday(now).getTime() >= addDays(deadline, -REMIND_DAYS_BEFORE).getTime();
}

/** The state of a use's report. */
export function reportStatus(report: { confirmedAt: Date | null } | null): ReportStatus {
  if (!report) return "due";
  return report.confirmedAt ? "confirmed" : "submitted";
}

/** The months whose reports the reminder job looks at, at `now`: last month and REMIND_LOOKBACK_MONTHS before. */
export function remindMonths(now: Date): Month[] {
  const today = tokyoToday(now);
  const out: Month[] = [];
  for (let i = 1; i <= 1 + REMIND_LOOKBACK_MONTHS; i++) {
    const d = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - i, 1));
    const m = parseMonth(d.toISOString().slice(0, 7));
    if (m) out.push(m);
  }
  return out;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused here
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

type FieldError = { path: string; message: string };

function text(value: unknown, field: string, max: number, errors: FieldError[]): string {
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") {
    errors.push({ path: field, message: "not text" });
    return "";
  }
  const t = value.trim();
  if ([...t].length > max) errors.push({ path: field, message: `at most ${max} characters` });
  else if (CONTROL.test(t)) errors.push({ path: field, message: "contains control characters" });
  return t;
}

/**
 * The report as stored, from a request body: care a non-empty list of known codes (duplicates dropped, in the
 * order of CARE_CODES), texts trimmed within their lengths, copayCollected an integer number of yen ≥ 0.
 * 422 `invalid_report` with an error per offending field otherwise.
 */
export function validateReport(body: unknown): ReportInput {
  const b = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
  const errors: FieldError[] = [];
  let care: CareCode[] = [];
  if (!Array.isArray(b.care) || b.care.length === 0) {
    errors.push({ path: "care", message: "choose at least one kind of care" });
  } else {
    const unknown = b.care.filter((c) => !(CARE_CODES as readonly unknown[]).includes(c));
    if (unknown.length > 0) {
      errors.push({ path: "care", message: `unknown care codes: ${unknown.map(String).join(", ")}` });
    }
    care = CARE_CODES.filter((c) => (b.care as unknown[]).includes(c));
  }
  const infantCondition = text(b.infantCondition, "infantCondition", INFANT_CONDITION_MAX, errors);
  const notes = text(b.notes, "notes", NOTES_MAX, errors);
  const copay = b.copayCollected;
  if (typeof copay !== "number" || !Number.isSafeInteger(copay) || copay < 0) {
    errors.push({ path: "copayCollected", message: "an integer number of yen, 0 or more" });
  }
  if (errors.length > 0) {
    throw problems.unprocessable("invalid_report", "The usage report is not complete or not valid", errors);
  }
  return { care, infantCondition, notes, copayCollected: copay as number };
}

// ---------------------------------------------------------------------------------------------------------------
// Database

const itemSelect = {
  id: true,
  status: true,
  startDate: true,
  endDate: true,
  serviceType: true,
  timeBlock: true,
  units: true,
  fee: true,
  residentCopay: true,
  facility: { select: { id: true, name: true } },
  resident: {
    select: {
      familyName: true,
      givenName: true,
      kana: true,
      externalId: true,
      municipality: { select: { code: true, name: true } },
    },
  },
  voucher: { select: { number: true, municipalityCode: true } },
  usageReport: true,
} satisfies Prisma.BookingSelect;

type ItemRow = Prisma.BookingGetPayload<{ select: typeof itemSelect }>;

function reportDto(r: NonNullable<ItemRow["usageReport"]>): UsageReportDto {
  return {
    care: r.care.filter((c): c is CareCode => (CARE_CODES as readonly string[]).includes(c)),
    infantCondition: r.infantCondition,
    notes: r.notes,
    copayCollected: r.copayCollected,
    submittedAt: r.submittedAt.toISOString(),
    submittedBy: r.submittedBy,
    updatedAt: r.updatedAt.toISOString(),
    confirmedAt: r.confirmedAt?.toISOString() ?? null,
    confirmedBy: r.confirmedBy,
  };
}

function itemDto(r: ItemRow): UsageReportItem {
  const municipality = r.resident?.municipality ?? null;
  return {
    bookingId: r.id,
    bookingStatus: r.status,
    status: reportStatus(r.usageReport),
    month: formatDate(r.startDate).slice(0, 7),
    facilityId: r.facility.id,
    facilityName: r.facility.name,
    municipalityCode:
      r.usageReport?.municipalityCode ?? municipality?.code ?? r.voucher?.municipalityCode ?? "",
    municipalityName: municipality?.name ?? "",
    residentName: r.resident ? `${r.resident.familyName} ${r.resident.givenName}` : "",
    residentKana: r.resident?.kana ?? "",
    residentNumber: r.resident?.externalId ?? null,
    voucherNumber: r.voucher?.number ?? null,
    startDate: formatDate(r.startDate),
    endDate: formatDate(r.endDate),
    serviceType: r.serviceType,
    timeBlock: r.timeBlock,
    units: r.units,
    fee: r.fee,
    residentCopay: r.residentCopay,
    report: r.usageReport ? reportDto(r.usageReport) : null,
  };
}

/** Who may read reports: facility, municipality and prefecture staff, within their scope. */
function assertReader(actor: Actor): void {
  if (!["facility", "municipality", "prefecture"].includes(actor.role)) throw problems.forbidden();
}

/**
 * The month's uses (bookings `used` or `reported` starting in the month) within the caller's scope — a facility
 * its own, a municipality its residents', the prefecture all — each with its report, optionally only those of
 * one report status; counts are over all of the month's uses.
 */
export async function listUsageReports(
  prisma: PrismaClient,
  actor: Actor,
  month: Month,
  status: ReportStatus | undefined,
  now: Date,
): Promise<UsageReportList> {
  assertReader(actor);
  const rows = await prisma.booking.findMany({
    where: {
      AND: [
        bookingScope(actor),
        { startDate: { gte: month.start, lt: month.end }, status: { in: [...USE_STATUSES] } },
      ],
    },
    select: itemSelect,
    orderBy: [{ startDate: "asc" }, { createdAt: "asc" }, { id: "asc" }],
  });
  const all = rows.map(itemDto);
  const counts: Record<ReportStatus, number> = { due: 0, submitted: 0, confirmed: 0 };
  for (const i of all) counts[i.status]++;
  const deadline = reportDeadline(month);
  return {
    month: month.text,
    deadline: formatDate(deadline),
    deadlinePassed: deadlinePassed(deadline, now),
    counts,
    items: status ? all.filter((i) => i.status === status) : all,
  };
}

/**
 * Submits or edits the report of a use of the caller's facility. 403 for anyone but facility staff; 404 when the
 * booking is not the facility's; 409 `booking_not_used` unless it is `used` (or `reported` already); 409
 * `report_confirmed` once the municipality confirmed it. The first submission moves the booking to `reported`.
 */
export async function submitUsageReport(
  prisma: PrismaClient,
  actor: Actor,
  bookingId: string,
  body: unknown,
  now: Date,
): Promise<UsageReportItem> {
  if (actor.role !== "facility" || !actor.facilityId) {
    throw problems.forbidden("Only the facility's own staff may report its uses");
  }
  const facilityId = actor.facilityId;
  return prisma.$transaction(async (tx) => {
    const booking = await tx.booking.findFirst({
      where: { id: bookingId, facilityId },
      select: {
        id: true,
        status: true,
        revision: true,
        serviceType: true,
        voucherId: true,
        units: true,
        startDate: true,
        resident: { select: { municipalityCode: true } },
        voucher: { select: { municipalityCode: true } },
        usageReport: { select: { id: true, confirmedAt: true } },
      },
    });
    if (!booking) throw problems.notFound("booking");
    // Validated once the booking is known to be the facility's: another facility learns nothing (404 first).
    const input = validateReport(body);
    if (booking.usageReport?.confirmedAt) throw reportConfirmed();
    const data = { ...input, submittedBy: actor.userId };
    if (booking.status === "used" || (booking.status === "reported" && !booking.usageReport)) {
      if (booking.status === "used") {
        await applyTransition(
          tx,
          booking,
          "reported",
          { source: "staff", actorId: actor.userId, data: { by: "facility" } },
          now,
        );
      }
      try {
        await tx.usageReport.create({
          data: {
            bookingId: booking.id,
            facilityId,
            municipalityCode: booking.resident?.municipalityCode ?? booking.voucher?.municipalityCode ?? "",
            month: formatDate(booking.startDate).slice(0, 7),
            ...data,
            submittedAt: now,
          },
        });
      } catch (err) {
        if ((err as { code?: string })?.code === "P2002") throw reportChanged();
        throw err;
      }
    } else if (booking.status === "reported") {
      // Only while unconfirmed: a confirmation at the same time wins.
      const { count } = await tx.usageReport.updateMany({
        where: { bookingId: booking.id, confirmedAt: null },
        data: {
          care: data.care,
          infantCondition: data.infantCondition,
          notes: data.notes,
          copayCollected: data.copayCollected,
          submittedBy: data.submittedBy,
        },
      });
      if (count !== 1) throw reportConfirmed();
    } else {
      throw problems.conflict(
        "booking_not_used",
        `A report can be made only for a use (the voucher redeemed); this booking is ${booking.status}`,
      );
    }
    const row = await tx.booking.findUniqueOrThrow({ where: { id: booking.id }, select: itemSelect });
    return itemDto(row);
  }, TX_OPTIONS);
}

const reportConfirmed = () =>
  problems.conflict(
    "report_confirmed",
    "The municipality has confirmed this report; it can no longer be changed",
  );
const reportChanged = () =>
  problems.conflict(
    "booking_changed",
    "The report was submitted at the same time by someone else; reload it",
  );

/**
 * Municipality staff confirm their residents' submitted (unconfirmed) reports of a month: all of them, or those
 * of the bookings given. 403 for anyone else; 409 `nothing_to_confirm` when none was left to confirm.
 */
export async function confirmUsageReports(
  prisma: PrismaClient,
  actor: Actor,
  month: Month,
  bookingIds: string[] | undefined,
  now: Date,
): Promise<{ month: string; confirmed: number; bookingIds: string[] }> {
  if (actor.role !== "municipality" || !actor.municipalityCode) {
    throw problems.forbidden("Only a municipality's own staff may confirm its residents' reports");
  }
  const where: Prisma.UsageReportWhereInput = {
    municipalityCode: actor.municipalityCode,
    month: month.text,
    confirmedAt: null,
    ...(bookingIds ? { bookingId: { in: bookingIds } } : {}),
  };
  return prisma.$transaction(async (tx) => {
    const due = await tx.usageReport.findMany({ where, select: { bookingId: true } });
    if (due.length === 0) {
      throw problems.conflict(
        "nothing_to_confirm",
        `No submitted report of ${month.text} is waiting to be confirmed`,
      );
    }
    const ids = due.map((d) => d.bookingId);
    const { count } = await tx.usageReport.updateMany({
      where: { ...where, bookingId: { in: ids } },
      data: { confirmedAt: now, confirmedBy: actor.userId },
    });
    return { month: month.text, confirmed: count, bookingIds: ids.sort() };
  }, TX_OPTIONS);
}

/** The subject of a month's reminder: it names the month, so the outbox remembers whom it was sent to. */
export function reminderSubject(month: Month): string {
  return `【産後ケア みやぎ】${month.year}年${month.month}月分の実績報告のお願い / Usage reports due for ${month.text}`;
}

function reminderText(
  month: Month,
  facilityName: string,
  missing: number,
  deadline: Date,
  passed: boolean,
): string {
  const due = formatDate(deadline);
  return [
    `${facilityName} 御中`,
    "",
    `${month.year}年${month.month}月にご利用のあった産後ケアのうち、${missing}件の実績報告がまだ提出されていません。`,
    passed
      ? `提出期限（${due}）を過ぎています。至急ご提出ください。`
      : `提出期限は ${due} です。期限までにご提出ください。`,
    "ポータルの「実績報告」（/facility/reports）から入力できます。",
    "",
    `${missing} usage report(s) for ${month.text} have not been submitted yet.`,
    passed ? `The deadline (${due}) has passed; please submit them now.` : `They are due by ${due}.`,
    "Enter them under Usage reports (/facility/reports) in the portal.",
  ].join("\n");
}

/**
 * The job `usage.remind-reports`: for each month of remindMonths whose reminder is due at `now`, e-mails each
 * facility with uses of that month still without a report, once per facility and month. A facility without an
 * e-mail address is skipped. Returns how many reminders were written to the outbox.
 */
export async function sendReportReminders(prisma: PrismaClient, now: Date): Promise<{ sent: number }> {
  let sent = 0;
  for (const month of remindMonths(now)) {
    const deadline = reportDeadline(month);
    if (!reminderDue(deadline, now)) continue;
    const missing = await prisma.booking.groupBy({
      by: ["facilityId"],
      where: { startDate: { gte: month.start, lt: month.end }, status: "used" },
      _count: { _all: true },
    });
    for (const m of missing) {
      if (await remindFacility(prisma, m.facilityId, month, m._count._all, deadline, now)) sent++;
    }
  }
  return { sent };
}

async function remindFacility(
  prisma: PrismaClient,
  facilityId: string,
  month: Month,
  missing: number,
  deadline: Date,
  now: Date,
): Promise<boolean> {
  const facility = await prisma.facility.findUnique({
    where: { id: facilityId },
    select: { name: true, email: true },
  });
  if (!facility?.email) return false;
  const subject = reminderSubject(month);
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`usage.remind-reports:${facilityId}:${month.text}`}))`;
    const before = await tx.outboxMessage.findFirst({
      where: {
        AND: [
          { payload: { path: ["subject"], equals: subject } },
          { payload: { path: ["about", "facilityId"], equals: facilityId } },
        ],
      },
      select: { id: true },
    });
    if (before) return false;
    await enqueueMessage(tx, {
      channel: "email",
      to: facility.email,
      subject,
      text: reminderText(month, facility.name, missing, deadline, deadlinePassed(deadline, now)),
      about: { facilityId },
      language: "ja",
    });
    return true;
  }, TX_OPTIONS);
}
