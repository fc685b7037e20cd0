import { describe, expect, it } from "vitest";
import {
  type ApplicantInput,
  checkApplicant,
  checkEmail,
  hashToken,
  newReference,
  newToken,
  nextState,
  normalisePhoneNumber,
  statusUrl,
} from "./rules.js";

// 2026-06-15 10:00 in Tokyo.
const now = new Date("2026-06-15T01:00:00Z");

type Child = { birthDate?: string | null; dueDate?: string | null; multipleBirth?: number };
const valid = (over: Partial<ApplicantInput> = {}, child: Child = {}): ApplicantInput => ({
  familyName: "青葉",
  givenName: "花子",
  kana: "アオバ ハナコ",
  birthDate: "1994-05-12",
  postalCode: "9800811",
  address: "仙台市青葉区一番町1-1-1",
  phone: "０９０−１２３４−５６７８",
  ...over,
  childName: "",
  childBirthDate: child.birthDate === undefined ? "2026-05-20" : child.birthDate,
  childDueDate: child.dueDate ?? null,
  multipleBirth: child.multipleBirth ?? 1,
});

const codes = (input: ApplicantInput) => checkApplicant(input, now).errors.map((e) => `${e.path}:${e.code}`);

describe("checkApplicant", () => {
  it("accepts a complete application and normalises it", () => {
    const { data, errors } = checkApplicant(valid(), now);
    expect(errors).toEqual([]);
    expect(data).toMatchObject({
      postalCode: "980-0811",
      phone: "09012345678",
      childName: "",
      multipleBirth: 1,
    });
    expect(data?.childBirthDate?.toISOString().slice(0, 10)).toBe("2026-05-20");
  });

  it("reports every missing or malformed field at once, with its path", () => {
    expect(
      codes(valid({ familyName: " ", kana: "aoba", postalCode: "98", phone: "12", birthDate: "1994-13-01" })),
    ).toEqual([
      "familyName:required",
      "kana:bad_kana",
      "postalCode:bad_postal_code",
      "phone:bad_phone",
      "birthDate:bad_date",
    ]);
  });

  it("asks for an empty date rather than calling it malformed", () => {
    expect(codes(valid({ birthDate: "" }))).toEqual(["birthDate:required"]);
  });

  it("needs the birth date or, before the birth, a due date within ten months", () => {
    expect(codes(valid({}, { birthDate: null }))).toEqual(["childBirthDate:required"]);
    expect(codes(valid({}, { birthDate: null, dueDate: "2026-09-01" }))).toEqual([]);
    expect(codes(valid({}, { birthDate: null, dueDate: "2027-06-01" }))).toEqual([
      "childDueDate:due_date_out_of_range",
    ]);
    expect(codes(valid({}, { birthDate: null, dueDate: "2026-05-01" }))).toEqual([
      "childDueDate:due_date_out_of_range",
    ]);
  });

  it("refuses a baby born in the future or a year or more ago (postpartum care is the first year)", () => {
    expect(codes(valid({}, { birthDate: "2026-06-16" }))).toEqual(["childBirthDate:future_date"]);
    expect(codes(valid({}, { birthDate: "2025-06-15" }))).toEqual(["childBirthDate:child_too_old"]);
    expect(codes(valid({}, { birthDate: "2025-06-16" }))).toEqual([]);
  });

  it("keeps a preterm baby's due date (corrected age) within 20 weeks of the birth", () => {
    expect(codes(valid({}, { birthDate: "2026-05-20", dueDate: "2026-07-10" }))).toEqual([]);
    expect(codes(valid({}, { birthDate: "2026-05-20", dueDate: "2027-01-10" }))).toEqual([
      "childDueDate:due_date_out_of_range",
    ]);
  });

  it("wants the mother born before the baby, and 1 to 5 babies", () => {
    expect(codes(valid({ birthDate: "2026-05-21" }, { multipleBirth: 6 }))).toEqual([
      "multipleBirth:bad_number",
      "birthDate:bad_date",
    ]);
  });
});

describe("contacts", () => {
  it("normalises e-mail as the sign-in does and refuses what is not one", () => {
    expect(checkEmail(" Hanako@Example.JP ")).toEqual({ email: "hanako@example.jp" });
    expect("error" in checkEmail("hanako")).toBe(true);
  });

  it("reads phone numbers with hyphens and full-width digits", () => {
    expect(normalisePhoneNumber("022-123-4567")).toBe("0221234567");
    expect(normalisePhoneNumber("12345")).toBeNull();
  });
});

describe("nextState", () => {
  it("lets the clerk act while open and the mother amend only when asked", () => {
    expect(nextState("submitted", "approve")).toBe("approved");
    expect(nextState("submitted", "request_info")).toBe("needs_info");
    expect(nextState("submitted", "amend")).toBeNull();
    expect(nextState("needs_info", "amend")).toBe("submitted");
    expect(nextState("needs_info", "decline")).toBe("declined");
  });

  it("keeps approved and declined final", () => {
    for (const action of ["amend", "request_info", "decline", "approve"] as const) {
      expect(nextState("approved", action)).toBeNull();
      expect(nextState("declined", action)).toBeNull();
    }
  });
});

describe("reference and token", () => {
  it("makes references that can be read out without I, L, O or U", () => {
    const refs = Array.from({ length: 50 }, newReference);
    for (const r of refs) expect(r).toMatch(/^AP-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(new Set(refs).size).toBe(50);
  });

  it("stores only a hash of the token, and puts the token in the link's fragment", () => {
    const { token, hash } = newToken();
    expect(token.length).toBeGreaterThanOrEqual(43);
    expect(hash).toBe(hashToken(token));
    expect(hash).not.toContain(token);
    expect(statusUrl("https://x.example/", token)).toBe(`https://x.example/apply/status#${token}`);
  });
});
