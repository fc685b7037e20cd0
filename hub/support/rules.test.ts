import { describe, expect, it } from "vitest";
import { DomainError } from "../errors.js";
import {
  announcementVisible,
  emailRoles,
  faqDraft,
  faqFindings,
  inquiryReference,
  parseInquiryReference,
  personalDataSuspected,
  scrubPersonalData,
  unconfirmedFindings,
  validateAnnouncement,
  validateConfirmations,
  validateFaq,
  validateInquiry,
} from "./rules.js";

const fieldsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    return ((err as DomainError).errors ?? []).map((e) => e.path ?? "");
  }
  throw new Error("expected a problem");
};

describe("support rules", () => {
  it("numbers inquiries and reads the numbers back", () => {
    expect(inquiryReference(42)).toBe("Q-000042");
    expect(parseInquiryReference("Q-000042")).toBe(42);
    expect(parseInquiryReference("q42")).toBe(42);
    expect(parseInquiryReference(" 42 ")).toBe(42);
    expect(parseInquiryReference("Q-0")).toBeNull();
    expect(parseInquiryReference("予約")).toBeNull();
  });

  it("validates an inquiry: contact by e-mail or phone, one-line subject, known category", () => {
    const ok = validateInquiry({
      category: "voucher",
      subject: " 残り回数 ",
      text: "何回残っていますか？\n教えてください。",
      contactName: "宮城 花子",
      contactPhone: "022-555-0100",
      locale: "en",
    });
    expect(ok).toMatchObject({
      subject: "残り回数",
      contactEmail: null,
      contactPhone: "022-555-0100",
      locale: "en",
    });
    expect(fieldsOf(() => validateInquiry({}))).toEqual([
      "category",
      "subject",
      "text",
      "contactName",
      "contactEmail",
    ]);
    expect(
      fieldsOf(() =>
        validateInquiry({
          category: "other",
          subject: "a\nb",
          text: "x",
          contactName: "n",
          contactEmail: "a@",
        }),
      ),
    ).toEqual(["subject", "contactEmail"]);
    expect(
      fieldsOf(() =>
        validateInquiry({
          category: "other",
          subject: "s",
          text: "x".repeat(4001),
          contactName: "n",
          contactEmail: "a@b.jp",
        }),
      ),
    ).toEqual(["text"]);
  });

  it("takes personal data out of an FAQ draft and keeps the question, masked", () => {
    const contact = { name: "宮城 花子", email: "hanako@example.jp", phone: "022-555-0100" };
    expect(scrubPersonalData("宮城 花子です。hanako@example.jp か 022-555-0100 へ。宮城より", contact)).toBe(
      "＊＊＊です。＊＊＊ か ＊＊＊ へ。＊＊＊より",
    );
    expect(scrubPersonalData("連絡は other@example.com / 090-1234-5678", {})).toBe("連絡は ＊＊＊ / ＊＊＊");
    // what issue 20 found passing through: full-width phone, address, 宛名番号, a child's name and birth date,
    // another person's name, the sender's name in kana and romaji and without the space
    expect(
      scrubPersonalData(
        "０９０－１２３４－５６７８、〒980-0014 仙台市青葉区本町3-8-1、宛名番号12345678、陽菜ちゃん（令和6年5月1日生まれ）、佐藤さん、ミヤギ ハナコ、hanako miyagi、宮城花子",
        { name: "宮城 花子", reading: "みやぎ はなこ" },
      ),
    ).toBe("＊＊＊、＊＊＊ ＊＊＊、宛名番号＊＊＊、＊＊＊（＊＊＊生まれ）、＊＊＊、＊＊＊、＊＊＊、＊＊＊");
    const draft = faqDraft({
      category: "booking",
      subject: "宮城 花子の予約の変更",
      locale: "ja",
      contactName: "宮城 花子",
      contactEmail: "hanako@example.jp",
      contactPhone: null,
      messages: [
        { kind: "question", body: "陽菜ちゃんの予約を\n変更したい。０９０－１２３４－５６７８" },
        { kind: "answer", body: "最初の回答" },
        { kind: "answer", body: "hanako@example.jp 様、最新の回答" },
      ],
    });
    expect(draft).toEqual({
      category: "booking",
      questionJa: "＊＊＊の予約の変更：＊＊＊の予約を 変更したい。＊＊＊",
      answerJa: "＊＊＊ 様、最新の回答",
      questionEn: "",
      answerEn: "",
    });
  });

  it("drafts an English inquiry in English, the question after the subject", () => {
    const draft = faqDraft({
      category: "voucher",
      subject: "Vouchers left",
      locale: "en",
      contactName: "Hanako Miyagi",
      contactEmail: null,
      contactPhone: "090-1234-5678",
      messages: [
        {
          kind: "question",
          body: "How many vouchers has MIYAGI Hanako left? Call ０９０ １２３４ ５６７８.",
        },
        { kind: "answer", body: "See My vouchers." },
      ],
    });
    expect(draft).toMatchObject({
      questionJa: "",
      questionEn: "Vouchers left: How many vouchers has ＊＊＊ left? Call ＊＊＊.",
      answerEn: "See My vouchers.",
    });
  });

  it("checks every text of an FAQ entry; publishing needs each finding confirmed", () => {
    const entry = {
      questionJa: "佐藤さんの質問",
      answerJa: "０２２－５５５－０１００へ",
      questionEn: "",
      answerEn: "",
    };
    const findings = faqFindings(entry, { name: "宮城 花子" });
    expect(findings.map((f) => [f.field, f.class, f.start, f.end])).toEqual([
      ["questionJa", "name", 0, 4],
      ["answerJa", "phone", 0, 12],
    ]);
    expect(
      faqFindings({ ...entry, answerJa: "ミヤギさんへ" }, { name: "宮城 花子", reading: "みやぎ はなこ" }),
    ).toHaveLength(2);
    expect(unconfirmedFindings(findings, [findings[0]?.id ?? ""])).toEqual([findings[1]]);
    expect(
      unconfirmedFindings(
        findings,
        findings.map((f) => f.id),
      ),
    ).toEqual([]);
    expect(validateConfirmations({ confirmFindings: ["a", "a"] })).toEqual(["a"]);
    expect(validateConfirmations({})).toEqual([]);
    expect(fieldsOf(() => validateConfirmations({ confirmFindings: "a" }))).toEqual(["confirmFindings"]);
    const refusal = personalDataSuspected(findings, findings.slice(1));
    expect(refusal).toMatchObject({
      kind: "unprocessable",
      code: "personal_data_suspected",
      more: { extensions: { findings, unconfirmed: [findings[1]?.id] } },
      errors: [{ path: "answerJa", code: "phone" }],
    });
  });

  it("validates FAQ entries, whole or patched; English both or neither", () => {
    const base = validateFaq({ category: "account", questionJa: "Q", answerJa: "A" });
    expect(base).toMatchObject({ published: false, sortOrder: 0, questionEn: "" });
    expect(validateFaq({ published: true }, base).published).toBe(true);
    expect(fieldsOf(() => validateFaq({ questionEn: "Q only" }, base))).toEqual(["answerEn"]);
    expect(
      fieldsOf(() => validateFaq({ category: "x", questionJa: " ", answerJa: "A", sortOrder: -1 })),
    ).toEqual(["category", "questionJa", "sortOrder"]);
  });

  it("validates announcements: audiences, a period that ends after it starts, within a year", () => {
    const a = validateAnnouncement({
      titleJa: "メンテナンス",
      audiences: ["facility", "public", "facility"],
      startsAt: "2026-12-01T02:00:00+09:00",
      endsAt: "2026-12-01T04:00:00+09:00",
    });
    expect(a.audiences).toEqual(["public", "facility"]);
    expect(a.kind).toBe("info");
    expect(fieldsOf(() => validateAnnouncement({ endsAt: "2026-11-30T00:00:00Z" }, a))).toEqual(["endsAt"]);
    expect(
      fieldsOf(() =>
        validateAnnouncement({
          titleJa: "x",
          audiences: ["x"],
          startsAt: "2026-01-01T00:00Z",
          endsAt: "2027-06-01T00:00Z",
        }),
      ),
    ).toEqual(["audiences", "endsAt"]);
  });

  it("shows an announcement to its audiences during its period only", () => {
    const a = {
      audiences: ["municipality"],
      startsAt: new Date("2026-12-01T00:00:00Z"),
      endsAt: new Date("2026-12-02T00:00:00Z"),
    };
    const during = new Date("2026-12-01T12:00:00Z");
    expect(announcementVisible(a, "municipality", during)).toBe(true);
    expect(announcementVisible(a, "facility", during)).toBe(false);
    expect(announcementVisible(a, null, during)).toBe(false);
    expect(announcementVisible(a, "municipality", a.endsAt)).toBe(false);
    expect(announcementVisible(a, "municipality", new Date("2026-11-30T23:59:59Z"))).toBe(false);
    expect(announcementVisible({ ...a, audiences: ["public"] }, null, during)).toBe(true);
    expect(emailRoles(["public", "operator", "resident"])).toEqual(["resident", "operator"]);
  });
});
