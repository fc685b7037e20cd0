import { describe, expect, it } from "vitest";
import { englishDateTime, japaneseDateTime, offerMessages } from "./messages.js";

const notice = {
  facilityName: "（架空）青葉産婦人科病院",
  serviceType: "stay" as const,
  startDate: new Date(Date.UTC(2026, 11, 1)),
  endDate: new Date(Date.UTC(2026, 11, 2)),
  timeBlock: "",
  // 14:05 in Tokyo.
  expiresAt: new Date("2026-12-01T05:05:00Z"),
  link: "https://sango.example.jp/my/waitlist",
};
const recipient = {
  residentId: "7d0b2a4e-0000-4000-8000-000000000001",
  municipalityCode: "041009",
  facilityId: "7d0b2a4e-0000-4000-8000-000000000002",
  email: "mother@example.jp",
  phone: "090-0000-0001",
  preferredLanguage: "ja",
};

describe("offerMessages", () => {
  it("e-mails the offer in Japanese with the dates, the deadline in Japan time and the link", () => {
    const [m, ...rest] = offerMessages(recipient, notice);
    expect(rest).toEqual([]);
    expect(m).toMatchObject({ channel: "email", to: "mother@example.jp", language: "ja" });
    expect(m?.about).toEqual({
      residentId: recipient.residentId,
      facilityId: recipient.facilityId,
      municipalityCode: "041009",
    });
    expect(m?.subject).toContain("空きが出ました");
    expect(m?.text).toContain("2026年12月1日（火）〜2026年12月2日（水）");
    expect(m?.text).toContain("回答期限: 2026年12月1日（火）14:05");
    expect(m?.text).toContain(notice.link);
    expect(m?.text).not.toMatch(/[A-Za-z]{12,}/);
  });

  it("writes English for residents who chose English, and both for other languages", () => {
    const [en] = offerMessages({ ...recipient, preferredLanguage: "en" }, notice);
    expect(en?.language).toBe("en");
    expect(en?.text).toContain("Answer by: Tue 1 Dec 2026, 14:05 (Japan time)");
    expect(en?.text).not.toContain("回答期限");
    const [vi] = offerMessages({ ...recipient, preferredLanguage: "vi" }, notice);
    expect(vi?.text).toContain("Answer by:");
    expect(vi?.text).toContain("回答期限:");
    expect(vi?.subject).toContain(" / ");
  });

  it("falls back to a short SMS without an e-mail address, and to nothing without either", () => {
    const [sms] = offerMessages(
      { ...recipient, email: null },
      { ...notice, serviceType: "day", timeBlock: "am" },
    );
    expect(sms).toMatchObject({ channel: "sms", to: "090-0000-0001" });
    expect(sms?.text).toContain("2026年12月1日（火） 枠 am");
    expect(sms?.text).toContain(notice.link);
    expect(sms?.text.length).toBeLessThan(200);
    expect(offerMessages({ ...recipient, email: null, phone: null }, notice)).toEqual([]);
  });

  it("shows instants in Japan time across midnight", () => {
    expect(japaneseDateTime(new Date("2026-12-31T15:30:00Z"))).toBe("2027年1月1日（金）00:30");
    expect(englishDateTime(new Date("2026-12-31T15:30:00Z"))).toBe("Fri 1 Jan 2027, 00:30 (Japan time)");
  });
});
