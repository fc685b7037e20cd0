import { describe, expect, it } from "vitest";
import { kanaVariants, residentSearchWhere } from "./resident-search.js";

describe("kanaVariants", () => {
  it("gives hiragana and katakana spellings", () => {
    expect(kanaVariants("さとう")).toEqual(["さとう", "サトウ"]);
    expect(kanaVariants("サトウ")).toEqual(["サトウ", "さとう"]);
    expect(kanaVariants("佐藤")).toEqual(["佐藤"]);
  });
});

describe("residentSearchWhere", () => {
  it("is empty without words", () => {
    expect(residentSearchWhere(undefined)).toEqual({});
    expect(residentSearchWhere("  　 ")).toEqual({});
  });

  it("needs every word to match somewhere (full-width spaces split words too)", () => {
    const where = residentSearchWhere("佐藤　花子") as { AND: { OR: unknown[] }[] };
    expect(where.AND).toHaveLength(2);
    expect(JSON.stringify(where.AND[0])).toContain("佐藤");
    expect(JSON.stringify(where.AND[1])).toContain("花子");
  });

  it("matches a mobile number however it was stored", () => {
    const where = residentSearchWhere("09000000001") as { AND: { OR: { phone?: { in?: string[] } }[] }[] };
    const variants = where.AND[0]?.OR.find((c) => c.phone?.in)?.phone?.in;
    expect(variants).toContain("090-0000-0001");
  });
});

describe("residentSearchWhere with LIKE's special characters", () => {
  it("searches for _, % and \\ literally", () => {
    const where = residentSearchWhere("residen_0860 100% a\\b") as { AND: { OR: unknown[] }[] };
    const text = JSON.stringify(where);
    expect(text).toContain('"contains":"residen\\\\_0860"');
    expect(text).toContain('"contains":"100\\\\%"');
    expect(text).toContain('"contains":"a\\\\\\\\b"');
  });
});
