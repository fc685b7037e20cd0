/**
 * Example policy versions for the demo municipalities, as data.
 *
 * Unit fees and general-tier copays of 名取市 are the published 2025 examples (data/README.md); 大崎市's unit
 * caps and free tiers are published too. Everything else (大崎市's and 仙台市's fees, add-ons, 減免,
 * cancellation details) is illustrative: realistic, deliberately different, not the municipalities' real rules.
 */
import type { CancellationRule, PolicyVersion } from "./policy.js";

const standardCancellation: CancellationRule = {
  // The specification's 「前日午前10時」 in calendar days; as the municipalities publish it (data/README.md), the day
  // before that when the facility is closed, so the facility's closures move it.
  cutoff: { businessDaysBefore: 1, time: "10:00", days: "calendar", closuresMove: true },
  fee: { kind: "percent_of_fee", percent: 100 },
  split: { kind: "resident_copay" },
  noFeeReasons: ["facility_caused", "birth_priority", "illness"],
};

/** 名取市: stay ¥30,000 a day (resident ≤ ¥5,000), day 6 h ¥18,000/¥900, visit 2 h ¥10,000/¥600; 7 units; 1泊2日 = 2. */
export const natori: PolicyVersion = {
  municipalityCode: "042072",
  version: 1,
  effectiveFrom: "2025-04-01",
  services: {
    stay: {
      unitFee: 30_000,
      copayPerUnit: { general: 5_000, exempt: 0, welfare: 0 },
      maxUnits: 7,
      maxUnitsMultipleBirth: 7,
      stayCounting: "per_day",
      maxNightsPerStay: 6,
      eligibility: { maxChildAgeMonths: 12, useCorrectedAgeForPreterm: false },
      reductions: [],
      addOns: [
        {
          code: "sibling",
          label: "上の子同伴",
          fee: 3_000,
          per: "unit",
          copay: { general: 1_500, exempt: 0, welfare: 0 },
        },
      ],
    },
    day: {
      unitFee: 18_000,
      copayPerUnit: { general: 900, exempt: 0, welfare: 0 },
      maxUnits: 7,
      maxUnitsMultipleBirth: 7,
      eligibility: { maxChildAgeMonths: 12, useCorrectedAgeForPreterm: false },
      reductions: [],
      addOns: [],
    },
    visit: {
      unitFee: 10_000,
      copayPerUnit: { general: 600, exempt: 0, welfare: 0 },
      maxUnits: 7,
      maxUnitsMultipleBirth: 7,
      eligibility: { maxChildAgeMonths: 12, useCorrectedAgeForPreterm: false },
      reductions: [],
      addOns: [],
    },
  },
  voucherValidity: { kind: "until_child_age_months", months: 12 },
  cancellation: standardCancellation,
  note: "Fees and copays from 名取市's published 2025 examples; the add-on is illustrative.",
};

/** 大崎市: its own fees, 7 units (10 for multiple births), 非課税 and 生活保護 pay 0, stays counted per night. */
export const osaki: PolicyVersion = {
  municipalityCode: "042153",
  version: 1,
  effectiveFrom: "2025-04-01",
  services: {
    stay: {
      unitFee: 36_000,
      copayPerUnit: { general: 6_000, exempt: 0, welfare: 0 },
      maxUnits: 7,
      maxUnitsMultipleBirth: 10,
      stayCounting: "per_night",
      maxNightsPerStay: 6,
      eligibility: { maxChildAgeMonths: 12, useCorrectedAgeForPreterm: true, minChildAgeDays: 7 },
      reductions: [
        {
          code: "first_uses_discount",
          label: "初回2回の利用者負担軽減",
          firstUses: 2,
          amount: 1_000,
          per: "unit",
        },
      ],
      addOns: [
        {
          code: "twins",
          label: "多胎加算",
          fee: 5_000,
          per: "unit",
          copay: { general: 0, exempt: 0, welfare: 0 },
          requires: { multipleBirth: true },
        },
        {
          code: "infant_5_12m",
          label: "生後5か月以上の乳児加算",
          fee: 3_000,
          per: "unit",
          copay: { general: 500, exempt: 0, welfare: 0 },
          requires: { minChildAgeMonths: 5, maxChildAgeMonths: 12 },
        },
      ],
    },
    day: {
      unitFee: 15_000,
      copayPerUnit: { general: 1_500, exempt: 0, welfare: 0 },
      maxUnits: 7,
      maxUnitsMultipleBirth: 10,
      eligibility: { maxChildAgeMonths: 12, useCorrectedAgeForPreterm: true },
      reductions: [
        {
          code: "first_uses_discount",
          label: "初回2回の利用者負担軽減",
          firstUses: 2,
          amount: 1_000,
          per: "unit",
        },
      ],
      addOns: [
        {
          code: "twins",
          label: "多胎加算",
          fee: 3_000,
          per: "use",
          copay: { general: 0, exempt: 0, welfare: 0 },
          requires: { multipleBirth: true },
        },
      ],
    },
    visit: {
      unitFee: 9_000,
      copayPerUnit: { general: 1_000, exempt: 0, welfare: 0 },
      maxUnits: 7,
      maxUnitsMultipleBirth: 10,
      eligibility: { maxChildAgeMonths: 12, useCorrectedAgeForPreterm: true },
      reductions: [],
      addOns: [],
    },
  },
  voucherValidity: { kind: "until_child_age_months", months: 12 },
  cancellation: {
    // As standardCancellation: 10:00 the calendar day before, the day before that when the facility is closed.
    cutoff: { businessDaysBefore: 1, time: "10:00", days: "calendar", closuresMove: true },
    fee: { kind: "fixed_per_unit", amount: 5_000 },
    split: { kind: "resident" },
    noFeeReasons: ["facility_caused", "birth_priority", "illness", "disaster"],
  },
  note: "Caps and free tiers as published by 大崎市; fees, 減免 and add-ons are illustrative.",
};

/**
 * 仙台市: stay and day only (no home visits), 7 days each; stays only for babies under 4 months (corrected age),
 * 非課税 still pays a little for a stay, and the first 5 uses get ¥1,000 off each use.
 */
export const sendai: PolicyVersion = {
  municipalityCode: "041009",
  version: 1,
  effectiveFrom: "2025-04-01",
  services: {
    stay: {
      unitFee: 32_000,
      copayPerUnit: { general: 3_000, exempt: 1_000, welfare: 0 },
      maxUnits: 7,
      maxUnitsMultipleBirth: 7,
      stayCounting: "per_day",
      maxNightsPerStay: 6,
      eligibility: { maxChildAgeMonths: 4, useCorrectedAgeForPreterm: true },
      reductions: [
        { code: "first_five_uses", label: "初回5回の負担軽減", firstUses: 5, amount: 1_000, per: "use" },
      ],
      addOns: [
        {
          code: "sibling",
          label: "上の子同伴",
          fee: 2_000,
          per: "use",
          copay: { general: 2_000, exempt: 1_000, welfare: 0 },
        },
      ],
    },
    day: {
      unitFee: 16_000,
      copayPerUnit: { general: 1_000, exempt: 0, welfare: 0 },
      maxUnits: 7,
      maxUnitsMultipleBirth: 7,
      eligibility: { maxChildAgeMonths: 12, useCorrectedAgeForPreterm: true },
      reductions: [
        { code: "first_five_uses", label: "初回5回の負担軽減", firstUses: 5, amount: 1_000, per: "use" },
      ],
      addOns: [],
    },
  },
  voucherValidity: { kind: "until_child_age_months", months: 12 },
  cancellation: {
    ...standardCancellation,
    // Half the fee is owed; the resident pays a tenth of that, well under what the stay would have cost her.
    fee: { kind: "percent_of_fee", percent: 50 },
    split: { kind: "resident_percent", percent: 10 },
  },
  note: "Up to 7 days each of stay and day care as published by 仙台市; amounts and other rules are illustrative.",
};

export const examplePolicies: readonly PolicyVersion[] = [natori, osaki, sendai];
