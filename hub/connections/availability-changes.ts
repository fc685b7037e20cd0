/**
 * Days whose availability the hub changed, noted for the facility's system (the write side of the availability
 * push, hub/connections/availability-push.ts): a hub booking taking or giving back places, a closure, a capacity
 * change. Written in the change's own transaction, with a `connections.push` job in the outbox, so the facility's
 * system hears of it within a second of the commit, and only if the change committed. Rows are only inserted (no
 * row is updated), so concurrent bookings of one facility never wait on each other here; the push takes them all.
 *
 * Only for a connection that sends to the facility's API (enabled, with an `apiBaseUrl`: see push.ts pushesTo);
 * changes that came from the facility's own system are not sent back to it.
 */
import type { Prisma, ServiceType } from "../db/client.js";
import { OUTBOX_TOPIC_PUSH } from "../notify/outbox.js";

type Tx = Prisma.TransactionClient;

/**
 * Notes the days of a facility whose availability changed; with `job`, also asks for the push (callers whose
 * change already queued a booking push for the connection, hub/bookings/ledger.ts, leave it out).
 */
export async function noteAvailability(
  tx: Tx,
  facilityId: string,
  days: readonly { serviceType: ServiceType; date: string }[],
  now: Date,
  opts: { job: boolean },
): Promise<void> {
  if (!days.length) return;
  const inserted = await tx.$queryRaw<{ id: string }[]>`
    INSERT INTO connector_availability_change (connection_id, service_type, date, created_at)
    SELECT c.id, d.service_type::"ServiceType", d.date::date, ${now}::timestamp
    FROM connection c
    CROSS JOIN unnest(${days.map((d) => d.serviceType)}::text[], ${days.map((d) => d.date)}::text[])
      AS d (service_type, date)
    WHERE c.facility_id = ${facilityId}::uuid AND c.enabled AND coalesce(c.config->>'apiBaseUrl', '') <> ''
    RETURNING connection_id::text AS id`;
  if (!opts.job) return;
  for (const id of new Set(inserted.map((r) => r.id))) {
    await tx.outboxMessage.create({
      data: { topic: OUTBOX_TOPIC_PUSH, payload: { connectionId: id }, createdAt: now, availableAt: now },
    });
  }
}

/** Notes the days of a hub booking's places (before it gives them back); nothing for the facility system's own. */
export async function noteBookingAvailability(
  tx: Tx,
  bookingId: string,
  source: string,
  now: Date,
): Promise<void> {
  if (source === "connector") return;
  await tx.$executeRaw`
    INSERT INTO connector_availability_change (connection_id, service_type, date, created_at)
    SELECT DISTINCT c.id, s.service_type, s.date, ${now}::timestamp
    FROM booking_slot bs JOIN slot s ON s.id = bs.slot_id JOIN booking b ON b.id = bs.booking_id
    JOIN connection c ON c.facility_id = s.facility_id
    WHERE bs.booking_id = ${bookingId}::uuid AND b.source <> 'connector'
      AND c.enabled AND coalesce(c.config->>'apiBaseUrl', '') <> ''`;
}
