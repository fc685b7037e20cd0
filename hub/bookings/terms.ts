/**
 * A booking's cancellation terms read from the database: the cancellation rule of the policy version it was
 * booked under and the facility's closures before its start date, turned into the free-cancellation deadline by
 * the pure hub/bookings/cancellation.ts. Works on the client or inside a transaction (pass the transaction).
 *
 * Closures that count: those of the whole facility and those of the booking's own service type. Only closures in
 * the CLOSURE_LOOKBACK_DAYS before the start date are read, which covers any cutoff a policy may set (at most 14
 * business days) unless a facility is closed for weeks on end.
 */
import type { ServiceType } from "../db/client.js";
import { addDays, formatDate } from "../inventory/dates.js";
import type { Db } from "../inventory/inventory.js";
import type { CancellationRule } from "../policies/policy.js";
import {
  cancellationDeadline,
  DEFAULT_CANCELLATION_RULE,
  declinedClaim,
  type FeeSplit,
} from "./cancellation.js";
import { type BookingDto, type BookingRow, OPEN_STATUSES, toBookingDtoWithDeadline } from "./mapper.js";

export const CLOSURE_LOOKBACK_DAYS = 60;

/** What the deadline of one booking depends on. */
export type TermsSubject = {
  facilityId: string;
  serviceType: ServiceType;
  startDate: Date;
  policyVersionId: string | null;
};

export type CancellationTerms = {
  /** The policy's rule; null for a booking without a policy version (then DEFAULT_CANCELLATION_RULE's cutoff). */
  rule: CancellationRule | null;
  deadline: Date;
};

/** Policy versions are never edited once stored, so their rules are kept once read. */
const rules = new Map<string, CancellationRule | null>();

export async function cancellationRuleOf(
  db: Db,
  policyVersionId: string | null,
): Promise<CancellationRule | null> {
  if (!policyVersionId) return null;
  const cached = rules.get(policyVersionId);
  if (cached !== undefined) return cached;
  const row = await db.policyVersion.findUnique({ where: { id: policyVersionId }, select: { rules: true } });
  const rule = (row?.rules as { cancellation?: CancellationRule } | null)?.cancellation ?? null;
  if (rules.size > 10_000) rules.clear();
  if (row) rules.set(policyVersionId, rule);
  return rule;
}

/** The closed days ("YYYY-MM-DD") that count for each subject, from one query. */
export async function closedDaysFor(
  db: Db,
  subjects: readonly Omit<TermsSubject, "policyVersionId">[],
): Promise<ReadonlySet<string>[]> {
  if (subjects.length === 0) return [];
  const times = subjects.map((s) => s.startDate.getTime());
  const from = addDays(new Date(Math.min(...times)), -CLOSURE_LOOKBACK_DAYS);
  const to = new Date(Math.max(...times));
  const closures = await db.closure.findMany({
    where: {
      facilityId: { in: [...new Set(subjects.map((s) => s.facilityId))] },
      date: { gte: from, lt: to },
    },
    select: { facilityId: true, date: true, serviceType: true },
  });
  return subjects.map((s) => {
    const lookback = addDays(s.startDate, -CLOSURE_LOOKBACK_DAYS).getTime();
    return new Set(
      closures
        .filter(
          (c) =>
            c.facilityId === s.facilityId &&
            (c.serviceType === null || c.serviceType === s.serviceType) &&
            c.date.getTime() >= lookback &&
            c.date.getTime() < s.startDate.getTime(),
        )
        .map((c) => formatDate(c.date)),
    );
  });
}

/** The terms of several bookings: one closure query, policy rules from the cache. */
export async function cancellationTermsFor(
  db: Db,
  subjects: readonly TermsSubject[],
): Promise<CancellationTerms[]> {
  const closed = await closedDaysFor(db, subjects);
  const out: CancellationTerms[] = [];
  for (const [i, s] of subjects.entries()) {
    const rule = await cancellationRuleOf(db, s.policyVersionId);
    const cutoff = (rule ?? DEFAULT_CANCELLATION_RULE).cutoff;
    out.push({ rule, deadline: cancellationDeadline(cutoff, s.startDate, closed[i] ?? new Set()) });
  }
  return out;
}

export async function cancellationTerms(db: Db, subject: TermsSubject): Promise<CancellationTerms> {
  const [terms] = await cancellationTermsFor(db, [subject]);
  if (!terms) throw new Error("no cancellation terms computed");
  return terms;
}

/**
 * Bookings as the API shows them, open ones with their deadline as it stands now, cancellations with a claimed fee
 * waiver with the fee that applies if it is declined.
 */
export async function bookingDtos(db: Db, rows: readonly BookingRow[]): Promise<BookingDto[]> {
  const open = rows.filter((r) => OPEN_STATUSES.has(r.status));
  const terms = await cancellationTermsFor(db, open);
  const deadlines = new Map(open.map((r, i) => [r.id, terms[i]?.deadline ?? null]));
  const claims = new Map<string, FeeSplit>();
  for (const r of rows) {
    if (r.feeWaiver !== "claimed" || !r.cancelDeadline) continue;
    claims.set(r.id, declinedClaim(await cancellationRuleOf(db, r.policyVersionId), r.cancelDeadline, r));
  }
  return rows.map((r) => toBookingDtoWithDeadline(r, deadlines.get(r.id), claims.get(r.id) ?? null));
}

export async function bookingDto(db: Db, row: BookingRow): Promise<BookingDto> {
  const [dto] = await bookingDtos(db, [row]);
  if (!dto) throw new Error("no booking mapped");
  return dto;
}
