/**
 * Who hears about a booking change, and what they read. Pure: the ledger writes the messages to the outbox
 * in the same transaction as the change, so a message goes out exactly when the change commits.
 * Messages name no resident to the facility beyond the booking number: e-mail is not a private channel.
 */
import type { BookingStatus, Role, ServiceType } from "../db/client.js";
import type { Message } from "../notify/transport.js";

export const SERVICE_LABEL: Readonly<Record<ServiceType, string>> = {
  stay: "宿泊型",
  day: "デイサービス型",
  visit: "アウトリーチ型（訪問）",
};

const WEEKDAYS = ["日", "月", "火", "水", "木", "金", "土"];

/** A DATE value as 2026年12月1日（火）. */
export function japaneseDate(date: Date): string {
  return `${date.getUTCFullYear()}年${date.getUTCMonth() + 1}月${date.getUTCDate()}日（${WEEKDAYS[date.getUTCDay()]}）`;
}

export type NoticeBooking = {
  id: string;
  serviceType: ServiceType;
  startDate: Date;
  endDate: Date;
  timeBlock: string;
  /** Units of the voucher and the resident's copay, when the booking draws on a voucher. */
  units?: number;
  residentCopay?: number;
};
export type NoticeParties = {
  facility: { name: string; email: string };
  resident: { email: string | null; phone: string | null } | null;
};

function when(b: NoticeBooking): string {
  if (b.serviceType === "stay") return `${japaneseDate(b.startDate)}〜${japaneseDate(b.endDate)}`;
  return `${japaneseDate(b.startDate)}${b.timeBlock ? ` 枠 ${b.timeBlock}` : ""}`;
}

function summary(b: NoticeBooking, facilityName: string): string {
  return [
    `予約番号: ${b.id}`,
    `施設: ${facilityName}`,
    `種類: ${SERVICE_LABEL[b.serviceType]}`,
    `日程: ${when(b)}`,
  ].join("\n");
}

function toResident(parties: NoticeParties, subject: string, lines: string[]): Message[] {
  const r = parties.resident;
  if (r?.email) return [{ channel: "email", to: r.email, subject, text: lines.join("\n") }];
  if (r?.phone) return [{ channel: "sms", to: r.phone, text: `${subject}\n${lines[0] ?? ""}` }];
  return [];
}

function toFacility(parties: NoticeParties, subject: string, lines: string[]): Message[] {
  return parties.facility.email
    ? [{ channel: "email", to: parties.facility.email, subject, text: lines.join("\n") }]
    : [];
}

/**
 * The messages for a booking that has just become `status`. `by` is the role that made the change
 * ("system" for expiry); the one who acted is not told what they just did.
 */
export function bookingNotices(
  status: BookingStatus,
  by: Role | "system",
  booking: NoticeBooking,
  parties: NoticeParties,
  reason?: string,
): Message[] {
  const info = summary(booking, parties.facility.name);
  const why = reason ? [`理由: ${reason}`] : [];
  switch (status) {
    case "requested":
      return toFacility(parties, "【産後ケア】新しい予約の申込みがあります", [
        "新しい予約の申込みがあります。期限までに承認または お断りの手続きをしてください。",
        "",
        info,
      ]);
    case "confirmed":
      return toResident(parties, "【産後ケア】予約が確定しました", [
        `${parties.facility.name} がご予約を承認しました。`,
        "",
        info,
      ]);
    case "rejected":
      return toResident(parties, "【産後ケア】予約をお受けできませんでした", [
        `${parties.facility.name} へのお申込みはお受けできませんでした。別の日程や施設でお申込みください。`,
        "",
        info,
        ...why,
      ]);
    case "expired":
      return [
        ...toResident(parties, "【産後ケア】仮予約の期限が切れました", [
          `${parties.facility.name} からの回答期限を過ぎたため、仮予約は取り消されました。`,
          "",
          info,
        ]),
        ...toFacility(parties, "【産後ケア】予約申込みの回答期限が切れました", [
          "回答期限を過ぎた予約申込みを取り消しました。",
          "",
          info,
        ]),
      ];
    case "cancelled": {
      const resident =
        by === "resident"
          ? []
          : toResident(parties, "【産後ケア】予約が取り消されました", [
              "ご予約は取り消されました。",
              "",
              info,
              ...why,
            ]);
      const facility =
        by === "facility"
          ? []
          : toFacility(parties, "【産後ケア】予約が取り消されました", [
              "予約が取り消されました。",
              "",
              info,
              ...why,
            ]);
      return [...resident, ...facility];
    }
    case "used":
      return toResident(parties, "【産後ケア】利用券を使用しました", [
        `${parties.facility.name} でのご利用を記録しました（利用券 ${booking.units ?? 0} 単位を使用）。`,
        `自己負担額: ${(booking.residentCopay ?? 0).toLocaleString("ja-JP")}円`,
        "",
        info,
      ]);
    default:
      return [];
  }
}
