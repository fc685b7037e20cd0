import { describe, expect, it } from "vitest";
import { canonicalRecoveryCode, newRecoveryCode } from "./recovery-codes.js";

describe("recovery codes", () => {
  it("look like xxxxx-xxxxx without characters that are easy to confuse", () => {
    const codes = Array.from({ length: 200 }, newRecoveryCode);
    for (const c of codes) expect(c).toMatch(/^[2-9a-hj-km-np-z]{5}-[2-9a-hj-km-np-z]{5}$/);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it("are read back whatever the case, spaces, hyphens or width", () => {
    expect(canonicalRecoveryCode(" AB2CD-EF3GH ")).toBe("ab2cdef3gh");
    expect(canonicalRecoveryCode("ＡＢ２ＣＤ ＥＦ３ＧＨ")).toBe("ab2cdef3gh");
  });
});
