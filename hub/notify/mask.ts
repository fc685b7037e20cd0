/**
 * Destinations as staff may see them in the delivery log: enough to recognise an address or a number, never
 * enough to use it. `taro@example.jp` → `ta****@example.jp`, `090-1234-5678` → `090-****-5678`.
 */

const STARS = "****";
const EMAIL =
  /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+/g;
/** Japanese and international phone numbers written with or without separators (a date such as 2026-11-25 is not one). */
const PHONE = /(?<![\d+])(?:\+\d{1,3}[\s-]?\(?0?\)?|0)\d{1,4}[\s-]?\d{1,4}[\s-]?\d{3,4}(?!\d)/g;

export function maskEmail(address: string): string {
  const at = address.lastIndexOf("@");
  if (at <= 0) return STARS;
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  const keep = local.length > 2 ? 2 : local.length > 1 ? 1 : 0;
  return `${local.slice(0, keep)}${STARS}@${domain}`;
}

export function maskPhone(number: string): string {
  let digits = number.replace(/\D/g, "");
  // +81 90 1234 5678 is 090-1234-5678 at home.
  if (/^\s*\+81/.test(number)) digits = `0${digits.slice(2)}`;
  if (digits.length < 8) return STARS;
  return `${digits.slice(0, 3)}-${STARS}-${digits.slice(-4)}`;
}

/** The masked form of a message's destination on its channel. */
export function maskDestination(channel: string, to: string): string {
  if (channel === "email") return maskEmail(to.trim());
  if (channel === "sms") return maskPhone(to);
  return STARS;
}

/**
 * A provider's or server's error text with every address and number in it masked (an SMTP server says
 * "550 <taro@example.jp>: no such user"), so the delivery log never holds a destination in clear.
 */
export function redact(text: string, destination?: string): string {
  let out = text;
  if (destination?.trim())
    out = out.split(destination.trim()).join(maskDestination(kindOf(destination), destination));
  return out.replace(EMAIL, (m) => maskEmail(m)).replace(PHONE, (m) => maskPhone(m));
}

const kindOf = (destination: string) => (destination.includes("@") ? "email" : "sms");
