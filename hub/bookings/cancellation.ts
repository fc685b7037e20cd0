/**
 * Cancellation deadline and fee, pure (no I/O): the rules of a policy version's `cancellation` (see
 * CancellationRule in hub/policies/policy.ts) applied to one booking at one instant.
 *
 * Deadline: `cutoff.time` (Asia/Tokyo) on the facility's `cutoff.businessDaysBefore`-th business day before the
 * service start date. Business days are Monday to Friday except Japanese public holidays (@holiday-jp/holiday_jp,
 * which includes substitute holidays and 国民の休日) and the facility's closure dates. With 0 business days the
 * deadline is that time on the start date itself. A cancellation AT the deadline (10:00:00) is already late.
 *
 * Fee: owed only when all of these hold, otherwise the cancellation is free and says why (`waived`):
 *  - the booking was confirmed (a request the facility never approved costs nothing);
 *  - it is cancelled at or after the deadline;
 *  - by the resident, or by the municipality on the resident's behalf (the facility's cancellations are
 *    facility-caused and free);
 *  - for a reason that is not one of the policy's `noFeeReasons`;
 *  - and the booking has a policy version to take the fee from.
 * A no-fee reason the resident gives herself (illness, …) is her claim, not yet a fact: the cancellation is free for
 * now, and the outcome carries the fee she would owe without it (`claim`), which applies if the facility or her
 * municipality declines the claim (hub/bookings/fee-waiver.ts). The municipality's own no-fee reasons are final.
 * Rejections and expiries never reach this code: they are not cancellations.
 *
 * Amounts are integer yen. A percentage is rounded down (in the payer's favour); the split always adds up to the
 * fee exactly, neither share is ever negative.
 */
import holidayJp from "@holiday-jp/holiday_jp";
import type { CancellationRule } from "../policies/policy.js";

/** The reason code when none is given: the resident (or their municipality) simply cancels. */
export const RESIDENT_REQUEST = "resident_request";
/** The reason code recorded on a booking that was replaced by a change (hub/bookings/change.ts); never a fee. */
export const CHANGED = "changed";
/** The reason code a facility's cancellation gets when it gives none. */
export const FACILITY_CAUSED = "facility_caused";

/**
 * The rules a booking without a policy version falls back to (e.g. one that arrived from a facility's own system
 * without a voucher): the specification's cutoff (10:00 on the day before) and the usual reasons; such a booking owes no fee,
 * as nothing says what it would be.
 */
export const DEFAULT_CANCELLATION_RULE: CancellationRule = {
  cutoff: { businessDaysBefore: 1, time: "10:00", days: "calendar", closuresMove: false },
  fee: { kind: "percent_of_fee", percent: 0 },
  split: { kind: "municipality" },
  noFeeReasons: [FACILITY_CAUSED, "birth_priority", "illness"],
};

/** How far back the business-day walk may go; beyond it a facility that is always closed just ends the walk. */
const MAX_WALK_DAYS = 400;

const holidays = holidayJp.holidays as Readonly<Record<string, unknown>>;

/** "YYYY-MM-DD" of a DATE value (midnight UTC of that calendar day). */
const iso = (d: Date) => d.toISOString().slice(0, 10);

/** True for a Japanese public holiday ("YYYY-MM-DD"). */
export function isPublicHoliday(date: string): boolean {
  return Object.hasOwn(holidays, date);
}

/** A business day of the facility: not Saturday or Sunday, not a public holiday, not one of its closures. */
export function isBusinessDay(date: Date, closed: ReadonlySet<string>): boolean {
  const weekday = date.getUTCDay();
  if (weekday === 0 || weekday === 6) return false;
  const text = iso(date);
  return !isPublicHoliday(text) && !closed.has(text);
}

/**
 * The `n`-th business day before `start` (a DATE value): n = 1 is the previous business day. n = 0 is `start`.
 */
export function businessDayBefore(start: Date, n: number, closed: ReadonlySet<string>): Date {
  let d = start;
  let left = n;
  for (let walked = 0; left > 0 && walked < MAX_WALK_DAYS; walked++) {
    d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - 1));
    if (isBusinessDay(d, closed)) left--;
  }
  return d;
}

/** How a policy counts the days of its cutoff (see CancellationRule): a stored rule without the choice is business. */
export function cutoffKind(cutoff: CancellationRule["cutoff"]): {
  days: "calendar" | "business";
  closuresMove: boolean;
} {
  const days = cutoff.days ?? "business";
  return { days, closuresMove: cutoff.closuresMove ?? days === "business" };
}

/** The day of the deadline: `businessDaysBefore` counted days before `start`, as the policy counts them. */
export function cutoffDay(
  cutoff: CancellationRule["cutoff"],
  start: Date,
  closed: ReadonlySet<string>,
): Date {
  const { days, closuresMove } = cutoffKind(cutoff);
  const counts = (d: Date) =>
    (days === "calendar" || isBusinessDay(d, new Set())) && !(closuresMove && closed.has(iso(d)));
  let d = start;
  let left = cutoff.businessDaysBefore;
  for (let walked = 0; left > 0 && walked < MAX_WALK_DAYS; walked++) {
    d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - 1));
    if (counts(d)) left--;
  }
  return d;
}

/**
 * The instant until which the booking starting on `start` (a DATE value) can be cancelled free of charge:
 * `cutoff.time` in Tokyo (UTC+9, no daylight saving) on the business day `cutoff.businessDaysBefore` before.
 */
export function cancellationDeadline(
  cutoff: CancellationRule["cutoff"],
  start: Date,
  closed: ReadonlySet<string> = new Set(),
): Date {
  const day = cutoffDay(cutoff, start, closed);
  const [hh, mm] = cutoff.time.split(":").map(Number);
  return new Date(
    Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), (hh ?? 0) - 9, mm ?? 0),
  );
}

/** The reason codes a cancellation may give under `rule`, the default first. */
export function reasonCodes(rule: CancellationRule, by: string): string[] {
  const first = by === "facility" ? [FACILITY_CAUSED, RESIDENT_REQUEST] : [RESIDENT_REQUEST];
  return [...new Set([...first, ...rule.noFeeReasons])].filter((c) => c !== CHANGED);
}

/** The fee before its split: a percentage of the booking's fee (rounded down) or an amount per unit. */
export function feeAmount(fee: CancellationRule["fee"], booking: { fee: number; units: number }): number {
  const amount =
    fee.kind === "percent_of_fee"
      ? Math.floor((Math.max(0, booking.fee) * fee.percent) / 100)
      : fee.amount * Math.max(0, booking.units);
  return Math.max(0, Math.trunc(amount));
}

/**
 * Who pays how much of `fee`: resident + municipality = fee, both ≥ 0. `resident_copay`: the resident pays what
 * their copay for the booking was, at most the fee; `resident_percent`: the resident pays that percentage, rounded
 * down; `resident` / `municipality`: one side pays all of it.
 */
export function splitFee(
  fee: number,
  split: CancellationRule["split"],
  residentCopay: number,
): { residentShare: number; municipalityShare: number } {
  const total = Math.max(0, Math.trunc(fee));
  let resident: number;
  switch (split.kind) {
    case "resident_copay":
      resident = Math.min(Math.max(0, Math.trunc(residentCopay)), total);
      break;
    case "resident_percent":
      resident = Math.min(total, Math.floor((total * Math.min(100, Math.max(0, split.percent))) / 100));
      break;
    case "resident":
      resident = total;
      break;
    case "municipality":
      resident = 0;
      break;
  }
  return { residentShare: resident, municipalityShare: total - resident };
}

/** Why a cancellation costs nothing. */
export type Waiver =
  | "not_confirmed"
  | "before_deadline"
  | "facility"
  | "no_fee_reason"
  | "changed"
  | "no_policy";

export type CancellationInput = {
  /** The policy's rule; null when the booking has no policy version (then it owes nothing). */
  rule: CancellationRule | null;
  deadline: Date;
  now: Date;
  /** The booking's status before the cancellation. */
  status: string;
  /** Who cancels: "resident", "municipality", "facility", ... */
  by: string;
  reasonCode: string;
  booking: { fee: number; units: number; residentCopay: number };
};

export type CancellationOutcome = {
  deadline: Date;
  /** now ≥ deadline. */
  late: boolean;
  fee: number;
  residentShare: number;
  municipalityShare: number;
  /** Why the fee is 0, or null when a fee is owed (even one that amounts to ¥0 under the rule). */
  waived: Waiver | null;
  /**
   * The resident claimed a no-fee reason: what she owes if the claim is declined (null: no claim to decide, also
   * when the fee without the reason would be ¥0).
   */
  claim: FeeSplit | null;
};

export type FeeSplit = { fee: number; residentShare: number; municipalityShare: number };

/**
 * What a late cancellation costs once the resident's claimed no-fee reason is declined: the same cancellation
 * without the reason (the fee depends on the rule and the booking, not on the minute, as long as it was late,
 * which a claim always is).
 */
export function declinedClaim(
  rule: CancellationRule | null,
  deadline: Date,
  booking: CancellationInput["booking"],
): FeeSplit {
  const { fee, residentShare, municipalityShare } = cancellationCost({
    rule,
    deadline,
    now: deadline,
    status: "confirmed",
    by: "resident",
    reasonCode: RESIDENT_REQUEST,
    booking,
  });
  return { fee, residentShare, municipalityShare };
}

/** What cancelling the booking at `now` costs, and who pays it. */
export function cancellationCost(input: CancellationInput): CancellationOutcome {
  const late = input.now.getTime() >= input.deadline.getTime();
  const free = (waived: Waiver): CancellationOutcome => ({
    deadline: input.deadline,
    late,
    fee: 0,
    residentShare: 0,
    municipalityShare: 0,
    waived,
    claim: null,
  });
  if (input.reasonCode === CHANGED) return free("changed");
  if (input.status !== "confirmed") return free("not_confirmed");
  if (!late) return free("before_deadline");
  if (input.by !== "resident" && input.by !== "municipality") return free("facility");
  if (!input.rule) return free("no_policy");
  const fee = feeAmount(input.rule.fee, input.booking);
  const owed: FeeSplit = { fee, ...splitFee(fee, input.rule.split, input.booking.residentCopay) };
  if (input.rule.noFeeReasons.includes(input.reasonCode)) {
    return { ...free("no_fee_reason"), claim: input.by === "resident" && fee > 0 ? owed : null };
  }
  return { deadline: input.deadline, late, ...owed, waived: null, claim: null };
}
