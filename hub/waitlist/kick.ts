/**
 * Telling the waitlist that places came free, without ever failing the change that freed them.
 *
 * The change that frees places (a cancellation, rejection or expiry in hub/bookings/ledger.ts, a capacity raised in
 * hub/inventory/inventory.ts, a facility system's cancellation in hub/connections/apply.ts) writes a `waitlist.offer`
 * job for the facility and service to the outbox in its own transaction: it runs only if the change committed, and
 * even if the job store was down at the time (the outbox keeps it until the queue takes it). The minute's sweep
 * (`waitlist.offer` with no facility) stays as the net for places freed behind the hub's back.
 */
import type { Prisma, ServiceType } from "../db/client.js";
import { enqueueJob } from "../notify/outbox.js";

type Tx = Prisma.TransactionClient;

/** Which places came free: those a booking held, or a facility's service (capacity raised, a slot released). */
export type FreedPlaces = { bookingId: string } | { facilityId: string; serviceType: ServiceType };

/** Called inside the transaction that frees places. */
export async function noteFreedPlaces(tx: Tx, freed: FreedPlaces): Promise<void> {
  if ("facilityId" in freed) {
    await enqueueJob(tx, "waitlist.offer", { facilityId: freed.facilityId, serviceType: freed.serviceType });
    return;
  }
  const booking = await tx.booking.findUnique({
    where: { id: freed.bookingId },
    select: { facilityId: true, serviceType: true },
  });
  if (booking) await enqueueJob(tx, "waitlist.offer", booking);
}
