import { describe, expect, it } from "vitest";
import {
  checkChild,
  checkContact,
  checkNewResident,
  checkResident,
  normaliseEmail,
  normalisePhone,
} from "./validate.js";

// 2026-11-26 08:00 in Tokyo.
const NOW = new Date("2026-11-25T23:00:00Z");
const codes = (r: { errors: { code: string }[] }) => r.errors.map((e) => e.code);

describe("resident validation", () => {
  it("normalises contacts the way the code sign-in does", () => {
    expect(normaliseEmail(" Hanako@Example.JP ")).toEqual({ value: "hanako@example.jp" });
    expect(normaliseEmail("ｈａｎａｋｏ＠example.jp")).toEqual({ value: "hanako@example.jp" });
    expect(normalisePhone("０９０ー１２３４ー５６７８")).toEqual({ value: "09012345678" });
    expect(normalisePhone("+81 90-1234-5678")).toEqual({ value: "09012345678" });
    expect(normalisePhone("")).toEqual({ value: null });
    expect(normaliseEmail(null)).toEqual({ value: null });
    expect("error" in normalisePhone("022-123-4567")).toBe(true);
    expect("error" in normaliseEmail("no-at-sign")).toBe(true);
    expect("error" in normaliseEmail("09012345678")).toBe(true);
  });

  it("checks only the contact fields given", () => {
    expect(checkContact({ preferredLanguage: "pt-BR" })).toEqual({
      data: { preferredLanguage: "pt-BR" },
      errors: [],
    });
    expect(codes(checkContact({ email: "x", phone: "123", preferredLanguage: "Japanese" }))).toEqual([
      "bad_email",
      "bad_phone",
      "bad_language",
    ]);
  });

  it("refuses birth dates in the future (Tokyo calendar) and keeps today", () => {
    expect(checkChild({ name: "a", birthDate: "2026-11-26", multipleBirth: 1 }, NOW).errors).toEqual([]);
    expect(codes(checkChild({ name: "a", birthDate: "2026-11-27", multipleBirth: 1 }, NOW))).toEqual([
      "future_date",
    ]);
    expect(codes(checkResident({ birthDate: "2030-01-01" }, NOW))).toEqual(["future_date"]);
    expect(codes(checkChild({ name: "a", birthDate: "2026-02-30", multipleBirth: 1 }, NOW))).toEqual([
      "bad_date",
    ]);
  });

  it("keeps the due date within 20 weeks of the birth date, either way", () => {
    const child = (dueDate: string) =>
      checkChild({ name: "", birthDate: "2026-06-01", dueDate, multipleBirth: 1 }, NOW);
    expect(child("2026-10-19").errors).toEqual([]); // +140 days
    expect(child("2026-01-12").errors).toEqual([]); // -140 days
    expect(codes(child("2026-10-20"))).toEqual(["due_date_out_of_range"]);
    expect(codes(child("2026-01-11"))).toEqual(["due_date_out_of_range"]);
    expect(child("2026-06-20").data?.dueDate?.toISOString().slice(0, 10)).toBe("2026-06-20");
  });

  it("records consent now, withdraws it with false, and validates the import's formats", () => {
    expect(checkResident({ consent: true }, NOW).data.consentAt).toEqual(NOW);
    expect(checkResident({ consent: false }, NOW).data.consentAt).toBeNull();
    expect(codes(checkResident({ postalCode: "9800811x", externalId: "a b", familyName: " " }, NOW))).toEqual(
      ["required", "bad_postal_code", "bad_external_id"],
    );
    expect(checkResident({ externalId: "" }, NOW).data.externalId).toBeNull();
  });

  it("reports every error of a new resident at once, children included", () => {
    const r = checkNewResident(
      {
        familyName: "宮城",
        givenName: "花子",
        birthDate: "2027-01-01",
        email: "bad",
        children: [
          { name: "a", birthDate: "2026-10-01", multipleBirth: 1 },
          { name: "b", birthDate: "2026-10-01", dueDate: "2027-12-01", multipleBirth: 2 },
        ],
      },
      NOW,
    );
    expect(r.errors.map((e) => `${e.path}:${e.code}`)).toEqual([
      "email:bad_email",
      "birthDate:future_date",
      "children/1/dueDate:due_date_out_of_range",
    ]);
    const motherAfter = checkNewResident(
      {
        familyName: "a",
        givenName: "b",
        birthDate: "2026-10-02",
        children: [{ name: "", birthDate: "2026-10-01", multipleBirth: 1 }],
      },
      NOW,
    );
    expect(codes(motherAfter)).toEqual(["bad_date"]);
  });
});
