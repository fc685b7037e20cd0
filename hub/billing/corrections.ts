/**
 * 過誤 corrections of redeemed bookings (issue 15, part 4). A used booking cannot be cancelled, so a mistaken
 * redemption or wrong amounts are corrected here, the way Japanese claims are: 取消 (void: the use is not billed)
 * or 修正 (amend: the units, fee and copay it should have had), always with a reason.
 * - The facility asks; the booking's municipality confirms (or declines) it.
 * - The association (of the booking's facility) corrects directly: confirmed at once.
 * Confirmed, it is what billing bills for the booking (hub/billing/engine.ts): a month not yet finalized simply
 * bills the corrected amounts, a finalized one gets an adjustment line in the next draft naming the invoice and
 * line it corrects, with 訂正前 and 訂正後. A 取消 gives the voucher its units back. Every step is audited and
 * appended to the booking's history.
 */
import { audit } from "../audit/audit.js";
import { appendEvents } from "../bookings/ledger.js";
import type { Prisma, PrismaClient } from "../db/client.js";
import { problems } from "../errors.js";
import type { Actor } from "../identity/actor.js";

type Tx = Prisma.TransactionClient;

export type CorrectionInput =
  | { kind: "void"; reason: string }
  | { kind: "amend"; reason: string; units: number; fee: number; residentCopay: number };

export type CorrectionDto = {
  id: string;
  bookingId: string;
  kind: "void" | "amend";
  reason: string;
  units: number | null;
  fee: number | null;
  residentCopay: number | null;
  status: "pending" | "confirmed" | "declined";
  requestedRole: string;
  requestedAt: string;
  decidedAt: string | null;
};

const toDto = (c: Prisma.BookingCorrectionGetPayload<object>): CorrectionDto => ({
  id: c.id,
  bookingId: c.bookingId,
  kind: c.kind as CorrectionDto["kind"],
  reason: c.reason,
  units: c.units,
  fee: c.fee,
  residentCopay: c.residentCopay,
  status: c.status as CorrectionDto["status"],
  requestedRole: c.requestedRole,
  requestedAt: c.requestedAt.toISOString(),
  decidedAt: c.decidedAt?.toISOString() ?? null,
});

const bookingSelect = {
  id: true,
  status: true,
  revision: true,
  facilityId: true,
  serviceType: true,
  units: true,
  voucherId: true,
  facility: { select: { associationId: true } },
  resident: { select: { municipalityCode: true } },
  voucher: { select: { municipalityCode: true } },
} as const;

type BookingRow = Prisma.BookingGetPayload<{ select: typeof bookingSelect }>;

const municipalityOf = (b: BookingRow) => b.voucher?.municipalityCode ?? b.resident?.municipalityCode ?? null;

/** 404 unless the actor may correct (facility, association) or decide (municipality) this booking. */
function assertScope(actor: Actor, b: BookingRow | null, as: "request" | "decide"): asserts b is BookingRow {
  const ok =
    !!b &&
    (as === "request"
      ? (actor.role === "facility" && actor.facilityId === b.facilityId) ||
        (actor.role === "association" && actor.associationId === b.facility.associationId)
      : actor.role === "municipality" && actor.municipalityCode === municipalityOf(b));
  if (!ok) throw problems.notFound("booking");
}

async function event(
  tx: Tx,
  b: BookingRow,
  actor: Actor,
  type: string,
  data: Record<string, unknown>,
  now: Date,
) {
  // The booking's history records the correction; its status (used/reported) stays what happened.
  const revision = b.revision + 1;
  const { count } = await tx.booking.updateMany({
    where: { id: b.id, revision: b.revision },
    data: { revision, updatedAt: now },
  });
  if (count !== 1) throw problems.conflict("booking_changed", "The booking changed meanwhile; reload it");
  await appendEvents(tx, [
    {
      from: b.status,
      bookingId: b.id,
      seq: revision,
      type,
      status: b.status,
      source: "staff",
      actorId: actor.userId,
      data,
      occurredAt: now,
    },
  ]);
}

/** A 取消 gives the voucher its units back (the use did not happen); a 修正 of units moves the difference. */
async function applyToVoucher(tx: Tx, b: BookingRow, c: CorrectionInput) {
  if (!b.voucherId) return;
  const back = c.kind === "void" ? b.units : b.units - c.units;
  if (back === 0) return;
  await tx.$executeRaw`
    UPDATE voucher_balance SET used = GREATEST(used - ${back}, 0)
    WHERE voucher_id = ${b.voucherId}::uuid AND service_type = ${b.serviceType}::"ServiceType"`;
  if (c.kind === "void") {
    await tx.$executeRaw`UPDATE voucher SET uses_count = GREATEST(uses_count - 1, 0) WHERE id = ${b.voucherId}::uuid`;
  }
}

const asInput = (c: Prisma.BookingCorrectionGetPayload<object>): CorrectionInput =>
  c.kind === "void"
    ? { kind: "void", reason: c.reason }
    : {
        kind: "amend",
        reason: c.reason,
        units: c.units ?? 0,
        fee: c.fee ?? 0,
        residentCopay: c.residentCopay ?? 0,
      };

/**
 * Asks for (facility) or makes (association) a correction of a redeemed booking. 409 `not_used` for a booking not
 * redeemed, `correction_pending` while another awaits the municipality, 422 `invalid_correction` for a copay
 * above the fee.
 */
export async function requestCorrection(
  prisma: PrismaClient,
  actor: Actor,
  ip: string,
  bookingId: string,
  input: CorrectionInput,
  now: Date,
): Promise<CorrectionDto> {
  if (input.kind === "amend" && input.residentCopay > input.fee) {
    throw problems.unprocessable("invalid_correction", "The copay cannot be more than the fee", [
      { path: "residentCopay", message: "at most the fee" },
    ]);
  }
  const reason = input.reason.trim();
  if (!reason) {
    throw problems.unprocessable("invalid_correction", "Give the reason for the correction", [
      { path: "reason", message: "required" },
    ]);
  }
  return prisma.$transaction(async (tx) => {
    const b = await tx.booking.findUnique({ where: { id: bookingId }, select: bookingSelect });
    assertScope(actor, b, "request");
    if (b.status !== "used" && b.status !== "reported") {
      throw problems.conflict("not_used", "Only a redeemed booking is corrected this way; cancel the others");
    }
    const pending = await tx.bookingCorrection.count({ where: { bookingId, status: "pending" } });
    if (pending)
      throw problems.conflict("correction_pending", "A correction of this booking awaits the municipality");
    const direct = actor.role === "association";
    const c = await tx.bookingCorrection.create({
      data: {
        bookingId,
        kind: input.kind,
        reason,
        units: input.kind === "amend" ? input.units : null,
        fee: input.kind === "amend" ? input.fee : null,
        residentCopay: input.kind === "amend" ? input.residentCopay : null,
        status: direct ? "confirmed" : "pending",
        requestedBy: actor.userId,
        requestedRole: actor.role,
        requestedAt: now,
        decidedBy: direct ? actor.userId : null,
        decidedAt: direct ? now : null,
      },
    });
    await event(
      tx,
      b,
      actor,
      direct ? "correction_confirmed" : "correction_requested",
      { correctionId: c.id, ...input, reason },
      now,
    );
    if (direct) await applyToVoucher(tx, b, { ...input, reason });
    await audit(
      tx,
      actor,
      ip,
      {
        action: direct ? "booking.correction.confirm" : "booking.correction.request",
        resourceType: "booking",
        resourceId: bookingId,
        detail: { correctionId: c.id, kind: input.kind, reason, before: { units: b.units }, after: input },
      },
      now,
    );
    return toDto(c);
  });
}

/** The booking's municipality confirms or declines a facility's correction. */
export async function decideCorrection(
  prisma: PrismaClient,
  actor: Actor,
  ip: string,
  correctionId: string,
  decision: "confirm" | "decline",
  now: Date,
): Promise<CorrectionDto> {
  return prisma.$transaction(async (tx) => {
    const c = await tx.bookingCorrection.findUnique({ where: { id: correctionId } });
    if (!c) throw problems.notFound("correction");
    const b = await tx.booking.findUnique({ where: { id: c.bookingId }, select: bookingSelect });
    assertScope(actor, b, "decide");
    if (c.status !== "pending")
      throw problems.conflict("already_decided", "This correction was already decided");
    const status = decision === "confirm" ? "confirmed" : "declined";
    const { count } = await tx.bookingCorrection.updateMany({
      where: { id: c.id, status: "pending" },
      data: { status, decidedBy: actor.userId, decidedAt: now },
    });
    if (count !== 1) throw problems.conflict("already_decided", "This correction was already decided");
    await event(tx, b, actor, `correction_${status}`, { correctionId: c.id }, now);
    if (status === "confirmed") await applyToVoucher(tx, b, asInput(c));
    await audit(
      tx,
      actor,
      ip,
      {
        action: `booking.correction.${decision}`,
        resourceType: "booking",
        resourceId: b.id,
        detail: { correctionId: c.id },
      },
      now,
    );
    return toDto({ ...c, status, decidedBy: actor.userId, decidedAt: now });
  });
}

/** A booking's corrections, newest first (the staff who may request or decide them). */
export async function listCorrections(
  prisma: PrismaClient,
  actor: Actor,
  bookingId: string,
): Promise<CorrectionDto[]> {
  const b = await prisma.booking.findUnique({ where: { id: bookingId }, select: bookingSelect });
  try {
    assertScope(actor, b, "request");
  } catch {
    assertScope(actor, b, "decide");
  }
  const cs = await prisma.bookingCorrection.findMany({
    where: { bookingId },
    orderBy: { requestedAt: "desc" },
  });
  return cs.map(toDto);
}

/** A correction with what staff need to recognise its booking in a list. */
export type CorrectionListItem = CorrectionDto & {
  booking: {
    serviceType: string;
    startDate: string;
    units: number;
    fee: number;
    residentCopay: number;
    facilityName: string;
    municipalityCode: string | null;
  };
};

/**
 * The corrections in the actor's scope, newest first, optionally of one status: a facility's own bookings, the
 * association's facilities' bookings, the municipality's residents' bookings (its pending requests to decide).
 * Other roles see none (the route admits only these three).
 */
export async function listCorrectionsInScope(
  prisma: PrismaClient,
  actor: Actor,
  filter: { status?: CorrectionDto["status"] },
): Promise<CorrectionListItem[]> {
  const scope: Prisma.BookingWhereInput | null =
    actor.role === "facility" && actor.facilityId
      ? { facilityId: actor.facilityId }
      : actor.role === "association" && actor.associationId
        ? { facility: { associationId: actor.associationId } }
        : actor.role === "municipality" && actor.municipalityCode
          ? {
              OR: [
                { voucher: { municipalityCode: actor.municipalityCode } },
                { voucherId: null, resident: { municipalityCode: actor.municipalityCode } },
              ],
            }
          : null;
  if (!scope) return [];
  const rows = await prisma.bookingCorrection.findMany({
    where: { booking: scope, ...(filter.status ? { status: filter.status } : {}) },
    orderBy: [{ requestedAt: "desc" }, { id: "asc" }],
    take: 500,
    include: {
      booking: {
        select: {
          serviceType: true,
          startDate: true,
          units: true,
          fee: true,
          residentCopay: true,
          facility: { select: { name: true } },
          resident: { select: { municipalityCode: true } },
          voucher: { select: { municipalityCode: true } },
        },
      },
    },
  });
  return rows.map(({ booking: b, ...c }) => ({
    ...toDto(c),
    booking: {
      serviceType: b.serviceType,
      startDate: b.startDate.toISOString().slice(0, 10),
      units: b.units,
      fee: b.fee,
      residentCopay: b.residentCopay,
      facilityName: b.facility.name,
      municipalityCode: b.voucher?.municipalityCode ?? b.resident?.municipalityCode ?? null,
    },
  }));
}
