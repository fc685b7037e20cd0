/**
 * Who hears about a booking change, and what they read. Pure: the ledger writes the messages to the outbox
 * in the same transaction as the change, so a message goes out exactly when the change commits.
 * Messages name no resident to the facility beyond the booking number: e-mail is not a private channel.
 *
 * Residents read their messages in their preferred language: Japanese (the default), English, or, for any other
 * language, Japanese followed by English. Facilities always get Japanese.
 */
import type { BookingStatus, Role, ServiceType } from "../db/client.js";
import type { Message } from "../notify/transport.js";
import { SERVICE_LABEL, SERVICE_LABEL_EN } from "../policies/policy.js";

const WEEKDAYS = ["日", "月", "火", "水", "木", "金", "土"];
const WEEKDAYS_EN = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const TOKYO_OFFSET_MS = 9 * 3600_000;

/** A DATE value as 2026年12月1日（火）. */
export function japaneseDate(date: Date): string {
  return `${date.getUTCFullYear()}年${date.getUTCMonth() + 1}月${date.getUTCDate()}日（${WEEKDAYS[date.getUTCDay()]}）`;
}

/** A DATE value as Tue 1 Dec 2026. */
export function englishDate(date: Date): string {
  return `${WEEKDAYS_EN[date.getUTCDay()]} ${date.getUTCDate()} ${MONTHS_EN[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}

/** An instant in Tokyo time: its calendar date (as a DATE value) and "HH:MM". */
function tokyo(instant: Date): { date: Date; time: string } {
  const t = new Date(instant.getTime() + TOKYO_OFFSET_MS);
  return {
    date: new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate())),
    time: t.toISOString().slice(11, 16),
  };
}

/** An instant as 2026年12月1日（火）10:00 (Tokyo). */
export function japaneseInstant(instant: Date): string {
  const t = tokyo(instant);
  return `${japaneseDate(t.date)}${t.time}`;
}

/** An instant as 10:00 on Tue 1 Dec 2026 (Japan time). */
export function englishInstant(instant: Date): string {
  const t = tokyo(instant);
  return `${t.time} on ${englishDate(t.date)} (Japan time)`;
}

const yen = (n: number) => `${n.toLocaleString("ja-JP")}円`;
const yenEn = (n: number) => `¥${n.toLocaleString("en-US")}`;

export type NoticeBooking = {
  id: string;
  serviceType: ServiceType;
  startDate: Date;
  endDate: Date;
  timeBlock: string;
  /** Units of the voucher and the resident's copay, when the booking draws on a voucher. */
  units?: number;
  residentCopay?: number;
  /** Until when it can be cancelled free of charge (shown on confirmations and reminders). */
  cancelDeadline?: Date | null;
  /**
   * The fee of a cancellation and its split (stated on cancellation notices when there is a fee), and the fee that
   * applies if the resident's own no-fee reason is declined (hub/bookings/fee-waiver.ts).
   */
  cancellation?: (FeeSplit & { claim?: FeeSplit | null }) | null;
};

type FeeSplit = { fee: number; residentShare: number; municipalityShare: number };
/** The resident's fields a booking's notices need (Prisma select): whom to tell, in which language, filed where. */
export const NOTICE_RESIDENT_SELECT = {
  id: true,
  email: true,
  phone: true,
  preferredLanguage: true,
  municipalityCode: true,
} as const;

export type NoticeParties = {
  facility: { id?: string; name: string; email: string };
  resident: {
    id?: string | null;
    email: string | null;
    phone: string | null;
    /** The resident's preferred language (Resident.preferredLanguage): "ja" when unknown. */
    language?: string | null;
    /** Her municipality, which the delivery log is filed under (else looked up when the message is sent). */
    municipalityCode?: string | null;
  } | null;
};

export type Language = "ja" | "en";
type Text = { subject: string; lines: string[] };
/** One message in both languages; which is sent depends on the reader. */
type Texts = Record<Language, Text>;

/** The languages a resident's messages are written in: ja by default, en, or both (Japanese first). */
export function residentLanguages(preferred: string | null | undefined): Language[] {
  const lang = (preferred ?? "").trim().toLowerCase();
  if (lang === "" || lang === "ja" || lang.startsWith("ja-")) return ["ja"];
  if (lang === "en" || lang.startsWith("en-")) return ["en"];
  return ["ja", "en"];
}

function when(b: NoticeBooking): string {
  if (b.serviceType === "stay") return `${japaneseDate(b.startDate)}〜${japaneseDate(b.endDate)}`;
  return `${japaneseDate(b.startDate)}${b.timeBlock ? ` 枠 ${b.timeBlock}` : ""}`;
}

function whenEn(b: NoticeBooking): string {
  if (b.serviceType === "stay") return `${englishDate(b.startDate)} to ${englishDate(b.endDate)}`;
  return `${englishDate(b.startDate)}${b.timeBlock ? `, block ${b.timeBlock}` : ""}`;
}

function summary(b: NoticeBooking, facilityName: string): string {
  return [
    `予約番号: ${b.id}`,
    `施設: ${facilityName}`,
    `種類: ${SERVICE_LABEL[b.serviceType]}`,
    `日程: ${when(b)}`,
  ].join("\n");
}

function summaryEn(b: NoticeBooking, facilityName: string): string {
  return [
    `Booking number: ${b.id}`,
    `Facility: ${facilityName}`,
    `Service: ${SERVICE_LABEL_EN[b.serviceType]}`,
    `Dates: ${whenEn(b)}`,
  ].join("\n");
}

const about = (parties: NoticeParties) => ({
  ...(parties.resident?.id ? { residentId: parties.resident.id } : {}),
  ...(parties.resident?.municipalityCode ? { municipalityCode: parties.resident.municipalityCode } : {}),
  ...(parties.facility.id ? { facilityId: parties.facility.id } : {}),
});

/**
 * The resident's message in their language(s): by e-mail when they have an address, else a short SMS (the
 * subject and the first line, which therefore always carries the news), else nothing.
 */
function toResident(parties: NoticeParties, texts: Texts): Message[] {
  const r = parties.resident;
  if (!r?.email && !r?.phone) return [];
  const langs = residentLanguages(r.language);
  const parts = langs.map((l) => texts[l]);
  const language = langs.join(", ");
  const meta = { about: about(parties), language };
  if (r.email) {
    const subject = parts.map((p) => p.subject).join(" / ");
    const text = parts.map((p) => p.lines.join("\n")).join("\n\n----------\n\n");
    return [{ channel: "email", to: r.email, subject, text, ...meta }];
  }
  const text = parts.map((p) => `${p.subject}\n${p.lines[0] ?? ""}`).join("\n");
  return [{ channel: "sms", to: r.phone as string, text, ...meta }];
}

function toFacility(parties: NoticeParties, subject: string, lines: string[]): Message[] {
  return parties.facility.email
    ? [
        {
          channel: "email",
          to: parties.facility.email,
          subject,
          text: lines.join("\n"),
          about: parties.facility.id ? { facilityId: parties.facility.id } : {},
          language: "ja",
        },
      ]
    : [];
}

function deadlineLines(b: NoticeBooking): { ja: string[]; en: string[] } {
  if (!b.cancelDeadline) return { ja: [], en: [] };
  return {
    ja: [
      `無料でキャンセルできる期限: ${japaneseInstant(b.cancelDeadline)}（以降のキャンセルは料金がかかることがあります）`,
    ],
    en: [
      `You can cancel free of charge until ${englishInstant(b.cancelDeadline)}; later cancellations may cost a fee.`,
    ],
  };
}

/** The cancellation's first line for the resident: whether it costs them anything. */
function feeLine(b: NoticeBooking): { ja: string; en: string } {
  const c = b.cancellation;
  if (!c) return { ja: "ご予約は取り消されました。", en: "Your booking has been cancelled." };
  if (c.claim) {
    return {
      ja: `ご予約は取り消されました。キャンセル料（${yen(c.claim.fee)}）がかからない理由の申出は、施設または市町村が確認したうえで確定します。`,
      en: `Your booking has been cancelled. Your reason for a free cancellation will be confirmed by the facility or your municipality; otherwise a fee of ${yenEn(c.claim.fee)} applies.`,
    };
  }
  if (c.fee <= 0) {
    return {
      ja: "ご予約は取り消されました。キャンセル料はかかりません。",
      en: "Your booking has been cancelled. There is no cancellation fee.",
    };
  }
  return {
    ja: `ご予約は取り消されました。キャンセル料 ${yen(c.fee)}（ご本人負担 ${yen(c.residentShare)}、市町村負担 ${yen(c.municipalityShare)}）がかかります。`,
    en: `Your booking has been cancelled. A cancellation fee of ${yenEn(c.fee)} applies: you pay ${yenEn(c.residentShare)}, your municipality pays ${yenEn(c.municipalityShare)}.`,
  };
}

/**
 * The messages for a booking that has just become `status`. `by` is the role that made the change
 * ("system" for expiry); the one who acted is not told what they just did, except a resident who owes a
 * cancellation fee: they get it in writing.
 */
export function bookingNotices(
  status: BookingStatus,
  by: Role | "system",
  booking: NoticeBooking,
  parties: NoticeParties,
  reason?: string,
): Message[] {
  const name = parties.facility.name;
  const info = summary(booking, name);
  const infoEn = summaryEn(booking, name);
  const why = reason ? [`理由: ${reason}`] : [];
  const whyEn = reason ? [`Reason: ${reason}`] : [];
  switch (status) {
    case "requested":
      return toFacility(parties, "【産後ケア】新しい予約の申込みがあります", [
        "新しい予約の申込みがあります。期限までに承認または お断りの手続きをしてください。",
        "",
        info,
      ]);
    case "confirmed": {
      const deadline = deadlineLines(booking);
      return toResident(parties, {
        ja: {
          subject: "【産後ケア】予約が確定しました",
          lines: [`${name} がご予約を承認しました。`, ...deadline.ja, "", info],
        },
        en: {
          subject: "[Postpartum care] Your booking is confirmed",
          lines: [`${name} has approved your booking.`, ...deadline.en, "", infoEn],
        },
      });
    }
    case "rejected":
      return toResident(parties, {
        ja: {
          subject: "【産後ケア】予約をお受けできませんでした",
          lines: [
            `${name} へのお申込みはお受けできませんでした。別の日程や施設でお申込みください。`,
            "",
            info,
            ...why,
          ],
        },
        en: {
          subject: "[Postpartum care] Your booking request could not be accepted",
          lines: [
            `${name} could not accept your request. Please try another date or facility.`,
            "",
            infoEn,
            ...whyEn,
          ],
        },
      });
    case "expired":
      return [
        ...toResident(parties, {
          ja: {
            subject: "【産後ケア】仮予約の期限が切れました",
            lines: [`${name} からの回答期限を過ぎたため、仮予約は取り消されました。`, "", info],
          },
          en: {
            subject: "[Postpartum care] Your provisional booking has expired",
            lines: [`${name} did not answer in time, so your provisional booking was released.`, "", infoEn],
          },
        }),
        ...toFacility(parties, "【産後ケア】予約申込みの回答期限が切れました", [
          "回答期限を過ぎた予約申込みを取り消しました。",
          "",
          info,
        ]),
      ];
    case "cancelled": {
      const c = booking.cancellation;
      const owesFee = (c?.fee ?? 0) > 0;
      const claim = c?.claim ?? null;
      const first = feeLine(booking);
      const resident =
        by === "resident" && !owesFee && !claim
          ? []
          : toResident(parties, {
              ja: { subject: "【産後ケア】予約が取り消されました", lines: [first.ja, "", info, ...why] },
              en: {
                subject: "[Postpartum care] Your booking has been cancelled",
                lines: [first.en, "", infoEn, ...whyEn],
              },
            });
      const fee =
        c && c.fee > 0
          ? [
              `キャンセル料: ${yen(c.fee)}（利用者負担 ${yen(c.residentShare)}、市町村負担 ${yen(c.municipalityShare)}）`,
            ]
          : claim
            ? [
                "ご本人から、キャンセル料がかからない理由（体調不良など）の申出があります。",
                `内容を確認し、ポータルの予約一覧で免除を認めるか決めてください（認めない場合のキャンセル料: ${yen(claim.fee)}）。`,
              ]
            : [];
      const facility =
        by === "facility"
          ? []
          : toFacility(parties, "【産後ケア】予約が取り消されました", [
              "予約が取り消されました。",
              ...fee,
              "",
              info,
              ...why,
            ]);
      return [...resident, ...facility];
    }
    case "used":
      return toResident(parties, {
        ja: {
          subject: "【産後ケア】利用券を使用しました",
          lines: [
            `${name} でのご利用を記録しました（利用券 ${booking.units ?? 0} 単位を使用）。`,
            `自己負担額: ${yen(booking.residentCopay ?? 0)}`,
            "",
            info,
          ],
        },
        en: {
          subject: "[Postpartum care] Your voucher has been used",
          lines: [
            `Your care at ${name} has been recorded (${booking.units ?? 0} voucher units used).`,
            `Your copay: ${yenEn(booking.residentCopay ?? 0)}`,
            "",
            infoEn,
          ],
        },
      });
    default:
      return [];
  }
}

/**
 * The messages for a booking changed into a new one (hub/bookings/change.ts): the resident (unless they made the
 * change) reads before and after; the facility (unless it made the change) learns of it, or, when the booking
 * moved to another facility, the old facility of a cancellation and the new one of a request.
 */
export function changeNotices(
  by: Role,
  before: NoticeBooking,
  after: NoticeBooking & { status: BookingStatus },
  parties: {
    resident: NoticeParties["resident"];
    before: NoticeParties["facility"];
    after: NoticeParties["facility"];
  },
): Message[] {
  const waits = after.status === "requested";
  const out: Message[] = [];
  if (by !== "resident") {
    out.push(
      ...toResident(
        { facility: parties.after, resident: parties.resident },
        {
          ja: {
            subject: "【産後ケア】予約が変更されました",
            lines: [
              waits
                ? "ご予約は次のとおり変更されました。変更後の予約は施設の承認をお待ちください。"
                : "ご予約は次のとおり変更されました。",
              ...deadlineLines(after).ja,
              "",
              "変更前:",
              summary(before, parties.before.name),
              "",
              "変更後:",
              summary(after, parties.after.name),
            ],
          },
          en: {
            subject: "[Postpartum care] Your booking has been changed",
            lines: [
              waits
                ? "Your booking has been changed as below. The facility has yet to approve the new booking."
                : "Your booking has been changed as below.",
              ...deadlineLines(after).en,
              "",
              "Before:",
              summaryEn(before, parties.before.name),
              "",
              "After:",
              summaryEn(after, parties.after.name),
            ],
          },
        },
      ),
    );
  }
  if (by === "facility") return out;
  const ask = waits ? ["期限までに承認または お断りの手続きをしてください。"] : [];
  if (parties.before.id === parties.after.id && parties.before.email === parties.after.email) {
    out.push(
      ...toFacility({ facility: parties.after, resident: null }, "【産後ケア】予約の変更がありました", [
        "予約の変更がありました。",
        ...ask,
        "",
        "変更前:",
        summary(before, parties.before.name),
        "",
        "変更後:",
        summary(after, parties.after.name),
      ]),
    );
    return out;
  }
  out.push(
    ...toFacility({ facility: parties.before, resident: null }, "【産後ケア】予約が取り消されました", [
      "別の日程・施設への変更のため、予約が取り消されました。",
      "",
      summary(before, parties.before.name),
    ]),
    ...toFacility({ facility: parties.after, resident: null }, "【産後ケア】新しい予約の申込みがあります", [
      "新しい予約の申込みがあります（他施設の予約からの変更）。",
      ...ask,
      "",
      summary(after, parties.after.name),
    ]),
  );
  return out;
}

/**
 * The reminder before a confirmed booking (hub/bookings/reminders.ts): date, facility and the free-cancellation
 * deadline, or that it has passed. The first line carries all of it, for SMS.
 */
export function reminderNotices(booking: NoticeBooking, parties: NoticeParties, now: Date): Message[] {
  const name = parties.facility.name;
  const deadline = booking.cancelDeadline ?? null;
  const open = deadline !== null && deadline.getTime() > now.getTime();
  const ja = deadline
    ? open
      ? `無料でキャンセルできる期限は ${japaneseInstant(deadline)} です。`
      : `無料でキャンセルできる期限（${japaneseInstant(deadline)}）は過ぎています。`
    : "";
  const en = deadline
    ? open
      ? `You can cancel free of charge until ${englishInstant(deadline)}.`
      : `The deadline for cancelling free of charge (${englishInstant(deadline)}) has passed.`
    : "";
  return toResident(parties, {
    ja: {
      subject: "【産後ケア】ご予約のお知らせ",
      lines: [
        `${when(booking)} ${name} のご予約があります。${ja}`,
        "",
        summary(booking, name),
        "",
        "キャンセルや変更はポータルの「予約」からお手続きください。",
      ],
    },
    en: {
      subject: "[Postpartum care] Reminder of your booking",
      lines: [
        `Reminder: your booking at ${name}, ${whenEn(booking)}. ${en}`.trim(),
        "",
        summaryEn(booking, name),
        "",
        "To cancel or change it, open Bookings in the portal.",
      ],
    },
  });
}

/**
 * The resident hears how her claim of a free cancellation was decided (hub/bookings/fee-waiver.ts): accepted, no
 * fee; declined, the fee and her share, with the reason staff gave.
 */
export function feeWaiverNotices(
  accepted: boolean,
  booking: NoticeBooking,
  parties: NoticeParties,
  note: string,
): Message[] {
  const name = parties.facility.name;
  const c = booking.cancellation;
  const why = note ? [`理由: ${note}`] : [];
  const whyEn = note ? [`Reason: ${note}`] : [];
  const ja = accepted
    ? "キャンセル料の免除が認められました。キャンセル料はかかりません。"
    : `キャンセル料の免除は認められませんでした。キャンセル料 ${yen(c?.fee ?? 0)}（ご本人負担 ${yen(c?.residentShare ?? 0)}、市町村負担 ${yen(c?.municipalityShare ?? 0)}）がかかります。`;
  const en = accepted
    ? "Your free cancellation has been confirmed. There is no cancellation fee."
    : `Your reason for a free cancellation was not accepted. A cancellation fee of ${yenEn(c?.fee ?? 0)} applies: you pay ${yenEn(c?.residentShare ?? 0)}, your municipality pays ${yenEn(c?.municipalityShare ?? 0)}.`;
  return toResident(parties, {
    ja: {
      subject: "【産後ケア】キャンセル料について",
      lines: [ja, ...why, "", summary(booking, name)],
    },
    en: {
      subject: "[Postpartum care] About your cancellation fee",
      lines: [en, ...whyEn, "", summaryEn(booking, name)],
    },
  });
}
