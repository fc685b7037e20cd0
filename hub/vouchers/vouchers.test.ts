import { describe, expect, it } from "vitest";
import { DomainError } from "../errors.js";
import { sendai } from "../policies/examples.js";
import { planVoucher, voucherValidity } from "./vouchers.js";

const terms = { today: "2026-06-01", version: { id: "v1", policy: sendai } };

function resident(children: { id: string; birthDate: string; multipleBirth?: number }[]) {
  return {
    municipalityCode: "041009",
    municipality: { name: "仙台市" },
    // Youngest first, as issuing reads them.
    children: children.map((c) => ({
      multipleBirth: 1,
      ...c,
      birthDate: new Date(`${c.birthDate}T00:00:00Z`),
    })),
  } as unknown as Parameters<typeof planVoucher>[0];
}

function problemOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err.code;
    throw err;
  }
  return "none";
}

describe("planVoucher", () => {
  it("plans the youngest child's voucher with the policy's caps and validity", () => {
    const r = resident([
      { id: "young", birthDate: "2026-05-10" },
      { id: "old", birthDate: "2024-01-01" },
    ]);
    const plan = planVoucher(r, [], terms);
    expect(plan.child?.id).toBe("young");
    expect(plan.validity).toEqual({ validFrom: "2026-06-01", validUntil: "2027-05-09" });
    expect(plan.caps).toEqual([
      { serviceType: "stay", cap: 7 },
      { serviceType: "day", cap: 7 },
    ]);
  });

  it("names the child asked for, and refuses one who is not the resident's", () => {
    const r = resident([
      { id: "young", birthDate: "2026-05-10" },
      { id: "twin", birthDate: "2026-01-10", multipleBirth: 2 },
    ]);
    expect(planVoucher(r, [], terms, "twin").child?.id).toBe("twin");
    expect(problemOf(() => planVoucher(r, [], terms, "someone-else"))).toBe("not_found");
  });

  it("issues without a child (pregnancy) for null, for one year", () => {
    const plan = planVoucher(resident([{ id: "young", birthDate: "2026-05-10" }]), [], terms, null);
    expect(plan.child).toBeNull();
    expect(plan.validity).toEqual({ validFrom: "2026-06-01", validUntil: "2027-05-31" });
  });

  it("refuses a second active voucher for the same child, not for another", () => {
    const r = resident([
      { id: "young", birthDate: "2026-05-10" },
      { id: "old", birthDate: "2026-02-01" },
    ]);
    const active = [{ childId: "young", number: "0410000000017" }];
    expect(problemOf(() => planVoucher(r, active, terms))).toBe("active_voucher_exists");
    expect(planVoucher(r, active, terms, "old").child?.id).toBe("old");
  });

  it("refuses without a policy in force and for a child past the covered age", () => {
    const r = resident([{ id: "young", birthDate: "2025-05-10" }]);
    expect(problemOf(() => planVoucher(r, [], { today: terms.today, version: null }))).toBe("no_policy");
    expect(problemOf(() => planVoucher(r, [], terms))).toBe("child_not_eligible");
  });
});

describe("voucherValidity", () => {
  it("starts at the birth when the child is not born yet, and ends the day before the first birthday", () => {
    expect(voucherValidity(sendai, "2026-06-01", "2026-07-31")).toEqual({
      validFrom: "2026-07-31",
      validUntil: "2027-07-30",
    });
  });

  it("ends with a days-from-issue validity when that is sooner", () => {
    const policy = { ...sendai, voucherValidity: { kind: "days_from_issue" as const, days: 90 } };
    expect(voucherValidity(policy, "2026-06-01", "2026-05-10")).toEqual({
      validFrom: "2026-06-01",
      validUntil: "2026-08-29",
    });
  });
});
