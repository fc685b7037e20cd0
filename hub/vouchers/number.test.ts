import { describe, expect, it } from "vitest";
import { formatVoucherNumber, luhnCheckDigit, makeVoucherNumber, parseVoucherNumber } from "./number.js";

describe("voucher numbers", () => {
  it("uses the Luhn check digit", () => {
    // Well-known Luhn example: 7992739871 → 3.
    expect(luhnCheckDigit("7992739871")).toBe(3);
    const n = makeVoucherNumber("041009", 123);
    expect(n).toHaveLength(13);
    expect(n.slice(0, 12)).toBe("041000000123");
    expect(Number(n[12])).toBe(luhnCheckDigit("041000000123"));
  });

  it("formats and parses back, with or without hyphens and in full width", () => {
    const n = makeVoucherNumber("042072", 4567);
    const shown = formatVoucherNumber(n);
    expect(shown).toMatch(/^04207-0004567-\d$/);
    expect(parseVoucherNumber(shown)).toEqual({
      ok: true,
      number: n,
      municipalityPrefix: "04207",
      serial: 4567,
    });
    expect(parseVoucherNumber(n).ok).toBe(true);
    const wide = shown.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d))).replace(/-/g, "－");
    expect(parseVoucherNumber(wide)).toMatchObject({ ok: true, number: n });
    expect(parseVoucherNumber(` ${n.slice(0, 5)} ${n.slice(5)} `)).toMatchObject({ ok: true, number: n });
  });

  it("refuses malformed numbers and bad check digits", () => {
    const n = makeVoucherNumber("041009", 1);
    for (const bad of ["", "abc", n.slice(0, 12), `${n}1`, "04100-000000X-1", "x".repeat(100)]) {
      expect(parseVoucherNumber(bad)).toEqual({ ok: false, error: "malformed_number" });
    }
    const last = Number(n[12]);
    expect(parseVoucherNumber(n.slice(0, 12) + String((last + 1) % 10))).toEqual({
      ok: false,
      error: "bad_check_digit",
    });
  });

  it("catches every single-digit typo", () => {
    const n = makeVoucherNumber("041009", 7654321);
    for (let i = 0; i < 13; i++) {
      for (let d = 0; d <= 9; d++) {
        if (String(d) === n[i]) continue;
        const typo = n.slice(0, i) + d + n.slice(i + 1);
        expect(parseVoucherNumber(typo).ok, typo).toBe(false);
      }
    }
  });

  it("refuses out-of-range serials when making numbers", () => {
    expect(() => makeVoucherNumber("041009", 0)).toThrow();
    expect(() => makeVoucherNumber("041009", 10_000_000)).toThrow();
  });
});
