import { describe, expect, it } from "vitest";
import { accountMessage, languagesFor } from "./notices.js";

const at = new Date("2026-12-01T01:05:00Z"); // 10:05 in Tokyo

describe("account messages", () => {
  it("write Japanese by default, English for en, both for other locales", () => {
    expect(languagesFor("ja")).toEqual(["ja"]);
    expect(languagesFor("en-GB")).toEqual(["en"]);
    expect(languagesFor("vi")).toEqual(["ja", "en"]);
    const ja = accountMessage(
      { kind: "password_changed" },
      { to: "a@example.jp", locale: "ja", at, ip: "10.0.0.1" },
    );
    expect(ja).toMatchObject({ channel: "email", to: "a@example.jp", language: "ja" });
    expect(ja.subject).toBe("【産後ケア みやぎ】パスワードが変更されました");
    expect(ja.text).toContain("2026/12/01 10:05");
    expect(ja.text).toContain("10.0.0.1");
    const en = accountMessage({ kind: "password_changed" }, { to: "a@example.jp", locale: "en", at });
    expect(en.subject).toBe("【産後ケア みやぎ】Your password was changed");
    const both = accountMessage(
      { kind: "sessions_ended", count: 2 },
      { to: "a@example.jp", locale: "zh", at },
    );
    expect(both.text.indexOf("セッション2件")).toBeLessThan(both.text.indexOf("2 session(s)"));
  });

  it("carry the code or link they exist for, and nothing else secret", () => {
    const code = accountMessage(
      { kind: "enrolment_code", code: "123456", minutes: 15 },
      { to: "a@x.jp", locale: "ja", at },
    );
    expect(code.text).toContain("123456");
    const link = accountMessage(
      { kind: "password_reset_link", url: "https://hub.example/reset-password#token=abc", minutes: 30 },
      { to: "a@x.jp", locale: "en", at },
    );
    expect(link.text).toContain("https://hub.example/reset-password#token=abc");
    expect(link.text).toContain("30 minutes");
  });
});
