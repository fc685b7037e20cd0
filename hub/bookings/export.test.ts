import { describe, expect, it } from "vitest";
import { csvField, csvLine, jstDateTime } from "./export.js";

describe("CSV cells", () => {
  it("quotes commas, quotes and line breaks; leaves numbers and plain text alone", () => {
    expect(csvField("青葉")).toBe("青葉");
    expect(csvField(12000)).toBe("12000");
    expect(csvField(null)).toBe("");
    expect(csvField('a,"b"')).toBe('"a,""b"""');
    expect(csvField("1行目\n2行目")).toBe('"1行目\n2行目"');
    expect(csvLine(["a", 1, null])).toBe("a,1,\r\n");
  });

  it("defuses text a spreadsheet would run as a formula", () => {
    expect(csvField("=1+1")).toBe("'=1+1");
    expect(csvField("+81")).toBe("'+81");
    expect(csvField("-x")).toBe("'-x");
    expect(csvField("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField("2026-12-01")).toBe("2026-12-01");
  });

  it("writes instants in Japan time", () => {
    expect(jstDateTime(new Date("2026-11-25T15:30:05.000Z"))).toBe("2026-11-26 00:30:05");
    expect(jstDateTime(null)).toBe("");
  });
});
