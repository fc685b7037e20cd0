import { describe, expect, it } from "vitest";
import { DomainError } from "../errors.js";
import {
  cleanNote,
  lastDay,
  monthEnded,
  parseMonth,
  previousMonth,
  requireMonth,
  subtotalsByFacility,
  sumUses,
  totalsDiffer,
  ZERO_TOTALS,
} from "./monthly.js";

const problemOf = (fn: () => unknown): DomainError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error("expected a DomainError");
};

describe("months", () => {
  it("parses YYYY-MM into DATE bounds [start, end)", () => {
    const m = parseMonth("2026-02");
    expect(m?.start.toISOString()).toBe("2026-02-01T00:00:00.000Z");
    expect(m?.end.toISOString()).toBe("2026-03-01T00:00:00.000Z");
    expect(lastDay(m!)).toBe("2026-02-28");
    expect(lastDay(parseMonth("2028-02")!)).toBe("2028-02-29");
    const dec = parseMonth("2026-12");
    expect(dec?.end.toISOString()).toBe("2027-01-01T00:00:00.000Z");
    expect(lastDay(dec!)).toBe("2026-12-31");
  });

  it("refuses what is not a month", () => {
    for (const bad of [
      "2026-13",
      "2026-00",
      "2026-1",
      "26-01",
      "2026-01-01",
      "2026/01",
      "",
      " 2026-01",
      "1999-12",
    ])
      expect(parseMonth(bad), bad).toBeNull();
    const p = problemOf(() => requireMonth("2026-13"));
    expect(p.kind).toBe("unprocessable");
    expect(p.code).toBe("invalid_month");
    expect(p.errors).toEqual([{ path: "month", message: expect.any(String) }]);
    expect(problemOf(() => requireMonth(undefined)).code).toBe("invalid_month");
    expect(problemOf(() => requireMonth(202601)).code).toBe("invalid_month");
  });

  it("ends a month at midnight of the next month's first day in Asia/Tokyo", () => {
    const oct = parseMonth("2026-10")!;
    // 2026-10-31 23:59 in Tokyo is 14:59 UTC: not ended.
    expect(monthEnded(oct, new Date("2026-10-31T14:59:59Z"))).toBe(false);
    // 2026-11-01 00:00 in Tokyo is 2026-10-31 15:00 UTC: ended, though UTC is still in October.
    expect(monthEnded(oct, new Date("2026-10-31T15:00:00Z"))).toBe(true);
    expect(monthEnded(oct, new Date("2026-10-15T00:00:00Z"))).toBe(false);
    expect(monthEnded(parseMonth("2027-01")!, new Date("2026-11-15T00:00:00Z"))).toBe(false);
  });

  it("gives the previous month in Tokyo", () => {
    expect(previousMonth(new Date("2026-11-25T03:00:00Z"))).toBe("2026-10");
    expect(previousMonth(new Date("2027-01-01T00:00:00Z"))).toBe("2026-12");
    // 2026-11-30 16:00 UTC is already 2026-12-01 in Tokyo.
    expect(previousMonth(new Date("2026-11-30T16:00:00Z"))).toBe("2026-11");
  });
});

describe("totals", () => {
  const items = [
    {
      facilityId: "b",
      facilityName: "（架空）ぬくもり助産所",
      units: 1,
      fee: 9_000,
      residentCopay: 900,
      municipalityShare: 8_100,
    },
    {
      facilityId: "a",
      facilityName: "（架空）青葉産婦人科病院",
      units: 2,
      fee: 64_000,
      residentCopay: 6_000,
      municipalityShare: 58_000,
    },
    {
      facilityId: "b",
      facilityName: "（架空）ぬくもり助産所",
      units: 1,
      fee: 9_000,
      residentCopay: 0,
      municipalityShare: 9_000,
    },
  ];

  it("adds up uses and amounts, and the facilities add up to the total", () => {
    const total = sumUses(items);
    expect(total).toEqual({
      uses: 3,
      units: 4,
      fee: 82_000,
      residentCopay: 6_900,
      municipalityShare: 75_100,
    });
    expect(sumUses([])).toEqual(ZERO_TOTALS);
    const per = subtotalsByFacility(items);
    expect(per.map((f) => [f.facilityId, f.uses, f.fee])).toHaveLength(2);
    const sum = per.reduce(
      (acc, f) => ({
        uses: acc.uses + f.uses,
        units: acc.units + f.units,
        fee: acc.fee + f.fee,
        residentCopay: acc.residentCopay + f.residentCopay,
        municipalityShare: acc.municipalityShare + f.municipalityShare,
      }),
      { ...ZERO_TOTALS },
    );
    expect(sum).toEqual(total);
    expect(per.find((f) => f.facilityId === "b")).toMatchObject({ uses: 2, units: 2, fee: 18_000 });
    // Ordered by name in Japanese collation, whatever the order of the items.
    expect(subtotalsByFacility([...items].reverse()).map((f) => f.facilityId)).toEqual(
      per.map((f) => f.facilityId),
    );
  });

  it("sees any difference against a snapshot", () => {
    const total = sumUses(items);
    expect(totalsDiffer(total, { ...total })).toBe(false);
    for (const key of Object.keys(total) as (keyof typeof total)[])
      expect(totalsDiffer(total, { ...total, [key]: total[key] + 1 }), key).toBe(true);
  });
});

describe("notes", () => {
  it("trims, allows line breaks, refuses control characters and more than 500 characters", () => {
    expect(cleanNote(undefined)).toBe("");
    expect(cleanNote(null)).toBe("");
    expect(cleanNote("  確認しました\n担当：佐藤  ")).toBe("確認しました\n担当：佐藤");
    expect(cleanNote("あ".repeat(500))).toHaveLength(500);
    expect(problemOf(() => cleanNote("あ".repeat(501))).code).toBe("invalid_note");
    expect(problemOf(() => cleanNote("a\u0000b")).errors?.[0]?.path).toBe("note");
    expect(problemOf(() => cleanNote(42)).kind).toBe("unprocessable");
  });
});
