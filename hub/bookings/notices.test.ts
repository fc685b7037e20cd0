import { describe, expect, it } from "vitest";
import {
  bookingNotices,
  changeNotices,
  englishDate,
  englishInstant,
  japaneseDate,
  japaneseInstant,
  reminderNotices,
  residentLanguages,
} from "./notices.js";

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

  const inLanguage = (language: string | null) => ({
    ...parties,
    resident: { ...parties.resident, language },
  });
  const deadline = new Date("2026-11-30T01:00:00Z");

  it("writes to residents in their language: Japanese by default, English, or both for other languages", () => {
    expect(residentLanguages(undefined)).toEqual(["ja"]);
    expect(residentLanguages("ja")).toEqual(["ja"]);
    expect(residentLanguages("en")).toEqual(["en"]);
    expect(residentLanguages("en-GB")).toEqual(["en"]);
    expect(residentLanguages("vi")).toEqual(["ja", "en"]);
    const notice = (language: string | null) =>
      bookingNotices(
        "confirmed",
        "facility",
        { ...booking, cancelDeadline: deadline },
        inLanguage(language),
      )[0];
    const ja = notice(null);
    expect(ja).toMatchObject({ language: "ja", subject: "【産後ケア】予約が確定しました" });
    expect(ja?.text).toContain("無料でキャンセルできる期限: 2026年11月30日（月）10:00");
    expect(ja?.text).not.toContain("Booking number");
    const en = notice("en");
    expect(en).toMatchObject({ language: "en", subject: "[Postpartum care] Your booking is confirmed" });
    expect(en?.text).toContain("Tue 1 Dec 2026 to Wed 2 Dec 2026");
    expect(en?.text).toContain("until 10:00 on Mon 30 Nov 2026 (Japan time)");
    expect(en?.text).not.toContain("予約番号");
    const both = notice("zh");
    expect(both?.language).toBe("ja, en");
    expect(both?.subject).toBe(
      "【産後ケア】予約が確定しました / [Postpartum care] Your booking is confirmed",
    );
    expect(both?.text.indexOf("予約番号")).toBeLessThan(both?.text.indexOf("Booking number") ?? -1);
    // The facility always reads Japanese.
    const toFacility = bookingNotices("cancelled", "resident", booking, inLanguage("en"), "予定変更");
    expect(toFacility).toMatchObject([{ to: "info@aoba.example.jp", language: "ja" }]);
    expect(toFacility[0]?.text).toContain("予約が取り消されました");
  });

  it("says who the message is about, for the delivery log", () => {
    const withIds = {
      facility: { ...parties.facility, id: "f-1" },
      resident: { ...parties.resident, id: "r-1" },
    };
    const [toResident] = bookingNotices("confirmed", "facility", booking, withIds);
    expect(toResident?.about).toEqual({ residentId: "r-1", facilityId: "f-1" });
    const [toFacility] = bookingNotices("requested", "resident", booking, withIds);
    expect(toFacility?.about).toEqual({ facilityId: "f-1" });
    // With her municipality known, the delivery log need not look it up when the message is sent.
    const withMunicipality = { ...withIds, resident: { ...withIds.resident, municipalityCode: "041009" } };
    const [filed] = bookingNotices("confirmed", "facility", booking, withMunicipality);
    expect(filed?.about).toEqual({ residentId: "r-1", municipalityCode: "041009", facilityId: "f-1" });
  });

  it("states a cancellation fee and its split, also to a resident who cancelled themselves", () => {
    const late = {
      ...booking,
      cancellation: { fee: 64_000, residentShare: 32_000, municipalityShare: 32_000 },
    };
    const [resident, facility] = bookingNotices("cancelled", "resident", late, parties);
    expect(resident?.to).toBe("resident1@example.jp");
    expect(resident?.text).toContain("キャンセル料 64,000円（ご本人負担 32,000円、市町村負担 32,000円）");
    expect(facility?.text).toContain("キャンセル料: 64,000円（利用者負担 32,000円、市町村負担 32,000円）");
    const [en] = bookingNotices("cancelled", "municipality", late, inLanguage("en"));
    expect(en?.text).toContain(
      "A cancellation fee of ¥64,000 applies: you pay ¥32,000, your municipality pays ¥32,000.",
    );
    // By SMS the first line carries the fee.
    const [sms] = bookingNotices("cancelled", "resident", late, {
      ...parties,
      resident: { email: null, phone: "090" },
    });
    expect(sms?.text).toContain("64,000円");
    // Free: the resident who cancelled is not told, others read that it costs nothing.
    const free = { ...booking, cancellation: { fee: 0, residentShare: 0, municipalityShare: 0 } };
    expect(bookingNotices("cancelled", "resident", free, parties).map((m) => m.to)).toEqual([
      "info@aoba.example.jp",
    ]);
    expect(bookingNotices("cancelled", "facility", free, parties)[0]?.text).toContain(
      "キャンセル料はかかりません",
    );
  });

  it("tells of a change: before and after, to whoever did not make it", () => {
    const after = {
      ...booking,
      id: "7d0b2a4e-0000-4000-8000-000000000002",
      startDate: new Date(Date.UTC(2026, 11, 8)),
      endDate: new Date(Date.UTC(2026, 11, 9)),
      status: "requested" as const,
    };
    const sides = { resident: parties.resident, before: parties.facility, after: parties.facility };
    const byResident = changeNotices("resident", booking, after, sides);
    expect(byResident.map((m) => m.to)).toEqual(["info@aoba.example.jp"]);
    expect(byResident[0]?.text).toContain("変更前:");
    expect(byResident[0]?.text).toContain("2026年12月8日（火）");
    expect(byResident[0]?.text).toContain("期限までに承認");
    const byFacility = changeNotices("facility", booking, { ...after, status: "confirmed" }, sides);
    expect(byFacility.map((m) => m.to)).toEqual(["resident1@example.jp"]);
    expect(byFacility[0]?.text).not.toContain("承認をお待ちください");
    // Moved to another facility: the old one reads a cancellation, the new one a request.
    const other = { id: "f-2", name: "ぬくもり助産所（架空）", email: "info@nukumori.example.jp" };
    const moved = changeNotices("municipality", booking, after, { ...sides, after: other });
    expect(moved.map((m) => [m.to, m.subject])).toEqual([
      ["resident1@example.jp", "【産後ケア】予約が変更されました"],
      ["info@aoba.example.jp", "【産後ケア】予約が取り消されました"],
      ["info@nukumori.example.jp", "【産後ケア】新しい予約の申込みがあります"],
    ]);
  });

  it("reminds with date, facility and the deadline, or that it has passed", () => {
    const now = new Date("2026-11-29T01:00:00Z");
    const [open] = reminderNotices({ ...booking, cancelDeadline: deadline }, parties, now);
    expect(open?.text.split("\n")[0]).toBe(
      "2026年12月1日（火）〜2026年12月2日（水） 青葉産婦人科（架空） のご予約があります。無料でキャンセルできる期限は 2026年11月30日（月）10:00 です。",
    );
    const [passed] = reminderNotices(
      { ...booking, cancelDeadline: deadline },
      inLanguage("en"),
      new Date("2026-11-30T02:00:00Z"),
    );
    expect(passed?.text).toContain(
      "The deadline for cancelling free of charge (10:00 on Mon 30 Nov 2026 (Japan time)) has passed.",
    );
    expect(japaneseInstant(new Date("2026-11-30T23:30:00Z"))).toBe("2026年12月1日（火）08:30");
    expect(englishInstant(new Date("2026-11-30T23:30:00Z"))).toBe("08:30 on Tue 1 Dec 2026 (Japan time)");
    expect(englishDate(new Date(Date.UTC(2027, 0, 3)))).toBe("Sun 3 Jan 2027");
  });
});
