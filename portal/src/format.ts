/** Dates and times, shown in Japan time whatever the device's zone. */
import { type Locale, locale } from "./i18n";

const TZ = "Asia/Tokyo";
const intlLocale = (l: Locale) => (l === "ja" ? "ja-JP" : "en-GB");

/** Today's calendar date in Japan, as YYYY-MM-DD. */
export function todayInJapan(now = new Date()): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: TZ,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(now);
}

/** A calendar date plus n days (YYYY-MM-DD in, YYYY-MM-DD out). */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** A calendar date with its weekday, e.g. 11/26（水） or Wed 26 Nov. */
export function formatDay(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  if (locale() === "ja") {
    const wd = new Intl.DateTimeFormat("ja-JP", { timeZone: "UTC", weekday: "short" }).format(d);
    return `${d.getUTCMonth() + 1}/${d.getUTCDate()}（${wd}）`;
  }
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: "UTC",
    weekday: "short",
    day: "numeric",
    month: "short",
  }).format(d);
}

/** A calendar date, e.g. 2026年1月10日 or 10 Jan 2026. */
export function formatDate(date: string | null | undefined): string {
  if (!date) return "";
  const d = new Date(date.length === 10 ? `${date}T00:00:00Z` : date);
  if (Number.isNaN(d.getTime())) return date;
  return new Intl.DateTimeFormat(intlLocale(locale()), {
    timeZone: date.length === 10 ? "UTC" : TZ,
    dateStyle: "medium",
  }).format(d);
}

/** An instant in Japan time, e.g. 2026/11/25 14:05. */
export function formatDateTime(instant: string): string {
  const d = new Date(instant);
  if (Number.isNaN(d.getTime())) return instant;
  return new Intl.DateTimeFormat(intlLocale(locale()), {
    timeZone: TZ,
    dateStyle: "medium",
    timeStyle: "short",
  }).format(d);
}

/** The time of day of an instant in Japan, HH:MM. */
export function formatTime(instant: string): string {
  const d = new Date(instant);
  if (Number.isNaN(d.getTime())) return instant;
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: TZ,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(d);
}

/** An amount of yen, e.g. ¥30,000 (the half-width sign in both languages). */
export function formatYen(amount: number | null | undefined): string {
  if (amount === null || amount === undefined) return "";
  return `¥${new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 }).format(amount)}`;
}

/** A browser's User-Agent as a person recognises it: "Chrome · Windows", "Safari · iPhone"; empty when unknown. */
export function browserName(userAgent: string): string {
  const ua = userAgent;
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /Firefox\//.test(ua)
      ? "Firefox"
      : /Chrom(e|ium)\//.test(ua)
        ? "Chrome"
        : /Safari\//.test(ua)
          ? "Safari"
          : "";
  const os = /iPhone|iPad/.test(ua)
    ? "iPhone/iPad"
    : /Android/.test(ua)
      ? "Android"
      : /Windows/.test(ua)
        ? "Windows"
        : /Mac OS X/.test(ua)
          ? "Mac"
          : /Linux/.test(ua)
            ? "Linux"
            : "";
  return [browser, os].filter(Boolean).join(" · ");
}
