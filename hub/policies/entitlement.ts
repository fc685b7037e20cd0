/**
 * The entitlement engine: voucher + policy version + requested service → allowed (units, fee, the resident's copay,
 * the municipality's share, itemised lines) or refused with every reason at once. Pure: no I/O, no clock, no
 * per-municipality code; the same input always gives the same output.
 *
 * Rules the policy data does not spell out, decided here:
 * - Service dates are Asia/Tokyo calendar dates "YYYY-MM-DD"; a stay of n nights runs from `startDate` to the
 *   check-out day `startDate + n`. The whole stay (check-out day included) must lie inside the voucher's validity,
 *   and the policy version must be in effect on `startDate` (choosing the version is the caller's job, see
 *   `policyVersionOn`).
 * - The child's age is taken on `startDate`, in completed calendar months (born 01-31 → 1 month on 03-01; born
 *   01-15 → 12 months on the first birthday). A baby is preterm when born before 37 weeks, i.e. at least
 *   `PRETERM_DAYS_BEFORE_DUE` days before the due date (40 weeks); when the policy says so, a preterm baby's age
 *   counts from the due date (never below 0). `minChildAgeDays` always counts from the actual birth.
 * - A stay without `nights` is one night; other services take no `nights` (1 is tolerated, as the booking
 *   contract in hub/bookings/holds.ts does).
 * - Unit cap = the smaller of the voucher's own cap for the type (when it has one) and the policy's cap for this
 *   child (`maxUnitsMultipleBirth` when `multipleBirth > 1`). Units left = cap − used − reserved.
 * - 減免 apply while `usesSoFar` < `firstUses` and the resident's tier is listed (all tiers when none is): the
 *   per-unit ones first, each taking at most the base copay left per unit; then the per-use ones, each taking at
 *   most the copay of the whole use (base + add-ons) left. The copay never goes below 0.
 * - Money is integer yen; every line and the total satisfy residentCopay + municipalityShare === fee, and
 *   0 ≤ residentCopay ≤ fee (copays above a fee are clamped to the fee even if an unvalidated policy has them).
 */
import {
  type IncomeTier,
  type PolicyVersion,
  type PolicyVersionRef,
  policyRef,
  type Reduction,
  SERVICE_LABEL,
  type ServiceRule,
  type ServiceType,
} from "./policy.js";

/** Born at least this many days before the due date (40w0d) = born before 37w0d = preterm. */
export const PRETERM_DAYS_BEFORE_DUE = 22;
/** Longest stay when the policy sets no `maxNightsPerStay` (the booking contract's maximum). */
export const DEFAULT_MAX_NIGHTS = 14;

export type VoucherStatus = "active" | "revoked" | "expired";
export type UnitsByType = Partial<Record<ServiceType, number>>;

export interface EntitlementInput {
  /** The policy version in force on the service date. */
  policy: PolicyVersion;
  voucher: {
    status: VoucherStatus;
    /** When given, must be the policy's municipality. */
    municipalityCode?: string;
    /** First and last valid service dates, inclusive. */
    validFrom: string;
    validUntil: string;
    /** The voucher's own caps as issued; a type without one is capped by the policy alone. */
    unitsByType: UnitsByType;
    /** Units consumed (redeemed) and units reserved by open bookings, per type; absent = 0. */
    unitsUsed: UnitsByType;
    unitsReserved: UnitsByType;
    /** Uses (bookings) of this voucher before this one, all service types together; drives 減免. */
    usesSoFar: number;
  };
  child: {
    birthDate: string;
    dueDate?: string;
    /** Babies born together: 1 = singleton, 2 = twins ... */
    multipleBirth: number;
  };
  resident: { incomeTier: IncomeTier };
  request: {
    serviceType: ServiceType;
    /** First service date (a stay's check-in day). */
    startDate: string;
    /** Stays only; 1 when absent. */
    nights?: number;
    /** Add-on codes from the policy. */
    addOns: readonly string[];
  };
}

export type RefusalCode =
  | "invalid_input"
  | "invalid_date"
  | "policy_mismatch"
  | "policy_not_in_effect"
  | "service_not_offered"
  | "voucher_revoked"
  | "voucher_expired"
  | "outside_validity"
  | "invalid_nights"
  | "nights_not_allowed"
  | "child_not_born"
  | "child_too_young"
  | "child_too_old"
  | "not_enough_units"
  | "unknown_add_on"
  | "duplicate_add_on"
  | "add_on_not_applicable";

export interface RefusalReason {
  code: RefusalCode;
  message: string;
  /** The input field it is about, e.g. "request.startDate". */
  field: string;
}

export interface EntitlementLine {
  kind: "unit" | "add_on" | "reduction";
  /** Service type for a unit, add-on code, or reduction code. */
  code: string;
  label: string;
  /** For a unit line: the service date that unit covers. */
  date?: string;
  quantity: number;
  /** Totals of the line, integer yen; a reduction has fee 0 and a negative copay. */
  fee: number;
  residentCopay: number;
  municipalityShare: number;
}

export interface EntitlementAllowed {
  allowed: true;
  serviceType: ServiceType;
  unitsNeeded: number;
  /** Units of this type left on the voucher after this booking. */
  unitsRemainingAfter: number;
  /** Total paid to the facility. */
  fee: number;
  residentCopay: number;
  municipalityShare: number;
  lines: EntitlementLine[];
  childAgeMonths: number;
  ageBasis: "birth" | "corrected";
  policyVersion: PolicyVersionRef;
}

export interface EntitlementRefused {
  allowed: false;
  reasons: RefusalReason[];
  policyVersion: PolicyVersionRef;
}

export type EntitlementResult = EntitlementAllowed | EntitlementRefused;

/**
 * Checks a booking request against a policy version and prices it. The steps run in this order and each adds its
 * refusals (all of them, so a form can show every problem at once); only when none refused is the use priced.
 */
export function checkEntitlement(input: EntitlementInput): EntitlementResult {
  const reasons: RefusalReason[] = [];
  const refuse: Refuse = (code, field, message) => {
    reasons.push({ code, field, message });
  };
  const asked = whatIsAsked(input, refuse);
  checkVoucherStatus(input.voucher, refuse);
  const when = checkDates(input, asked, refuse);
  const child = checkChild(input, asked, when, refuse);
  const units = checkUnits(input, asked, when, refuse);
  checkAddOns(input.request.addOns, asked, child, refuse);

  const policyVersion = policyRef(input.policy);
  if (reasons.length > 0 || !asked.rule) return { allowed: false, reasons, policyVersion };
  const price = priceUse(asked.rule, asked, when.start, units.needed, input);
  return {
    allowed: true,
    serviceType: asked.type,
    unitsNeeded: units.needed,
    unitsRemainingAfter: units.remaining - units.needed,
    fee: price.fee,
    residentCopay: price.residentCopay,
    municipalityShare: price.fee - price.residentCopay,
    lines: price.lines,
    childAgeMonths: child.ageMonths,
    ageBasis: child.ageBasis,
    policyVersion,
  };
}

type Refuse = (code: RefusalCode, field: string, message: string) => void;

/** The service asked for, the policy's rule for it (none when not offered) and the resident's income tier. */
type Asked = {
  type: ServiceType;
  known: boolean;
  rule: ServiceRule | undefined;
  stay: PolicyVersion["services"]["stay"];
  tier: IncomeTier;
};

/** The service day as a day number, the nights (stays only) and the day after the last night. */
type When = { start: number; nights: number; nightsOk: boolean; end: number };

/** The child's age on the service day, in months (-1 when unknown), and what it counts from. */
type ChildAge = { ageMonths: number; ageBasis: "birth" | "corrected"; multiple: number };

/** Step 1: which service, under which rule; the voucher must be of the policy's municipality. */
function whatIsAsked({ policy, voucher, resident, request }: EntitlementInput, refuse: Refuse): Asked {
  const type = request.serviceType;
  const known = type === "stay" || type === "day" || type === "visit";
  const rule: ServiceRule | undefined = known ? policy.services[type] : undefined;
  const stay = type === "stay" ? policy.services.stay : undefined;
  if (!rule) {
    refuse(
      "service_not_offered",
      "request.serviceType",
      `${policy.municipalityCode} does not offer the ${String(type)} service (policy version ${policy.version})`,
    );
  }
  if (voucher.municipalityCode !== undefined && voucher.municipalityCode !== policy.municipalityCode) {
    refuse(
      "policy_mismatch",
      "voucher.municipalityCode",
      `The voucher is from ${voucher.municipalityCode}, the policy from ${policy.municipalityCode}`,
    );
  }
  const tier = resident.incomeTier;
  if (tier !== "general" && tier !== "exempt" && tier !== "welfare") {
    refuse("invalid_input", "resident.incomeTier", `Unknown income tier ${String(tier)}`);
  }
  return { type, known, rule, stay, tier };
}

/** Step 2: the voucher must be active. */
function checkVoucherStatus(voucher: EntitlementInput["voucher"], refuse: Refuse): void {
  if (voucher.status === "revoked")
    refuse("voucher_revoked", "voucher.status", "The voucher has been revoked");
  else if (voucher.status === "expired")
    refuse("voucher_expired", "voucher.status", "The voucher has expired");
  else if (voucher.status !== "active") {
    refuse("invalid_input", "voucher.status", `Unknown voucher status ${String(voucher.status)}`);
  }
}

/** Step 3: a real start date, nights a stay allows, within the policy's and the voucher's dates. */
function checkDates({ policy, voucher, request }: EntitlementInput, asked: Asked, refuse: Refuse): When {
  const start = dayNumber(request.startDate);
  if (start === INVALID) refuse("invalid_date", "request.startDate", "startDate must be a date (YYYY-MM-DD)");
  let nights = 0;
  let nightsOk = true;
  if (asked.type === "stay") {
    nights = request.nights ?? 1;
    const max = asked.stay?.maxNightsPerStay ?? DEFAULT_MAX_NIGHTS;
    if (!Number.isInteger(nights) || nights < 1 || nights > max) {
      nightsOk = false;
      refuse(
        "invalid_nights",
        "request.nights",
        `A stay is 1 to ${max} nights (got ${String(request.nights)})`,
      );
    }
  } else if (request.nights !== undefined && request.nights !== 1) {
    nightsOk = false;
    refuse("nights_not_allowed", "request.nights", "Only stays are booked by the night");
  }
  const end = start === INVALID || !nightsOk ? INVALID : start + nights;

  if (start !== INVALID) {
    const effective = dayNumber(policy.effectiveFrom);
    if (effective !== INVALID && start < effective) {
      refuse(
        "policy_not_in_effect",
        "request.startDate",
        `Policy version ${policy.version} applies from ${policy.effectiveFrom}, not to ${request.startDate}`,
      );
    }
  }
  const validFrom = dayNumber(voucher.validFrom);
  const validUntil = dayNumber(voucher.validUntil);
  if (validFrom === INVALID || validUntil === INVALID) {
    refuse("invalid_date", "voucher.validFrom", "The voucher's validity dates must be dates (YYYY-MM-DD)");
  } else if (start !== INVALID) {
    const last = end === INVALID ? start : end;
    if (start < validFrom || last > validUntil) {
      refuse(
        "outside_validity",
        "request.startDate",
        `The voucher is valid from ${voucher.validFrom} to ${voucher.validUntil}; the service runs ` +
          `${request.startDate} to ${formatDay(last)}`,
      );
    }
  }
  return { start, nights, nightsOk, end };
}

/** Step 4: the child is born, old enough and young enough (corrected age for a preterm child where the rule says). */
function checkChild(
  { child, request }: EntitlementInput,
  asked: Asked,
  when: When,
  refuse: Refuse,
): ChildAge {
  const birth = dayNumber(child.birthDate);
  if (birth === INVALID) refuse("invalid_date", "child.birthDate", "birthDate must be a date (YYYY-MM-DD)");
  const due = child.dueDate === undefined ? undefined : dayNumber(child.dueDate);
  if (due === INVALID) refuse("invalid_date", "child.dueDate", "dueDate must be a date (YYYY-MM-DD)");
  const multiple = child.multipleBirth;
  if (!Number.isInteger(multiple) || multiple < 1) {
    refuse("invalid_input", "child.multipleBirth", "multipleBirth must be a whole number, at least 1");
  }
  let ageMonths = -1;
  let ageBasis: "birth" | "corrected" = "birth";
  const { start } = when;
  const { rule, type } = asked;
  if (start === INVALID || birth === INVALID || due === INVALID) return { ageMonths, ageBasis, multiple };
  if (start < birth) {
    refuse("child_not_born", "request.startDate", `The child is born on ${child.birthDate}`);
  } else if (rule) {
    const el = rule.eligibility;
    ({ ageMonths, ageBasis } = childAgeOn(child, request.startDate, el.useCorrectedAgeForPreterm));
    if (el.minChildAgeDays !== undefined && start - birth < el.minChildAgeDays) {
      refuse(
        "child_too_young",
        "request.startDate",
        `The ${type} service starts ${el.minChildAgeDays} days after birth; the child is ${start - birth} days old`,
      );
    }
    if (ageMonths >= el.maxChildAgeMonths) {
      refuse(
        "child_too_old",
        "request.startDate",
        `The ${type} service is for children under ${el.maxChildAgeMonths} months; the child is ` +
          `${ageMonths} months${ageBasis === "corrected" ? " (corrected age)" : ""} on ${request.startDate}`,
      );
    }
  }
  return { ageMonths, ageBasis, multiple };
}

/**
 * Step 5: the units this use needs (a stay counts nights, or days where the municipality counts days) against what
 * is left: the policy's cap (higher for multiple births) or the voucher's, less units used and reserved.
 */
function checkUnits(
  { voucher, child }: EntitlementInput,
  asked: Asked,
  when: When,
  refuse: Refuse,
): { needed: number; remaining: number } {
  const { type, known, rule, stay } = asked;
  const voucherCap = known ? voucher.unitsByType[type] : undefined;
  const used = (known ? voucher.unitsUsed[type] : undefined) ?? 0;
  const reserved = (known ? voucher.unitsReserved[type] : undefined) ?? 0;
  let unitsOk = true;
  if (!isCount(used) || !isCount(reserved) || (voucherCap !== undefined && !isCount(voucherCap))) {
    unitsOk = false;
    refuse("invalid_input", "voucher.unitsUsed", "Voucher units must be whole numbers, not negative");
  }
  if (!isCount(voucher.usesSoFar)) {
    refuse("invalid_input", "voucher.usesSoFar", "usesSoFar must be a whole number, not negative");
  }
  if (!rule || !when.nightsOk) return { needed: 0, remaining: 0 };
  const needed = type === "stay" ? (stay?.stayCounting === "per_night" ? when.nights : when.nights + 1) : 1;
  const policyCap = child.multipleBirth > 1 ? rule.maxUnitsMultipleBirth : rule.maxUnits;
  const cap = voucherCap !== undefined && voucherCap < policyCap ? voucherCap : policyCap;
  const remaining = cap - used - reserved;
  if (unitsOk && needed > remaining) {
    refuse(
      "not_enough_units",
      "voucher.unitsByType",
      `This ${type} booking needs ${needed} units; ${Math.max(remaining, 0)} of ${cap} are left ` +
        `(${used} used, ${reserved} reserved)`,
    );
  }
  return { needed, remaining };
}

/** Step 6: each add-on once, offered by the service, and for this child (multiple births, an age range). */
function checkAddOns(addOns: readonly string[], asked: Asked, child: ChildAge, refuse: Refuse): void {
  for (let i = 0; i < addOns.length; i++) {
    const code = addOns[i] as string;
    if (addOns.indexOf(code) < i) {
      refuse("duplicate_add_on", `request.addOns.${i}`, `The add-on ${code} is requested twice`);
      continue;
    }
    if (!asked.rule) continue;
    const addOn = findAddOn(asked.rule, code);
    if (!addOn) {
      refuse("unknown_add_on", `request.addOns.${i}`, `The ${asked.type} service has no add-on ${code}`);
      continue;
    }
    const req = addOn.requires;
    if (!req) continue;
    if (req.multipleBirth && !(child.multiple > 1)) {
      refuse("add_on_not_applicable", `request.addOns.${i}`, `The add-on ${code} is for multiple births`);
    }
    const { ageMonths } = child;
    if (ageMonths < 0) continue;
    const tooYoung = req.minChildAgeMonths !== undefined && ageMonths < req.minChildAgeMonths;
    const tooOld = req.maxChildAgeMonths !== undefined && ageMonths >= req.maxChildAgeMonths;
    if (tooYoung || tooOld) {
      refuse(
        "add_on_not_applicable",
        `request.addOns.${i}`,
        `The add-on ${code} is for children of ${req.minChildAgeMonths ?? 0} months up to under ` +
          `${req.maxChildAgeMonths ?? "any"} months; the child is ${ageMonths} months`,
      );
    }
  }
}

/**
 * Step 7, only for an allowed use: one line per unit (with the date it covers), one per add-on, then 減免 —
 * per-unit reductions on the base copay first, then per-use ones on what is left of the whole use.
 */
function priceUse(
  rule: ServiceRule,
  asked: Asked,
  start: number,
  unitsNeeded: number,
  { request, voucher }: EntitlementInput,
): { lines: EntitlementLine[]; fee: number; residentCopay: number } {
  const { type, tier } = asked;
  const lines: EntitlementLine[] = [];
  const unitFee = rule.unitFee;
  const unitCopay = clamp(rule.copayPerUnit[tier], unitFee);
  const label = SERVICE_LABEL[type];
  for (let u = 0; u < unitsNeeded; u++) {
    lines.push({
      kind: "unit",
      code: type,
      label,
      date: formatDay(start + u),
      quantity: 1,
      fee: unitFee,
      residentCopay: unitCopay,
      municipalityShare: unitFee - unitCopay,
    });
  }
  let fee = unitFee * unitsNeeded;
  let addOnCopay = 0;
  for (const code of request.addOns) {
    const addOn = findAddOn(rule, code);
    if (!addOn) continue;
    const quantity = addOn.per === "unit" ? unitsNeeded : 1;
    const lineFee = addOn.fee * quantity;
    const lineCopay = clamp(addOn.copay[tier], addOn.fee) * quantity;
    fee += lineFee;
    addOnCopay += lineCopay;
    lines.push({
      kind: "add_on",
      code: addOn.code,
      label: addOn.label,
      quantity,
      fee: lineFee,
      residentCopay: lineCopay,
      municipalityShare: lineFee - lineCopay,
    });
  }

  const { usesSoFar } = voucher;
  let baseCopayPerUnit = unitCopay;
  for (const r of rule.reductions) {
    if (r.per !== "unit" || !reductionApplies(r, usesSoFar, tier)) continue;
    const perUnit = Math.min(r.amount, baseCopayPerUnit);
    baseCopayPerUnit -= perUnit;
    if (perUnit > 0) lines.push(reductionLine(r, unitsNeeded, perUnit * unitsNeeded));
  }
  let copayLeft = baseCopayPerUnit * unitsNeeded + addOnCopay;
  for (const r of rule.reductions) {
    if (r.per !== "use" || !reductionApplies(r, usesSoFar, tier)) continue;
    const taken = Math.min(r.amount, copayLeft);
    copayLeft -= taken;
    if (taken > 0) lines.push(reductionLine(r, 1, taken));
  }

  let residentCopay = 0;
  for (const line of lines) residentCopay += line.residentCopay;
  return { lines, fee, residentCopay };
}

function reductionApplies(r: Reduction, usesSoFar: number, tier: IncomeTier): boolean {
  return r.amount > 0 && usesSoFar < r.firstUses && (r.tiers === undefined || r.tiers.includes(tier));
}

function reductionLine(r: Reduction, quantity: number, taken: number): EntitlementLine {
  return {
    kind: "reduction",
    code: r.code,
    label: r.label,
    quantity,
    fee: 0,
    residentCopay: -taken,
    municipalityShare: taken,
  };
}

function findAddOn(rule: ServiceRule, code: string) {
  const list = rule.addOns;
  for (let i = 0; i < list.length; i++) if (list[i]?.code === code) return list[i];
  return undefined;
}

function clamp(copay: number, fee: number): number {
  return copay < 0 ? 0 : Math.min(copay, fee);
}

function isCount(n: number): boolean {
  return Number.isInteger(n) && n >= 0;
}

// --- calendar dates as day numbers (days since 1970-01-01), without Date objects

const INVALID = Number.NEGATIVE_INFINITY;

function digits(s: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** "YYYY-MM-DD" → days since 1970-01-01, or INVALID when it is not a real calendar date. */
export function dayNumber(s: string): number {
  if (typeof s !== "string" || s.length !== 10 || s[4] !== "-" || s[7] !== "-") return INVALID;
  const y = digits(s, 0, 4);
  const m = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  if (y < 0 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return INVALID;
  // Howard Hinnant's days_from_civil.
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Days since 1970-01-01 → "YYYY-MM-DD". */
export function formatDay(n: number): string {
  const z = n + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${String(y).padStart(4, "0")}-${m < 10 ? "0" : ""}${m}-${d < 10 ? "0" : ""}${d}`;
}

/**
 * A born child's age on `date` in completed months, as the policies count it: from the due date for a preterm
 * baby (born `PRETERM_DAYS_BEFORE_DUE` or more days early) when `useCorrectedAgeForPreterm` (修正月齢, never below
 * 0), else from the birth date. Dates are valid "YYYY-MM-DD" and `date` is not before the birth; the engine checks
 * both before asking, and the facility's view of a booking (hub/bookings/guests.ts) reads the same answer.
 */
export function childAgeOn(
  child: { birthDate: string; dueDate?: string | undefined },
  date: string,
  useCorrectedAgeForPreterm: boolean,
): { ageMonths: number; ageBasis: "birth" | "corrected" } {
  const birth = dayNumber(child.birthDate);
  const due = child.dueDate === undefined ? undefined : dayNumber(child.dueDate);
  const preterm = due !== undefined && due - birth >= PRETERM_DAYS_BEFORE_DUE;
  if (preterm && useCorrectedAgeForPreterm && child.dueDate !== undefined) {
    const ageMonths = dayNumber(date) < (due as number) ? 0 : monthsBetween(child.dueDate, date);
    return { ageMonths, ageBasis: "corrected" };
  }
  return { ageMonths: monthsBetween(child.birthDate, date), ageBasis: "birth" };
}

/**
 * Completed calendar months from `from` to `to` (both valid "YYYY-MM-DD", `to` not earlier): a month is complete
 * on the same day of the month, or on the 1st of the next month when that day does not exist (born 01-31 →
 * 1 month on 03-01).
 */
export function monthsBetween(from: string, to: string): number {
  const y1 = digits(from, 0, 4);
  const m1 = digits(from, 5, 2);
  const d1 = digits(from, 8, 2);
  const y2 = digits(to, 0, 4);
  const m2 = digits(to, 5, 2);
  const d2 = digits(to, 8, 2);
  return (y2 - y1) * 12 + (m2 - m1) - (d2 < d1 ? 1 : 0);
}
