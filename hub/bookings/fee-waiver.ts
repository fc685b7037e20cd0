/**
 * A resident's own no-fee reason (illness, …) for a late cancellation is a claim: the cancellation is free for now
 * (Booking.feeWaiver = "claimed") until the facility of the booking or her municipality decides, as the municipal
 * rules intend (the facility knows whether she was ill; the municipality pays its share). Accepted, the waiver is
 * final. Declined, the fee the cancellation would have cost without the reason applies, with its split, and the
 * monthly billing picks it up (as an adjustment if the month was already finalized). Each decision is one more event
 * in the booking's history, an audit entry, and a message to the resident, in one transaction.
 */
import { audit } from "../audit/audit.js";
import type { PrismaClient } from "../db/client.js";
import { problems } from "../errors.js";
import { bookingScope } from "../identity/access.js";
import type { Actor } from "../identity/actor.js";
import { TX_OPTIONS } from "../inventory/inventory.js";
import { enqueueMessage } from "../notify/outbox.js";
import { declinedClaim } from "./cancellation.js";
import { appendEvents, bookingChanged } from "./ledger.js";
import { type BookingDto, bookingInclude } from "./mapper.js";
import { feeWaiverNotices, NOTICE_RESIDENT_SELECT } from "./notices.js";
import { bookingDto, cancellationRuleOf } from "./terms.js";

export type FeeWaiverDecision = { decision: "accept" | "decline"; note?: string };

const noClaim = () =>
  problems.conflict(
    "no_fee_waiver_claim",
    "There is no open claim to waive this booking's cancellation fee (none was made, or it was decided already)",
  );

export async function decideFeeWaiver(
  prisma: PrismaClient,
  actor: Actor,
  bookingId: string,
  input: FeeWaiverDecision,
  ip: string,
  now: Date,
): Promise<BookingDto> {
  if (actor.role !== "facility" && actor.role !== "municipality") throw problems.forbidden();
  const note = input.note?.trim() ?? "";
  return prisma.$transaction(async (tx) => {
    const booking = await tx.booking.findFirst({ where: { AND: [{ id: bookingId }, bookingScope(actor)] } });
    if (!booking) throw problems.notFound("booking");
    if (booking.status !== "cancelled" || booking.feeWaiver !== "claimed" || !booking.cancelDeadline) {
      throw noClaim();
    }
    const accepted = input.decision === "accept";
    const owed = accepted
      ? null
      : declinedClaim(await cancellationRuleOf(tx, booking.policyVersionId), booking.cancelDeadline, booking);
    const revision = booking.revision + 1;
    const { count } = await tx.booking.updateMany({
      where: { id: booking.id, revision: booking.revision, feeWaiver: "claimed" },
      data: {
        revision,
        feeWaiver: accepted ? "accepted" : "declined",
        feeWaiverDecidedBy: actor.userId,
        feeWaiverDecidedAt: now,
        ...(owed
          ? {
              cancellationFee: owed.fee,
              feeResidentShare: owed.residentShare,
              feeMunicipalityShare: owed.municipalityShare,
            }
          : {}),
        updatedAt: now,
      },
    });
    if (count !== 1) throw bookingChanged();
    const data = {
      decision: input.decision,
      by: actor.role,
      reasonCode: booking.cancelReason,
      ...(note ? { note } : {}),
      ...(owed
        ? { fee: owed.fee, residentShare: owed.residentShare, municipalityShare: owed.municipalityShare }
        : {}),
    };
    await appendEvents(tx, [
      {
        from: booking.status,
        bookingId: booking.id,
        seq: revision,
        type: accepted ? "fee_waiver_accepted" : "fee_waiver_declined",
        status: "cancelled",
        source: "staff",
        actorId: actor.userId,
        data,
        occurredAt: now,
      },
    ]);
    await audit(
      tx,
      actor,
      ip,
      { action: "booking.fee_waiver", resourceType: "booking", resourceId: booking.id, detail: data },
      now,
    );
    const row = await tx.booking.findUniqueOrThrow({
      where: { id: booking.id },
      include: {
        ...bookingInclude,
        facility: { select: { id: true, name: true, email: true } },
        resident: { select: NOTICE_RESIDENT_SELECT },
      },
    });
    const resident = row.resident && { ...row.resident, language: row.resident.preferredLanguage };
    const messages = feeWaiverNotices(
      accepted,
      {
        ...row,
        cancellation: {
          fee: row.cancellationFee,
          residentShare: row.feeResidentShare,
          municipalityShare: row.feeMunicipalityShare,
        },
      },
      { facility: row.facility, resident },
      note,
    );
    for (const m of messages) await enqueueMessage(tx, m);
    return bookingDto(tx, row);
  }, TX_OPTIONS);
}
