/**
 * The waitlist's rules, pure (no I/O): who is next in line, which freed place fits an entry, what happens to an
 * entry whose offer lapsed, and what a join may ask for. hub/waitlist/offers.ts and entries.ts apply them.
 */
import type { ServiceType, WaitlistStatus } from "../db/client.js";
import { addDays, daysBetween, formatDate } from "../inventory/dates.js";

/** The longest date range one entry may wait for (about three months). */
export const MAX_WAIT_DAYS = 92;
/** How far ahead an entry may start: about a year (a voucher's whole validity). */
export const MAX_DAYS_AHEAD = 366;
/** Entries a resident may have waiting or offered at once. */
export const MAX_ACTIVE_ENTRIES = 10;
/** The highest priority municipality staff may give. */
export const MAX_PRIORITY = 100;
/**
 * Offers an entry may let lapse: the first lapse sends it back to waiting (behind every entry of its priority that
 * has not had an offer yet), the second ends it.
 */
export const MAX_LAPSES = 1;

/** Statuses of an entry still in line or holding an offer. */
export const ACTIVE_STATUSES: readonly WaitlistStatus[] = ["waiting", "offered"];

/** What decides an entry's place in line. */
export type QueueKey = { id: string; priority: number; offersMade: number; createdAt: Date };

/**
 * The order of the line: higher priority first; within a priority, entries that have never had an offer before
 * those whose offer lapsed; then first come, first served (by when the entry was made, then by id for a
 * stable order).
 */
export function compareQueue(a: QueueKey, b: QueueKey): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  const lapsedA = a.offersMade > 0 ? 1 : 0;
  const lapsedB = b.offersMade > 0 ? 1 : 0;
  if (lapsedA !== lapsedB) return lapsedA - lapsedB;
  const t = a.createdAt.getTime() - b.createdAt.getTime();
  if (t !== 0) return t;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Free places per date ("YYYY-MM-DD") and time block ("" for stays and services without blocks). */
export type FreePlaces = Map<string, Map<string, number>>;

/** What an entry waits for. `timeBlock` "" means any block (day and visit); stays have none. */
export type Wanted = {
  serviceType: ServiceType;
  fromDate: Date;
  toDate: Date;
  nights: number;
  timeBlock: string;
};

/** A place that fits an entry: the start date, the nights of a stay (1 otherwise) and the block. */
export type Place = { startDate: string; nights: number; timeBlock: string };

/** The last date a stay can start on so that every night lies within the range; the range's end otherwise. */
export function lastStart(w: Wanted): Date {
  return w.serviceType === "stay" ? addDays(w.toDate, -(Math.max(1, w.nights) - 1)) : w.toDate;
}

/** True when the entry can no longer be served from `today` on: its last possible start has passed. */
export function isPast(w: Wanted, today: Date): boolean {
  return lastStart(w).getTime() < today.getTime();
}

/**
 * The earliest place that fits the entry, from `today` on: a stay needs every night of it free (all within
 * fromDate..toDate); day care and home visits need the block asked for, or any of `blocks` in their order.
 * null when nothing fits.
 */
export function firstFit(w: Wanted, free: FreePlaces, blocks: readonly string[], today: Date): Place | null {
  const start = w.fromDate.getTime() < today.getTime() ? today : w.fromDate;
  const last = lastStart(w);
  const has = (date: Date, block: string) => (free.get(formatDate(date))?.get(block) ?? 0) > 0;
  for (let d = start; d.getTime() <= last.getTime(); d = addDays(d, 1)) {
    if (w.serviceType === "stay") {
      const nights = Math.max(1, w.nights);
      let all = true;
      for (let n = 0; n < nights && all; n++) all = has(addDays(d, n), "");
      if (all) return { startDate: formatDate(d), nights, timeBlock: "" };
      continue;
    }
    const candidates = w.timeBlock ? [w.timeBlock] : blocks;
    for (const b of candidates) {
      if (has(d, b)) return { startDate: formatDate(d), nights: 1, timeBlock: b };
    }
  }
  return null;
}

/** When an offer lapses: the resident's deadline, but never after the hold it reserved runs out. */
export function offerDeadline(now: Date, offerMinutes: number, holdExpiresAt: Date | null): Date {
  const deadline = new Date(now.getTime() + offerMinutes * 60_000);
  return holdExpiresAt && holdExpiresAt.getTime() < deadline.getTime() ? holdExpiresAt : deadline;
}

/** Where an entry goes when its offer lapsed (not answered in time, or the hold was withdrawn). */
export function afterLapse(offersMade: number): "waiting" | "ended" {
  return offersMade <= MAX_LAPSES ? "waiting" : "ended";
}

/** A join's dates and stay length, checked; each problem names its field. */
export type RangeCheck =
  | { ok: true }
  | { ok: false; code: string; path: string; message: string; detail: string };

export function checkRange(
  serviceType: ServiceType,
  fromDate: Date,
  toDate: Date,
  nights: number | undefined,
  today: Date,
): RangeCheck {
  const fail = (code: string, path: string, message: string, detail: string): RangeCheck => ({
    ok: false,
    code,
    path,
    message,
    detail,
  });
  const days = daysBetween(fromDate, toDate) + 1;
  if (days < 1) {
    return fail("invalid_range", "toDate", "before fromDate", "toDate is before fromDate");
  }
  if (fromDate.getTime() < today.getTime()) {
    return fail("date_in_past", "fromDate", "in the past", `${formatDate(fromDate)} has already passed`);
  }
  if (daysBetween(today, fromDate) > MAX_DAYS_AHEAD) {
    return fail(
      "date_too_far",
      "fromDate",
      `at most ${MAX_DAYS_AHEAD} days ahead`,
      `An entry may start at most ${MAX_DAYS_AHEAD} days from today`,
    );
  }
  if (days > MAX_WAIT_DAYS) {
    return fail(
      "range_too_long",
      "toDate",
      `at most ${MAX_WAIT_DAYS} days`,
      `The range covers ${days} days; an entry may wait for at most ${MAX_WAIT_DAYS}`,
    );
  }
  if (serviceType === "stay") {
    const n = nights ?? 1;
    if (n > days) {
      return fail(
        "invalid_nights",
        "nights",
        "longer than the range",
        `A ${n}-night stay does not fit in ${days} day(s); widen the range or shorten the stay`,
      );
    }
  } else if (nights !== undefined && nights !== 1) {
    return fail("nights_not_allowed", "nights", "stays only", "Only stays are booked by the night");
  }
  return { ok: true };
}
