/**
 * The booking ledger's write side. Every change appends one BookingEvent and updates the Booking row (the
 * projection: status, revision = seq of the last event) in the caller's transaction, together, always.
 * `appendEvents` is the one writer of booking events — hub changes, a facility system's bookings applied by a
 * connection, fee-waiver decisions, billing corrections — and checks each against the state machine
 * (`assertStep`); only the hold's first event is written by the one-statement hold itself (hub/bookings/holds.ts),
 * after the same check.
 * The projection update is conditional on the status and revision the caller read, so of two concurrent
 * changes only one commits; the other gets 409 `booking_changed` and changes nothing.
 *
 * The voucher follows the booking in the same transaction: units reserved by a hold are given back when the
 * booking no longer holds its places (rejected, expired, cancelled), and become used when it is redeemed.
 */

import { noteBookingAvailability } from "../connections/availability-changes.js";
import type { BookingSource, BookingStatus, Prisma, Role, ServiceType } from "../db/client.js";
import { problems } from "../errors.js";
import { enqueueMessage, OUTBOX_TOPIC_PUSH } from "../notify/outbox.js";
import { noteFreedPlaces } from "../waitlist/kick.js";
import type { FeeSplit } from "./cancellation.js";
import { bookingNotices, NOTICE_RESIDENT_SELECT } from "./notices.js";
import { assertStep, assertTransition, eventTypeFor, releasesCapacity } from "./state.js";

type Tx = Prisma.TransactionClient;

export type EventMeta = {
  source: BookingSource;
  actorId: string | null;
  data?: Record<string, unknown>;
  externalRef?: string | null;
  externalRevision?: number | null;
  idempotencyKey?: string | null;
  /** The event's type when it is not the status it leads to (e.g. "changed" for a booking replaced by a change). */
  type?: string;
};

/** Projection fields a change sets besides the status (a cancellation's reason, deadline and fee). */
export type ProjectionExtra = Pick<
  Prisma.BookingUpdateManyMutationInput,
  | "cancelReason"
  | "cancelDeadline"
  | "cancellationFee"
  | "feeResidentShare"
  | "feeMunicipalityShare"
  | "feeWaiver"
>;

export const bookingChanged = () =>
  problems.conflict(
    "booking_changed",
    "The booking was changed at the same time by someone else; reload it and try again",
  );

/** An event to append: the status the booking had before it (null for its first) and the event row. */
export type NewEvent = { from: BookingStatus | null } & Omit<Prisma.BookingEventCreateManyInput, "data"> & {
    data?: Record<string, unknown>;
  };

/**
 * Appends events to bookings' histories, each checked against the state machine first (409 `invalid_transition`,
 * nothing written). The caller has updated the projection in the same transaction (revision = the event's seq).
 */
export async function appendEvents(tx: Tx, events: readonly NewEvent[]): Promise<void> {
  for (const e of events) assertStep(e.from, e.status, e.source);
  const rows = events.map(({ from: _, data, ...e }) => ({
    ...e,
    data: (data ?? {}) as Prisma.InputJsonValue,
  }));
  if (rows.length === 1)
    await tx.bookingEvent.create({ data: rows[0] as Prisma.BookingEventUncheckedCreateInput });
  else if (rows.length) await tx.bookingEvent.createMany({ data: rows });
}

/**
 * Moves a booking from the status it was read with to `to`: checks the state machine, updates the
 * projection only if nobody changed it since, appends the event, and gives the slots back when the new
 * status no longer holds capacity. Returns the new revision.
 */
export async function applyTransition(
  tx: Tx,
  booking: {
    id: string;
    status: BookingStatus;
    revision: number;
    serviceType: ServiceType;
    voucherId: string | null;
    units: number;
  },
  to: BookingStatus,
  meta: EventMeta,
  now: Date,
  extra: ProjectionExtra = {},
): Promise<number> {
  assertTransition(booking.status, to);
  const revision = booking.revision + 1;
  const releases = releasesCapacity(booking.status, to);
  const voucher = booking.voucherId && booking.units > 0 ? booking.voucherId : null;
  // The voucher row first: the order a hold locks in (hub/bookings/holds.ts recordHold), so the two never deadlock.
  if (voucher && (releases || to === "used")) {
    await tx.$queryRaw`SELECT 1 FROM voucher WHERE id = ${voucher}::uuid FOR UPDATE`;
  }
  const { count } = await tx.booking.updateMany({
    where: { id: booking.id, status: booking.status, revision: booking.revision },
    data: {
      ...extra,
      status: to,
      revision,
      holdExpiresAt: to === "requested" ? undefined : null,
      updatedAt: now,
    },
  });
  if (count !== 1) throw bookingChanged();
  await appendEvents(tx, [
    {
      from: booking.status,
      bookingId: booking.id,
      seq: revision,
      type: meta.type ?? eventTypeFor(to),
      status: to,
      source: meta.source,
      actorId: meta.actorId,
      externalRef: meta.externalRef ?? null,
      externalRevision: meta.externalRevision ?? null,
      idempotencyKey: meta.idempotencyKey ?? null,
      data: meta.data,
      occurredAt: now,
    },
  ]);
  await pushToFacilitySystem(tx, booking.id, meta.source, now);
  // The places it gives back change the facility's availability: its system hears of that too (same job).
  if (releases) await noteBookingAvailability(tx, booking.id, meta.source, now);
  if (releases) await releaseSlots(tx, booking.id, now);
  if (releases) await noteFreedPlaces(tx, { bookingId: booking.id });
  if (voucher && releases) await releaseUnits(tx, voucher, booking.serviceType, booking.units);
  if (voucher && to === "used") await consumeUnits(tx, voucher, booking.serviceType, booking.units);
  return revision;
}

/**
 * The facility's own system hears of a change to a hub booking at once: a `connections.push` job for the facility's
 * connection, written to the outbox with the change (hub/connections/push.ts sends the booking as it then is; the
 * connector decides whether it pushes at all). Changes that came from that system are not sent back.
 */
export async function pushToFacilitySystem(tx: Tx, bookingId: string, source: BookingSource, now: Date) {
  if (source === "connector") return;
  await tx.$executeRaw`
    INSERT INTO outbox (topic, payload, created_at, available_at)
    SELECT ${OUTBOX_TOPIC_PUSH}, jsonb_build_object('connectionId', c.id::text), ${now}::timestamp, ${now}::timestamp
    FROM booking b JOIN connection c ON c.facility_id = b.facility_id AND c.enabled
    WHERE b.id = ${bookingId}::uuid`;
}

/** A booking that no longer holds its places gives its units back, and no longer counts as a use (減免). */
async function releaseUnits(tx: Tx, voucherId: string, type: ServiceType, units: number): Promise<void> {
  await tx.$executeRaw`
    UPDATE voucher_balance SET reserved = GREATEST(reserved - ${units}, 0)
    WHERE voucher_id = ${voucherId}::uuid AND service_type = ${type}::"ServiceType"`;
  await tx.$executeRaw`UPDATE voucher SET uses_count = GREATEST(uses_count - 1, 0) WHERE id = ${voucherId}::uuid`;
}

/** A redeemed booking's reserved units become used ones. */
async function consumeUnits(tx: Tx, voucherId: string, type: ServiceType, units: number): Promise<void> {
  const n = await tx.$executeRaw`
    UPDATE voucher_balance SET reserved = reserved - ${units}, used = used + ${units}
    WHERE voucher_id = ${voucherId}::uuid AND service_type = ${type}::"ServiceType" AND reserved >= ${units}`;
  if (n !== 1) throw new Error(`voucher ${voucherId} has fewer than ${units} ${type} units reserved`);
}

/**
 * booked − 1 on every slot of the booking, one row at a time in (date, block) order: the order holds and
 * capacity changes lock slots in, so these transactions never deadlock one another.
 */
export async function releaseSlots(tx: Tx, bookingId: string, now: Date): Promise<number> {
  const slots = await tx.$queryRaw<{ id: string }[]>`
    SELECT s.id FROM booking_slot bs JOIN slot s ON s.id = bs.slot_id
    WHERE bs.booking_id = ${bookingId}::uuid ORDER BY s.date, s.time_block`;
  for (const s of slots) {
    await tx.$executeRaw`
      UPDATE slot SET booked = GREATEST(booked - 1, 0), updated_at = ${now}::timestamp WHERE id = ${s.id}::uuid`;
  }
  // The resident may book these places again (one booking per mother per place and time, recordHold).
  await tx.$executeRaw`
    UPDATE booking_slot SET resident_id = NULL WHERE booking_id = ${bookingId}::uuid AND resident_id IS NOT NULL`;
  return slots.length;
}

/**
 * Writes the messages announcing a change to the outbox, in the change's transaction. `cancelDeadline` is stated
 * on a confirmation (the free-cancellation deadline as it stands); a cancellation states its recorded fee.
 */
export async function announce(
  tx: Tx,
  bookingId: string,
  status: BookingStatus,
  by: Role | "system",
  reason?: string,
  opts: { cancelDeadline?: Date | null; claim?: FeeSplit | null } = {},
): Promise<number> {
  const b = await tx.booking.findUniqueOrThrow({
    where: { id: bookingId },
    select: {
      id: true,
      serviceType: true,
      startDate: true,
      endDate: true,
      timeBlock: true,
      units: true,
      residentCopay: true,
      cancelReason: true,
      cancellationFee: true,
      feeResidentShare: true,
      feeMunicipalityShare: true,
      facility: { select: { id: true, name: true, email: true } },
      resident: { select: NOTICE_RESIDENT_SELECT },
    },
  });
  const booking = {
    ...b,
    cancelDeadline: opts.cancelDeadline ?? null,
    cancellation:
      status === "cancelled" && b.cancelReason !== null
        ? {
            fee: b.cancellationFee,
            residentShare: b.feeResidentShare,
            municipalityShare: b.feeMunicipalityShare,
            claim: opts.claim ?? null,
          }
        : null,
  };
  const resident = b.resident && { ...b.resident, language: b.resident.preferredLanguage };
  const messages = bookingNotices(status, by, booking, { facility: b.facility, resident }, reason);
  for (const m of messages) await enqueueMessage(tx, m);
  return messages.length;
}
