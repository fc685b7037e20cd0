/**
 * Changes to an existing booking: confirm, reject, cancel (people) and expire (the system). Each runs in one
 * transaction: read the booking within the caller's scope, check the step, apply it through the ledger
 * (projection + event + released places), announce it through the outbox. A cancellation also records its reason
 * code, the deadline that applied and the fee with its split (hub/bookings/cancellation.ts), in the same
 * transaction.
 */
import type { BookingStatus, PrismaClient } from "../db/client.js";
import { DomainError, problems } from "../errors.js";
import { assertBookingAction, bookingScope } from "../identity/access.js";
import type { Actor } from "../identity/actor.js";
import { TX_OPTIONS } from "../inventory/inventory.js";
import type { CancellationRule } from "../policies/policy.js";
import {
  type CancellationOutcome,
  cancellationCost,
  cutoffKind,
  DEFAULT_CANCELLATION_RULE,
  type FeeSplit,
  reasonCodes,
  type Waiver,
} from "./cancellation.js";
import { announce, applyTransition } from "./ledger.js";
import { type BookingDto, bookingInclude } from "./mapper.js";
import { assertTransition } from "./state.js";
import { bookingDto, cancellationTerms } from "./terms.js";

type Change = {
  action: "confirm" | "reject";
  to: BookingStatus;
  reason?: string;
};

async function change(
  prisma: PrismaClient,
  actor: Actor,
  bookingId: string,
  c: Change,
  now: Date,
): Promise<BookingDto> {
  assertBookingAction(actor, c.action);
  return prisma.$transaction(async (tx) => {
    const booking = await tx.booking.findFirst({ where: { AND: [{ id: bookingId }, bookingScope(actor)] } });
    if (!booking) throw problems.notFound("booking");
    assertTransition(booking.status, c.to);
    if (c.action === "confirm" && booking.holdExpiresAt && booking.holdExpiresAt <= now) {
      throw problems.conflict(
        "hold_expired",
        `The hold ran out at ${booking.holdExpiresAt.toISOString()}; the places are being given back`,
      );
    }
    await applyTransition(
      tx,
      booking,
      c.to,
      {
        source: actor.role === "resident" ? "portal" : "staff",
        actorId: actor.userId,
        data: { ...(c.reason !== undefined ? { reason: c.reason } : {}), by: actor.role },
      },
      now,
    );
    // A confirmation tells the resident until when they can cancel free of charge.
    const cancelDeadline = c.to === "confirmed" ? (await cancellationTerms(tx, booking)).deadline : undefined;
    await announce(tx, booking.id, c.to, actor.role, c.reason, { cancelDeadline });
    return bookingDto(
      tx,
      await tx.booking.findUniqueOrThrow({ where: { id: booking.id }, include: bookingInclude }),
    );
  }, TX_OPTIONS);
}

/** The facility approves a requested booking (予約承認) while its hold lasts. */
export const confirmBooking = (prisma: PrismaClient, actor: Actor, bookingId: string, now: Date) =>
  change(prisma, actor, bookingId, { action: "confirm", to: "confirmed" }, now);

/** The facility turns a requested booking down; its places are free again at once. */
export const rejectBooking = (
  prisma: PrismaClient,
  actor: Actor,
  bookingId: string,
  reason: string,
  now: Date,
) => change(prisma, actor, bookingId, { action: "reject", to: "rejected", reason }, now);

export type CancelInput = {
  /** Free text for people. */
  reason: string;
  /** `resident_request` (the default for residents and municipalities) or one of the policy's no-fee reasons. */
  reasonCode?: string;
};

/** The reason code a cancellation records: the caller's, checked against the policy, or the caller's default. */
function resolveReasonCode(actor: Actor, given: string | undefined, rule: CancellationRule | null): string {
  const allowed = reasonCodes(rule ?? DEFAULT_CANCELLATION_RULE, actor.role);
  const code = given ?? (allowed[0] as string);
  if (!allowed.includes(code)) {
    throw problems.unprocessable(
      "invalid_reason_code",
      `"${code}" is not a cancellation reason of this booking's policy; use one of ${allowed.join(", ")}`,
      [{ path: "reasonCode", message: `one of ${allowed.join(", ")}` }],
    );
  }
  return code;
}

/** What cancelling a booking now would cost, as GET /api/bookings/{id}/cancellation answers it. */
export type CancellationPreview = {
  bookingId: string;
  status: BookingStatus;
  deadline: string;
  /** The policy's rule for the deadline: `daysBefore` days (calendar or business) before, at `time`. */
  cutoff: { daysBefore: number; time: string; days: "calendar" | "business"; closuresMove: boolean };
  /** The deadline has not passed yet. */
  beforeDeadline: boolean;
  reasonCode: string;
  /** The reason codes this caller may give, the default first; the policy's no-fee reasons among them. */
  reasonCodes: string[];
  noFeeReasons: string[];
  fee: number;
  residentShare: number;
  municipalityShare: number;
  waived: Waiver | null;
  /**
   * The caller (a resident) gives a no-fee reason: free for now, until the facility or her municipality confirms
   * it; this is what she would owe if they decline it. Null when there is nothing to confirm.
   */
  claim: FeeSplit | null;
};

/**
 * The resident, the facility or the resident's municipality cancels a requested or confirmed booking. After the
 * deadline a resident's or municipality's cancellation of a confirmed booking costs the policy's fee, unless its
 * reason code is one of the policy's no-fee reasons; the facility's cancellations are always free.
 */
export async function cancelBooking(
  prisma: PrismaClient,
  actor: Actor,
  bookingId: string,
  input: CancelInput | string,
  now: Date,
): Promise<BookingDto> {
  const { reason, reasonCode } = typeof input === "string" ? { reason: input, reasonCode: undefined } : input;
  assertBookingAction(actor, "cancel");
  return prisma.$transaction(async (tx) => {
    const booking = await tx.booking.findFirst({ where: { AND: [{ id: bookingId }, bookingScope(actor)] } });
    if (!booking) throw problems.notFound("booking");
    assertTransition(booking.status, "cancelled");
    const terms = await cancellationTerms(tx, booking);
    const code = resolveReasonCode(actor, reasonCode, terms.rule);
    const cost = cancellationCost({
      rule: terms.rule,
      deadline: terms.deadline,
      now,
      status: booking.status,
      by: actor.role,
      reasonCode: code,
      booking,
    });
    await applyTransition(
      tx,
      booking,
      "cancelled",
      {
        source: actor.role === "resident" ? "portal" : "staff",
        actorId: actor.userId,
        data: {
          reason,
          reasonCode: code,
          by: actor.role,
          deadline: terms.deadline.toISOString(),
          fee: cost.fee,
          residentShare: cost.residentShare,
          municipalityShare: cost.municipalityShare,
          ...(cost.waived ? { waived: cost.waived } : {}),
          ...(cost.claim ? { claim: cost.claim } : {}),
        },
      },
      now,
      {
        cancelReason: code,
        cancelDeadline: terms.deadline,
        cancellationFee: cost.fee,
        feeResidentShare: cost.residentShare,
        feeMunicipalityShare: cost.municipalityShare,
        feeWaiver: cost.claim ? "claimed" : null,
      },
    );
    await announce(tx, booking.id, "cancelled", actor.role, reason, { claim: cost.claim });
    return bookingDto(
      tx,
      await tx.booking.findUniqueOrThrow({ where: { id: booking.id }, include: bookingInclude }),
    );
  }, TX_OPTIONS);
}

/** What cancelling the booking at `now` would cost the caller's side, without cancelling anything. */
export async function previewCancellation(
  prisma: PrismaClient,
  actor: Actor,
  bookingId: string,
  reasonCode: string | undefined,
  now: Date,
): Promise<CancellationPreview> {
  assertBookingAction(actor, "cancel");
  const booking = await prisma.booking.findFirst({
    where: { AND: [{ id: bookingId }, bookingScope(actor)] },
  });
  if (!booking) throw problems.notFound("booking");
  assertTransition(booking.status, "cancelled");
  const terms = await cancellationTerms(prisma, booking);
  const code = resolveReasonCode(actor, reasonCode, terms.rule);
  const cost: CancellationOutcome = cancellationCost({
    rule: terms.rule,
    deadline: terms.deadline,
    now,
    status: booking.status,
    by: actor.role,
    reasonCode: code,
    booking,
  });
  return {
    bookingId: booking.id,
    status: booking.status,
    deadline: terms.deadline.toISOString(),
    // The rule behind the deadline, so it can be said in words to the resident.
    cutoff: {
      daysBefore: (terms.rule ?? DEFAULT_CANCELLATION_RULE).cutoff.businessDaysBefore,
      time: (terms.rule ?? DEFAULT_CANCELLATION_RULE).cutoff.time,
      ...cutoffKind((terms.rule ?? DEFAULT_CANCELLATION_RULE).cutoff),
    },
    beforeDeadline: !cost.late,
    reasonCode: code,
    reasonCodes: reasonCodes(terms.rule ?? DEFAULT_CANCELLATION_RULE, actor.role),
    noFeeReasons: (terms.rule ?? DEFAULT_CANCELLATION_RULE).noFeeReasons,
    fee: cost.fee,
    residentShare: cost.residentShare,
    municipalityShare: cost.municipalityShare,
    waived: cost.waived,
    claim: cost.claim,
  };
}

/**
 * Expires every requested booking whose hold ran out by `now`: each in its own transaction, only if it is
 * still requested (a facility confirming at the same moment wins cleanly), places released, an `expired`
 * event from the system, and the resident and facility told.
 */
export async function expireHolds(
  prisma: PrismaClient,
  now: Date,
  batch = 200,
): Promise<{ expired: number }> {
  let expired = 0;
  let lastId = "";
  for (;;) {
    const due = await prisma.booking.findMany({
      where: { status: "requested", holdExpiresAt: { lte: now }, ...(lastId ? { id: { gt: lastId } } : {}) },
      select: { id: true },
      orderBy: { id: "asc" },
      take: batch,
    });
    for (const { id } of due) {
      try {
        const done = await prisma.$transaction(async (tx) => {
          const b = await tx.booking.findUnique({ where: { id } });
          if (b?.status !== "requested" || !b.holdExpiresAt || b.holdExpiresAt > now) return false;
          await applyTransition(
            tx,
            b,
            "expired",
            { source: "system", actorId: null, data: { holdExpiresAt: b.holdExpiresAt.toISOString() } },
            now,
          );
          await announce(tx, id, "expired", "system");
          return true;
        }, TX_OPTIONS);
        if (done) expired++;
      } catch (err) {
        // Someone changed it between our read and our write: it is no longer ours to expire.
        if (!(err instanceof DomainError && err.kind === "conflict")) throw err;
      }
    }
    const last = due[due.length - 1];
    if (!last || due.length < batch) break;
    lastId = last.id;
  }
  return { expired };
}
