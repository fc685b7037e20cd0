/**
 * Monthly confirmation (確認・承認) of usage by municipality staff.
 *
 * A month's uses of a municipality are the bookings of its residents whose service (start) date falls in that
 * calendar month and that were redeemed: status `used` or `reported`. Their amounts are the ones recorded by the
 * entitlement check when each booking was made (integer yen). Staff confirm a month once it has ended in
 * Asia/Tokyo; confirming stores a snapshot of the totals (table usage_confirmation, one row per municipality and
 * month). A use redeemed later for that month makes the current totals differ from the snapshot; confirming
 * again then replaces the snapshot (the audit log keeps who confirmed what and when). Confirming again when
 * nothing changed is refused.
 */
import type { BookingStatus, PrismaClient, ServiceType, UsageConfirmation } from "../db/client.js";
import { problems } from "../errors.js";
import { formatDate, tokyoToday } from "../inventory/dates.js";

/** Statuses that count as a use: the voucher was redeemed (used), and perhaps reported since. */
export const USE_STATUSES: readonly BookingStatus[] = ["used", "reported"];
/** Statuses of bookings in the month that staff should know about before confirming: not yet redeemed. */
export const UNREDEEMED_STATUSES: readonly BookingStatus[] = ["confirmed"];

export const NOTE_MAX_LENGTH = 500;

const MONTH = /^(\d{4})-(\d{2})$/;

/** A calendar month: its text and the DATE-column bounds [start, end). */
export type Month = { text: string; year: number; month: number; start: Date; end: Date };

export type UsageTotals = {
  uses: number;
  units: number;
  fee: number;
  residentCopay: number;
  municipalityShare: number;
};

/** One use: a redeemed booking with the amounts recorded when it was booked. */
export type UsageItem = {
  bookingId: string;
  startDate: string;
  endDate: string;
  serviceType: ServiceType;
  timeBlock: string;
  status: BookingStatus;
  facilityId: string;
  facilityName: string;
  residentId: string;
  residentName: string;
  residentKana: string;
  /** 宛名番号, the municipality's own number for the resident (null when it gave none). */
  residentNumber: string | null;
  units: number;
  fee: number;
  residentCopay: number;
  municipalityShare: number;
};

export type FacilitySubtotal = UsageTotals & { facilityId: string; facilityName: string };

export type ConfirmationDto = UsageTotals & {
  month: string;
  note: string;
  confirmedAt: string;
  confirmedBy: string | null;
  /** The display name of the staff member who confirmed, when known. */
  confirmedByName: string | null;
};

export type MonthlyUsage = {
  municipalityCode: string;
  municipalityName: string;
  month: string;
  from: string;
  to: string;
  /** The month has ended in Asia/Tokyo, so it can be confirmed. */
  ended: boolean;
  totals: UsageTotals;
  facilities: FacilitySubtotal[];
  items: UsageItem[];
  /** Bookings of the month still `confirmed`: not yet redeemed (or never will be). */
  unredeemed: number;
  confirmation: ConfirmationDto | null;
  /** The current totals differ from the confirmed snapshot (false when there is none). */
  differsFromConfirmation: boolean;
};

// ---------------------------------------------------------------------------------------------------------------
// Pure parts

/** "2026-10" → the month, or null when it is not a real month (years 2000–2999). */
export function parseMonth(text: string): Month | null {
  const m = MONTH.exec(text);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  if (year < 2000 || year > 2999 || month < 1 || month > 12) return null;
  return {
    text,
    year,
    month,
    start: new Date(Date.UTC(year, month - 1, 1)),
    end: new Date(Date.UTC(year, month, 1)),
  };
}

/** Parses a month from the API; 422 `invalid_month` with a field error when it is not one. */
export function requireMonth(text: unknown, field = "month"): Month {
  const month = typeof text === "string" ? parseMonth(text) : null;
  if (!month) {
    throw problems.unprocessable("invalid_month", `${field} must be a month (YYYY-MM)`, [
      { path: field, message: "not a month (YYYY-MM)" },
    ]);
  }
  return month;
}

/** Whether the month has ended in Asia/Tokyo at `now` (its last day is over). */
export function monthEnded(month: Month, now: Date): boolean {
  return tokyoToday(now).getTime() >= month.end.getTime();
}

/** The month before the one `now` falls in (Asia/Tokyo), "YYYY-MM". */
export function previousMonth(now: Date): string {
  const today = tokyoToday(now);
  const d = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 1, 1));
  return d.toISOString().slice(0, 7);
}

/** The last day of a month, "YYYY-MM-DD". */
export function lastDay(month: Month): string {
  return formatDate(new Date(month.end.getTime() - 86_400_000));
}

export const ZERO_TOTALS: Readonly<UsageTotals> = Object.freeze({
  uses: 0,
  units: 0,
  fee: 0,
  residentCopay: 0,
  municipalityShare: 0,
});

type Amounts = Pick<UsageTotals, "units" | "fee" | "residentCopay" | "municipalityShare">;

/** Each item is one use; the amounts add up. */
export function sumUses(items: readonly Amounts[]): UsageTotals {
  const t = { ...ZERO_TOTALS };
  for (const i of items) {
    t.uses += 1;
    t.units += i.units;
    t.fee += i.fee;
    t.residentCopay += i.residentCopay;
    t.municipalityShare += i.municipalityShare;
  }
  return t;
}

/** Subtotals per facility, by facility name (Japanese collation), then id. */
export function subtotalsByFacility(
  items: readonly (Amounts & { facilityId: string; facilityName: string })[],
): FacilitySubtotal[] {
  const groups = new Map<string, { name: string; items: Amounts[] }>();
  for (const i of items) {
    const g = groups.get(i.facilityId) ?? { name: i.facilityName, items: [] };
    g.items.push(i);
    groups.set(i.facilityId, g);
  }
  return [...groups.entries()]
    .map(([facilityId, g]) => ({ facilityId, facilityName: g.name, ...sumUses(g.items) }))
    .sort(
      (a, b) =>
        a.facilityName.localeCompare(b.facilityName, "ja") || a.facilityId.localeCompare(b.facilityId),
    );
}

/** Whether two sets of totals differ in any amount or count. */
export function totalsDiffer(a: UsageTotals, b: UsageTotals): boolean {
  return (
    a.uses !== b.uses ||
    a.units !== b.units ||
    a.fee !== b.fee ||
    a.residentCopay !== b.residentCopay ||
    a.municipalityShare !== b.municipalityShare
  );
}

/**
 * The note as stored: trimmed; at most NOTE_MAX_LENGTH characters, no control characters other than line
 * breaks and tabs (PostgreSQL text cannot hold NUL). 422 `invalid_note` with a field error otherwise.
 */
export function cleanNote(note: unknown): string {
  if (note === undefined || note === null) return "";
  if (typeof note !== "string") {
    throw problems.unprocessable("invalid_note", "note must be text", [
      { path: "note", message: "not text" },
    ]);
  }
  const text = note.trim();
  if ([...text].length > NOTE_MAX_LENGTH) {
    throw problems.unprocessable("invalid_note", `note may be at most ${NOTE_MAX_LENGTH} characters`, [
      { path: "note", message: `at most ${NOTE_MAX_LENGTH} characters` },
    ]);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused here
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) {
    throw problems.unprocessable("invalid_note", "note may not contain control characters", [
      { path: "note", message: "contains control characters" },
    ]);
  }
  return text;
}

const totalsOf = (c: UsageTotals): UsageTotals => ({
  uses: c.uses,
  units: c.units,
  fee: c.fee,
  residentCopay: c.residentCopay,
  municipalityShare: c.municipalityShare,
});

// ---------------------------------------------------------------------------------------------------------------
// Database

/** The municipality's name; 404 when there is no such municipality. */
async function municipalityName(prisma: PrismaClient, code: string): Promise<string> {
  const m = await prisma.municipality.findUnique({ where: { code }, select: { name: true } });
  if (!m) throw problems.notFound("municipality");
  return m.name;
}

/** The month's uses of the municipality's residents, with totals, per-facility subtotals and the snapshot. */
export async function monthlyUsage(
  prisma: PrismaClient,
  municipalityCode: string,
  month: Month,
  now: Date,
): Promise<MonthlyUsage> {
  const name = await municipalityName(prisma, municipalityCode);
  const inMonth = {
    resident: { municipalityCode },
    startDate: { gte: month.start, lt: month.end },
  };
  const [rows, unredeemed, confirmation] = await Promise.all([
    prisma.booking.findMany({
      where: { ...inMonth, status: { in: [...USE_STATUSES] } },
      select: {
        id: true,
        startDate: true,
        endDate: true,
        serviceType: true,
        timeBlock: true,
        status: true,
        units: true,
        fee: true,
        residentCopay: true,
        municipalityShare: true,
        facility: { select: { id: true, name: true } },
        resident: {
          select: { id: true, familyName: true, givenName: true, kana: true, externalId: true },
        },
      },
      orderBy: [{ startDate: "asc" }, { createdAt: "asc" }, { id: "asc" }],
    }),
    prisma.booking.count({ where: { ...inMonth, status: { in: [...UNREDEEMED_STATUSES] } } }),
    prisma.usageConfirmation.findUnique({
      where: { municipalityCode_month: { municipalityCode, month: month.text } },
    }),
  ]);

  const items: UsageItem[] = rows.map((r) => ({
    bookingId: r.id,
    startDate: formatDate(r.startDate),
    endDate: formatDate(r.endDate),
    serviceType: r.serviceType,
    timeBlock: r.timeBlock,
    status: r.status,
    facilityId: r.facility.id,
    facilityName: r.facility.name,
    residentId: r.resident?.id ?? "",
    residentName: r.resident ? `${r.resident.familyName} ${r.resident.givenName}` : "",
    residentKana: r.resident?.kana ?? "",
    residentNumber: r.resident?.externalId ?? null,
    units: r.units,
    fee: r.fee,
    residentCopay: r.residentCopay,
    municipalityShare: r.municipalityShare,
  }));
  const totals = sumUses(items);
  const snapshot = confirmation ? await confirmationDto(prisma, confirmation) : null;
  return {
    municipalityCode,
    municipalityName: name,
    month: month.text,
    from: formatDate(month.start),
    to: lastDay(month),
    ended: monthEnded(month, now),
    totals,
    facilities: subtotalsByFacility(items),
    items,
    unredeemed,
    confirmation: snapshot,
    differsFromConfirmation: snapshot ? totalsDiffer(totals, snapshot) : false,
  };
}

async function confirmationDto(prisma: PrismaClient, c: UsageConfirmation): Promise<ConfirmationDto> {
  const user = c.confirmedBy
    ? await prisma.user.findUnique({ where: { id: c.confirmedBy }, select: { displayName: true } })
    : null;
  return {
    month: c.month,
    ...totalsOf(c),
    note: c.note,
    confirmedAt: c.confirmedAt.toISOString(),
    confirmedBy: c.confirmedBy,
    confirmedByName: user?.displayName ?? null,
  };
}

/**
 * Confirms a month: stores the snapshot of its current totals. 422 `month_not_ended` before the month is over
 * in Asia/Tokyo; 409 `already_confirmed` when a snapshot exists and nothing changed since (or another one was
 * stored at the same time). When the totals differ from the snapshot, the snapshot is replaced.
 */
export async function confirmMonth(
  prisma: PrismaClient,
  municipalityCode: string,
  month: Month,
  opts: { now: Date; note?: unknown; confirmedBy: string | null },
): Promise<MonthlyUsage> {
  const note = cleanNote(opts.note);
  if (!monthEnded(month, opts.now)) {
    throw problems.unprocessable(
      "month_not_ended",
      `${month.text} has not ended yet (Asia/Tokyo); a month can be confirmed from its next month on`,
      [{ path: "month", message: `can be confirmed from ${formatDate(month.end)}` }],
    );
  }
  const current = await monthlyUsage(prisma, municipalityCode, month, opts.now);
  const previous = current.confirmation;
  if (previous && !current.differsFromConfirmation) {
    throw problems.conflict(
      "already_confirmed",
      `${month.text} was already confirmed on ${previous.confirmedAt} and nothing has changed since`,
    );
  }
  const data = { ...current.totals, note, confirmedBy: opts.confirmedBy, confirmedAt: opts.now };
  if (previous) {
    // Replace only the snapshot this request saw: a concurrent confirmation wins and this one is refused.
    const { count } = await prisma.usageConfirmation.updateMany({
      where: {
        municipalityCode,
        month: month.text,
        confirmedAt: new Date(previous.confirmedAt),
        ...totalsOf(previous),
      },
      data,
    });
    if (count === 0) throw alreadyConfirmedMeanwhile(month);
  } else {
    try {
      await prisma.usageConfirmation.create({ data: { municipalityCode, month: month.text, ...data } });
    } catch (err) {
      if ((err as { code?: string })?.code === "P2002") throw alreadyConfirmedMeanwhile(month);
      throw err;
    }
  }
  return monthlyUsage(prisma, municipalityCode, month, opts.now);
}

const alreadyConfirmedMeanwhile = (month: Month) =>
  problems.conflict(
    "already_confirmed",
    `${month.text} was confirmed by someone else at the same time; reload to see their confirmation`,
  );
