import { randomBytes } from "node:crypto";
import { generate } from "otplib";
import { describe, expect, it } from "vitest";
import { decryptSecret } from "./secrets.js";
import { checkTotp, newTotpEnrolment, TOTP_ISSUER } from "./totp.js";

const key = randomBytes(32);
const at = (d: Date, secret: string) => generate({ secret, epoch: Math.floor(d.getTime() / 1000) });

describe("TOTP", () => {
  const e = newTotpEnrolment(key, "sendai@demo.example.jp");
  const now = new Date("2026-11-25T01:00:15Z");

  it("seals the secret and gives an otpauth URI with the issuer", () => {
    expect(e.sealed).not.toContain(e.secret);
    expect(decryptSecret(key, e.sealed)).toBe(e.secret);
    expect(e.otpauthUri).toMatch(/^otpauth:\/\/totp\//);
    expect(decodeURIComponent(e.otpauthUri)).toContain(`issuer=${TOTP_ISSUER}`);
    expect(e.otpauthUri).toContain(`secret=${e.secret}`);
  });

  it("accepts the current code and one step either side, nothing further", async () => {
    const step = (n: number) => new Date(now.getTime() + n * 30_000);
    const current = Math.floor(now.getTime() / 30_000);
    expect(await checkTotp(key, e.sealed, await at(now, e.secret), now)).toBe(current);
    expect(await checkTotp(key, e.sealed, await at(step(-1), e.secret), now)).toBe(current - 1);
    expect(await checkTotp(key, e.sealed, await at(step(1), e.secret), now)).toBe(current + 1);
    expect(await checkTotp(key, e.sealed, await at(step(-2), e.secret), now)).toBeNull();
    expect(await checkTotp(key, e.sealed, await at(step(2), e.secret), now)).toBeNull();
  });

  it("refuses malformed codes and secrets sealed with another key", async () => {
    const code = await at(now, e.secret);
    expect(await checkTotp(key, e.sealed, "12a456", now)).toBeNull();
    expect(await checkTotp(randomBytes(32), e.sealed, code, now)).toBeNull();
  });
});
