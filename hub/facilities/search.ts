/**
 * The public facility search (情報公開) as a pure query builder: filters in, Prisma `where` and `orderBy` out.
 */
import type { FacilityKind, Prisma, ServiceType } from "../db/client.js";

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

/** More words than this add nothing to a facility search and only slow the query. */
export const MAX_SEARCH_WORDS = 8;

/** Katakana to hiragana, so "アオバ" finds a facility whose reading is stored as "あおば". */
export function toHiragana(text: string): string {
  return text.replace(/[\u30a1-\u30f6]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x60));
}

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

/**
 * Prisma passes `contains` to PostgreSQL's (I)LIKE as it is, so a typed % or _ would match anything:
 * escape them (and the escape character itself) to search for the characters.
 */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function wordMatch(word: string): Prisma.FacilityWhereInput {
  const contains = (value: string) => ({ contains: escapeLike(value), mode: "insensitive" as const });
  const kana = toHiragana(word);
  return {
    OR: [
      { name: contains(word) },
      { kana: contains(kana) },
      { address: contains(word) },
      { description: contains(word) },
    ],
  };
}

/** Published facilities matching every given filter. */
export function facilityWhere(filters: FacilityFilters): Prisma.FacilityWhereInput {
  const and: Prisma.FacilityWhereInput[] = searchWords(filters.q).map(wordMatch);
  if (filters.municipality) and.push({ municipalityCode: filters.municipality });
  if (filters.region) and.push({ municipality: { region: filters.region } });
  if (filters.kind) and.push({ kind: filters.kind });
  if (filters.serviceType) and.push({ services: { some: { serviceType: filters.serviceType } } });
  if (filters.language) and.push({ languages: { has: filters.language } });
  if (filters.accessibility) and.push({ accessibility: { has: filters.accessibility } });
  return { published: true, ...(and.length ? { AND: and } : {}) };
}

/** Municipality code order (the prefecture's own listing order), then reading, then name; id breaks ties. */
export const facilityOrder: Prisma.FacilityOrderByWithRelationInput[] = [
  { municipalityCode: "asc" },
  { kana: "asc" },
  { name: "asc" },
  { id: "asc" },
];
