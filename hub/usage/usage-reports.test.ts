import { describe, expect, it } from "vitest";
import { formatDate } from "../inventory/dates.js";
import { parseMonth } from "./monthly.js";
import {
  deadlinePassed,
  reminderDue,
  remindMonths,
  reportDeadline,
  reportStatus,
  validateReport,
} from "./usage-reports.js";

const month = (text: string) => parseMonth(text) ?? expect.unreachable(text);
/** The instant of hh:00 in Tokyo on a day. */
const tokyo = (date: string, hh: number) => new Date(Date.parse(`${date}T00:00:00Z`) + (hh - 9) * 3600_000);

describe("usage report deadlines", () => {
  it("is the 10th of the next month, moved to the next business day", () => {
    expect(formatDate(reportDeadline(month("2026-10")))).toBe("2026-11-10"); // Tuesday
    expect(formatDate(reportDeadline(month("2025-12")))).toBe("2026-01-13"); // Sat, Sun, 成人の日
    expect(formatDate(reportDeadline(month("2026-04")))).toBe("2026-05-11"); // Sunday 10th
    expect(formatDate(reportDeadline(month("2026-12")))).toBe("2027-01-12"); // Sunday, then 成人の日
  });

  it("passes when the deadline day is over in Tokyo", () => {
    const d = reportDeadline(month("2026-10"));
    expect(deadlinePassed(d, tokyo("2026-11-10", 23))).toBe(false);
    expect(deadlinePassed(d, tokyo("2026-11-11", 0))).toBe(true);
  });

  it("reminds from three days before", () => {
    const d = reportDeadline(month("2026-10"));
    expect(reminderDue(d, tokyo("2026-11-06", 23))).toBe(false);
    expect(reminderDue(d, tokyo("2026-11-07", 0))).toBe(true);
    expect(reminderDue(d, tokyo("2026-12-01", 12))).toBe(true);
    expect(remindMonths(tokyo("2026-11-07", 6)).map((m) => m.text)).toEqual([
      "2026-10",
      "2026-09",
      "2026-08",
      "2026-07",
    ]);
  });

  it("states", () => {
    expect(reportStatus(null)).toBe("due");
    expect(reportStatus({ confirmedAt: null })).toBe("submitted");
    expect(reportStatus({ confirmedAt: new Date() })).toBe("confirmed");
  });
});

describe("validateReport", () => {
  it("keeps known care codes in form order, trims texts", () => {
    expect(
      validateReport({
        care: ["rest", "maternal_check", "rest"],
        infantCondition: " 良好 ",
        copayCollected: 0,
      }),
    ).toEqual({ care: ["maternal_check", "rest"], infantCondition: "良好", notes: "", copayCollected: 0 });
  });

  it("names every bad field", () => {
    try {
      validateReport({
        care: ["x"],
        notes: "a".repeat(2001),
        infantCondition: "\u0000",
        copayCollected: 1.5,
      });
      expect.unreachable();
    } catch (err) {
      const e = err as { kind: string; errors: { path: string }[] };
      expect(e.kind).toBe("unprocessable");
      expect(e.errors.map((x) => x.path)).toEqual(["care", "infantCondition", "notes", "copayCollected"]);
    }
    expect(() => validateReport({ copayCollected: 0 })).toThrow();
    expect(() => validateReport({ care: ["rest"], copayCollected: -1 })).toThrow();
  });
});
