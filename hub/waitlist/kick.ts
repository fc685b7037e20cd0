/**
 * Telling the waitlist that places came free, fast and without ever failing the change that freed them.
 *
 * The freed places themselves are the durable record: the change that frees them (a cancellation, rejection or
 * expiry in hub/bookings/ledger.ts, a capacity raised in hub/inventory/inventory.ts) writes the slot rows in its
 * own transaction, and the periodic sweep (`waitlist.offer` with no facility, every minute) offers any free
 * place that fits a waiting entry. So nothing is lost if a process dies right after the commit.
 *
 * For speed, `noteFreedPlaces` also queues a `waitlist.offer` job for the facility and service at once, naming
 * the transaction (txid_current()). The job waits until that transaction has committed (txid_status), then
 * offers; if it rolled back, the job does nothing. Queueing is fire-and-forget: a Redis outage never fails the
 * cancellation, it only leaves the work to the sweep.
 *
 * The queues are the process's own, registered when they are made (jobs/index.ts createQueue), because the
 * ledger and the inventory see only a transaction, not the hub.
 */
import type { JobQueue } from "../../jobs/queue.js";
import type { Prisma, PrismaClient, ServiceType } from "../db/client.js";

type Tx = Prisma.TransactionClient;

const queues = new Set<JobQueue>();

/** Makes a queue receive the process's `waitlist.offer` kicks (once per queue; returns how to stop). */
export function registerWaitlistQueue(queue: JobQueue): () => void {
  queues.add(queue);
  return () => queues.delete(queue);
}

/** Which places came free: those a booking held, or a facility's service (capacity raised, a slot released). */
export type FreedPlaces = { bookingId: string } | { facilityId: string; serviceType: ServiceType };

/**
 * Called inside the transaction that frees places. Costs one small query when a queue is registered, nothing
 * otherwise; never throws for the queue's sake.
 */
export async function noteFreedPlaces(tx: Tx, freed: FreedPlaces): Promise<void> {
  if (queues.size === 0) return;
  const [row] =
    "bookingId" in freed
      ? await tx.$queryRaw<{ txid: string; facility_id: string; service_type: ServiceType }[]>`
          SELECT txid_current()::text AS txid, facility_id::text, service_type::text AS service_type
          FROM booking WHERE id = ${freed.bookingId}::uuid`
      : await tx.$queryRaw<{ txid: string; facility_id: string; service_type: ServiceType }[]>`
          SELECT txid_current()::text AS txid, ${freed.facilityId}::text AS facility_id,
            ${freed.serviceType}::text AS service_type`;
  if (!row) return;
  kickOffers({ facilityId: row.facility_id, serviceType: row.service_type, txid: row.txid });
}

/** Queues a `waitlist.offer` job on every registered queue, without waiting and without failing. */
export function kickOffers(payload: { facilityId: string; serviceType: ServiceType; txid?: string }): void {
  for (const q of queues) void q.add("waitlist.offer", payload).catch(() => {});
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until the transaction `txid` has ended: true once it committed (or is too old to tell, which means
 * it ended long ago), false when it rolled back, or when it is not this database's (an unknown or future id),
 * or still running after `timeoutMs` (longer than any transaction may last).
 */
export async function waitForCommit(
  prisma: PrismaClient,
  txid: string,
  timeoutMs = 30_000,
): Promise<boolean> {
  if (!/^\d{1,20}$/.test(txid)) return false;
  const until = Date.now() + timeoutMs;
  for (let pause = 5; ; pause = Math.min(pause * 2, 200)) {
    let status: string | null;
    try {
      const [row] = await prisma.$queryRaw<{ status: string | null }[]>`
        SELECT txid_status(${txid}::bigint) AS status`;
      status = row?.status ?? null;
    } catch {
      return false;
    }
    if (status === null || status === "committed") return true;
    if (status === "aborted") return false;
    if (Date.now() >= until) return false;
    await sleep(pause);
  }
}
