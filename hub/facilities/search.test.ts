import { describe, expect, it } from "vitest";
import type { FacilityDto } from "./mapper.js";
import {
  compareFacilities,
  type FacilityFilters,
  MAX_SEARCH_WORDS,
  matchesFilters,
  searchEntry,
  searchWords,
  toHiragana,
} from "./search.js";

describe("searchWords", () => {
  it("splits on ASCII and ideographic spaces and drops repeats", () => {
    expect(searchWords(" 仙台\u3000助産院  仙台 ")).toEqual(["仙台", "助産院"]);
    expect(searchWords(undefined)).toEqual([]);
    expect(searchWords("   ")).toEqual([]);
  });

  it("normalizes full-width Latin and half-width katakana (NFKC)", () => {
    expect(searchWords("ＡＯＢＡ ｱｵﾊﾞ")).toEqual(["AOBA", "アオバ"]);
  });

  it("caps the number of words", () => {
    const many = Array.from({ length: 20 }, (_, i) => `w${i}`).join(" ");
    expect(searchWords(many)).toHaveLength(MAX_SEARCH_WORDS);
  });
});

describe("toHiragana", () => {
  it("turns katakana into hiragana and leaves everything else", () => {
    expect(toHiragana("アオバ助産院ヴ")).toBe("あおば助産院ゔ");
    expect(toHiragana("abc ー")).toBe("abc ー");
  });
});

const facility = (over: Partial<FacilityDto> = {}): FacilityDto => ({
  id: "00000000-0000-4000-8000-000000000001",
  name: "（架空）青葉産婦人科クリニック",
  kana: "あおばさんふじんかくりにっく",
  kind: "clinic",
  associationId: "medical",
  associationName: "宮城県医師会",
  municipalityCode: "041009",
  municipalityName: "仙台市",
  region: "仙台都市圏",
  postalCode: "980-0001",
  address: "宮城県仙台市青葉区中央1-1",
  access: "",
  phone: "",
  email: "",
  website: "",
  bookingUrl: "",
  serviceArea: [],
  languages: ["ja", "en"],
  accessibility: ["wheelchair"],
  description: "Day care with English-speaking midwives",
  services: [{ serviceType: "day", capacity: 3, timeBlocks: [], holdMinutes: 1440 }],
  version: 1,
  updatedAt: "2026-11-25T00:00:00.000Z",
  ...over,
});

describe("matchesFilters", () => {
  const entry = searchEntry(facility());
  const matches = (filters: FacilityFilters) => matchesFilters(entry, filters);

  it("matches everything without filters", () => {
    expect(matches({})).toBe(true);
  });

  it("needs every word somewhere in name, reading, address or description", () => {
    expect(matches({ q: "青葉 クリニック" })).toBe(true);
    expect(matches({ q: "青葉 助産所" })).toBe(false);
    expect(matches({ q: "中央1-1" })).toBe(true);
    expect(matches({ q: "english" })).toBe(true);
  });

  it("ignores case, width and katakana/hiragana in words", () => {
    expect(matches({ q: "ENGLISH" })).toBe(true);
    expect(matches({ q: "ＥＮＧＬＩＳＨ" })).toBe(true);
    expect(matches({ q: "アオバ" })).toBe(true);
    expect(matches({ q: "ｱｵﾊﾞ" })).toBe(true);
  });

  it("takes characters literally (no wildcards)", () => {
    expect(matches({ q: "%" })).toBe(false);
    expect(matches({ q: "_" })).toBe(false);
    expect(matches({ q: ".*" })).toBe(false);
  });

  it("applies each filter", () => {
    expect(matches({ municipality: "041009" })).toBe(true);
    expect(matches({ municipality: "042021" })).toBe(false);
    expect(matches({ region: "仙台都市圏" })).toBe(true);
    expect(matches({ region: "石巻圏" })).toBe(false);
    expect(matches({ kind: "clinic" })).toBe(true);
    expect(matches({ kind: "hospital" })).toBe(false);
    expect(matches({ serviceType: "day" })).toBe(true);
    expect(matches({ serviceType: "stay" })).toBe(false);
    expect(matches({ language: "en" })).toBe(true);
    expect(matches({ language: "zh" })).toBe(false);
    expect(matches({ accessibility: "wheelchair" })).toBe(true);
    expect(matches({ accessibility: "parking" })).toBe(false);
  });

  it("needs all filters at once", () => {
    expect(matches({ municipality: "041009", kind: "clinic", q: "青葉" })).toBe(true);
    expect(matches({ municipality: "041009", kind: "hospital", q: "青葉" })).toBe(false);
  });
});

describe("compareFacilities", () => {
  it("orders by municipality code, then reading, then name, then id", () => {
    const a = facility({ municipalityCode: "041009", kana: "い" });
    const b = facility({ municipalityCode: "041009", kana: "あ" });
    const c = facility({ municipalityCode: "042021", kana: "あ" });
    const d = facility({ municipalityCode: "041009", kana: "あ", name: "あ", id: "2" });
    const e = facility({ municipalityCode: "041009", kana: "あ", name: "あ", id: "1" });
    expect([a, b, c, d, e].sort(compareFacilities)).toEqual([e, d, b, a, c]);
  });
});
