/**
 * Offering freed places to the waitlist, and what happens to offers afterwards.
 *
 * offerFreedPlaces (job `waitlist.offer`): for one facility and service, under a transaction-scoped advisory lock
 * on (facility, service) so two workers never offer at once, the first waiting entry in line (rules.compareQueue)
 * that a free place fits (rules.firstFit) gets it: a hold is placed for the resident through the normal hold path
 * (createHold with the resident as the actor: the entitlement check, voucher units reserved, never oversold),
 * marked with the entry, the entry becomes `offered` until its deadline, and the resident is told through the
 * outbox, all in one transaction. When the hold is refused (the voucher no longer covers it, the place went),
 * the next entry is tried. One offer per transaction, so a transaction never locks two residents' vouchers.
 *
 * expireOffers (job `waitlist.expire-offers`): an offer not answered by its deadline is withdrawn (its hold is
 * cancelled free of charge, reason `waitlist_offer_expired`), which frees the place for the next entry; the
 * entry goes back to waiting once (behind the entries of its priority that never had an offer), and ends after a
 * second lapse. An offer whose hold went another way (rejected by the facility, expired, cancelled) is settled
 * the same way, except that a resident who cancelled the hold themselves has left the line.
 *
 * endPastEntries (job `waitlist.end`, daily): waiting entries whose last possible start date has passed end.
 */
import { createHold } from "../bookings/holds.js";
import { announce, applyTransition } from "../bookings/ledger.js";
import type { BookingSource, Prisma, PrismaClient, Role, ServiceType } from "../db/client.js";
import { DomainError } from "../errors.js";
import { parseTimeBlocks } from "../facilities/mapper.js";
import type { Actor } from "../identity/actor.js";
import { addDays, daysBetween, formatDate, parseDate, tokyoToday } from "../inventory/dates.js";
import { TX_OPTIONS } from "../inventory/inventory.js";
import { slotBlocks } from "../inventory/slots.js";
import { enqueueMessage } from "../notify/outbox.js";
import { EXPIRED_REASON_TEXT, offerMessages } from "./messages.js";
import { afterLapse, compareQueue, type FreePlaces, firstFit, offerDeadline, type Place } from "./rules.js";

type Tx = Prisma.TransactionClient;

/** What the waitlist jobs need of the hub. */
export type WaitlistDeps = {
  prisma: PrismaClient;
  now: () => Date;
  config: { WAITLIST_OFFER_MINUTES: number; PUBLIC_URL: string };
};

const NIL_UUID = "00000000-0000-0000-0000-000000000000";
/** The reason codes recorded on a withdrawn offer's hold (Booking.cancelReason); neither costs a fee. */
export const WAITLIST_DECLINED = "waitlist_declined";
export const WAITLIST_OFFER_EXPIRED = "waitlist_offer_expired";
/** At most this many hold attempts per call; whatever is left, the next call or the sweep continues. */
const MAX_ATTEMPTS = 50;

/** The advisory lock that serialises offers for one facility and service. */
async function lockOffers(tx: Tx, facilityId: string, serviceType: ServiceType) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`waitlist:${facilityId}:${serviceType}`}))`;
}

/**
 * Locks an entry's row for the rest of the transaction and returns its status (undefined when there is none).
 * Every change of an entry locks it first, before any voucher or slot (which holds and the ledger lock next).
 */
export async function lockEntry(tx: Tx, entryId: string): Promise<string | undefined> {
  const [row] = await tx.$queryRaw<{ status: string }[]>`
    SELECT status::text AS status FROM waitlist_entry WHERE id = ${entryId}::uuid FOR UPDATE`;
  return row?.status;
}

type Attempt =
  | { outcome: "offered" }
  | { outcome: "none" }
  | { outcome: "refused"; entryId: string; slot: boolean };

/**
 * Offers the free places of one facility and service to the waiting entries, in line order, until no free
 * place fits a waiting entry. Returns how many offers were made.
 */
export async function offerFreedPlaces(
  deps: WaitlistDeps,
  facilityId: string,
  serviceType: ServiceType,
): Promise<{ offered: number }> {
  const skip = new Set<string>();
  let offered = 0;
  let slotRefusals = 0;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const result = await deps.prisma.$transaction(async (tx) => {
      await lockOffers(tx, facilityId, serviceType);
      return offerOne(tx, deps, facilityId, serviceType, skip);
    }, TX_OPTIONS);
    if (result.outcome === "none") break;
    if (result.outcome === "offered") {
      offered++;
      continue;
    }
    // The place went between our reading and the hold: read again, but not forever.
    if (result.slot) {
      if (++slotRefusals >= 3) break;
    } else {
      skip.add(result.entryId);
    }
  }
  return { offered };
}

/** One offer, in the caller's transaction (which holds the advisory lock). */
async function offerOne(
  tx: Tx,
  deps: WaitlistDeps,
  facilityId: string,
  serviceType: ServiceType,
  skip: ReadonlySet<string>,
): Promise<Attempt> {
  const now = deps.now();
  const today = tokyoToday(now);
  const service = await tx.facilityService.findUnique({
    where: { facilityId_serviceType: { facilityId, serviceType } },
    select: { timeBlocks: true, facility: { select: { name: true, published: true } } },
  });
  if (!service?.facility.published) return { outcome: "none" };
  const entries = (
    await tx.waitlistEntry.findMany({
      where: { facilityId, serviceType, status: "waiting", toDate: { gte: today } },
    })
  )
    .filter((e) => !skip.has(e.id))
    .sort(compareQueue);
  if (entries.length === 0) return { outcome: "none" };
  const blocks = slotBlocks(serviceType, parseTimeBlocks(service.timeBlocks));
  const earliest = Math.min(...entries.map((e) => e.fromDate.getTime()));
  const from = new Date(Math.max(earliest, today.getTime()));
  const to = new Date(Math.max(...entries.map((e) => e.toDate.getTime())));
  const free = await freePlaces(tx, facilityId, serviceType, from, to, blocks);
  for (const entry of entries) {
    const place = firstFit(entry, free, blocks, today);
    if (!place) continue;
    // The entry row first (the order every waitlist change locks in), then the hold locks voucher and slots.
    if ((await lockEntry(tx, entry.id)) !== "waiting") {
      return { outcome: "refused", entryId: entry.id, slot: false };
    }
    return placeOffer(tx, deps, entry, place, service.facility.name, now);
  }
  return { outcome: "none" };
}

/** Free places per date and block of one service over from..to, as a hold would see them. */
async function freePlaces(
  tx: Tx,
  facilityId: string,
  serviceType: ServiceType,
  from: Date,
  to: Date,
  blocks: string[],
): Promise<FreePlaces> {
  const days = daysBetween(from, to) + 1;
  const out: FreePlaces = new Map();
  if (days < 1) return out;
  // Dates without a slot row have the service's default capacity, closed where a closure covers them.
  const rows = await tx.$queryRaw<{ day: string; block: string; free: number }[]>`
    SELECT to_char(x.d, 'YYYY-MM-DD') AS day, x.b AS block,
      (CASE WHEN coalesce(s.closed, EXISTS (
          SELECT 1 FROM closure c WHERE c.facility_id = fs.facility_id AND c.date = x.d
            AND (c.service_type IS NULL OR c.service_type = fs.service_type)))
        THEN 0
        ELSE GREATEST(coalesce(s.capacity, fs.capacity) - coalesce(s.booked, 0) - coalesce(s.external, 0), 0)
      END)::int AS free
    FROM facility_service fs
    CROSS JOIN LATERAL (
      SELECT (${formatDate(from)}::date + i) AS d, b
      FROM generate_series(0, ${days - 1}::int) AS i CROSS JOIN unnest(${blocks}::text[]) AS b
    ) x
    LEFT JOIN slot s ON s.facility_id = fs.facility_id AND s.service_type = fs.service_type
      AND s.date = x.d AND s.time_block = x.b
    WHERE fs.facility_id = ${facilityId}::uuid AND fs.service_type = ${serviceType}::"ServiceType"`;
  for (const r of rows) {
    if (r.free <= 0) continue;
    const byBlock = out.get(r.day) ?? new Map<string, number>();
    byBlock.set(r.block, r.free);
    out.set(r.day, byBlock);
  }
  return out;
}

/** The hold for the resident, the entry marked offered, the resident told; or why the hold was refused. */
async function placeOffer(
  tx: Tx,
  deps: WaitlistDeps,
  entry: { id: string; residentId: string; facilityId: string; serviceType: ServiceType; offersMade: number },
  place: Place,
  facilityName: string,
  now: Date,
): Promise<Attempt> {
  const resident = await tx.resident.findUnique({
    where: { id: entry.residentId },
    select: {
      id: true,
      email: true,
      phone: true,
      preferredLanguage: true,
      municipalityCode: true,
      user: { select: { id: true } },
    },
  });
  if (!resident) return { outcome: "refused", entryId: entry.id, slot: false };
  const actor: Actor = {
    userId: resident.user?.id ?? NIL_UUID,
    role: "resident",
    displayName: "",
    municipalityCode: null,
    facilityId: null,
    associationId: null,
    residentId: resident.id,
    sessionId: "",
    verified: true,
    csrfToken: "",
  };
  let booking: Awaited<ReturnType<typeof createHold>>["booking"];
  try {
    // The normal hold path, inside this transaction: it commits with the entry's offer, or not at all.
    ({ booking } = await createHold(
      tx as unknown as PrismaClient,
      actor,
      {
        facilityId: entry.facilityId,
        serviceType: entry.serviceType,
        startDate: place.startDate,
        ...(entry.serviceType === "stay" ? { nights: place.nights } : { timeBlock: place.timeBlock }),
      },
      now,
      // The facility hears of the request once the resident accepts the offer (acceptOffer).
      { notifyFacility: false },
    ));
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    const slot = err.code === "slot_full" || err.code === "slot_closed";
    return { outcome: "refused", entryId: entry.id, slot };
  }
  const holdExpiresAt = booking.holdExpiresAt ? new Date(booking.holdExpiresAt) : null;
  const expiresAt = offerDeadline(now, deps.config.WAITLIST_OFFER_MINUTES, holdExpiresAt);
  await tx.$executeRaw`UPDATE booking SET waitlist_entry_id = ${entry.id}::uuid WHERE id = ${booking.id}::uuid`;
  await tx.waitlistEntry.update({
    where: { id: entry.id },
    data: {
      status: "offered",
      offerBookingId: booking.id,
      offerExpiresAt: expiresAt,
      offersMade: entry.offersMade + 1,
      updatedAt: now,
    },
  });
  const start = parseDate(booking.startDate) ?? new Date(booking.startDate);
  const end = parseDate(booking.endDate) ?? addDays(start, place.nights);
  const messages = offerMessages(
    { ...resident, residentId: resident.id, facilityId: entry.facilityId },
    {
      facilityName,
      serviceType: entry.serviceType,
      startDate: start,
      endDate: end,
      timeBlock: booking.timeBlock,
      expiresAt,
      link: `${deps.config.PUBLIC_URL}my/waitlist`,
    },
  );
  for (const m of messages) await enqueueMessage(tx, m);
  return { outcome: "offered" };
}

/**
 * Every facility and service with someone waiting: offers whatever fits. The catch-all behind the fast path
 * (hub/waitlist/kick.ts): a place freed by a process that died before queueing, a capacity raised through the
 * service defaults or a reopened day, a slot released by a facility's own system.
 */
export async function sweepWaitlist(deps: WaitlistDeps): Promise<{ groups: number; offered: number }> {
  const today = tokyoToday(deps.now());
  const groups = await deps.prisma.waitlistEntry.findMany({
    where: { status: "waiting", toDate: { gte: today } },
    distinct: ["facilityId", "serviceType"],
    select: { facilityId: true, serviceType: true },
  });
  let offered = 0;
  for (const g of groups) offered += (await offerFreedPlaces(deps, g.facilityId, g.serviceType)).offered;
  return { groups: groups.length, offered };
}

/**
 * Cancels the hold of a withdrawn offer, free of charge, through the ledger (which gives the places and units
 * back and lets the waitlist know), recording the reason code and telling the facility (and the resident, when
 * it was not them). False when the hold no longer holds anything.
 */
export async function withdrawOfferHold(
  tx: Tx,
  bookingId: string,
  reasonCode: string,
  reasonText: string,
  by: { role: Role | "system"; userId: string | null },
  now: Date,
): Promise<boolean> {
  const b = await tx.booking.findUnique({ where: { id: bookingId } });
  if (!b || (b.status !== "requested" && b.status !== "confirmed")) return false;
  const source: BookingSource = by.role === "system" ? "system" : by.role === "resident" ? "portal" : "staff";
  await applyTransition(
    tx,
    b,
    "cancelled",
    { source, actorId: by.userId, data: { reason: reasonCode, by: by.role } },
    now,
    { cancelReason: reasonCode, cancellationFee: 0, feeResidentShare: 0, feeMunicipalityShare: 0 },
  );
  await announce(tx, bookingId, "cancelled", by.role, reasonText);
  return true;
}

/** Offers past their deadline, or whose hold went another way, settled one by one. */
export async function expireOffers(deps: WaitlistDeps, now = deps.now()): Promise<{ lapsed: number }> {
  const due = await deps.prisma.$queryRaw<{ id: string }[]>`
    SELECT e.id FROM waitlist_entry e LEFT JOIN booking b ON b.id = e.offer_booking_id
    WHERE e.status = 'offered'
      AND (e.offer_expires_at <= ${now}::timestamp OR b.id IS NULL OR b.status NOT IN ('requested', 'confirmed'))
    ORDER BY e.offer_expires_at NULLS FIRST, e.id
    LIMIT 500`;
  let lapsed = 0;
  for (const { id } of due) {
    const done = await deps.prisma.$transaction((tx) => settleOffer(tx, id, now), TX_OPTIONS);
    if (done) lapsed++;
  }
  return { lapsed };
}

/** One offer that lapsed or whose hold went another way; false when it turned out to stand after all. */
async function settleOffer(tx: Tx, entryId: string, now: Date): Promise<boolean> {
  await lockEntry(tx, entryId);
  const e = await tx.waitlistEntry.findUnique({ where: { id: entryId } });
  if (e?.status !== "offered") return false;
  const booking = e.offerBookingId
    ? await tx.booking.findUnique({ where: { id: e.offerBookingId }, select: { status: true } })
    : null;
  const open = booking?.status === "requested" || booking?.status === "confirmed";
  const expired = !e.offerExpiresAt || e.offerExpiresAt.getTime() <= now.getTime();
  if (open && !expired) return false;
  let next: "waiting" | "ended" | "cancelled" = afterLapse(e.offersMade);
  if (open && e.offerBookingId) {
    await withdrawOfferHold(
      tx,
      e.offerBookingId,
      WAITLIST_OFFER_EXPIRED,
      EXPIRED_REASON_TEXT,
      { role: "system", userId: null },
      now,
    );
  } else if (booking?.status === "cancelled" && e.offerBookingId) {
    // Cancelled by the resident (or their municipality) themselves: they have left the line.
    const cancelled = await tx.bookingEvent.findFirst({
      where: { bookingId: e.offerBookingId, status: "cancelled" },
      select: { data: true },
    });
    const by = (cancelled?.data as { by?: string } | null)?.by;
    if (by === "resident" || by === "municipality") next = "cancelled";
  }
  await tx.waitlistEntry.update({
    where: { id: entryId },
    data:
      next === "waiting"
        ? { status: "waiting", offerBookingId: null, offerExpiresAt: null, updatedAt: now }
        : { status: next, updatedAt: now },
  });
  return true;
}

/** Waiting entries whose last possible start date (rules.lastStart) is before today end. */
export async function endPastEntries(prisma: PrismaClient, now: Date): Promise<{ ended: number }> {
  const today = formatDate(tokyoToday(now));
  const ended = await prisma.$executeRaw`
    UPDATE waitlist_entry SET status = 'ended', updated_at = ${now}::timestamp
    WHERE status = 'waiting'
      AND (CASE WHEN service_type = 'stay' THEN to_date - (GREATEST(nights, 1) - 1) ELSE to_date END) < ${today}::date`;
  return { ended };
}

/**
 * The `waitlist.offer` job: offers the places freed for a facility and service (queued from the outbox after the
 * change that freed them committed); with no facility, sweeps them all.
 */
export async function runOfferJob(
  deps: WaitlistDeps,
  payload: { facilityId?: string; serviceType?: ServiceType },
): Promise<void> {
  if (payload.facilityId && payload.serviceType) {
    await offerFreedPlaces(deps, payload.facilityId, payload.serviceType);
  } else {
    await sweepWaitlist(deps);
  }
}
