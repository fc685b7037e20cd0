/**
 * Every string the portal shows, in Japanese (default) and English, per language and area: the common part (the
 * shell and every page a resident or a visitor sees: ./i18n/ja.ts, en.ts) and the staff screens' (./i18n/ja-staff.ts,
 * en-staff.ts). Pages read `t()`, which follows the language chosen in the header (remembered in localStorage,
 * reflected in <html lang>).
 * Each language and area is a chunk of its own, loaded when first needed: main.tsx waits for the first language's
 * common part (`ready`) before it renders, so nothing is ever shown without its words; a staff page's route waits for
 * the staff area (`loadArea`) before its page renders; switching language loads every area in use in the other, then
 * switches.
 */
import { createEffect, createRoot, createSignal } from "solid-js";
import type { CommonDict } from "./i18n/ja";
import type { StaffDict } from "./i18n/ja-staff";

/** The whole dictionary's shape; a staff section is there once its area has loaded. */
export type Dict = CommonDict & StaffDict;
export type Locale = "ja" | "en";
/** Areas loaded on demand, beside the common part every page needs. */
export type Area = "staff";

const loaders: Record<
  Locale,
  { common: () => Promise<{ default: CommonDict }> } & Record<Area, () => Promise<{ default: StaffDict }>>
> = {
  ja: { common: () => import("./i18n/ja"), staff: () => import("./i18n/ja-staff") },
  en: { common: () => import("./i18n/en"), staff: () => import("./i18n/en-staff") },
};
/** Per language: its common part merged with each area loaded so far. */
const dictionaries: Partial<Record<Locale, { dict: Dict }>> = {};
/** The areas the pages shown so far needed (loaded in any language chosen later too). */
const areasInUse = new Set<Area>();
const STORAGE_KEY = "sango-care.locale";

function initialLocale(): Locale {
  try {
    return localStorage.getItem(STORAGE_KEY) === "en" ? "en" : "ja";
  } catch {
    return "ja";
  }
}

/**
 * Each language's entry is made once, by the first call that needs it (a page's route may ask for an area while the
 * first render still waits for the common part: both must fill the same entry, or one would replace the other's).
 */
const entries: Partial<Record<Locale, Promise<{ dict: Dict }>>> = {};
const areaLoads = new Map<string, Promise<void>>();

function entryOf(which: Locale) {
  entries[which] ??= loaders[which].common().then(
    (m) => {
      // Until its areas load, the staff sections are missing: only routes that wait for them read them.
      const entry = { dict: m.default as Dict };
      dictionaries[which] = entry;
      return entry;
    },
    (err) => {
      delete entries[which]; // a chunk that failed to load is asked for again next time
      throw err;
    },
  );
  return entries[which];
}

async function load(which: Locale, areas: Iterable<Area>): Promise<void> {
  const entry = await entryOf(which);
  for (const area of areas) {
    const key = `${which}:${area}`;
    if (!areaLoads.has(key)) {
      areaLoads.set(
        key,
        loaders[which][area]().then(
          (m) => {
            entry.dict = { ...entry.dict, ...m.default };
          },
          (err) => {
            areaLoads.delete(key);
            throw err;
          },
        ),
      );
    }
    await areaLoads.get(key);
  }
}

const [locale, setLocaleSignal] = createSignal<Locale>(initialLocale());

export { locale };

/** Settles when the first language's dictionary is in: the portal renders only then. */
export const ready: Promise<void> = load(locale(), []);

/** Loads an area's words in the current language (a staff page's route waits for this before rendering). */
export async function loadArea(area: Area): Promise<void> {
  areasInUse.add(area);
  await load(locale(), [area]);
}

/**
 * Switches language: at once when its dictionary is in, else once it has loaded (if it cannot be, the page stays as
 * it was).
 */
export async function setLocale(next: Locale) {
  try {
    await load(next, areasInUse);
  } catch {
    return;
  }
  setLocaleSignal(next);
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // private mode: the choice lasts for this page only
  }
}

/** The dictionary for the current language (reactive). */
export const t = (): Dict => {
  const entry = dictionaries[locale()];
  if (!entry) throw new Error("t() called before i18n `ready`");
  return entry.dict;
};

/**
 * The lang of content that stays in Japanese whatever language the portal shows (facility names and descriptions,
 * FAQ entries and announcements without a translation): "ja" when the page is in another language, so screen
 * readers and translators treat it as Japanese (WCAG 3.1.2); nothing when the page is Japanese anyway.
 */
export const untranslated = (japanese = true): "ja" | undefined =>
  japanese && locale() !== "ja" ? "ja" : undefined;

/** A label from one of the enum maps, falling back to the raw value. */
export function label(
  map: keyof Pick<
    Dict,
    "roles" | "serviceTypes" | "kinds" | "accessibility" | "languages" | "facilityFields"
  >,
  value: string,
): string {
  return (t()[map] as Record<string, string | undefined>)[value] ?? value;
}

createRoot(() => {
  createEffect(() => {
    document.documentElement.lang = locale();
  });
});
