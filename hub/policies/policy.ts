/**
 * A municipal policy VERSION (利用条件): one data shape for all 35 municipalities, never per-municipality code.
 *
 * A version is effective from `effectiveFrom` (an Asia/Tokyo calendar date) until the next version of the same
 * municipality starts. Once a version has been used it is never edited: a change is a new version.
 * Everything computed from a policy records `{ municipalityCode, version, effectiveFrom }` (see `policyRef`).
 *
 * Money is integer yen. Dates are "YYYY-MM-DD" strings.
 */
import { z } from "zod";

export const SERVICE_TYPES = ["stay", "day", "visit"] as const;
/** `stay` 宿泊型, `day` デイサービス型, `visit` アウトリーチ型. */
export type ServiceType = (typeof SERVICE_TYPES)[number];

/** Each service type's name as the hub writes it (notices, refusals, invoices, reports): one wording everywhere. */
export const SERVICE_LABEL: Readonly<Record<ServiceType, string>> = {
  stay: "宿泊型",
  day: "デイサービス型",
  visit: "アウトリーチ型（訪問）",
};

export const SERVICE_LABEL_EN: Readonly<Record<ServiceType, string>> = {
  stay: "overnight stay",
  day: "day care",
  visit: "home visit (outreach)",
};

export const INCOME_TIERS = ["general", "exempt", "welfare"] as const;
/** `general` 一般, `exempt` 住民税非課税世帯, `welfare` 生活保護世帯. */
export type IncomeTier = (typeof INCOME_TIERS)[number];

/** Yen per income tier. */
export interface CopayByTier {
  general: number;
  exempt: number;
  welfare: number;
}

/** Who may use a service type, by the child's age. */
export interface Eligibility {
  /**
   * Eligible while the child's age in completed months is BELOW this number (12 = until the day before the first
   * birthday, i.e. 生後1年未満). Age is taken on the service's start date.
   */
  maxChildAgeMonths: number;
  /** For a preterm baby (born before 37 weeks, see entitlement.ts), count the age from the due date instead. */
  useCorrectedAgeForPreterm: boolean;
  /** Not before this many days after birth (actual birth date, never corrected). */
  minChildAgeDays?: number;
}

/** 減免: the first N uses of a voucher get the resident's copay reduced by a fixed amount, floored at 0. */
export interface Reduction {
  /** Stable code, shown on the itemised line (e.g. "first_uses_discount"). */
  code: string;
  label: string;
  /** Applies while the voucher's uses so far (all service types) is below this number. */
  firstUses: number;
  /** Yen taken off the copay: per unit of the base service, or once per use (base + add-ons). */
  amount: number;
  per: "unit" | "use";
  /** Income tiers it applies to; all tiers when absent. */
  tiers?: IncomeTier[];
}

/** An add-on (older sibling present, twins, infant 5–12 months ...), requested by code on a booking. */
export interface AddOn {
  /** Stable code the booking requests (e.g. "sibling", "twins", "infant_5_12m"). */
  code: string;
  label: string;
  /** Yen paid to the facility, per unit of the base service or once per use. */
  fee: number;
  per: "unit" | "use";
  /** Resident's part of `fee` (same basis), by income tier; never above `fee`. */
  copay: CopayByTier;
  /** Conditions; the add-on is refused when the child does not meet them. */
  requires?: {
    /** Child's age in completed months (the same age basis as eligibility) at least this. */
    minChildAgeMonths?: number;
    /** ... and below this. */
    maxChildAgeMonths?: number;
    /** Only for multiple births (twins or more). */
    multipleBirth?: boolean;
  };
}

/** The rules of one service type. */
export interface ServiceRule {
  /** Yen paid to the facility per unit (委託料). */
  unitFee: number;
  /** Resident's copay per unit, by income tier; never above `unitFee`. */
  copayPerUnit: CopayByTier;
  /** Units one voucher may use for this type. */
  maxUnits: number;
  /** Units for a multiple birth (twins or more); at least `maxUnits`. */
  maxUnitsMultipleBirth: number;
  eligibility: Eligibility;
  reductions: Reduction[];
  addOns: AddOn[];
}

/** A stay also says how nights turn into units. */
export interface StayRule extends ServiceRule {
  /** `per_day`: 1泊2日 = 2 units (nights + 1); `per_night`: 1泊2日 = 1 unit. */
  stayCounting: "per_day" | "per_night";
  /** Longest stay one booking may have, in nights. */
  maxNightsPerStay?: number;
}

/** How long a voucher is valid (plain data here; applied when vouchers are issued). */
/**
 * How a stored policy version (its `rules` JSON) counts a stay on the voucher: "per_day" (1泊2日 = 2) or
 * "per_night" (= 1); null when it offers no stays. Read by the API so that every screen words a stay's units the
 * municipality's way (vouchers, bookings, waitlist offers), as the quote does.
 */
export function stayCountingOf(rules: unknown): StayRule["stayCounting"] | null {
  const stay = (rules as { services?: { stay?: { stayCounting?: unknown } } } | null)?.services?.stay;
  const counting = stay?.stayCounting;
  return counting === "per_day" || counting === "per_night" ? counting : null;
}

export type VoucherValidity =
  | { kind: "until_child_age_months"; months: number }
  | { kind: "days_from_issue"; days: number };

/** Cancellation rules (plain data here; computed by the cancellation workflow). */
export interface CancellationRule {
  /**
   * Free cancellation until `time` (HH:MM, Tokyo) on the `businessDaysBefore`-th day before the service date,
   * counting days as `days` says (an explicit choice of the municipality):
   * - `calendar`: every day counts, so 1 is the day before (the specification's wording, 「前日10時」; the default
   *   of new policies);
   * - `business`: Monday to Friday except public holidays, so 1 is the previous business day (a Monday stay's
   *   deadline is the Friday before).
   * `closuresMove`: the facility's closure days do not count either. A new version that leaves the choice out gets
   * the specification's wording (calendar days, closures do not move it: withStatedCutoff, applied on create). A
   * version stored before the choice existed has neither field and keeps the meaning it was made with: business
   * days, closures counted out (cutoffKind in hub/bookings/cancellation.ts).
   */
  cutoff: {
    businessDaysBefore: number;
    time: string;
    days?: "calendar" | "business";
    closuresMove?: boolean;
  };
  /** Fee after the cutoff: a percentage of the booking's fee, or a fixed amount per unit. */
  fee: { kind: "percent_of_fee"; percent: number } | { kind: "fixed_per_unit"; amount: number };
  /**
   * Who pays that fee: `resident_copay` — the resident pays what their copay would have been and the municipality
   * the rest; `resident_percent` — the resident pays `percent` %, the municipality the rest; `resident` / `municipality`
   * — one side pays all of it.
   */
  split:
    | { kind: "resident_copay" }
    | { kind: "resident_percent"; percent: number }
    | { kind: "resident" }
    | { kind: "municipality" };
  /** Reason codes that waive the fee (e.g. "facility_caused", "birth_priority", "illness"). */
  noFeeReasons: string[];
}

export interface PolicyVersion {
  /** Six-digit local-government code with its check digit (e.g. "042072" 名取市). */
  municipalityCode: string;
  /** 1, 2, 3 ... per municipality. */
  version: number;
  /** First service date this version applies to, "YYYY-MM-DD". */
  effectiveFrom: string;
  /** Service types this municipality offers; an absent type is not offered. */
  services: {
    stay?: StayRule;
    day?: ServiceRule;
    visit?: ServiceRule;
  };
  voucherValidity: VoucherValidity;
  cancellation: CancellationRule;
  /** Free text for staff (e.g. the source of the rules). */
  note?: string;
}

/** What a computed amount records about the policy it used. */
export interface PolicyVersionRef {
  municipalityCode: string;
  version: number;
  effectiveFrom: string;
}

export function policyRef(policy: PolicyVersion): PolicyVersionRef {
  return {
    municipalityCode: policy.municipalityCode,
    version: policy.version,
    effectiveFrom: policy.effectiveFrom,
  };
}

/**
 * The version in force on `date` ("YYYY-MM-DD"): the one with the latest `effectiveFrom` not after `date`
 * (the highest version number wins a tie), or undefined before the first one. Only the versions of one
 * municipality should be passed.
 */
export function policyVersionOn<P extends PolicyVersion>(
  versions: readonly P[],
  date: string,
): P | undefined {
  let best: P | undefined;
  for (const v of versions) {
    if (v.effectiveFrom > date) continue;
    if (
      !best ||
      v.effectiveFrom > best.effectiveFrom ||
      (v.effectiveFrom === best.effectiveFrom && v.version > best.version)
    ) {
      best = v;
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------------------------------
// Validation

/** The local-government code check digit: weights 6,5,4,3,2 over the first five digits, (11 − sum mod 11) mod 10. */
export function validMunicipalityCode(code: string): boolean {
  if (!/^\d{6}$/.test(code)) return false;
  let sum = 0;
  for (let i = 0; i < 5; i++) sum += Number(code[i]) * (6 - i);
  return (11 - (sum % 11)) % 10 === Number(code[5]);
}

/** True for a real calendar date written "YYYY-MM-DD". */
export function isCalendarDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1] ?? 0;
  return d <= days;
}

/** Upper bounds that keep every product of yen × units far inside safe integers. */
export const MAX_YEN = 10_000_000;
export const MAX_UNITS = 366;

/** Cross-field refinements also run when a field failed, so a bad version shows every error at once. */
const always = { when: () => true };

const yen = z.number().int("must be whole yen").min(0, "must not be negative").max(MAX_YEN, "is too large");
const units = z
  .number()
  .int("must be a whole number")
  .min(1, "must be at least 1")
  .max(MAX_UNITS, "is too large");
const code = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,39}$/, "must be a lower-case code (a-z, 0-9, _), at most 40 characters");
const label = z.string().trim().min(1, "must not be empty").max(200, "is too long");
const copayByTier = z.object({ general: yen, exempt: yen, welfare: yen }).strict();

const eligibility = z
  .object({
    maxChildAgeMonths: z
      .number()
      .int("must be a whole number")
      .min(1, "must be at least 1")
      .max(36, "is too large"),
    useCorrectedAgeForPreterm: z.boolean(),
    minChildAgeDays: z
      .number()
      .int("must be a whole number")
      .min(0, "must not be negative")
      .max(366)
      .optional(),
  })
  .strict();

const reduction = z
  .object({
    code,
    label,
    firstUses: units,
    amount: yen,
    per: z.enum(["unit", "use"]),
    tiers: z.array(z.enum(INCOME_TIERS)).min(1, "list at least one tier, or leave it out for all").optional(),
  })
  .strict();

const addOn = z
  .object({
    code,
    label,
    fee: yen,
    per: z.enum(["unit", "use"]),
    copay: copayByTier,
    requires: z
      .object({
        minChildAgeMonths: z.number().int().min(0).max(36).optional(),
        maxChildAgeMonths: z.number().int().min(1).max(36).optional(),
        multipleBirth: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    for (const tier of INCOME_TIERS) {
      const c = a.copay?.[tier];
      if (typeof a.fee === "number" && typeof c === "number" && c > a.fee) {
        ctx.addIssue({
          code: "custom",
          path: ["copay", tier],
          message: `must not exceed the fee (${a.fee})`,
        });
      }
    }
    const r = a.requires;
    if (typeof r?.minChildAgeMonths === "number" && typeof r.maxChildAgeMonths === "number") {
      if (r.minChildAgeMonths >= r.maxChildAgeMonths) {
        ctx.addIssue({
          code: "custom",
          path: ["requires", "maxChildAgeMonths"],
          message: "must be above minChildAgeMonths",
        });
      }
    }
  }, always);

const serviceShape = {
  unitFee: yen,
  copayPerUnit: copayByTier,
  maxUnits: units,
  maxUnitsMultipleBirth: units,
  eligibility,
  reductions: z.array(reduction),
  addOns: z.array(addOn),
};

/**
 * Cross-field checks of one service rule. They run even when a field of the rule failed (so every error shows at
 * once), hence the defensive look at each value.
 */
function checkService(s: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const fee = s.unitFee;
  const copay = s.copayPerUnit as Record<string, unknown> | undefined;
  if (typeof fee === "number" && copay && typeof copay === "object") {
    for (const tier of INCOME_TIERS) {
      const c = copay[tier];
      if (typeof c === "number" && c > fee) {
        ctx.addIssue({
          code: "custom",
          path: ["copayPerUnit", tier],
          message: `must not exceed unitFee (${fee})`,
        });
      }
    }
  }
  if (
    typeof s.maxUnits === "number" &&
    typeof s.maxUnitsMultipleBirth === "number" &&
    s.maxUnitsMultipleBirth < s.maxUnits
  ) {
    ctx.addIssue({
      code: "custom",
      path: ["maxUnitsMultipleBirth"],
      message: `must be at least maxUnits (${s.maxUnits})`,
    });
  }
  if (Array.isArray(s.addOns)) {
    const seen = new Set<unknown>();
    s.addOns.forEach((a: unknown, i) => {
      const code = a && typeof a === "object" ? (a as { code?: unknown }).code : undefined;
      if (typeof code !== "string") return;
      if (seen.has(code)) {
        ctx.addIssue({
          code: "custom",
          path: ["addOns", i, "code"],
          message: `duplicate add-on code "${code}"`,
        });
      }
      seen.add(code);
    });
  }
}

const serviceRule = z.object(serviceShape).strict().superRefine(checkService, always);
const stayRule = z
  .object({
    ...serviceShape,
    stayCounting: z.enum(["per_day", "per_night"]),
    maxNightsPerStay: z.number().int().min(1, "must be at least 1").max(30, "is too large").optional(),
  })
  .strict()
  .superRefine(checkService, always);

const percent = z.number().int("must be a whole percentage").min(0).max(100);

export const policyVersionSchema = z
  .object({
    municipalityCode: z
      .string()
      .refine(validMunicipalityCode, "must be a six-digit local-government code with a valid check digit"),
    version: z.number().int("must be a whole number").min(1, "must be at least 1"),
    effectiveFrom: z.string().refine(isCalendarDate, "must be a date (YYYY-MM-DD)"),
    services: z
      .object({ stay: stayRule.optional(), day: serviceRule.optional(), visit: serviceRule.optional() })
      .strict()
      .refine((s) => Boolean(s.stay || s.day || s.visit), "offer at least one service type"),
    voucherValidity: z.discriminatedUnion("kind", [
      z
        .object({ kind: z.literal("until_child_age_months"), months: z.number().int().min(1).max(36) })
        .strict(),
      z.object({ kind: z.literal("days_from_issue"), days: z.number().int().min(1).max(1100) }).strict(),
    ]),
    cancellation: z
      .object({
        cutoff: z
          .object({
            businessDaysBefore: z.number().int().min(0).max(14),
            time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a time HH:MM"),
            days: z.enum(["calendar", "business"]).optional(),
            closuresMove: z.boolean().optional(),
          })
          .strict(),
        fee: z.discriminatedUnion("kind", [
          z.object({ kind: z.literal("percent_of_fee"), percent }).strict(),
          z.object({ kind: z.literal("fixed_per_unit"), amount: yen }).strict(),
        ]),
        split: z.discriminatedUnion("kind", [
          z.object({ kind: z.literal("resident_copay") }).strict(),
          z.object({ kind: z.literal("resident_percent"), percent }).strict(),
          z.object({ kind: z.literal("resident") }).strict(),
          z.object({ kind: z.literal("municipality") }).strict(),
        ]),
        noFeeReasons: z.array(code),
      })
      .strict(),
    note: z.string().max(2000).optional(),
  })
  .strict();

// The schema and the hand-written types must describe the same thing.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesType: Same<z.infer<typeof policyVersionSchema>, PolicyVersion> = true;
void schemaMatchesType;

/** One field-level error, in the shape of the problem JSON `errors` entries. */
export interface FieldError {
  /** Dotted path, e.g. "services.stay.copayPerUnit.general" or "services.day.addOns.0.code". */
  path: string;
  message: string;
}

export type PolicyValidation = { ok: true; policy: PolicyVersion } | { ok: false; errors: FieldError[] };

/**
 * The specification's cut-off (「前日午前10時以降のキャンセルの場合は一定の料金が発生する」): the day before counted in
 * calendar days, the facility's closures not moving it. A new version that does not state how its days are
 * counted gets this, written into the stored rules, so that reading it later never falls back to the meaning of
 * versions stored before the choice existed.
 */
export const SPECIFICATION_CUTOFF_KIND = { days: "calendar", closuresMove: false } as const;

/** A new version with its cut-off stated: `days` and `closuresMove` each default to the specification's. */
export function withStatedCutoff(policy: PolicyVersion): PolicyVersion {
  const cutoff = policy.cancellation.cutoff;
  return {
    ...policy,
    cancellation: {
      ...policy.cancellation,
      cutoff: {
        ...cutoff,
        days: cutoff.days ?? SPECIFICATION_CUTOFF_KIND.days,
        closuresMove: cutoff.closuresMove ?? SPECIFICATION_CUTOFF_KIND.closuresMove,
      },
    },
  };
}

/** Validates untrusted data (portal edits, seed files) as a policy version; every problem, each with its field. */
export function validatePolicyVersion(input: unknown): PolicyValidation {
  const parsed = policyVersionSchema.safeParse(input);
  if (parsed.success) return { ok: true, policy: parsed.data };
  return {
    ok: false,
    errors: parsed.error.issues.map((issue) => ({
      path: issue.path.map(String).join(".") || "(root)",
      message: issue.message,
    })),
  };
}
