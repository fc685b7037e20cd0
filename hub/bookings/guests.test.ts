import { describe, expect, it } from "vitest";
import { toGuest } from "./guests.js";

describe("toGuest: what the facility sees of the mother behind a booking", () => {
  const facts = {
    name: "宮城 花子",
    kana: "みやぎ はなこ",
    child: { birthDate: "2026-01-10", dueDate: "2026-03-10" },
    corrected: true,
    notes: ["アレルギーがあります"],
  };
  it("gives the corrected age where the policy corrects, the age from birth where it does not", () => {
    expect(toGuest(facts, "2026-05-20")).toMatchObject({ childAgeMonths: 2, ageBasis: "corrected" });
    expect(toGuest({ ...facts, corrected: false }, "2026-05-20")).toMatchObject({
      childAgeMonths: 4,
      ageBasis: "birth",
    });
  });
  it("has no age without a child or before the birth, and keeps name and notes", () => {
    expect(toGuest({ ...facts, child: null }, "2026-05-20")).toEqual({
      name: "宮城 花子",
      kana: "みやぎ はなこ",
      childAgeMonths: null,
      ageBasis: null,
      notes: ["アレルギーがあります"],
    });
    expect(toGuest(facts, "2026-01-09").childAgeMonths).toBeNull();
  });
});
