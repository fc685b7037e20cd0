/**
 * The vacancy page's search, from its address: shared by the page (pages/Vacancy.tsx) and its route's preload
 * (main.tsx), which asks for the same data while the page's code is still loading. Both must build the same query
 * for the router's cache to hand the preloaded answer to the page.
 */
import { addDays } from "./format";
import { one } from "./search";

export const FILTERS = [
  "serviceType",
  "from",
  "days",
  "municipality",
  "region",
  "kind",
  "language",
  "accessibility",
  "available",
] as const;
/** How many days the grid shows: a week, two weeks (the default) or four. */
export const PERIODS = ["7", "14", "28"] as const;
export const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export type VacancyFilters = Record<(typeof FILTERS)[number], string | undefined>;

/** The filters named in search params (the first value of a repeated one; empty ones left out). */
export function vacancyFilters(params: Record<string, string | string[] | undefined>): VacancyFilters {
  return Object.fromEntries(FILTERS.map((k) => [k, one(params[k])])) as VacancyFilters;
}

/** The number of days shown: one of PERIODS, else 14. */
export const vacancyPeriod = (f: VacancyFilters) =>
  (PERIODS as readonly string[]).includes(f.days ?? "") ? Number(f.days) : 14;

/** The first day: the one asked for when it is a date from today on, else today. */
export function vacancyFrom(f: VacancyFilters, today: string): string {
  return f.from && ISO_DATE.test(f.from) && f.from >= today ? f.from : today;
}

/** The GET /api/vacancy query for these filters. */
export function vacancyQuery(f: VacancyFilters, today: string) {
  const from = vacancyFrom(f, today);
  return {
    from,
    to: addDays(from, vacancyPeriod(f) - 1),
    serviceType: f.serviceType,
    municipality: f.municipality,
    region: f.region,
    kind: f.kind,
    language: f.language,
    accessibility: f.accessibility,
    available: f.available === "true" ? "true" : undefined,
    limit: 200,
  };
}
