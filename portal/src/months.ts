/** Calendar months ("YYYY-MM") for the pages that work by month (usage, reports, billing). */
import { todayInJapan } from "./format";
import { t } from "./i18n";

export const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** How many months back a month picker offers (the URL may name any other month). */
const MONTHS_OFFERED = 60;

/** The month before the current one in Japan. */
export function lastMonth(): string {
  const [y, m] = todayInJapan().split("-").map(Number) as [number, number];
  return new Date(Date.UTC(y, m - 2, 1)).toISOString().slice(0, 7);
}

/** The months to choose from, newest first: this month and the ones before it, plus `shown` if elsewhere. */
export function monthChoices(shown: string): string[] {
  const [y, m] = todayInJapan().split("-").map(Number) as [number, number];
  const out: string[] = [];
  for (let i = 0; i < MONTHS_OFFERED; i++) {
    out.push(new Date(Date.UTC(y, m - 1 - i, 1)).toISOString().slice(0, 7));
  }
  if (MONTH.test(shown) && !out.includes(shown)) {
    out.push(shown);
    out.sort().reverse();
  }
  return out;
}

/** "2026-10" → 2026年10月 / October 2026. */
export function monthText(month: string): string {
  const [y, m] = month.split("-").map(Number) as [number, number];
  return t().usage.monthLabel(y, m);
}
