import { describe, expect, it } from "vitest";
import { passwordProblems } from "./password-policy.js";

describe("passwordProblems", () => {
  it("asks for 12 characters at least, counting Japanese characters one each", () => {
    expect(passwordProblems("short-pass1")).toEqual(["too_short"]);
    expect(passwordProblems("gentle-harbor-71")).toEqual([]);
    expect(passwordProblems("みやぎの産後ケアを支える")).toEqual([]);
    expect(passwordProblems("x".repeat(129))).toContain("too_long");
  });

  it("refuses the most common passwords, whatever their case", () => {
    expect(passwordProblems("password1234")).toContain("common");
    expect(passwordProblems("qwertyuiop123")).toContain("common");
    expect(passwordProblems("PASSWORD1234")).toContain("common");
  });

  it("refuses a password that contains the e-mail's mailbox name", () => {
    expect(passwordProblems("sendai-staff-2026!", "sendai@demo.example.jp")).toEqual(["contains_email"]);
  });

  it("does not judge the demo password, which existing accounts keep (checks apply when a password is set)", () => {
    expect(passwordProblems("demo-pass-2026")).toEqual([]);
  });
});
