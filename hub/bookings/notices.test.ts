import { describe, expect, it } from "vitest";
import { bookingNotices, japaneseDate } from "./notices.js";

const booking = {
  id: "7d0b2a4e-0000-4000-8000-000000000001",
  serviceType: "stay" as const,
  startDate: new Date(Date.UTC(2026, 11, 1)),
  endDate: new Date(Date.UTC(2026, 11, 2)),
  timeBlock: "",
};
const parties = {
  facility: { name: "青葉産婦人科（架空）", email: "info@aoba.example.jp" },
  resident: { email: "resident1@example.jp", phone: "090-0000-0001" },
};

describe("bookingNotices", () => {
  it("tells the facility about a new request, without the resident's name", () => {
    const [m, ...rest] = bookingNotices("requested", "resident", booking, parties);
    expect(rest).toEqual([]);
    expect(m).toMatchObject({ channel: "email", to: "info@aoba.example.jp" });
    expect(m?.text).toContain(booking.id);
    expect(m?.text).toContain("2026年12月1日（火）〜2026年12月2日（水）");
  });

  it("tells the resident about confirmation and rejection (with the reason)", () => {
    expect(bookingNotices("confirmed", "facility", booking, parties).map((m) => m.to)).toEqual([
      "resident1@example.jp",
    ]);
    const [rejected] = bookingNotices("rejected", "facility", booking, parties, "満室のため");
    expect(rejected?.text).toContain("理由: 満室のため");
  });

  it("falls back to SMS when the resident has no e-mail, and to nothing without either", () => {
    const sms = bookingNotices("confirmed", "facility", booking, {
      ...parties,
      resident: { email: null, phone: "090" },
    });
    expect(sms).toMatchObject([{ channel: "sms", to: "090" }]);
    expect(bookingNotices("confirmed", "facility", booking, { ...parties, resident: null })).toEqual([]);
  });

  it("does not tell whoever cancelled what they just did", () => {
    const to = (by: "resident" | "facility" | "municipality") =>
      bookingNotices("cancelled", by, booking, parties, "体調不良").map((m) => m.to);
    expect(to("resident")).toEqual(["info@aoba.example.jp"]);
    expect(to("facility")).toEqual(["resident1@example.jp"]);
    expect(to("municipality")).toEqual(["resident1@example.jp", "info@aoba.example.jp"]);
  });

  it("tells both sides when a hold expires, and skips a facility without e-mail", () => {
    expect(bookingNotices("expired", "system", booking, parties)).toHaveLength(2);
    const noMail = { ...parties, facility: { ...parties.facility, email: "" } };
    expect(bookingNotices("expired", "system", booking, noMail)).toHaveLength(1);
  });

  it("writes day-care dates with their block", () => {
    const day = { ...booking, serviceType: "day" as const, endDate: booking.startDate, timeBlock: "day6h" };
    expect(bookingNotices("confirmed", "facility", day, parties)[0]?.text).toContain(
      "2026年12月1日（火） 枠 day6h",
    );
    expect(japaneseDate(new Date(Date.UTC(2027, 0, 3)))).toBe("2027年1月3日（日）");
  });
});
