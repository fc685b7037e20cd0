import { describe, expect, it } from "vitest";
import {
  escapeLike,
  facilityOrder,
  facilityWhere,
  MAX_SEARCH_WORDS,
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

describe("escapeLike", () => {
  it("makes LIKE wildcards and the escape character literal", () => {
    expect(escapeLike("100%_a\\b")).toBe("100\\%\\_a\\\\b");
    expect(escapeLike("助産院")).toBe("助産院");
  });

  it("is applied to every searched word", () => {
    expect(JSON.stringify(facilityWhere({ q: "%" }))).toContain('"contains":"\\\\%"');
  });
});

describe("facilityWhere", () => {
  it("always restricts to published facilities", () => {
    expect(facilityWhere({})).toEqual({ published: true });
  });

  it("needs every word somewhere in name, kana, address or description (case-insensitive)", () => {
    const where = facilityWhere({ q: "Aoba アオバ" });
    expect(where.AND).toHaveLength(2);
    expect(where.AND).toContainEqual({
      OR: [
        { name: { contains: "アオバ", mode: "insensitive" } },
        { kana: { contains: "あおば", mode: "insensitive" } },
        { address: { contains: "アオバ", mode: "insensitive" } },
        { description: { contains: "アオバ", mode: "insensitive" } },
      ],
    });
  });

  it("maps each filter to its condition", () => {
    expect(
      facilityWhere({
        municipality: "041009",
        region: "仙台",
        kind: "clinic",
        serviceType: "visit",
        language: "en",
        accessibility: "wheelchair",
      }),
    ).toEqual({
      published: true,
      AND: [
        { municipalityCode: "041009" },
        { municipality: { region: "仙台" } },
        { kind: "clinic" },
        { services: { some: { serviceType: "visit" } } },
        { languages: { has: "en" } },
        { accessibility: { has: "wheelchair" } },
      ],
    });
  });

  it("orders by municipality code, then reading, then name", () => {
    expect(facilityOrder.map((o) => Object.keys(o)[0])).toEqual(["municipalityCode", "kana", "name", "id"]);
  });
});
