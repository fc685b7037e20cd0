/**
 * Service dates: calendar dates in Asia/Tokyo. In the database they are DATE columns, which Prisma reads and
 * writes as `new Date(Date.UTC(y, m, d))` (midnight UTC of that calendar day); in the API they are "YYYY-MM-DD".
 * Japan has no daylight saving time, so Tokyo is always UTC+9.
 */
import { problems } from "../errors.js";

const TOKYO_OFFSET_MS = 9 * 3600_000;
const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** "2026-12-01" → Date at 2026-12-01T00:00:00Z, or null when the text is not a real calendar date. */
export function parseDate(text: string): Date | null {
  const m = ISO_DATE.exec(text);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return date;
}

/** A DATE column value → "YYYY-MM-DD". */
export function formatDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function addDays(date: Date, days: number): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + days));
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: Date, to: Date): number {
  return Math.round((to.getTime() - from.getTime()) / DAY_MS);
}

/** Every date from `from` to `to`, both included; empty when `to` is before `from`. */
export function dateRange(from: Date, to: Date): Date[] {
  const out: Date[] = [];
  for (let d = from; d.getTime() <= to.getTime(); d = addDays(d, 1)) out.push(d);
  return out;
}

/** The Asia/Tokyo calendar date of an instant (23:30 UTC is already the next day in Tokyo). */
export function tokyoDate(instant: Date): Date {
  const t = new Date(instant.getTime() + TOKYO_OFFSET_MS);
  return new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()));
}

/** Today in Tokyo for the instant an injected clock gave. */
export function tokyoToday(now: Date): Date {
  return tokyoDate(now);
}

export const MAX_RANGE_DAYS = 366;

/**
 * Parses an inclusive API date range: both real dates, from ≤ to, at most `maxDays` days.
 * 422 `invalid_range` otherwise (a malformed date is also reported here, though the OpenAPI format
 * check normally catches it first).
 */
export function parseRange(
  from: string,
  to: string,
  maxDays = MAX_RANGE_DAYS,
): { from: Date; to: Date; days: number } {
  const f = parseDate(from);
  const t = parseDate(to);
  if (!f || !t) throw problems.unprocessable("invalid_range", "from and to must be dates (YYYY-MM-DD)");
  const days = daysBetween(f, t) + 1;
  if (days < 1) throw problems.unprocessable("invalid_range", `from (${from}) is after to (${to})`);
  if (days > maxDays) {
    throw problems.unprocessable(
      "invalid_range",
      `The range covers ${days} days; at most ${maxDays} are allowed`,
    );
  }
  return { from: f, to: t, days };
}

/** Parses one API date; 422 with `code` when it is not a real calendar date. */
export function requireDate(text: string, field: string, code = "invalid_date"): Date {
  const d = parseDate(text);
  if (!d)
    throw problems.unprocessable(code, `${field} must be a date (YYYY-MM-DD)`, [
      { path: field, message: "not a date" },
    ]);
  return d;
}
