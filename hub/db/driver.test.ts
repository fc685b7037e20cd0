import { describe, expect, it } from "vitest";
import { copyText, copyValue, isUniqueViolation } from "./driver.js";

describe("COPY text format", () => {
  it("writes NULL as \\N, numbers, bigints and booleans as text, dates as ISO text", () => {
    expect(copyValue(null)).toBe("\\N");
    expect(copyValue(undefined)).toBe("\\N");
    expect(copyValue(-1200)).toBe("-1200");
    expect(copyValue(12345678901234567890n)).toBe("12345678901234567890");
    expect(copyValue(false)).toBe("false");
    expect(copyValue(new Date("2026-04-01T00:00:00Z"))).toBe("2026-04-01T00:00:00.000Z");
  });

  it("escapes the characters that would end a column or a row, and nothing else", () => {
    expect(copyValue("仙台市 宛名-001")).toBe("仙台市 宛名-001");
    expect(copyValue("a\tb\nc\rd\\e")).toBe("a\\tb\\nc\\rd\\\\e");
    // The literal two characters backslash-N are text, not NULL.
    expect(copyValue("\\N")).toBe("\\\\N");
    expect(copyValue("")).toBe("");
  });

  it("refuses what has no plain text form (arrays and JSON go through bulkInsert)", () => {
    expect(() => copyValue(["a"])).toThrow(/cannot copy \[object Array\]/);
    expect(() => copyValue({ a: 1 })).toThrow(/cannot copy \[object Object\]/);
  });

  it("makes one line per row, columns in the fields' order, in chunks of whole rows", () => {
    const rows = [
      { a: 1, b: "x", c: null },
      { a: 2, b: "y\tz", c: true },
      { c: false, b: "", a: 3 },
    ];
    expect([...copyText(["a", "b", "c"], rows, 2)]).toEqual(["1\tx\t\\N\n2\ty\\tz\ttrue\n", "3\t\tfalse\n"]);
    expect([...copyText(["a"], [])]).toEqual([]);
  });

  it("knows a unique key's violation by its SQLSTATE", () => {
    expect(isUniqueViolation({ code: "23505" })).toBe(true);
    expect(isUniqueViolation({ code: "23503" })).toBe(false);
    expect(isUniqueViolation(null)).toBe(false);
  });
});
