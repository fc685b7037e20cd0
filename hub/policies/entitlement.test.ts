import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatDate } from "../inventory/dates.js";
import {
  checkEntitlement,
  childAgeOn,
  dayNumber,
  type EntitlementAllowed,
  type EntitlementInput,
  type EntitlementRefused,
  formatDay,
  monthsBetween,
  type RefusalCode,
} from "./entitlement.js";
import { natori, osaki, sendai } from "./examples.js";
import {
  type AddOn,
  INCOME_TIERS,
  type IncomeTier,
  type PolicyVersion,
  policyVersionOn,
  type Reduction,
  type ServiceRule,
  type ServiceType,
} from "./policy.js";

// ---------------------------------------------------------------------------------------------------------------
// Factories

interface Overrides {
  policy?: PolicyVersion;
  voucher?: Partial<EntitlementInput["voucher"]>;
  child?: Partial<EntitlementInput["child"]>;
  tier?: IncomeTier;
  request?: Partial<EntitlementInput["request"]>;
}

/** A general-tier resident, a 1-month-old singleton, a fresh voucher, a one-night stay on 2025-07-01. */
function booking(o: Overrides = {}): EntitlementInput {
  return {
    policy: o.policy ?? natori,
    voucher: {
      status: "active",
      validFrom: "2025-06-01",
      validUntil: "2026-05-31",
      unitsByType: {},
      unitsUsed: {},
      unitsReserved: {},
      usesSoFar: 0,
      ...o.voucher,
    },
    child: { birthDate: "2025-06-01", multipleBirth: 1, ...o.child },
    resident: { incomeTier: o.tier ?? "general" },
    request: { serviceType: "stay", startDate: "2025-07-01", nights: 1, addOns: [], ...o.request },
  };
}

function allowed(input: EntitlementInput): EntitlementAllowed {
  const result = checkEntitlement(input);
  if (!result.allowed) throw new Error(`expected allowed, got ${JSON.stringify(result.reasons)}`);
  return result;
}

function refused(input: EntitlementInput): EntitlementRefused {
  const result = checkEntitlement(input);
  if (result.allowed) throw new Error("expected a refusal");
  return result;
}

const codes = (input: EntitlementInput): RefusalCode[] => refused(input).reasons.map((r) => r.code);

/** A policy derived from an example with one service rule changed. */
function withRule(policy: PolicyVersion, type: ServiceType, change: Partial<ServiceRule>): PolicyVersion {
  const services = structuredClone(policy.services);
  const rule = services[type];
  if (!rule) throw new Error(`${type} not offered`);
  Object.assign(rule, change);
  return { ...policy, services };
}

const amounts = (r: EntitlementAllowed) => ({
  units: r.unitsNeeded,
  fee: r.fee,
  copay: r.residentCopay,
  municipality: r.municipalityShare,
});

// ---------------------------------------------------------------------------------------------------------------

describe("the same booking under different municipalities", () => {
  it("名取 and 大崎 give different unit counts and copays for a 1泊2日 stay", () => {
    const n = allowed(booking({ policy: natori, voucher: { usesSoFar: 3 } }));
    const o = allowed(booking({ policy: osaki, voucher: { usesSoFar: 3 } }));
    expect(amounts(n)).toEqual({ units: 2, fee: 60_000, copay: 10_000, municipality: 50_000 });
    expect(amounts(o)).toEqual({ units: 1, fee: 36_000, copay: 6_000, municipality: 30_000 });
    expect(n.policyVersion).toEqual({ municipalityCode: "042072", version: 1, effectiveFrom: "2025-04-01" });
    expect(o.policyVersion).toEqual({ municipalityCode: "042153", version: 1, effectiveFrom: "2025-04-01" });
  });

  it("名取's published day and visit amounts", () => {
    expect(amounts(allowed(booking({ request: { serviceType: "day", nights: undefined } })))).toEqual({
      units: 1,
      fee: 18_000,
      copay: 900,
      municipality: 17_100,
    });
    expect(amounts(allowed(booking({ request: { serviceType: "visit", nights: undefined } })))).toEqual({
      units: 1,
      fee: 10_000,
      copay: 600,
      municipality: 9_400,
    });
  });

  it("仙台 does not offer home visits but 名取 and 大崎 do", () => {
    const visit = { serviceType: "visit" as const, nights: undefined };
    expect(codes(booking({ policy: sendai, request: visit }))).toEqual(["service_not_offered"]);
    expect(allowed(booking({ policy: osaki, request: visit })).fee).toBe(9_000);
  });
});

describe("how a stay is counted", () => {
  it.each([
    [1, 2, 1],
    [2, 3, 2],
    [3, 4, 3],
    [6, 7, 6],
  ])("%i nights: %i units per day (名取), %i per night (大崎)", (nights, perDay, perNight) => {
    expect(allowed(booking({ policy: natori, request: { nights } })).unitsNeeded).toBe(perDay);
    expect(allowed(booking({ policy: osaki, request: { nights } })).unitsNeeded).toBe(perNight);
  });

  it("itemises one line per unit with the date it covers", () => {
    const perDay = allowed(booking({ policy: natori, request: { startDate: "2025-12-31", nights: 1 } }));
    expect(perDay.lines.map((l) => [l.kind, l.date, l.fee, l.residentCopay])).toEqual([
      ["unit", "2025-12-31", 30_000, 5_000],
      ["unit", "2026-01-01", 30_000, 5_000],
    ]);
    const perNight = allowed(
      booking({ policy: osaki, voucher: { usesSoFar: 9 }, request: { startDate: "2025-12-30", nights: 2 } }),
    );
    expect(perNight.lines.map((l) => l.date)).toEqual(["2025-12-30", "2025-12-31"]);
  });

  it("a missing nights means one night", () => {
    expect(allowed(booking({ request: { nights: undefined } })).unitsNeeded).toBe(2);
  });
});

describe("income tiers", () => {
  const services: [ServiceType, number | undefined][] = [
    ["stay", 1],
    ["day", undefined],
    ["visit", undefined],
  ];
  for (const policy of [natori, osaki]) {
    for (const tier of ["exempt", "welfare"] as const) {
      it.each(services)(`${policy.municipalityCode} ${tier} pays nothing for %s`, (serviceType, nights) => {
        const r = allowed(booking({ policy, tier, request: { serviceType, nights } }));
        expect(r.residentCopay).toBe(0);
        expect(r.municipalityShare).toBe(r.fee);
        expect(r.fee).toBeGreaterThan(0);
      });
    }
  }

  it("仙台 asks 非課税 households for a little on a stay, 生活保護 for nothing", () => {
    const used = { usesSoFar: 5 }; // past the 減免
    expect(allowed(booking({ policy: sendai, tier: "exempt", voucher: used })).residentCopay).toBe(2_000);
    expect(allowed(booking({ policy: sendai, tier: "welfare", voucher: used })).residentCopay).toBe(0);
    expect(allowed(booking({ policy: sendai, tier: "general", voucher: used })).residentCopay).toBe(6_000);
  });
});

describe("減免 (reductions on the first uses)", () => {
  it("大崎: ¥1,000 off per unit on the first two uses only", () => {
    const copay = (usesSoFar: number) =>
      allowed(booking({ policy: osaki, voucher: { usesSoFar }, request: { nights: 2 } })).residentCopay;
    expect(copay(0)).toBe(10_000);
    expect(copay(1)).toBe(10_000);
    expect(copay(2)).toBe(12_000);
    expect(copay(7)).toBe(12_000);
    const line = allowed(booking({ policy: osaki, request: { nights: 2 } })).lines.at(-1);
    expect(line).toEqual({
      kind: "reduction",
      code: "first_uses_discount",
      label: "初回2回の利用者負担軽減",
      quantity: 2,
      fee: 0,
      residentCopay: -2_000,
      municipalityShare: 2_000,
    });
  });

  it("仙台: ¥1,000 off each of the first five uses, including the add-on's copay", () => {
    const r = (usesSoFar: number) =>
      allowed(booking({ policy: sendai, voucher: { usesSoFar }, request: { addOns: ["sibling"] } }));
    expect(amounts(r(4))).toEqual({ units: 2, fee: 66_000, copay: 7_000, municipality: 59_000 });
    expect(amounts(r(5))).toEqual({ units: 2, fee: 66_000, copay: 8_000, municipality: 58_000 });
  });

  it("never takes the copay below zero", () => {
    const big: Reduction = { code: "big", label: "大幅軽減", firstUses: 3, amount: 2_000, per: "unit" };
    const policy = withRule(natori, "day", { reductions: [big] });
    const r = allowed(booking({ policy, request: { serviceType: "day", nights: undefined } }));
    expect(r.residentCopay).toBe(0);
    expect(r.lines.at(-1)?.residentCopay).toBe(-900);
    const perUse = withRule(natori, "stay", { reductions: [{ ...big, amount: 50_000, per: "use" }] });
    expect(allowed(booking({ policy: perUse })).residentCopay).toBe(0);
    // a 非課税 resident already pays 0: no reduction line at all
    const exempt = allowed(booking({ policy: osaki, tier: "exempt" }));
    expect(exempt.lines.some((l) => l.kind === "reduction")).toBe(false);
  });

  it("applies only to the tiers it lists", () => {
    const onlyExempt: Reduction = {
      code: "exempt_only",
      label: "非課税世帯軽減",
      firstUses: 5,
      amount: 500,
      per: "use",
      tiers: ["exempt"],
    };
    const policy = withRule(sendai, "stay", { reductions: [onlyExempt] });
    expect(allowed(booking({ policy, tier: "general" })).residentCopay).toBe(6_000);
    expect(allowed(booking({ policy, tier: "exempt" })).residentCopay).toBe(1_500);
  });

  it("per-unit reductions come before per-use ones, whatever their order", () => {
    const perUse: Reduction = { code: "use", label: "u", firstUses: 1, amount: 4_000, per: "use" };
    const perUnit: Reduction = { code: "unit", label: "n", firstUses: 1, amount: 4_000, per: "unit" };
    const a = withRule(natori, "stay", { reductions: [perUse, perUnit] });
    const b = withRule(natori, "stay", { reductions: [perUnit, perUse] });
    // 2 units × 5,000 → per unit −4,000 each → 2,000 → per use −2,000 (capped) → 0
    expect(allowed(booking({ policy: a })).residentCopay).toBe(0);
    expect(allowed(booking({ policy: a })).lines).toEqual(allowed(booking({ policy: b })).lines);
  });
});

describe("add-ons", () => {
  it("名取: an older sibling adds a fee and a copay per unit", () => {
    const r = allowed(booking({ request: { addOns: ["sibling"] } }));
    expect(amounts(r)).toEqual({ units: 2, fee: 66_000, copay: 13_000, municipality: 53_000 });
    expect(r.lines.at(-1)).toEqual({
      kind: "add_on",
      code: "sibling",
      label: "上の子同伴",
      quantity: 2,
      fee: 6_000,
      residentCopay: 3_000,
      municipalityShare: 3_000,
    });
    expect(allowed(booking({ tier: "welfare", request: { addOns: ["sibling"] } })).residentCopay).toBe(0);
  });

  it("大崎: twins only for multiple births, infants only from 5 to under 12 months", () => {
    const twins = { addOns: ["twins"] };
    expect(codes(booking({ policy: osaki, request: twins }))).toEqual(["add_on_not_applicable"]);
    const t = allowed(
      booking({ policy: osaki, voucher: { usesSoFar: 2 }, child: { multipleBirth: 2 }, request: twins }),
    );
    expect(amounts(t)).toEqual({ units: 1, fee: 41_000, copay: 6_000, municipality: 35_000 });

    const infant = (startDate: string) =>
      booking({ policy: osaki, voucher: { usesSoFar: 2 }, request: { startDate, addOns: ["infant_5_12m"] } });
    expect(codes(infant("2025-10-31"))).toEqual(["add_on_not_applicable"]); // 4 months
    expect(amounts(allowed(infant("2025-11-01")))).toEqual({
      units: 1,
      fee: 39_000,
      copay: 6_500,
      municipality: 32_500,
    });
  });

  it("大崎 day care: the twins add-on is once per use", () => {
    const r = allowed(
      booking({
        policy: osaki,
        child: { multipleBirth: 3 },
        request: { serviceType: "day", nights: undefined, addOns: ["twins"] },
      }),
    );
    expect(r.lines.find((l) => l.kind === "add_on")).toMatchObject({ quantity: 1, fee: 3_000 });
  });

  it("refuses unknown and repeated add-ons", () => {
    expect(refused(booking({ request: { addOns: ["sibling", "massage", "sibling"] } })).reasons).toEqual([
      {
        code: "unknown_add_on",
        field: "request.addOns.1",
        message: "The stay service has no add-on massage",
      },
      {
        code: "duplicate_add_on",
        field: "request.addOns.2",
        message: "The add-on sibling is requested twice",
      },
    ]);
    // an add-on of one service is not an add-on of another
    expect(
      codes(booking({ request: { serviceType: "day", nights: undefined, addOns: ["sibling"] } })),
    ).toEqual(["unknown_add_on"]);
  });
});

describe("each refusal reason", () => {
  const cases: [string, Overrides, RefusalCode][] = [
    ["a revoked voucher", { voucher: { status: "revoked" } }, "voucher_revoked"],
    ["an expired voucher", { voucher: { status: "expired" } }, "voucher_expired"],
    ["a date before the validity", { voucher: { validFrom: "2025-07-02" } }, "outside_validity"],
    ["a date after the validity", { voucher: { validUntil: "2025-06-30" } }, "outside_validity"],
    ["a stay checking out after the validity", { request: { startDate: "2026-05-31" } }, "outside_validity"],
    [
      "a service not offered",
      { policy: sendai, request: { serviceType: "visit", nights: undefined } },
      "service_not_offered",
    ],
    ["zero nights", { request: { nights: 0 } }, "invalid_nights"],
    ["half a night", { request: { nights: 1.5 } }, "invalid_nights"],
    ["more nights than the policy allows", { request: { nights: 7 } }, "invalid_nights"],
    ["nights on day care", { request: { serviceType: "day", nights: 2 } }, "nights_not_allowed"],
    [
      "a child too old",
      { request: { startDate: "2026-06-01" }, voucher: { validUntil: "2026-12-31" } },
      "child_too_old",
    ],
    ["a child not yet born", { child: { birthDate: "2025-07-02" } }, "child_not_born"],
    [
      "a child too young (大崎: 7 days)",
      { policy: osaki, child: { birthDate: "2025-06-25" } },
      "child_too_young",
    ],
    ["no units left", { voucher: { unitsUsed: { stay: 6 } } }, "not_enough_units"],
    [
      "a date before the policy version",
      {
        voucher: { validFrom: "2025-01-01" },
        child: { birthDate: "2025-02-01" },
        request: { startDate: "2025-03-31" },
      },
      "policy_not_in_effect",
    ],
    ["a malformed date", { request: { startDate: "2025-02-30" } }, "invalid_date"],
    ["a voucher of another municipality", { voucher: { municipalityCode: "042153" } }, "policy_mismatch"],
    ["negative units used", { voucher: { unitsUsed: { stay: -1 } } }, "invalid_input"],
  ];
  it.each(cases)("%s", (_, overrides, code) => {
    const reasons = refused(booking(overrides)).reasons;
    expect(reasons.map((r) => r.code)).toEqual([code]);
    expect(reasons[0]?.message.length).toBeGreaterThan(10);
  });

  it("a bookable day passes (control)", () => {
    expect(allowed(booking()).unitsNeeded).toBe(2);
  });

  it("gives every reason at once", () => {
    const everything = booking({
      voucher: { status: "revoked", validUntil: "2025-06-30", unitsUsed: { stay: 7 } },
      child: { birthDate: "2024-06-01" },
      request: { nights: 2, addOns: ["spa"] },
    });
    expect(codes(everything)).toEqual([
      "voucher_revoked",
      "outside_validity",
      "child_too_old",
      "not_enough_units",
      "unknown_add_on",
    ]);
    expect(checkEntitlement(everything).policyVersion.version).toBe(1);
  });

  it("says what is left when units run short", () => {
    const r = refused(booking({ voucher: { unitsUsed: { stay: 4 }, unitsReserved: { stay: 2 } } }));
    expect(r.reasons[0]?.message).toBe(
      "This stay booking needs 2 units; 1 of 7 are left (4 used, 2 reserved)",
    );
  });
});

describe("unit caps", () => {
  it("the last units exactly available pass; one short is refused", () => {
    const v = { unitsUsed: { stay: 3 }, unitsReserved: { stay: 2 } };
    const ok = allowed(booking({ voucher: v, request: { nights: 1 } }));
    expect(ok.unitsRemainingAfter).toBe(0);
    expect(codes(booking({ voucher: v, request: { nights: 2 } }))).toEqual(["not_enough_units"]);
    const day = { serviceType: "day" as const, nights: undefined };
    expect(allowed(booking({ voucher: { unitsUsed: { day: 6 } }, request: day })).unitsRemainingAfter).toBe(
      0,
    );
    expect(
      codes(booking({ voucher: { unitsUsed: { day: 6 }, unitsReserved: { day: 1 } }, request: day })),
    ).toEqual(["not_enough_units"]);
  });

  it("units of another type do not count", () => {
    expect(allowed(booking({ voucher: { unitsUsed: { day: 7, visit: 7 } } })).unitsRemainingAfter).toBe(5);
  });

  it("multiple births get the higher cap where the policy has one", () => {
    const full = { unitsUsed: { stay: 7 } };
    expect(codes(booking({ policy: osaki, voucher: full }))).toEqual(["not_enough_units"]);
    const twins = allowed(
      booking({ policy: osaki, voucher: full, child: { multipleBirth: 2 }, request: { nights: 3 } }),
    );
    expect(twins.unitsRemainingAfter).toBe(0);
    expect(
      codes(booking({ policy: osaki, voucher: full, child: { multipleBirth: 2 }, request: { nights: 4 } })),
    ).toEqual(["not_enough_units"]);
    // 名取 has no higher cap
    expect(
      codes(booking({ policy: natori, voucher: { unitsUsed: { stay: 6 } }, child: { multipleBirth: 2 } })),
    ).toEqual(["not_enough_units"]);
  });

  it("a voucher's own lower cap wins, a higher one does not", () => {
    expect(codes(booking({ voucher: { unitsByType: { stay: 3 }, unitsUsed: { stay: 2 } } }))).toEqual([
      "not_enough_units",
    ]);
    expect(
      allowed(booking({ voucher: { unitsByType: { stay: 3 }, unitsUsed: { stay: 1 } } })).unitsRemainingAfter,
    ).toBe(0);
    expect(codes(booking({ voucher: { unitsByType: { stay: 20 }, unitsUsed: { stay: 6 } } }))).toEqual([
      "not_enough_units",
    ]);
  });
});

describe("the child's age", () => {
  it("名取: eligible until the day before the first birthday", () => {
    const at = (startDate: string) =>
      booking({
        child: { birthDate: "2025-01-15" },
        voucher: { validFrom: "2025-04-01" },
        request: { startDate },
      });
    expect(allowed(at("2026-01-13")).childAgeMonths).toBe(11); // checks out on the 14th
    expect(codes(at("2026-01-15"))).toEqual(["child_too_old"]);
  });

  // Born 2025-01-01, due 2025-03-01: 59 days early, so preterm.
  const preterm = { birthDate: "2025-01-01", dueDate: "2025-03-01" };
  const day = (policy: PolicyVersion, startDate: string, child: Overrides["child"] = preterm) =>
    booking({
      policy,
      child,
      voucher: { validFrom: "2025-04-01", validUntil: "2026-12-31", usesSoFar: 9 },
      request: { serviceType: "day", nights: undefined, startDate },
    });

  it("大崎 counts a preterm baby's age from the due date, up to the boundary", () => {
    const last = allowed(day(osaki, "2026-02-28"));
    expect([last.childAgeMonths, last.ageBasis]).toEqual([11, "corrected"]);
    const r = refused(day(osaki, "2026-03-01"));
    expect(r.reasons.map((x) => x.code)).toEqual(["child_too_old"]);
    expect(r.reasons[0]?.message).toContain("(corrected age)");
  });

  it("名取 does not correct: the same baby is too old from the first birthday", () => {
    expect(allowed(day(natori, "2025-12-31")).ageBasis).toBe("birth");
    expect(codes(day(natori, "2026-01-01"))).toEqual(["child_too_old"]);
    expect(codes(day(natori, "2026-02-28"))).toEqual(["child_too_old"]);
  });

  it("preterm means born at least 22 days (before 37 weeks) before the due date", () => {
    const term = { birthDate: "2025-01-01", dueDate: "2025-01-22" }; // 21 days early: 37w0d
    const early = { birthDate: "2025-01-01", dueDate: "2025-01-23" }; // 22 days early: 36w6d
    expect(codes(day(osaki, "2026-01-01", term))).toEqual(["child_too_old"]);
    expect(allowed(day(osaki, "2026-01-01", early)).ageBasis).toBe("corrected");
    expect(codes(day(osaki, "2026-01-23", early))).toEqual(["child_too_old"]);
  });

  it("before the due date the corrected age is 0", () => {
    const r = allowed(day(sendai, "2025-04-01", { birthDate: "2025-01-01", dueDate: "2025-05-01" }));
    expect([r.childAgeMonths, r.ageBasis]).toEqual([0, "corrected"]);
  });

  it("仙台 offers stays only under 4 months but day care until 12", () => {
    const child = { birthDate: "2025-06-01" };
    const stay = (startDate: string) => booking({ policy: sendai, child, request: { startDate } });
    expect(allowed(stay("2025-09-30")).childAgeMonths).toBe(3);
    expect(codes(stay("2025-10-01"))).toEqual(["child_too_old"]);
    expect(allowed(day(sendai, "2025-10-01", child)).childAgeMonths).toBe(4);
  });

  it("counts months on calendar dates, month ends included", () => {
    expect(monthsBetween("2025-01-31", "2025-02-28")).toBe(0);
    expect(monthsBetween("2025-01-31", "2025-03-01")).toBe(1);
    expect(monthsBetween("2024-02-29", "2025-02-28")).toBe(11);
    expect(monthsBetween("2024-02-29", "2025-03-01")).toBe(12);
    expect(monthsBetween("2025-12-15", "2026-01-14")).toBe(0);
    expect(monthsBetween("2025-12-15", "2026-01-15")).toBe(1);
  });
});

describe("policy versions over time", () => {
  it("a rule change from next month leaves this month's amounts untouched", () => {
    const stay = structuredClone(natori.services.stay!);
    stay.copayPerUnit.general = 6_000;
    stay.unitFee = 32_000;
    const v2: PolicyVersion = {
      ...natori,
      version: 2,
      effectiveFrom: "2025-08-01",
      services: { ...natori.services, stay },
    };
    const versions = [natori, v2];
    const on = (startDate: string) =>
      allowed(booking({ policy: policyVersionOn(versions, startDate)!, request: { startDate } }));
    const july = on("2025-07-31");
    const august = on("2025-08-01");
    expect([july.fee, july.residentCopay, july.policyVersion.version]).toEqual([60_000, 10_000, 1]);
    expect([august.fee, august.residentCopay, august.policyVersion.version]).toEqual([64_000, 12_000, 2]);
    expect(codes(booking({ policy: v2, request: { startDate: "2025-07-31" } }))).toEqual([
      "policy_not_in_effect",
    ]);
  });
});

describe("calendar day numbers", () => {
  it("agree with Date for any day and round-trip", () => {
    fc.assert(
      fc.property(fc.integer({ min: -100_000, max: 100_000 }), (n) => {
        const text = formatDate(new Date(n * 86_400_000));
        expect(formatDay(n)).toBe(text);
        expect(dayNumber(text)).toBe(n);
      }),
    );
  });

  it("refuse dates that do not exist", () => {
    for (const s of ["2025-02-29", "2025-04-31", "2025-00-10", "2025-1-10", "20250110", "2025-01-1x"]) {
      expect(dayNumber(s)).toBe(Number.NEGATIVE_INFINITY);
    }
    expect(dayNumber("2024-02-29")).toBe(Date.UTC(2024, 1, 29) / 86_400_000);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Properties

const BASE_DAY = dayNumber("2025-04-01");
const day = (offset: number) => formatDay(BASE_DAY + offset);
const ADD_ON_CODES = ["sibling", "twins", "infant_5_12m"] as const;

/** Copays are sometimes above the fee on purpose: the engine must clamp even an unvalidated policy. */
const copayFor = (fee: number) =>
  fc.record({
    general: fc.integer({ min: 0, max: fee + 1_000 }),
    exempt: fc.integer({ min: 0, max: fee }),
    welfare: fc.constantFrom(0, fee),
  });

const addOnArb: fc.Arbitrary<AddOn> = fc.integer({ min: 0, max: 10_000 }).chain((fee) =>
  fc.record(
    {
      code: fc.constantFrom(...ADD_ON_CODES),
      label: fc.constant("加算"),
      fee: fc.constant(fee),
      per: fc.constantFrom("unit" as const, "use" as const),
      copay: copayFor(fee),
      requires: fc.record(
        {
          minChildAgeMonths: fc.integer({ min: 0, max: 6 }),
          maxChildAgeMonths: fc.integer({ min: 7, max: 13 }),
          multipleBirth: fc.boolean(),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: ["code", "label", "fee", "per", "copay"] },
  ),
);

const reductionArb: fc.Arbitrary<Reduction> = fc.record(
  {
    code: fc.constantFrom("r1", "r2"),
    label: fc.constant("減免"),
    firstUses: fc.integer({ min: 1, max: 5 }),
    amount: fc.integer({ min: 0, max: 40_000 }),
    per: fc.constantFrom("unit" as const, "use" as const),
    tiers: fc.subarray([...INCOME_TIERS], { minLength: 1 }),
  },
  { requiredKeys: ["code", "label", "firstUses", "amount", "per"] },
);

const ruleArb: fc.Arbitrary<ServiceRule> = fc.integer({ min: 0, max: 50_000 }).chain((unitFee) =>
  fc
    .record({
      copayPerUnit: copayFor(unitFee),
      maxUnits: fc.integer({ min: 1, max: 10 }),
      extra: fc.integer({ min: 0, max: 5 }),
      maxChildAgeMonths: fc.integer({ min: 3, max: 13 }),
      useCorrectedAgeForPreterm: fc.boolean(),
      minChildAgeDays: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
      reductions: fc.array(reductionArb, { maxLength: 3 }),
      addOns: fc.uniqueArray(addOnArb, { selector: (a) => a.code, maxLength: 3 }),
    })
    .map((r) => ({
      unitFee,
      copayPerUnit: r.copayPerUnit,
      maxUnits: r.maxUnits,
      maxUnitsMultipleBirth: r.maxUnits + r.extra,
      eligibility: {
        maxChildAgeMonths: r.maxChildAgeMonths,
        useCorrectedAgeForPreterm: r.useCorrectedAgeForPreterm,
        ...(r.minChildAgeDays === undefined ? {} : { minChildAgeDays: r.minChildAgeDays }),
      },
      reductions: r.reductions,
      addOns: r.addOns,
    })),
);

const policyArb: fc.Arbitrary<PolicyVersion> = fc
  .record({
    stay: fc.option(
      fc
        .tuple(
          ruleArb,
          fc.constantFrom("per_day" as const, "per_night" as const),
          fc.integer({ min: 1, max: 8 }),
        )
        .map(([rule, stayCounting, maxNightsPerStay]) => ({ ...rule, stayCounting, maxNightsPerStay })),
      { nil: undefined, freq: 4 },
    ),
    day: fc.option(ruleArb, { nil: undefined, freq: 4 }),
    visit: fc.option(ruleArb, { nil: undefined, freq: 4 }),
    effectiveOffset: fc.integer({ min: -30, max: 10 }),
  })
  .map(({ stay, day: dayRule, visit, effectiveOffset }) => ({
    ...natori,
    effectiveFrom: day(effectiveOffset),
    services: {
      ...(stay ? { stay } : {}),
      ...(dayRule ? { day: dayRule } : {}),
      ...(visit ? { visit } : {}),
    },
  }));

const unitsArb = fc.record(
  {
    stay: fc.integer({ min: 0, max: 4 }),
    day: fc.integer({ min: 0, max: 4 }),
    visit: fc.integer({ min: 0, max: 4 }),
  },
  { requiredKeys: [] },
);

const inputArb: fc.Arbitrary<EntitlementInput> = fc
  .record({
    policy: policyArb,
    status: fc.constantFrom("active", "active", "active", "active", "revoked", "expired") as fc.Arbitrary<
      EntitlementInput["voucher"]["status"]
    >,
    validFrom: fc.integer({ min: -60, max: 5 }),
    validLength: fc.integer({ min: 20, max: 500 }),
    unitsByType: fc.record(
      {
        stay: fc.integer({ min: 0, max: 15 }),
        day: fc.integer({ min: 0, max: 15 }),
        visit: fc.integer({ min: 0, max: 15 }),
      },
      { requiredKeys: [] },
    ),
    unitsUsed: unitsArb,
    unitsReserved: unitsArb,
    usesSoFar: fc.integer({ min: 0, max: 8 }),
    birth: fc.integer({ min: -300, max: 5 }),
    earlyBy: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
    multipleBirth: fc.constantFrom(1, 1, 1, 2, 3),
    tier: fc.constantFrom(...INCOME_TIERS),
    serviceType: fc.constantFrom("stay", "day", "visit") as fc.Arbitrary<ServiceType>,
    start: fc.integer({ min: 0, max: 60 }),
    nights: fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }),
    addOns: fc.oneof(
      { arbitrary: fc.constant([]), weight: 3 },
      { arbitrary: fc.subarray([...ADD_ON_CODES, "bogus"]), weight: 1 },
    ),
  })
  .map((r) => ({
    policy: r.policy,
    voucher: {
      status: r.status,
      validFrom: day(r.validFrom),
      validUntil: day(r.validFrom + r.validLength),
      unitsByType: r.unitsByType,
      unitsUsed: r.unitsUsed,
      unitsReserved: r.unitsReserved,
      usesSoFar: r.usesSoFar,
    },
    child: {
      birthDate: day(r.birth),
      ...(r.earlyBy === undefined ? {} : { dueDate: day(r.birth + r.earlyBy) }),
      multipleBirth: r.multipleBirth,
    },
    resident: { incomeTier: r.tier },
    request: {
      serviceType: r.serviceType,
      startDate: day(r.start),
      ...(r.serviceType === "stay" && r.nights !== undefined ? { nights: r.nights } : {}),
      addOns: r.addOns,
    },
  }));

describe("properties", () => {
  const runs = { numRuns: 2_000 };

  it("units never go below zero nor push used + reserved past the cap", () => {
    let allowedCount = 0;
    fc.assert(
      fc.property(inputArb, (input) => {
        const r = checkEntitlement(input);
        if (!r.allowed) return;
        allowedCount++;
        const type = input.request.serviceType;
        const rule = input.policy.services[type]!;
        const policyCap = input.child.multipleBirth > 1 ? rule.maxUnitsMultipleBirth : rule.maxUnits;
        const cap = Math.min(input.voucher.unitsByType[type] ?? Number.POSITIVE_INFINITY, policyCap);
        const taken = (input.voucher.unitsUsed[type] ?? 0) + (input.voucher.unitsReserved[type] ?? 0);
        expect(r.unitsNeeded).toBeGreaterThanOrEqual(1);
        expect(r.unitsRemainingAfter).toBeGreaterThanOrEqual(0);
        expect(taken + r.unitsNeeded).toBeLessThanOrEqual(cap);
        expect(r.unitsRemainingAfter).toBe(cap - taken - r.unitsNeeded);
      }),
      runs,
    );
    expect(allowedCount).toBeGreaterThan(100); // the generator does reach the allowed side
  });

  it("amounts are whole yen and always add up to the fee; 0 ≤ copay ≤ fee, line by line too", () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const r = checkEntitlement(input);
        if (!r.allowed) {
          expect(r.reasons.length).toBeGreaterThan(0);
          return;
        }
        expect(r.residentCopay + r.municipalityShare).toBe(r.fee);
        expect(r.residentCopay).toBeGreaterThanOrEqual(0);
        expect(r.residentCopay).toBeLessThanOrEqual(r.fee);
        for (const n of [r.fee, r.residentCopay, r.municipalityShare])
          expect(Number.isSafeInteger(n)).toBe(true);
        let fee = 0;
        let copay = 0;
        for (const line of r.lines) {
          expect(line.residentCopay + line.municipalityShare).toBe(line.fee);
          if (line.kind !== "reduction") expect(line.residentCopay).toBeLessThanOrEqual(line.fee);
          fee += line.fee;
          copay += line.residentCopay;
        }
        expect([fee, copay]).toEqual([r.fee, r.residentCopay]);
        expect(r.lines.filter((l) => l.kind === "unit")).toHaveLength(r.unitsNeeded);
      }),
      runs,
    );
  });

  it("the same input always gives the same output, and the input is left as it was", () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const copy = structuredClone(input);
        const first = checkEntitlement(input);
        expect(checkEntitlement(copy)).toEqual(first);
        expect(checkEntitlement(input)).toEqual(first);
        expect(input).toEqual(copy);
      }),
      runs,
    );
  });

  it("a refusal lists every problem, never an amount", () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const r = checkEntitlement(input);
        if (r.allowed) return;
        expect(Object.keys(r).sort()).toEqual(["allowed", "policyVersion", "reasons"]);
        if (input.voucher.status !== "active")
          expect(r.reasons.map((x) => x.code)).toContain(`voucher_${input.voucher.status}`);
        if (!input.policy.services[input.request.serviceType]) {
          expect(r.reasons.map((x) => x.code)).toContain("service_not_offered");
        }
      }),
      runs,
    );
  });
});

describe("childAgeOn (the age facilities see on a booking)", () => {
  const preterm = { birthDate: "2025-01-01", dueDate: "2025-03-01" };
  it("counts from the due date for a preterm baby only where the policy corrects", () => {
    expect(childAgeOn(preterm, "2025-06-15", true)).toEqual({ ageMonths: 3, ageBasis: "corrected" });
    expect(childAgeOn(preterm, "2025-06-15", false)).toEqual({ ageMonths: 5, ageBasis: "birth" });
  });
  it("is 0 before the due date, and a baby born 21 days early is not preterm", () => {
    expect(childAgeOn(preterm, "2025-02-10", true)).toEqual({ ageMonths: 0, ageBasis: "corrected" });
    const term = { birthDate: "2025-01-01", dueDate: "2025-01-22" };
    expect(childAgeOn(term, "2025-03-01", true)).toEqual({ ageMonths: 2, ageBasis: "birth" });
  });
  it("agrees with the engine's own age on the service day", () => {
    const r = allowed(
      booking({
        policy: osaki,
        child: preterm,
        voucher: { validFrom: "2025-04-01", validUntil: "2026-12-31", usesSoFar: 9 },
        request: { serviceType: "day", nights: undefined, startDate: "2025-11-20" },
      }),
    );
    expect(childAgeOn(preterm, "2025-11-20", true)).toEqual({
      ageMonths: r.childAgeMonths,
      ageBasis: r.ageBasis,
    });
  });
});
