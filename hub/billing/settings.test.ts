import { describe, expect, it } from "vitest";
import { EMPTY_ISSUER, missingIssuerFields, paymentDueDate } from "./settings.js";

describe("支払期限", () => {
  it("is the last day of the month after the invoice date", () => {
    expect(paymentDueDate("2026-12-07", { paymentDue: "end_of_next_month", paymentDays: 30 })).toBe(
      "2027-01-31",
    );
    expect(paymentDueDate("2027-01-31", { paymentDue: "end_of_next_month", paymentDays: 30 })).toBe(
      "2027-02-28",
    );
    expect(paymentDueDate("2028-01-05", { paymentDue: "end_of_next_month", paymentDays: 30 })).toBe(
      "2028-02-29",
    );
  });
  it("or a number of days after it", () => {
    expect(paymentDueDate("2026-12-07", { paymentDue: "days_after_issue", paymentDays: 30 })).toBe(
      "2027-01-06",
    );
    expect(paymentDueDate("2026-02-27", { paymentDue: "days_after_issue", paymentDays: 2 })).toBe(
      "2026-03-01",
    );
  });
});

describe("the issuer block", () => {
  it("lists what is still empty (blank counts as empty); the account type always has a value", () => {
    expect(missingIssuerFields(null)).toContain("bankName");
    const full = Object.fromEntries(Object.keys(EMPTY_ISSUER).map((k) => [k, "x"])) as any;
    expect(missingIssuerFields({ ...full, accountType: "普通" })).toEqual([]);
    expect(missingIssuerFields({ ...full, accountType: "普通", phone: "  " })).toEqual(["phone"]);
  });
});
