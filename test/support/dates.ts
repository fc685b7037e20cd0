/**
 * "Today" as the hub sees it: calendar days in Asia/Tokyo, taken from the hub's own date helpers.
 * Tests build dates here and never from a UTC slice of `new Date()`: from 15:00 to 24:00 UTC the UTC date is
 * still yesterday in Tokyo, and a test built on it fails for nine hours a day (`npm run lint` refuses the
 * pattern in test code, and CI runs the suite again with the clock at those hours).
 */
import { addDays, formatDate, tokyoToday } from "../../hub/inventory/dates.js";

/** The Tokyo calendar date `n` days from today (negative: ago), as a DATE value (midnight UTC of that day). */
export function tokyoDate(n = 0, now = new Date()): Date {
  return addDays(tokyoToday(now), n);
}

/** The Tokyo calendar date `n` days from today (negative: ago), "YYYY-MM-DD". */
export function tokyoDay(n = 0, now = new Date()): string {
  return formatDate(tokyoDate(n, now));
}

/** "YYYY-MM" of the month `offset` months from the current Tokyo month. */
export function tokyoMonth(offset = 0, now = new Date()): string {
  const t = tokyoToday(now);
  return formatDate(new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + offset, 1))).slice(0, 7);
}

/** The instant the current Tokyo month began (00:00 on its first day in Tokyo). */
export function startOfTokyoMonth(now = new Date()): Date {
  const t = tokyoToday(now);
  return new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), 1) - 9 * 3600_000);
}

/** Day `d` of a "YYYY-MM" month, as a DATE value. */
export function monthDay(month: string, d: number): Date {
  return new Date(`${month}-${String(d).padStart(2, "0")}T00:00:00Z`);
}

/** The first year (April) of the Japanese fiscal year that today falls in. */
export function fiscalYear(now = new Date()): number {
  const t = tokyoToday(now);
  return t.getUTCMonth() >= 3 ? t.getUTCFullYear() : t.getUTCFullYear() - 1;
}

/**
 * The n-th service day from today in Tokyo, counting only Monday to Saturday: the demo data closes day care
 * and home visits on Sundays, so tests that book them use these dates.
 */
export function serviceDay(n: number, now = new Date()): string {
  let d = tokyoToday(now);
  for (let left = n; left > 0 || d.getUTCDay() === 0; ) {
    d = addDays(d, 1);
    if (d.getUTCDay() !== 0) left--;
  }
  return formatDate(d);
}
