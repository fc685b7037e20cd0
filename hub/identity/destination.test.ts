import { describe, expect, it } from "vitest";
import { maskDestination, normaliseDestination, phoneVariants } from "./destination.js";

describe("normaliseDestination", () => {
  it("lower-cases and trims e-mail addresses, including full-width input", () => {
    expect(normaliseDestination("  Hanako.Yamada@Example.JP ")).toEqual({
      channel: "email",
      address: "hanako.yamada@example.jp",
      key: "email:hanako.yamada@example.jp",
    });
    expect(normaliseDestination("ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ")?.address).toBe("hanako@example.jp");
  });

  it("refuses things that are not e-mail addresses", () => {
    for (const s of ["a@b", "@example.jp", "a b@example.jp", "a@@example.jp", `${"x".repeat(250)}@ex.jp`]) {
      expect(normaliseDestination(s), s).toBeNull();
    }
  });

  it("accepts Japanese mobile numbers in the usual spellings", () => {
    const want = {
      channel: "sms",
      national: "09012345678",
      address: "+819012345678",
      key: "sms:+819012345678",
    };
    for (const s of [
      "09012345678",
      "090-1234-5678",
      "090 1234 5678",
      "０９０－１２３４－５６７８",
      "090ー1234ー5678",
      "(090) 1234-5678",
      "+819012345678",
      "+81 90 1234 5678",
      "+81-90-1234-5678",
      "+81 (0)90-1234-5678",
    ]) {
      expect(normaliseDestination(s), s).toEqual(want);
    }
    expect(normaliseDestination("070-1111-2222")?.address).toBe("+817011112222");
    expect(normaliseDestination("080-1111-2222")?.address).toBe("+818011112222");
  });

  it("refuses landlines, short numbers and other countries", () => {
    for (const s of [
      "022-555-0101",
      "0312345678",
      "0901234567",
      "090123456789",
      "060-1234-5678",
      "+1 415 555 0101",
      "abc",
    ]) {
      expect(normaliseDestination(s), s).toBeNull();
    }
  });
});

describe("phoneVariants", () => {
  it("covers the stored spellings of one number", () => {
    const d = normaliseDestination("090-0000-0001");
    if (d?.channel !== "sms") throw new Error("expected a mobile number");
    const v = phoneVariants(d);
    expect(v).toContain("09000000001");
    expect(v).toContain("090-0000-0001");
    expect(v).toContain("+819000000001");
    expect(v).toContain("+81-90-0000-0001");
  });
});

describe("maskDestination", () => {
  it("hides most of the address", () => {
    expect(maskDestination(normaliseDestination("hanako@example.jp") as never)).toBe("h***@example.jp");
    expect(maskDestination(normaliseDestination("09012345678") as never)).toBe("090****5678");
  });
});
