/**
 * The public facility search (情報公開) as pure functions over the directory's facilities: the directory is
 * small (about 70 facilities), so it is filtered in memory from a snapshot (see directory.ts).
 */
import type { FacilityKind, ServiceType } from "../db/client.js";
import type { FacilityDto } from "./mapper.js";

export type FacilityFilters = {
  /** Words; every word must appear in the name, kana, address or description. */
  q?: string;
  municipality?: string;
  region?: string;
  kind?: FacilityKind;
  serviceType?: ServiceType;
  language?: string;
  accessibility?: string;
};

/** More words than this add nothing to a facility search. */
export const MAX_SEARCH_WORDS = 8;

/** Katakana to hiragana, so "アオバ" finds a facility whose reading is stored as "あおば". */
export function toHiragana(text: string): string {
  return text.replace(/[\u30a1-\u30f6]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x60));
}

/** Case- and width-insensitive form of searched text (NFKC, lower case). */
const fold = (text: string) => text.normalize("NFKC").toLowerCase();

/**
 * Splits a search into words: NFKC first (full-width Latin and digits, half-width katakana), then on any
 * whitespace including the ideographic space a Japanese keyboard types.
 */
export function searchWords(q: string | undefined): string[] {
  if (!q) return [];
  const words = q
    .normalize("NFKC")
    .split(/[\s\u3000]+/u)
    .filter((w) => w.length > 0);
  return [...new Set(words)].slice(0, MAX_SEARCH_WORDS);
}

/** A facility prepared for searching: its text folded once, when the snapshot is taken. */
export type SearchEntry = { facility: FacilityDto; text: string; kana: string };

export function searchEntry(facility: FacilityDto): SearchEntry {
  return {
    facility,
    text: fold([facility.name, facility.address, facility.description].join("\n")),
    kana: fold(toHiragana(facility.kana)),
  };
}

/** True when the facility meets every given filter; each word must appear in its text or reading. */
export function matchesFilters(entry: SearchEntry, filters: FacilityFilters): boolean {
  const f = entry.facility;
  if (filters.municipality && f.municipalityCode !== filters.municipality) return false;
  if (filters.region && f.region !== filters.region) return false;
  if (filters.kind && f.kind !== filters.kind) return false;
  if (filters.serviceType && !f.services.some((s) => s.serviceType === filters.serviceType)) return false;
  if (filters.language && !f.languages.includes(filters.language)) return false;
  if (filters.accessibility && !f.accessibility.includes(filters.accessibility)) return false;
  return searchWords(filters.q).every((word) => {
    const w = fold(word);
    return entry.text.includes(w) || entry.kana.includes(fold(toHiragana(word)));
  });
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Municipality code order (the prefecture's own listing order), then reading, then name; id breaks ties. */
export function compareFacilities(a: FacilityDto, b: FacilityDto): number {
  return (
    byCodePoint(a.municipalityCode, b.municipalityCode) ||
    byCodePoint(a.kana, b.kana) ||
    byCodePoint(a.name, b.name) ||
    byCodePoint(a.id, b.id)
  );
}
