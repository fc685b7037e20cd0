/**
 * The voucher's QR code: `SCV1.<13-digit number>.<tag>`, where tag is HMAC-SHA256 over "SCV1.<number>" truncated
 * to 16 bytes, base64url. The HMAC key is derived from the hub's SECRET_KEY (HMAC(SECRET_KEY, "voucher-qr")), so a
 * printed code cannot be forged from a typed number, and rotating SECRET_KEY invalidates printed codes.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import QRCode from "qrcode";
import { parseVoucherNumber } from "./number.js";

export const QR_PREFIX = "SCV1";
const TAG_BYTES = 16;

export function qrKey(secretKey: Buffer): Buffer {
  return createHmac("sha256", secretKey).update("voucher-qr").digest();
}

function tag(secretKey: Buffer, number: string): Buffer {
  return createHmac("sha256", qrKey(secretKey))
    .update(`${QR_PREFIX}.${number}`)
    .digest()
    .subarray(0, TAG_BYTES);
}

/** The payload encoded in the QR code, for a bare 13-digit number. */
export function signVoucherQr(secretKey: Buffer, number: string): string {
  return `${QR_PREFIX}.${number}.${tag(secretKey, number).toString("base64url")}`;
}

export type VerifiedQr =
  | { ok: true; number: string }
  | { ok: false; error: "malformed_qr" | "bad_signature" | "malformed_number" | "bad_check_digit" };

/** Checks a scanned payload; the signature is compared in constant time. */
export function verifyVoucherQr(secretKey: Buffer, payload: string): VerifiedQr {
  if (typeof payload !== "string" || payload.length > 200) return { ok: false, error: "malformed_qr" };
  const parts = payload.trim().split(".");
  if (parts.length !== 3 || parts[0] !== QR_PREFIX) return { ok: false, error: "malformed_qr" };
  const [, num = "", sig = ""] = parts;
  const parsed = parseVoucherNumber(num);
  if (!parsed.ok) return { ok: false, error: parsed.error };
  if (parsed.number !== num || !/^[A-Za-z0-9_-]{22}$/.test(sig)) return { ok: false, error: "malformed_qr" };
  const given = Buffer.from(sig, "base64url");
  const expected = tag(secretKey, num);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, error: "bad_signature" };
  }
  return { ok: true, number: num };
}

/** The QR code as a standalone SVG (error correction M, a quiet zone of 4 modules). */
export async function renderQrSvg(payload: string): Promise<string> {
  return QRCode.toString(payload, { type: "svg", errorCorrectionLevel: "M", margin: 4 });
}
