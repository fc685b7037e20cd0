import { createHmac, randomInt, timingSafeEqual } from "node:crypto";
import type { Message } from "../notify/transport.js";

/** One-time sign-in codes for residents: 6 digits, 10 minutes, at most 5 tries each. */
export const CODE_TTL_SECONDS = 600;
export const MAX_CODE_ATTEMPTS = 5;

/** Six uniformly random digits (leading zeros kept). */
export function generateCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, "0");
}

/**
 * Only an HMAC of the code is stored, keyed with SECRET_KEY and bound to the user, so a database dump
 * does not reveal live codes (a bare sha256 of 6 digits would be reversed instantly).
 */
export function hashCode(key: Buffer, userId: string, code: string): string {
  return createHmac("sha256", key).update(`sign-in-code\0${userId}\0${code}`).digest("hex");
}

export function codeMatches(key: Buffer, userId: string, code: string, storedHash: string): boolean {
  const a = Buffer.from(hashCode(key, userId, code), "hex");
  const b = Buffer.from(storedHash, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A keyed hash for rate-limit keys, so Redis never holds residents' addresses in clear. */
export function limiterKey(key: Buffer, value: string): string {
  return createHmac("sha256", key).update(`limit\0${value}`).digest("base64url").slice(0, 32);
}

const hhmm = (d: Date) =>
  new Intl.DateTimeFormat("ja-JP", {
    timeZone: "Asia/Tokyo",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  }).format(d);

/** The e-mail or SMS that carries a code: Japanese first, with an English line for residents who prefer it. */
export function codeMessage(opts: {
  channel: "email" | "sms";
  to: string;
  code: string;
  expiresAt: Date;
  language: string;
  /** Where to enter the code (PUBLIC_URL + sign-in); e-mail only, SMS stays within 70 characters. */
  signInUrl: string;
}): Message {
  const { channel, to, code, expiresAt } = opts;
  const until = hhmm(expiresAt);
  const minutes = Math.round(CODE_TTL_SECONDS / 60);
  const english = opts.language === "en";
  if (channel === "sms") {
    const ja = `産後ケア みやぎ 確認コード: ${code}（${until}まで有効）。他の人に教えないでください。`;
    const en = `Miyagi postpartum care code: ${code} (valid until ${until} JST).`;
    return { channel, to, text: english ? `${ja}\n${en}` : ja, expiresAt: expiresAt.toISOString() };
  }
  const lines = [
    "産後ケア みやぎ をご利用いただきありがとうございます。",
    "",
    `サインイン用の確認コードは ${code} です。`,
    `有効期限は ${until} まで（${minutes}分間）です。`,
    `入力画面: ${opts.signInUrl}`,
    "",
    "このコードを他の人に教えないでください。",
    "お心当たりがない場合は、このメールを破棄してください。",
  ];
  if (english) {
    lines.push(
      "",
      `Your Miyagi postpartum care sign-in code is ${code}. It is valid until ${until} JST (${minutes} minutes).`,
      "Do not share this code. If you did not ask for it, you can ignore this e-mail.",
    );
  }
  return {
    channel,
    to,
    subject: english ? "【産後ケア みやぎ】確認コード / Sign-in code" : "【産後ケア みやぎ】確認コード",
    text: lines.join("\n"),
    expiresAt: expiresAt.toISOString(),
  };
}
