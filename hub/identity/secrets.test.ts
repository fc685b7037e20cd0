import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decryptSecret, encryptSecret } from "./secrets.js";

describe("secrets at rest", () => {
  const key = randomBytes(32);

  it("round-trips and never stores the plain text", () => {
    const sealed = encryptSecret(key, "JBSWY3DPEHPK3PXP");
    expect(sealed).not.toContain("JBSWY3DPEHPK3PXP");
    expect(decryptSecret(key, sealed)).toBe("JBSWY3DPEHPK3PXP");
  });

  it("uses a fresh IV each time", () => {
    expect(encryptSecret(key, "x")).not.toBe(encryptSecret(key, "x"));
  });

  it("refuses another key and tampered data", () => {
    const sealed = encryptSecret(key, "secret");
    expect(() => decryptSecret(randomBytes(32), sealed)).toThrow();
    const parts = sealed.split(".");
    parts[3] = Buffer.from("tampered").toString("base64url");
    expect(() => decryptSecret(key, parts.join("."))).toThrow();
    expect(() => decryptSecret(key, "plain")).toThrow();
  });
});
