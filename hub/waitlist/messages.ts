/**
 * What the resident reads when a place is offered from the waitlist: e-mail (or SMS when there is no e-mail
 * address), in Japanese, in English for residents who asked for English, and in both for any other language.
 * Pure; hub/waitlist/offers.ts writes the messages to the outbox in the offer's transaction.
 */

import { japaneseDate } from "../bookings/notices.js";
import type { ServiceType } from "../db/client.js";
import type { Message } from "../notify/transport.js";
import { SERVICE_LABEL, SERVICE_LABEL_EN } from "../policies/policy.js";

export type OfferNotice = {
  facilityName: string;
  serviceType: ServiceType;
  startDate: Date;
  endDate: Date;
  timeBlock: string;
  expiresAt: Date;
  /** Where the resident answers: the portal's waitlist page. */
  link: string;
};

export type OfferRecipient = {
  residentId: string;
  municipalityCode: string;
  facilityId: string;
  email: string | null;
  phone: string | null;
  preferredLanguage: string;
};

const TOKYO_MS = 9 * 3600_000;
const pad = (n: number) => String(n).padStart(2, "0");

/** An instant as Tokyo wall-clock time: 2026年12月1日（火）14:05. */
export function japaneseDateTime(instant: Date): string {
  const t = new Date(instant.getTime() + TOKYO_MS);
  return `${japaneseDate(t)}${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}`;
}

const EN_DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const EN_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A DATE value as Tue 1 Dec 2026. */
export function englishDate(date: Date): string {
  return `${EN_DAYS[date.getUTCDay()]} ${date.getUTCDate()} ${EN_MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}

/** An instant as Tokyo wall-clock time: Tue 1 Dec 2026, 14:05 (Japan time). */
export function englishDateTime(instant: Date): string {
  const t = new Date(instant.getTime() + TOKYO_MS);
  return `${englishDate(t)}, ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())} (Japan time)`;
}

function whenJa(n: OfferNotice): string {
  if (n.serviceType === "stay") return `${japaneseDate(n.startDate)}〜${japaneseDate(n.endDate)}`;
  return `${japaneseDate(n.startDate)}${n.timeBlock ? ` 枠 ${n.timeBlock}` : ""}`;
}

function whenEn(n: OfferNotice): string {
  if (n.serviceType === "stay") return `${englishDate(n.startDate)} to ${englishDate(n.endDate)}`;
  return `${englishDate(n.startDate)}${n.timeBlock ? `, block ${n.timeBlock}` : ""}`;
}

function japanese(n: OfferNotice) {
  const deadline = japaneseDateTime(n.expiresAt);
  return {
    subject: "【産後ケア】予約待ちの施設に空きが出ました",
    lines: [
      `お待ちいただいていた ${n.facilityName} に空きが出たため、仮予約をお取りしました。`,
      `${deadline} までに、ポータルの「予約待ち」の画面で「受ける」か「辞退する」を選んでください。`,
      "期限を過ぎると、次にお待ちの方にご案内します。受けたあとは、施設の承認で予約が確定します。",
      "",
      `施設: ${n.facilityName}`,
      `種類: ${SERVICE_LABEL[n.serviceType]}`,
      `日程: ${whenJa(n)}`,
      `回答期限: ${deadline}`,
      "",
      n.link,
    ],
    sms: `【産後ケア】予約待ちの ${n.facilityName} に空きが出ました（${whenJa(n)}）。${deadline} までにお返事ください: ${n.link}`,
  };
}

function english(n: OfferNotice) {
  const deadline = englishDateTime(n.expiresAt);
  return {
    subject: "[Postpartum care] A place is free at a facility you are waiting for",
    lines: [
      `A place came free at ${n.facilityName}, where you were on the waitlist, and it is held for you.`,
      `Please accept or decline it on the portal's Waitlist page by ${deadline}.`,
      "After that it is offered to the next person waiting. Once you accept, the facility approves the booking.",
      "",
      `Facility: ${n.facilityName}`,
      `Service: ${SERVICE_LABEL_EN[n.serviceType]}`,
      `Dates: ${whenEn(n)}`,
      `Answer by: ${deadline}`,
      "",
      n.link,
    ],
    sms: `[Postpartum care] A place is free at ${n.facilityName} (${whenEn(n)}). Answer by ${deadline}: ${n.link}`,
  };
}

/**
 * The offer's message: e-mail when the resident has an address, else SMS to their phone, else none. Japanese for
 * "ja", English for "en", English followed by Japanese for any other language.
 */
export function offerMessages(r: OfferRecipient, n: OfferNotice): Message[] {
  const ja = japanese(n);
  const en = english(n);
  const lang = r.preferredLanguage || "ja";
  const texts = lang === "ja" ? [ja] : lang === "en" ? [en] : [en, ja];
  const about = { residentId: r.residentId, facilityId: r.facilityId, municipalityCode: r.municipalityCode };
  const language = lang === "ja" ? "ja" : "en";
  if (r.email) {
    return [
      {
        channel: "email",
        to: r.email,
        subject: texts.map((x) => x.subject).join(" / "),
        text: texts.map((x) => x.lines.join("\n")).join("\n\n----\n\n"),
        about,
        language,
      },
    ];
  }
  if (r.phone) {
    return [{ channel: "sms", to: r.phone, text: texts[0]?.sms ?? ja.sms, about, language }];
  }
  return [];
}

/** The reason a withdrawn offer's hold is cancelled with, as the facility and resident read it. */
export const DECLINED_REASON_TEXT = "予約待ちのご案内を辞退されました";
export const EXPIRED_REASON_TEXT = "予約待ちのご案内の回答期限を過ぎました";
