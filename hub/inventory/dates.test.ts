import { describe, expect, it } from "vitest";
import { DomainError } from "../errors.js";
import {
  addDays,
  dateRange,
  daysBetween,
  formatDate,
  parseDate,
  parseRange,
  requireDate,
  tokyoDate,
  tokyoToday,
} from "./dates.js";

const d = (s: string) => {
  const v = parseDate(s);
  if (!v) throw new Error(`bad test date ${s}`);
  return v;
};

describe("parseDate / formatDate", () => {
  it("reads a calendar date as midnight UTC, as DATE columns hold it", () => {
    expect(parseDate("2026-12-01")?.toISOString()).toBe("2026-12-01T00:00:00.000Z");
    expect(formatDate(d("2026-12-01"))).toBe("2026-12-01");
  });

  it("accepts 29 February only in leap years", () => {
    expect(parseDate("2028-02-29")).not.toBeNull();
    expect(parseDate("2026-02-29")).toBeNull();
  });

  it("refuses what is not a real date", () => {
    for (const s of [
      "2026-13-01",
      "2026-04-31",
      "2026-1-1",
      "20261201",
      "",
      "2026-12-01T00:00:00Z",
      " 2026-12-01",
    ]) {
      expect(parseDate(s), s).toBeNull();
    }
  });
});

describe("date arithmetic", () => {
  it("adds days across month and year ends", () => {
    expect(formatDate(addDays(d("2026-12-31"), 1))).toBe("2027-01-01");
    expect(formatDate(addDays(d("2028-02-28"), 1))).toBe("2028-02-29");
    expect(formatDate(addDays(d("2027-03-01"), -1))).toBe("2027-02-28");
  });

  it("counts days between dates", () => {
    expect(daysBetween(d("2026-12-30"), d("2027-01-02"))).toBe(3);
    expect(daysBetween(d("2027-01-02"), d("2026-12-30"))).toBe(-3);
  });

  it("lists an inclusive range", () => {
    expect(dateRange(d("2026-12-30"), d("2027-01-01")).map(formatDate)).toEqual([
      "2026-12-30",
      "2026-12-31",
      "2027-01-01",
    ]);
    expect(dateRange(d("2026-12-30"), d("2026-12-30"))).toHaveLength(1);
    expect(dateRange(d("2026-12-30"), d("2026-12-29"))).toEqual([]);
  });
});

describe("today in Tokyo (UTC+9, no daylight saving)", () => {
  it("turns over at 15:00 UTC", () => {
    expect(formatDate(tokyoToday(new Date("2026-11-30T14:59:59.999Z")))).toBe("2026-11-30");
    expect(formatDate(tokyoToday(new Date("2026-11-30T15:00:00.000Z")))).toBe("2026-12-01");
  });

  it("is already the new year at 09:00 JST on 1 January", () => {
    expect(formatDate(tokyoDate(new Date("2026-12-31T15:30:00Z")))).toBe("2027-01-01");
  });

  it("is the same day around 10:00 JST (the cancellation cutoff hour)", () => {
    expect(formatDate(tokyoDate(new Date("2026-12-01T00:59:59Z")))).toBe("2026-12-01");
    expect(formatDate(tokyoDate(new Date("2026-12-01T01:00:00Z")))).toBe("2026-12-01");
  });
});

describe("parseRange", () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e instanceof DomainError ? `${e.kind} ${e.code}` : String(e);
    }
    return "ok";
  };

  it("accepts from = to and up to 366 days", () => {
    expect(parseRange("2026-12-01", "2026-12-01").days).toBe(1);
    expect(parseRange("2028-01-01", "2028-12-31").days).toBe(366);
  });

  it("refuses from after to, more than 366 days and non-dates with 422 invalid_range", () => {
    expect(code(() => parseRange("2026-12-02", "2026-12-01"))).toBe("unprocessable invalid_range");
    expect(code(() => parseRange("2026-01-01", "2027-01-02"))).toBe("unprocessable invalid_range");
    expect(code(() => parseRange("2026-02-30", "2026-03-01"))).toBe("unprocessable invalid_range");
  });

  it("requireDate names the field", () => {
    expect(code(() => requireDate("2026-02-30", "startDate"))).toBe("unprocessable invalid_date");
    expect(formatDate(requireDate("2026-02-28", "startDate"))).toBe("2026-02-28");
  });
});
