import { describe, expect, it } from "vitest";
import { maskDestination, maskEmail, maskPhone, redact } from "./mask.js";

describe("masking destinations for the delivery log", () => {
  it("keeps two letters of an e-mail's local part and its domain", () => {
    expect(maskEmail("taro@example.jp")).toBe("ta****@example.jp");
    expect(maskEmail("hanako.sato+care@mail.example.jp")).toBe("ha****@mail.example.jp");
    expect(maskEmail("ab@example.jp")).toBe("a****@example.jp");
    expect(maskEmail("a@example.jp")).toBe("****@example.jp");
    expect(maskEmail("not-an-address")).toBe("****");
    expect(maskEmail("@example.jp")).toBe("****");
  });

  it("keeps the first three and last four digits of a phone number", () => {
    expect(maskPhone("090-1234-5678")).toBe("090-****-5678");
    expect(maskPhone("09012345678")).toBe("090-****-5678");
    expect(maskPhone("+81 90 1234 5678")).toBe("090-****-5678");
    expect(maskPhone("022-555-0123")).toBe("022-****-0123");
    expect(maskPhone("110")).toBe("****");
    expect(maskPhone("")).toBe("****");
  });

  it("masks by channel and never returns the destination itself", () => {
    for (const [channel, to] of [
      ["email", "resident@demo.example.jp"],
      ["sms", "080-5550-1234"],
      ["fax", "022-555-0123"],
    ] as const) {
      const masked = maskDestination(channel, to);
      expect(masked).not.toBe(to);
      expect(masked).toContain("****");
    }
    expect(maskDestination("email", " taro@example.jp ")).toBe("ta****@example.jp");
  });

  it("redacts every address and number in an error text, dates and status codes left alone", () => {
    const text =
      "550 5.1.1 <taro@example.jp>: Recipient address rejected; also bcc hanako@example.jp, call 090-1234-5678 on 2026-11-25";
    const out = redact(text, "taro@example.jp");
    expect(out).not.toContain("taro@");
    expect(out).not.toContain("hanako@");
    expect(out).not.toContain("1234-5678");
    expect(out).toContain("ta****@example.jp");
    expect(out).toContain("ha****@example.jp");
    expect(out).toContain("090-****-5678");
    expect(out).toContain("550 5.1.1");
    expect(out).toContain("2026-11-25");
    expect(redact("number +819012345678 unreachable", "+819012345678")).toBe(
      "number 090-****-5678 unreachable",
    );
    expect(redact("HTTP 503 Service Unavailable")).toBe("HTTP 503 Service Unavailable");
  });
});
