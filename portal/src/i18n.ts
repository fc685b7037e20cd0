/**
 * Every string the portal shows, in Japanese (default, ./i18n/ja.ts) and English (./i18n/en.ts). Pages read `t()`,
 * which follows the language chosen in the header (remembered in localStorage, reflected in <html lang>).
 * Each language is a chunk of its own, loaded when first needed: main.tsx waits for the first one (`ready`) before
 * it renders, so nothing is ever shown without its words; switching loads the other, then switches.
 */
import { createEffect, createRoot, createSignal } from "solid-js";
import type { Dict } from "./i18n/ja";

export type { Dict };
export type Locale = "ja" | "en";

const loaders: Record<Locale, () => Promise<{ default: Dict }>> = {
  ja: () => import("./i18n/ja"),
  en: () => import("./i18n/en"),
};
const dictionaries: Partial<Record<Locale, Dict>> = {};
const STORAGE_KEY = "sango-care.locale";

function initialLocale(): Locale {
  try {
    return localStorage.getItem(STORAGE_KEY) === "en" ? "en" : "ja";
  } catch {
    return "ja";
  }
}

async function load(which: Locale): Promise<Dict> {
  const loaded = dictionaries[which] ?? (await loaders[which]()).default;
  dictionaries[which] = loaded;
  return loaded;
}

const [locale, setLocaleSignal] = createSignal<Locale>(initialLocale());

export { locale };

/** Settles when the first language's dictionary is in: the portal renders only then. */
export const ready: Promise<void> = load(locale()).then(() => undefined);

/**
 * Switches language: at once when its dictionary is in, else once it has loaded (if it cannot be, the page stays as
 * it was).
 */
export async function setLocale(next: Locale) {
  if (!dictionaries[next]) {
    try {
      await load(next);
    } catch {
      return;
    }
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
  const dict = dictionaries[locale()];
  if (!dict) throw new Error("t() called before i18n `ready`");
  return dict;
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
