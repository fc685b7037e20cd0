import { describe, expect, it } from "vitest";
import { normaliseEmail } from "./email.js";

describe("normaliseEmail", () => {
  it("trims, lower-cases and folds full-width input to one form", () => {
    expect(normaliseEmail("  Resident0860@Example.JP ")).toBe("resident0860@example.jp");
    expect(normaliseEmail("ｒｅｓｉｄｅｎｔ０８６０＠ｅｘａｍｐｌｅ．ｊｐ")).toBe("resident0860@example.jp");
  });

  it("keeps _, % and \\ as ordinary characters of the address", () => {
    expect(normaliseEmail("residen_0860@example.jp")).toBe("residen_0860@example.jp");
    expect(normaliseEmail("res%@example.jp")).toBe("res%@example.jp");
    expect(normaliseEmail("res\\ident0860@example.jp")).toBe("res\\ident0860@example.jp");
  });

  it("never folds a look-alike letter into ASCII: a non-ASCII mailbox is refused", () => {
    // Cyrillic е (U+0435) and Greek ο (U+03BF) look like Latin e and o.
    expect(normaliseEmail("r\u0435sident0860@example.jp")).toBeNull();
    expect(normaliseEmail("resident0860@exampl\u0435.jp")).not.toBe("resident0860@example.jp");
    expect(normaliseEmail("resident0860@exampl\u0435.jp")).toMatch(/@xn--/);
    expect(normaliseEmail("hanak\u03bf@example.jp")).toBeNull();
  });

  it("writes an internationalised domain in its ASCII form", () => {
    expect(normaliseEmail("hanako@例え.jp")).toBe("hanako@xn--r8jz45g.jp");
  });

  it("refuses what is not an address", () => {
    for (const s of [
      "",
      "a@b",
      "@example.jp",
      "a b@example.jp",
      "a@@example.jp",
      "a@ex ample.jp",
      "a@-x.jp",
    ]) {
      expect(normaliseEmail(s), s).toBeNull();
    }
    expect(normaliseEmail(`${"x".repeat(250)}@ex.jp`)).toBeNull();
  });
});
