import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { codeMatches, codeMessage, generateCode, hashCode, limiterKey } from "./codes.js";

const key = randomBytes(32);
const user = "6f1c1a52-8a0e-4c47-9c1e-2d4f1b9a0c11";

describe("generateCode", () => {
  it("gives six digits, leading zeros included", () => {
    for (let i = 0; i < 200; i++) expect(generateCode()).toMatch(/^[0-9]{6}$/);
  });
});

describe("hashCode / codeMatches", () => {
  it("matches the right code only, for the right user and key", () => {
    const stored = hashCode(key, user, "012345");
    expect(stored).not.toContain("012345");
    expect(codeMatches(key, user, "012345", stored)).toBe(true);
    expect(codeMatches(key, user, "012346", stored)).toBe(false);
    expect(codeMatches(key, "someone-else", "012345", stored)).toBe(false);
    expect(codeMatches(randomBytes(32), user, "012345", stored)).toBe(false);
    expect(codeMatches(key, user, "012345", "not-hex")).toBe(false);
  });
});

describe("limiterKey", () => {
  it("is stable and does not contain the address", () => {
    expect(limiterKey(key, "email:a@example.jp")).toBe(limiterKey(key, "email:a@example.jp"));
    expect(limiterKey(key, "email:a@example.jp")).not.toContain("example");
  });
});

describe("codeMessage", () => {
  const expiresAt = new Date("2026-11-25T05:10:00Z"); // 14:10 in Tokyo

  it("writes a Japanese e-mail with the code and the expiry in Tokyo time", () => {
    const m = codeMessage({
      channel: "email",
      to: "a@example.jp",
      code: "012345",
      expiresAt,
      language: "ja",
      signInUrl: "https://sango.example.jp/sign-in",
    });
    expect(m.channel).toBe("email");
    expect(m.text).toContain("https://sango.example.jp/sign-in");
    expect(m.to).toBe("a@example.jp");
    expect(m.subject).toContain("確認コード");
    expect(m.text).toContain("012345");
    expect(m.text).toContain("14:10");
    expect(m.text).not.toMatch(/sign-in code/i);
  });

  it("adds English for residents who prefer it", () => {
    const m = codeMessage({
      channel: "email",
      to: "a@example.jp",
      code: "012345",
      expiresAt,
      language: "en",
      signInUrl: "https://sango.example.jp/sign-in",
    });
    expect(m.text).toContain("確認コード");
    expect(m.text).toContain("Your Miyagi postpartum care sign-in code is 012345");
  });

  it("keeps SMS short", () => {
    const m = codeMessage({
      channel: "sms",
      to: "+819012345678",
      code: "987654",
      expiresAt,
      language: "ja",
      signInUrl: "https://sango.example.jp/sign-in",
    });
    expect(m.subject).toBeUndefined();
    expect(m.text).toContain("987654");
    expect(m.text).toContain("14:10");
    expect(m.text.length).toBeLessThanOrEqual(70);
  });
});
