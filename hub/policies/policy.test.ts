import { describe, expect, it } from "vitest";
import { examplePolicies, natori, osaki, sendai } from "./examples.js";
import {
  isCalendarDate,
  type PolicyVersion,
  policyRef,
  policyVersionOn,
  policyVersionSchema,
  stayCountingOf,
  validatePolicyVersion,
  validMunicipalityCode,
  withStatedCutoff,
} from "./policy.js";

const clone = (p: PolicyVersion): any => structuredClone(p);

function errorsOf(input: unknown) {
  const result = validatePolicyVersion(input);
  if (result.ok) throw new Error("expected the policy to be invalid");
  return result.errors;
}

describe("policy version schema", () => {
  it.each(examplePolicies.map((p) => [p.municipalityCode, p] as const))("accepts the example %s", (_, p) => {
    const result = validatePolicyVersion(p);
    expect(result).toEqual({ ok: true, policy: p });
    expect(policyVersionSchema.safeParse(p).success).toBe(true);
  });

  it("the examples use real Miyagi codes and really differ", () => {
    expect([natori.municipalityCode, osaki.municipalityCode, sendai.municipalityCode]).toEqual([
      "042072",
      "042153",
      "041009",
    ]);
    expect(natori.services.stay?.stayCounting).toBe("per_day");
    expect(osaki.services.stay?.stayCounting).toBe("per_night");
    expect(osaki.services.stay?.maxUnitsMultipleBirth).toBe(10);
    expect(sendai.services.visit).toBeUndefined();
  });

  it("names every bad field of a bad version, all at once", () => {
    const bad = clone(natori);
    bad.municipalityCode = "042071"; // wrong check digit
    bad.version = 0;
    bad.effectiveFrom = "2025-02-30";
    bad.services.stay.copayPerUnit.general = 40_000; // above the unit fee
    bad.services.stay.maxUnitsMultipleBirth = 3; // below maxUnits
    bad.services.stay.stayCounting = "per_week";
    bad.services.day.unitFee = 18_000.5;
    bad.services.visit.copayPerUnit.exempt = -1;
    bad.services.stay.addOns.push({ ...bad.services.stay.addOns[0] }); // duplicate code
    bad.cancellation.cutoff.time = "25:00";
    const paths = errorsOf(bad).map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "municipalityCode",
        "version",
        "effectiveFrom",
        "services.stay.copayPerUnit.general",
        "services.stay.maxUnitsMultipleBirth",
        "services.stay.stayCounting",
        "services.day.unitFee",
        "services.visit.copayPerUnit.exempt",
        "services.stay.addOns.1.code",
        "cancellation.cutoff.time",
      ]),
    );
  });

  it("gives readable messages", () => {
    const bad = clone(osaki);
    bad.services.day.copayPerUnit.general = 20_000;
    bad.services.day.unitFee = -5;
    const errors = errorsOf(bad);
    expect(errors).toContainEqual({ path: "services.day.unitFee", message: "must not be negative" });
    const bad2 = clone(osaki);
    bad2.services.day.copayPerUnit.general = 20_000;
    expect(errorsOf(bad2)).toEqual([
      { path: "services.day.copayPerUnit.general", message: "must not exceed unitFee (15000)" },
    ]);
  });

  it("refuses a version offering nothing, unknown fields and a stay without its counting", () => {
    const none = clone(natori);
    none.services = {};
    expect(errorsOf(none)).toEqual([{ path: "services", message: "offer at least one service type" }]);

    const extra = clone(natori);
    extra.services.day.perMunicipalityHack = true;
    expect(errorsOf(extra)[0]?.path).toBe("services.day");

    const noCounting = clone(natori);
    delete noCounting.services.stay.stayCounting;
    expect(errorsOf(noCounting).map((e) => e.path)).toEqual(["services.stay.stayCounting"]);
  });

  it("checks add-ons and reductions field by field", () => {
    const bad = clone(osaki);
    bad.services.stay.addOns[1].copay.general = 3_500; // fee is 3,000
    bad.services.stay.addOns[1].requires.maxChildAgeMonths = 5; // not above min 5
    bad.services.stay.reductions[0].firstUses = 0;
    bad.services.stay.reductions[0].code = "First Uses";
    const paths = errorsOf(bad).map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "services.stay.addOns.1.copay.general",
        "services.stay.addOns.1.requires.maxChildAgeMonths",
        "services.stay.reductions.0.firstUses",
        "services.stay.reductions.0.code",
      ]),
    );
  });

  it("checks cancellation data and voucher validity", () => {
    const bad = clone(sendai);
    bad.cancellation.fee = { kind: "percent_of_fee", percent: 150 };
    bad.cancellation.split = { kind: "half_and_half" };
    bad.voucherValidity = { kind: "until_child_age_months", months: 0 };
    const paths = errorsOf(bad).map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "cancellation.fee.percent",
        "cancellation.split.kind",
        "voucherValidity.months",
      ]),
    );
  });

  it("refuses what is not an object", () => {
    expect(errorsOf(null)).toEqual([{ path: "(root)", message: expect.any(String) }]);
  });
});

describe("helpers", () => {
  it("stayCountingOf reads how a stored version counts a stay, null without stays or from anything else", () => {
    expect(stayCountingOf(JSON.parse(JSON.stringify(natori)))).toBe("per_day");
    expect(stayCountingOf(osaki)).toBe("per_night");
    const noStay = clone(sendai);
    delete noStay.services.stay;
    expect(stayCountingOf(noStay)).toBeNull();
    expect(stayCountingOf(null)).toBeNull();
    expect(stayCountingOf({ services: { stay: { stayCounting: "per_week" } } })).toBeNull();
  });

  it("validates local-government check digits", () => {
    for (const code of ["041009", "042072", "042153", "045055"])
      expect(validMunicipalityCode(code)).toBe(true);
    for (const code of ["042071", "04207", "04207a", ""]) expect(validMunicipalityCode(code)).toBe(false);
  });

  it("knows calendar dates", () => {
    expect(isCalendarDate("2024-02-29")).toBe(true);
    expect(isCalendarDate("2025-02-29")).toBe(false);
    expect(isCalendarDate("2025-13-01")).toBe(false);
    expect(isCalendarDate("2025-4-01")).toBe(false);
  });

  it("picks the version in force on a date", () => {
    const v2 = { ...natori, version: 2, effectiveFrom: "2026-05-01" };
    const versions = [v2, natori];
    expect(policyVersionOn(versions, "2025-03-31")).toBeUndefined();
    expect(policyVersionOn(versions, "2025-04-01")).toBe(natori);
    expect(policyVersionOn(versions, "2026-04-30")).toBe(natori);
    expect(policyVersionOn(versions, "2026-05-01")).toBe(v2);
    expect(policyRef(v2)).toEqual({ municipalityCode: "042072", version: 2, effectiveFrom: "2026-05-01" });
  });
});

describe("a new version's cut-off", () => {
  const without = () => {
    const p = clone(natori);
    p.cancellation.cutoff = { businessDaysBefore: 1, time: "10:00" };
    return p as PolicyVersion;
  };
  it("is the specification's 「前日10時」 (calendar days, closures do not move it) when the version does not say", () => {
    expect(withStatedCutoff(without()).cancellation.cutoff).toEqual({
      businessDaysBefore: 1,
      time: "10:00",
      days: "calendar",
      closuresMove: false,
    });
  });
  it("keeps a stated choice, and fills only what is missing", () => {
    expect(withStatedCutoff(natori)).toEqual(natori);
    const business = without();
    business.cancellation.cutoff.days = "business";
    expect(withStatedCutoff(business).cancellation.cutoff).toMatchObject({
      days: "business",
      closuresMove: false,
    });
    const moved = without();
    moved.cancellation.cutoff.closuresMove = true;
    expect(withStatedCutoff(moved).cancellation.cutoff).toMatchObject({
      days: "calendar",
      closuresMove: true,
    });
  });
  it("leaves the input as it was", () => {
    const p = without();
    withStatedCutoff(p);
    expect(p.cancellation.cutoff).toEqual({ businessDaysBefore: 1, time: "10:00" });
  });
});
