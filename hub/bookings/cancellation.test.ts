import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addDays, formatDate, tokyoDate } from "../inventory/dates.js";
import { examplePolicies } from "../policies/examples.js";
import type { CancellationRule } from "../policies/policy.js";
import {
  businessDayBefore,
  CHANGED,
  cancellationCost,
  cancellationDeadline,
  cutoffKind,
  DEFAULT_CANCELLATION_RULE,
  feeAmount,
  isBusinessDay,
  isPublicHoliday,
  reasonCodes,
  splitFee,
} from "./cancellation.js";

const date = (text: string) => new Date(`${text}T00:00:00Z`);
const jst = (text: string) => new Date(`${text}+09:00`);
const standard: CancellationRule = {
  cutoff: { businessDaysBefore: 1, time: "10:00" },
  fee: { kind: "percent_of_fee", percent: 100 },
  split: { kind: "resident_copay" },
  noFeeReasons: ["facility_caused", "birth_priority", "illness"],
};
const deadline = (
  start: string,
  cutoff: CancellationRule["cutoff"] = standard.cutoff,
  closed: string[] = [],
) => cancellationDeadline(cutoff, date(start), new Set(closed));
/** A 1泊2日 stay of 名取市: 2 units of ¥30,000, the resident's copay ¥10,000. */
const stay = { fee: 60_000, units: 2, residentCopay: 10_000 };
const cost = (over: Partial<Parameters<typeof cancellationCost>[0]> = {}) =>
  cancellationCost({
    rule: standard,
    deadline: jst("2026-12-01T10:00:00"),
    now: jst("2026-12-01T10:00:00"),
    status: "confirmed",
    by: "resident",
    reasonCode: "resident_request",
    booking: stay,
    ...over,
  });

describe("business days", () => {
  it("are Monday to Friday except public holidays and the facility's closures", () => {
    expect(isBusinessDay(date("2026-12-01"), new Set())).toBe(true); // Tuesday
    expect(isBusinessDay(date("2026-12-05"), new Set())).toBe(false); // Saturday
    expect(isBusinessDay(date("2026-12-06"), new Set())).toBe(false); // Sunday
    expect(isBusinessDay(date("2026-11-23"), new Set())).toBe(false); // 勤労感謝の日, a Monday
    expect(isBusinessDay(date("2026-12-01"), new Set(["2026-12-01"]))).toBe(false);
    // Substitute holidays and 国民の休日 come from the maintained list too.
    expect(isPublicHoliday("2026-05-06")).toBe(true); // 振替休日
    expect(isPublicHoliday("2026-09-22")).toBe(true); // 国民の休日
    expect(isPublicHoliday("2026-12-31")).toBe(false); // year-end is not a public holiday: facilities close it
  });

  it("counts back over weekends, holidays and closures", () => {
    const dayBefore = (start: string, n: number, closed: string[] = []) =>
      formatDate(businessDayBefore(date(start), n, new Set(closed)));
    expect(dayBefore("2026-12-02", 0)).toBe("2026-12-02");
    expect(dayBefore("2026-12-02", 1)).toBe("2026-12-01");
    expect(dayBefore("2026-12-02", 2)).toBe("2026-11-30");
    expect(dayBefore("2026-12-02", 3)).toBe("2026-11-27"); // over the weekend
    expect(dayBefore("2026-11-24", 1)).toBe("2026-11-20"); // over 勤労感謝の日 (Mon 23) and the weekend
    expect(dayBefore("2026-12-03", 1, ["2026-12-02", "2026-12-01"])).toBe("2026-11-30");
  });
});

describe("cancellation deadline", () => {
  it("is 10:00 Tokyo on the previous business day by default", () => {
    expect(deadline("2026-12-02").toISOString()).toBe("2026-12-01T01:00:00.000Z");
    // A Monday stay: the Friday before.
    expect(deadline("2026-11-30").toISOString()).toBe("2026-11-27T01:00:00.000Z");
    // A Sunday stay: also the Friday before.
    expect(deadline("2026-12-06").toISOString()).toBe("2026-12-04T01:00:00.000Z");
  });

  it("skips a national holiday Monday: a Tuesday booking's deadline is the Friday before", () => {
    // 海の日 2026-07-20 (Monday).
    expect(deadline("2026-07-21").toISOString()).toBe("2026-07-17T01:00:00.000Z");
    // 成人の日 2027-01-11 (Monday).
    expect(deadline("2027-01-12").toISOString()).toBe("2027-01-08T01:00:00.000Z");
  });

  it("skips a run of holidays (Silver Week 2026) and Golden Week", () => {
    // 9/19 Sat, 9/20 Sun, 9/21 敬老の日, 9/22 国民の休日, 9/23 秋分の日: a Thursday booking's deadline is Friday 9/18.
    expect(deadline("2026-09-24").toISOString()).toBe("2026-09-18T01:00:00.000Z");
    // 2027: 5/3, 5/4, 5/5 (Mon–Wed): Thursday 5/6's deadline is Friday 4/30.
    expect(deadline("2027-05-06").toISOString()).toBe("2027-04-30T01:00:00.000Z");
  });

  it("skips the facility's closure days", () => {
    expect(deadline("2026-12-03", standard.cutoff, ["2026-12-02"]).toISOString()).toBe(
      "2026-12-01T01:00:00.000Z",
    );
    // A closure on the Friday before a holiday Monday pushes a Tuesday booking back a whole week-end more.
    expect(deadline("2026-07-21", standard.cutoff, ["2026-07-17"]).toISOString()).toBe(
      "2026-07-16T01:00:00.000Z",
    );
    // Closures elsewhere change nothing.
    expect(deadline("2026-12-03", standard.cutoff, ["2026-12-04", "2026-11-01"]).toISOString()).toBe(
      "2026-12-02T01:00:00.000Z",
    );
  });

  it("crosses the year end (New Year's Day is a holiday, 31 December is not)", () => {
    // Monday 2027-01-04: 1/1 Friday is 元日, the weekend; Thursday 12/31 is a business day unless closed.
    expect(deadline("2027-01-04").toISOString()).toBe("2026-12-31T01:00:00.000Z");
    const yearEnd = ["2026-12-29", "2026-12-30", "2026-12-31", "2027-01-02", "2027-01-03"];
    expect(deadline("2027-01-04", standard.cutoff, yearEnd).toISOString()).toBe("2026-12-28T01:00:00.000Z");
  });

  it("takes the policy's number of business days and time, in Tokyo", () => {
    expect(deadline("2026-12-02", { businessDaysBefore: 2, time: "17:30" }).toISOString()).toBe(
      "2026-11-30T08:30:00.000Z",
    );
    // 08:00 in Tokyo is still the previous day in UTC.
    expect(deadline("2026-12-02", { businessDaysBefore: 1, time: "08:00" }).toISOString()).toBe(
      "2026-11-30T23:00:00.000Z",
    );
    // 0 business days: that time on the service day itself, even a Saturday.
    expect(deadline("2026-12-05", { businessDaysBefore: 0, time: "09:00" }).toISOString()).toBe(
      "2026-12-05T00:00:00.000Z",
    );
  });

  it("holds for any start date, number of days and closures: exactly n business days from the deadline's day", () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date("2025-01-01T00:00:00Z"),
          max: new Date("2030-12-31T00:00:00Z"),
          noInvalidDate: true,
        }),
        fc.integer({ min: 1, max: 14 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 10 }),
        (instant, n, closedOffsets) => {
          const start = tokyoDate(instant);
          const closed = new Set(closedOffsets.map((k) => formatDate(addDays(start, -k))));
          const d = cancellationDeadline({ businessDaysBefore: n, time: "10:00" }, start, closed);
          const day = tokyoDate(d);
          expect(d.getTime() - day.getTime()).toBe(3600_000); // 10:00 JST = 01:00 UTC
          expect(isBusinessDay(day, closed)).toBe(true);
          let count = 0;
          for (let x = day; x < start; x = new Date(x.getTime() + 86_400_000)) {
            if (isBusinessDay(x, closed)) count++;
          }
          expect(count).toBe(n);
        },
      ),
    );
  });
});

describe("cancellation fee", () => {
  it("is free until 09:59:59 on the deadline day and owed from 10:00:00", () => {
    const d = deadline("2026-12-02");
    expect(cost({ deadline: d, now: jst("2026-12-01T09:59:59") })).toMatchObject({
      late: false,
      fee: 0,
      waived: "before_deadline",
    });
    expect(cost({ deadline: d, now: jst("2026-12-01T09:59:59.999") }).fee).toBe(0);
    expect(cost({ deadline: d, now: jst("2026-12-01T10:00:00") })).toMatchObject({
      late: true,
      fee: 60_000,
      residentShare: 10_000,
      municipalityShare: 50_000,
      waived: null,
    });
  });

  it("around a holiday Monday: Friday 10:00 is the line for a Tuesday booking", () => {
    const d = deadline("2026-07-21");
    expect(cost({ deadline: d, now: jst("2026-07-17T09:59:59") }).fee).toBe(0);
    expect(cost({ deadline: d, now: jst("2026-07-17T10:00:00") }).fee).toBe(60_000);
    // Monday (the holiday) is long past the line.
    expect(cost({ deadline: d, now: jst("2026-07-20T08:00:00") }).fee).toBe(60_000);
  });

  it("waives the fee for the policy's no-fee reasons, the facility, a change and unconfirmed requests", () => {
    expect(cost({ reasonCode: "illness", by: "municipality" })).toMatchObject({
      fee: 0,
      waived: "no_fee_reason",
      claim: null,
    });
    expect(cost({ reasonCode: "birth_priority" })).toMatchObject({ fee: 0, waived: "no_fee_reason" });
    expect(cost({ by: "facility" })).toMatchObject({ fee: 0, waived: "facility" });
    expect(cost({ by: "facility", reasonCode: "resident_request" }).fee).toBe(0);
    expect(cost({ reasonCode: CHANGED })).toMatchObject({ fee: 0, waived: "changed" });
    expect(cost({ status: "requested" })).toMatchObject({ fee: 0, waived: "not_confirmed" });
    expect(cost({ rule: null })).toMatchObject({ fee: 0, waived: "no_policy" });
    // The municipality cancelling for the resident is charged like the resident.
    expect(cost({ by: "municipality" })).toMatchObject({ fee: 60_000, waived: null });
    // A reason code the policy does not list waives nothing.
    expect(cost({ reasonCode: "disaster" }).fee).toBe(60_000);
    expect(
      cost({
        rule: { ...standard, noFeeReasons: [...standard.noFeeReasons, "disaster"] },
        reasonCode: "disaster",
      }).fee,
    ).toBe(0);
  });

  it("keeps a resident's own no-fee reason as a claim: free for now, the fee if it is declined", () => {
    const sendaiSplit = { ...standard, fee: { kind: "percent_of_fee" as const, percent: 50 } };
    expect(cost({ rule: sendaiSplit, reasonCode: "illness" })).toMatchObject({
      fee: 0,
      residentShare: 0,
      municipalityShare: 0,
      waived: "no_fee_reason",
      claim: { fee: 30_000, residentShare: 10_000, municipalityShare: 20_000 },
    });
    // Nothing to claim where nothing would be owed: before the deadline, unconfirmed, or a ¥0 fee.
    expect(cost({ reasonCode: "illness", now: jst("2026-12-01T09:59:59") }).claim).toBeNull();
    expect(cost({ reasonCode: "illness", status: "requested" }).claim).toBeNull();
    expect(
      cost({ rule: { ...standard, fee: { kind: "percent_of_fee", percent: 0 } }, reasonCode: "illness" })
        .claim,
    ).toBeNull();
    // A reason that is not a no-fee reason is no claim: the fee is owed at once.
    expect(cost({ reasonCode: "resident_request" })).toMatchObject({ fee: 60_000, claim: null });
  });

  it("takes a percentage of the booking's fee (rounded down) or an amount per unit", () => {
    expect(feeAmount({ kind: "percent_of_fee", percent: 100 }, stay)).toBe(60_000);
    expect(feeAmount({ kind: "percent_of_fee", percent: 50 }, stay)).toBe(30_000);
    expect(feeAmount({ kind: "percent_of_fee", percent: 33 }, { fee: 10_001, units: 1 })).toBe(3_300);
    expect(feeAmount({ kind: "percent_of_fee", percent: 0 }, stay)).toBe(0);
    expect(feeAmount({ kind: "fixed_per_unit", amount: 5_000 }, stay)).toBe(10_000);
    expect(feeAmount({ kind: "fixed_per_unit", amount: 5_000 }, { fee: 0, units: 0 })).toBe(0);
  });

  it("splits by the policy: copay (capped at the fee), a percentage, or one side", () => {
    expect(splitFee(60_000, { kind: "resident_copay" }, 10_000)).toEqual({
      residentShare: 10_000,
      municipalityShare: 50_000,
    });
    expect(splitFee(6_000, { kind: "resident_copay" }, 10_000)).toEqual({
      residentShare: 6_000,
      municipalityShare: 0,
    });
    expect(splitFee(64_000, { kind: "resident_percent", percent: 50 }, 0)).toEqual({
      residentShare: 32_000,
      municipalityShare: 32_000,
    });
    expect(splitFee(3_301, { kind: "resident_percent", percent: 50 }, 0)).toEqual({
      residentShare: 1_650,
      municipalityShare: 1_651,
    });
    expect(splitFee(10_000, { kind: "resident" }, 0)).toEqual({
      residentShare: 10_000,
      municipalityShare: 0,
    });
    expect(splitFee(10_000, { kind: "municipality" }, 9_000)).toEqual({
      residentShare: 0,
      municipalityShare: 10_000,
    });
  });

  it("大崎市-style rules: a fixed amount per unit, all paid by the resident", () => {
    const osaki: CancellationRule = {
      ...standard,
      fee: { kind: "fixed_per_unit", amount: 5_000 },
      split: { kind: "resident" },
    };
    expect(cost({ rule: osaki, booking: { fee: 36_000, units: 1, residentCopay: 5_000 } })).toMatchObject({
      fee: 5_000,
      residentShare: 5_000,
      municipalityShare: 0,
    });
  });

  it("lists the reason codes a caller may give, the default first", () => {
    expect(reasonCodes(standard, "resident")).toEqual([
      "resident_request",
      "facility_caused",
      "birth_priority",
      "illness",
    ]);
    expect(reasonCodes(standard, "facility")[0]).toBe("facility_caused");
    expect(reasonCodes({ ...standard, noFeeReasons: ["changed", "illness"] }, "resident")).toEqual([
      "resident_request",
      "illness",
    ]);
    expect(reasonCodes(DEFAULT_CANCELLATION_RULE, "municipality")).toContain("illness");
  });

  const splits: fc.Arbitrary<CancellationRule["split"]> = fc.oneof(
    fc.constant({ kind: "resident_copay" as const }),
    fc.integer({ min: 0, max: 100 }).map((percent) => ({ kind: "resident_percent" as const, percent })),
    fc.constant({ kind: "resident" as const }),
    fc.constant({ kind: "municipality" as const }),
  );
  const fees: fc.Arbitrary<CancellationRule["fee"]> = fc.oneof(
    fc.integer({ min: 0, max: 100 }).map((percent) => ({ kind: "percent_of_fee" as const, percent })),
    fc.integer({ min: 0, max: 10_000_000 }).map((amount) => ({ kind: "fixed_per_unit" as const, amount })),
  );

  it("always splits into whole, non-negative yen that add up to the fee", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000_000 }),
        splits,
        fc.integer({ min: 0, max: 100_000_000 }),
        (fee, split, copay) => {
          const s = splitFee(fee, split, copay);
          expect(Number.isInteger(s.residentShare) && Number.isInteger(s.municipalityShare)).toBe(true);
          expect(s.residentShare).toBeGreaterThanOrEqual(0);
          expect(s.municipalityShare).toBeGreaterThanOrEqual(0);
          expect(s.residentShare + s.municipalityShare).toBe(fee);
          if (split.kind === "resident_copay") expect(s.residentShare).toBeLessThanOrEqual(copay);
        },
      ),
    );
  });

  it("is never negative and adds up for any rule, booking, caller, reason and instant", () => {
    fc.assert(
      fc.property(
        fees,
        splits,
        fc.record({
          fee: fc.integer({ min: 0, max: 10_000_000 }),
          units: fc.integer({ min: 0, max: 366 }),
          residentCopay: fc.integer({ min: 0, max: 10_000_000 }),
        }),
        fc.constantFrom("resident", "municipality", "facility"),
        fc.constantFrom("resident_request", "illness", "facility_caused", "changed", "other"),
        fc.constantFrom("requested", "confirmed"),
        fc.integer({ min: -3 * 86_400_000, max: 3 * 86_400_000 }),
        (fee, split, booking, by, reasonCode, status, offset) => {
          const d = deadline("2026-12-02");
          const out = cancellationCost({
            rule: { ...standard, fee, split },
            deadline: d,
            now: new Date(d.getTime() + offset),
            status,
            by,
            reasonCode,
            booking,
          });
          expect(out.fee).toBeGreaterThanOrEqual(0);
          expect(out.residentShare).toBeGreaterThanOrEqual(0);
          expect(out.municipalityShare).toBeGreaterThanOrEqual(0);
          expect(out.residentShare + out.municipalityShare).toBe(out.fee);
          expect(out.late).toBe(offset >= 0);
          if (out.fee > 0) {
            expect(out.late && status === "confirmed" && by !== "facility").toBe(true);
            expect(["illness", "facility_caused", "changed"]).not.toContain(reasonCode);
          }
          // A claim is always the resident's, for a no-fee reason, on a fee that would otherwise be owed.
          if (out.claim) {
            expect(out.fee).toBe(0);
            expect(by).toBe("resident");
            expect(["illness", "facility_caused"]).toContain(reasonCode);
            expect(out.claim.fee).toBeGreaterThan(0);
            expect(out.claim.residentShare + out.claim.municipalityShare).toBe(out.claim.fee);
          }
        },
      ),
    );
  });
});

describe("the cutoff as an explicit policy choice", () => {
  const calendar = { businessDaysBefore: 1, time: "10:00", days: "calendar" as const, closuresMove: false };
  const business = { businessDaysBefore: 1, time: "10:00", days: "business" as const, closuresMove: true };
  it("calendar days (the specification's 「前日10時」): a Monday stay's deadline is Sunday 10:00", () => {
    // 2026-11-30 is a Monday.
    expect(deadline("2026-11-30", calendar).toISOString()).toBe("2026-11-29T01:00:00.000Z");
    // Public holidays count as days too: Tuesday after 海の日 (2026-07-20) → Monday 10:00.
    expect(deadline("2026-07-21", calendar).toISOString()).toBe("2026-07-20T01:00:00.000Z");
  });
  it("business days: the Monday stay's deadline is the Friday before", () => {
    expect(deadline("2026-11-30", business).toISOString()).toBe("2026-11-27T01:00:00.000Z");
  });
  it("whether the facility's closures move it is a choice of its own", () => {
    expect(deadline("2026-12-03", calendar, ["2026-12-02"]).toISOString()).toBe("2026-12-02T01:00:00.000Z");
    expect(deadline("2026-12-03", { ...calendar, closuresMove: true }, ["2026-12-02"]).toISOString()).toBe(
      "2026-12-01T01:00:00.000Z",
    );
    expect(deadline("2026-12-03", { ...business, closuresMove: false }, ["2026-12-02"]).toISOString()).toBe(
      "2026-12-02T01:00:00.000Z",
    );
  });
  it("a rule stored before the choice existed keeps its meaning (business days, closures counted out)", () => {
    expect(cutoffKind({ businessDaysBefore: 1, time: "10:00" })).toEqual({
      days: "business",
      closuresMove: true,
    });
  });
  it("the worked examples of 名取市, 大崎市 and 仙台市 state their choice; the fallback rule is the specification's", () => {
    for (const p of examplePolicies) {
      // As published (data/README.md): 10:00 the day before, the day before that when the facility is closed.
      expect(p.cancellation.cutoff).toEqual({
        businessDaysBefore: 1,
        time: "10:00",
        days: "calendar",
        closuresMove: true,
      });
      // A Monday stay: free until Sunday 10:00 JST; a Thursday stay after a closed Wednesday: until Tuesday 10:00.
      expect(deadline("2026-11-30", p.cancellation.cutoff).toISOString()).toBe("2026-11-29T01:00:00.000Z");
      expect(deadline("2026-12-03", p.cancellation.cutoff, ["2026-12-02"]).toISOString()).toBe(
        "2026-12-01T01:00:00.000Z",
      );
    }
    expect(DEFAULT_CANCELLATION_RULE.cutoff).toMatchObject({ days: "calendar", closuresMove: false });
    expect(deadline("2026-11-30", DEFAULT_CANCELLATION_RULE.cutoff).toISOString()).toBe(
      "2026-11-29T01:00:00.000Z",
    );
  });
});
