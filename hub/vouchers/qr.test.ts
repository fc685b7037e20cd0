import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { makeVoucherNumber } from "./number.js";
import { renderQrSvg, signVoucherQr, verifyVoucherQr } from "./qr.js";

describe("voucher QR payload", () => {
  const key = randomBytes(32);
  const number = makeVoucherNumber("041009", 42);

  it("signs and verifies", () => {
    const payload = signVoucherQr(key, number);
    expect(payload).toMatch(/^SCV1\.\d{13}\.[A-Za-z0-9_-]{22}$/);
    expect(verifyVoucherQr(key, payload)).toEqual({ ok: true, number });
  });

  it("refuses a tampered number, a wrong key and garbage", () => {
    const payload = signVoucherQr(key, number);
    const other = makeVoucherNumber("041009", 43);
    const [, , sig] = payload.split(".");
    expect(verifyVoucherQr(key, `SCV1.${other}.${sig}`)).toEqual({ ok: false, error: "bad_signature" });
    expect(verifyVoucherQr(randomBytes(32), payload)).toEqual({ ok: false, error: "bad_signature" });
    expect(verifyVoucherQr(key, "hello").ok).toBe(false);
    expect(verifyVoucherQr(key, `SCV2.${number}.${sig}`)).toEqual({ ok: false, error: "malformed_qr" });
    expect(verifyVoucherQr(key, `SCV1.${number}.short`)).toEqual({ ok: false, error: "malformed_qr" });
    expect(verifyVoucherQr(key, `SCV1.${number.slice(0, 12)}0.${sig}`).ok).toBe(false);
  });

  it("renders an SVG", async () => {
    const svg = await renderQrSvg(signVoucherQr(key, number));
    expect(svg).toContain("<svg");
    expect(svg).toContain("</svg>");
  });
});
