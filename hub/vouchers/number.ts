/**
 * Voucher numbers (利用券番号): 13 digits = the first 5 digits of the municipality code (its check digit left
 * out) + a 7-digit serial per municipality + 1 check digit. The check digit is the Luhn (mod 10) digit over the
 * first 12 digits: it catches every single-digit typo and almost every swap of two neighbouring digits.
 *
 * Stored as the 13 bare digits; shown to people as `04100-0000123-4`. Pure: no I/O.
 */

export const SERIAL_DIGITS = 7;
export const MAX_SERIAL = 10 ** SERIAL_DIGITS - 1;

export type VoucherNumberError = "malformed_number" | "bad_check_digit";

export type ParsedVoucherNumber =
  | { ok: true; number: string; municipalityPrefix: string; serial: number }
  | { ok: false; error: VoucherNumberError };

/** The Luhn check digit for a string of digits (the digit that would be appended). */
export function luhnCheckDigit(digits: string): number {
  let sum = 0;
  // From the right, starting with the digit next to the (future) check digit, which is doubled.
  for (let i = digits.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** The bare 13-digit number for a municipality code ("041009") and a serial (1 … 9,999,999). */
export function makeVoucherNumber(municipalityCode: string, serial: number): string {
  if (!/^\d{5,6}$/.test(municipalityCode)) throw new Error(`bad municipality code ${municipalityCode}`);
  if (!Number.isInteger(serial) || serial < 1 || serial > MAX_SERIAL) throw new Error(`bad serial ${serial}`);
  const body = municipalityCode.slice(0, 5) + String(serial).padStart(SERIAL_DIGITS, "0");
  return body + String(luhnCheckDigit(body));
}

/** `0410000001234` → `04100-0000123-4`. Anything not 13 digits is returned unchanged. */
export function formatVoucherNumber(number: string): string {
  if (!/^\d{13}$/.test(number)) return number;
  return `${number.slice(0, 5)}-${number.slice(5, 12)}-${number.slice(12)}`;
}

/**
 * Reads a number as a person typed it: full-width digits, hyphens (any dash), spaces are accepted.
 * `malformed_number` unless 13 digits remain; `bad_check_digit` when the last digit does not match.
 */
export function parseVoucherNumber(input: string): ParsedVoucherNumber {
  if (typeof input !== "string" || input.length > 64) return { ok: false, error: "malformed_number" };
  const text = input
    .normalize("NFKC")
    .replace(/[\s\-‐‑‒–—―−ー－]/g, "")
    .trim();
  if (!/^\d{13}$/.test(text)) return { ok: false, error: "malformed_number" };
  const body = text.slice(0, 12);
  if (luhnCheckDigit(body) !== Number(text[12])) return { ok: false, error: "bad_check_digit" };
  const serial = Number(text.slice(5, 12));
  if (serial < 1) return { ok: false, error: "malformed_number" };
  return { ok: true, number: text, municipalityPrefix: text.slice(0, 5), serial };
}
