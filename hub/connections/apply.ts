/**
 * Applying what a connector returned to the one booking ledger, in one transaction per batch (a webhook
 * delivery, a slice of a pull, an uploaded file): all of it or, on an error, none of it. A large pull is applied
 * as several batches by hub/connections/sync.ts, each keeping the pull's progress in its own transaction.
 *
 * - A booking from a facility's system is a Booking row with source `connector` and the system's id as
 *   `externalRef`; every change appends a BookingEvent with the external revision and an idempotency key
 *   (connection + id + revision), so the same change arriving twice is applied once, and a revision not newer
 *   than the last applied one (out of order) changes nothing.
 * - Its places count in `slot.booked` like the hub's own bookings. A booking on places the hub has already filled
 *   is still recorded (the facility really has it) and goes to the review queue (SyncConflict `oversold`): never
 *   dropped, never cancelled by the hub.
 * - Availability sets a day's capacity (and places taken by bookings the system does not list one by one). Updates
 *   of one day and time block are ordered by their `revision`, else their `occurredAt` (merge.ts availabilityStep):
 *   one older than the update already applied to the slot changes nothing and is reported as skipped (`stale`).
 * - Places freed by a cancellation, a move or more capacity go to the waitlist (noteFreedPlaces).
 * - After a complete pull (a calendar feed), a booking from this connection that is missing from the feed goes
 *   to review (`missing_in_feed`) instead of being deleted.
 *
 * Slots are locked once per batch, all of them, in (date, block, service) order: the order holds take them in,
 * so a batch never deadlocks with the hub's own bookings.
 *
 * New bookings (most of a first sync) are written together: their rows, first events and places are collected
 * and inserted a statement per table (flush), before anything else is written, so the batch's writes keep their
 * order. A statement per booking made a first sync of thousands of events take minutes.
 */
import { randomUUID } from "node:crypto";
import type {
  ExternalAvailability,
  ExternalBooking,
  ExternalChange,
  ServiceType,
} from "../../connectors/contract.js";
import { FACILITY_CAUSED } from "../bookings/cancellation.js";
import { announce, appendEvents, applyTransition, type NewEvent } from "../bookings/ledger.js";
import { cancellationTerms } from "../bookings/terms.js";
import { type BookingStatus, Prisma, type PrismaClient } from "../db/client.js";
import { parseTimeBlocks } from "../facilities/mapper.js";
import { formatDate, parseDate } from "../inventory/dates.js";
import { ensureSlots, TX_OPTIONS } from "../inventory/inventory.js";
import type { TimeBlock } from "../inventory/slots.js";
import { noteFreedPlaces } from "../waitlist/kick.js";
import { availabilityStep, type Known, type Places, placesOf, stepFor } from "./merge.js";

type Tx = Prisma.TransactionClient;

export type ConnectionRef = { id: string; facilityId: string };

export type ApplyResult = {
  applied: number;
  /** Duplicates and out-of-order revisions. */
  ignored: number;
  /** Conflicts opened for review by this batch. */
  conflicts: number;
  /**
   * Availability updates older than the one already applied to their day and time block, left out (present only
   * when there are some): shown with the connection's skipped items under the reason `stale`.
   */
  stale?: StaleItem[];
};

/**
 * An availability update left out because a newer one was applied already (a SkippedReport item): its day, its
 * service type (and time block: "day/am") as `property`, and what made it older.
 */
export type StaleItem = {
  reason: "stale";
  date: string;
  property: string;
  problem: "older_revision" | "older_time";
};

export type ApplyOptions = {
  /** The batch is everything the system has for `window`: what the hub has from it there and did not see goes to review. */
  complete?: { from: string; to: string };
  /**
   * With `complete`, when the batch is the last slice of a pull applied in several: the external ids of the whole
   * pull (the earlier slices' too), so only what the pull did not mention goes to review.
   */
  mentioned?: ReadonlySet<string>;
  /** With `complete`: ids of items the source still has but could not be read (PullResult.unreadable). */
  unreadable?: readonly string[];
  /** Kept in the batch's transaction: where a pull applied in slices stands after this one (null: done). */
  progress?: { value: ApplyProgress | null; state?: Record<string, unknown> | null };
};

/** How far a pull applied in slices got (connection.apply_progress). */
export type ApplyProgress = { digest: string; done: number; total: number };

/** A SyncConflict kind. */
export type ConflictKind = "oversold" | "missing_in_feed" | "capacity_below_bookings" | "invalid_change";

const slotKey = (serviceType: string, date: string, block: string) => `${serviceType}|${date}|${block}`;

type SlotRow = {
  id: string;
  capacity: number;
  booked: number;
  external: number;
  closed: boolean;
  /** The order key of the last availability update applied (merge.ts availabilityStep). */
  externalRevision: number | null;
  externalAt: Date | null;
};

/** Applies one batch of changes, all or nothing. Retried on a deadlock (which then rolled everything back). */
export async function applyChanges(
  prisma: PrismaClient,
  conn: ConnectionRef,
  changes: readonly ExternalChange[],
  now: Date,
  opts: ApplyOptions = {},
): Promise<ApplyResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await prisma.$transaction((tx) => applyInTx(tx, conn, changes, now, opts), TX_OPTIONS);
    } catch (err) {
      if (attempt >= 3 || !isDeadlock(err)) throw err;
    }
  }
}

function isDeadlock(err: unknown): boolean {
  const text = String((err as { message?: string })?.message ?? err);
  return text.includes("40P01") || text.includes("deadlock detected");
}

/** applyChanges inside the caller's transaction (for callers that write more in the same one). */
export async function applyInTx(
  tx: Tx,
  conn: ConnectionRef,
  changes: readonly ExternalChange[],
  now: Date,
  opts: ApplyOptions = {},
): Promise<ApplyResult> {
  // One batch per facility at a time: two deliveries of the same booking never interleave.
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`connector:${conn.facilityId}`}))`;
  const services = await servicesOf(tx, conn.facilityId);
  const bookings = changes.filter((c): c is ExternalBooking => c.kind === "booking");
  const known = await knownBookings(
    tx,
    conn.facilityId,
    bookings.map((b) => b.externalId),
  );
  const slots = await lockSlots(tx, conn.facilityId, changes, known, services, now);
  const result: ApplyResult = { applied: 0, ignored: 0, conflicts: 0 };
  const freed = new Set<ServiceType>();
  const ctx: Ctx = { tx, conn, now, services, slots, known, result, freed, pending: emptyPending() };

  for (const change of changes) {
    if (change.kind === "availability") await applyAvailability(ctx, change);
    else await applyBooking(ctx, change);
  }
  await flush(ctx);
  if (opts.complete) {
    await reviewMissing(
      ctx,
      opts.mentioned ?? new Set(bookings.map((b) => b.externalId)),
      opts.complete,
      opts.unreadable ?? [],
    );
  }
  for (const serviceType of freed) await noteFreedPlaces(tx, { facilityId: conn.facilityId, serviceType });
  const progress = opts.progress;
  await tx.connection.updateMany({
    where: { id: conn.id },
    data: {
      lastSyncAt: now,
      ...(progress
        ? {
            applyProgress: progress.value ?? Prisma.DbNull,
            ...(progress.state !== undefined
              ? { applyState: (progress.state ?? Prisma.DbNull) as Prisma.InputJsonValue }
              : {}),
          }
        : {}),
    },
  });
  return result;
}

type KnownBooking = Known & {
  id: string;
  revision: number;
  startDate: Date;
  endDate: Date;
};

type Ctx = {
  tx: Tx;
  conn: ConnectionRef;
  now: Date;
  services: Map<ServiceType, TimeBlock[]>;
  slots: Map<string, SlotRow>;
  known: Map<string, KnownBooking>;
  result: ApplyResult;
  freed: Set<ServiceType>;
  /** New bookings not written yet (flush). */
  pending: Pending;
};

type Pending = {
  bookings: Prisma.BookingCreateManyInput[];
  events: NewEvent[];
  places: { bookingId: string; slotId: string }[];
  /** Places taken per slot id. */
  taken: Map<string, number>;
};

const emptyPending = (): Pending => ({ bookings: [], events: [], places: [], taken: new Map() });

/** Writes the new bookings collected so far: a statement per table. */
async function flush(ctx: Ctx): Promise<void> {
  const p = ctx.pending;
  if (!p.bookings.length && !p.taken.size) return;
  ctx.pending = emptyPending();
  if (p.bookings.length) await ctx.tx.booking.createMany({ data: p.bookings });
  await appendEvents(ctx.tx, p.events);
  if (p.places.length) await ctx.tx.bookingSlot.createMany({ data: p.places });
  if (p.taken.size) {
    await ctx.tx.$executeRaw`
      UPDATE slot SET booked = slot.booked + t.n, updated_at = ${ctx.now}::timestamp
      FROM (SELECT unnest(${[...p.taken.keys()]}::uuid[]) AS id, unnest(${[...p.taken.values()]}::int[]) AS n) t
      WHERE slot.id = t.id`;
  }
}

async function servicesOf(tx: Tx, facilityId: string): Promise<Map<ServiceType, TimeBlock[]>> {
  const rows = await tx.facilityService.findMany({ where: { facilityId } });
  return new Map(rows.map((r) => [r.serviceType, parseTimeBlocks(r.timeBlocks)]));
}

/** The bookings the hub already has for these external ids, with their places and last external revision. */
async function knownBookings(tx: Tx, facilityId: string, refs: string[]): Promise<Map<string, KnownBooking>> {
  if (!refs.length) return new Map();
  const rows = await tx.$queryRaw<
    {
      id: string;
      external_ref: string;
      status: string;
      revision: number;
      service_type: ServiceType;
      start_date: Date;
      end_date: Date;
      time_block: string;
      dates: Date[] | null;
      last_revision: number | null;
    }[]
  >`
    SELECT b.id::text, b.external_ref, b.status::text AS status, b.revision, b.service_type::text AS service_type,
      b.start_date, b.end_date, b.time_block,
      (SELECT array_agg(s.date ORDER BY s.date) FROM booking_slot bs JOIN slot s ON s.id = bs.slot_id
        WHERE bs.booking_id = b.id) AS dates,
      (SELECT max(e.external_revision) FROM booking_event e WHERE e.booking_id = b.id) AS last_revision
    FROM booking b
    WHERE b.facility_id = ${facilityId}::uuid AND b.external_ref = ANY(${[...new Set(refs)]}::text[])
    FOR UPDATE OF b`;
  return new Map(
    rows.map((r) => [
      r.external_ref,
      {
        id: r.id,
        status: r.status,
        revision: r.revision,
        startDate: r.start_date,
        endDate: r.end_date,
        lastRevision: r.last_revision ?? -1,
        places: {
          serviceType: r.service_type,
          dates: (r.dates ?? []).map(formatDate),
          timeBlock: r.time_block,
        },
      },
    ]),
  );
}

/**
 * Creates the slot rows the batch touches (old and new places) and locks them all, in one statement, in
 * (date, block, service) order.
 */
async function lockSlots(
  tx: Tx,
  facilityId: string,
  changes: readonly ExternalChange[],
  known: Map<string, KnownBooking>,
  services: Map<ServiceType, TimeBlock[]>,
  now: Date,
): Promise<Map<string, SlotRow>> {
  const wanted: Places[] = [];
  for (const c of changes) {
    if (c.kind === "availability") {
      if (services.has(c.serviceType) && parseDate(c.date)) {
        wanted.push({ serviceType: c.serviceType, dates: [c.date], timeBlock: c.timeBlock ?? "" });
      }
      continue;
    }
    const p = placesOf(c, services);
    if (typeof p !== "string") wanted.push(p);
    const k = known.get(c.externalId);
    if (k?.places.dates.length) wanted.push(k.places);
  }
  if (!wanted.length) return new Map();
  const byService = new Map<ServiceType, { from: string; to: string; blocks: Set<string> }>();
  for (const p of wanted) {
    const range = byService.get(p.serviceType) ?? {
      from: p.dates[0] ?? "",
      to: p.dates[0] ?? "",
      blocks: new Set(),
    };
    for (const d of p.dates) {
      if (d < range.from) range.from = d;
      if (d > range.to) range.to = d;
    }
    range.blocks.add(p.timeBlock);
    byService.set(p.serviceType, range);
  }
  for (const [serviceType, r] of byService) {
    const from = parseDate(r.from);
    const to = parseDate(r.to);
    if (from && to) await ensureSlots(tx, facilityId, serviceType, from, to, [...r.blocks], now);
  }
  const keys = new Set(wanted.flatMap((p) => p.dates.map((d) => slotKey(p.serviceType, d, p.timeBlock))));
  const rows = await tx.$queryRaw<
    (Omit<SlotRow, "externalRevision" | "externalAt"> & {
      service_type: string;
      date: Date;
      time_block: string;
      external_revision: number | null;
      external_at: Date | null;
    })[]
  >`
    SELECT id::text, service_type::text AS service_type, date, time_block, capacity, booked, external, closed,
      external_revision, external_at
    FROM slot
    WHERE facility_id = ${facilityId}::uuid
      AND (service_type::text || '|' || to_char(date, 'YYYY-MM-DD') || '|' || time_block) = ANY(${[...keys]}::text[])
    ORDER BY date, time_block, service_type
    FOR UPDATE`;
  const map = new Map<string, SlotRow>();
  for (const r of rows) {
    map.set(slotKey(r.service_type, formatDate(r.date), r.time_block), {
      id: r.id,
      capacity: r.capacity,
      booked: r.booked,
      external: r.external,
      closed: r.closed,
      externalRevision: r.external_revision,
      externalAt: r.external_at,
    });
  }
  return map;
}

async function applyBooking(ctx: Ctx, change: ExternalBooking): Promise<void> {
  if (change.hubBookingId) return applyHubEcho(ctx, { ...change, hubBookingId: change.hubBookingId });
  const { tx, conn, now } = ctx;
  const places = placesOf(change, ctx.services);
  if (typeof places === "string") {
    await openConflict(ctx, "invalid_change", change.externalId, null, { reason: places, change });
    return;
  }
  const known = ctx.known.get(change.externalId) ?? null;
  const step = stepFor(known, change, places);
  if (step.do === "ignore") {
    ctx.result.ignored++;
    return;
  }
  // What follows a new booking changes rows written so far: those written first.
  if (step.do !== "create") await flush(ctx);
  const meta = {
    source: "connector" as const,
    externalRef: change.externalId,
    externalRevision: change.revision,
    idempotencyKey: `${conn.id}:${change.externalId}:${change.revision}`,
  };
  const dates = {
    startDate: parseDate(change.startDate) as Date,
    endDate: parseDate(change.endDate) as Date,
  };

  if (step.do === "create") {
    const active = change.status === "confirmed";
    const booking = { id: randomUUID() };
    ctx.pending.bookings.push({
      id: booking.id,
      facilityId: conn.facilityId,
      serviceType: places.serviceType,
      ...dates,
      timeBlock: places.timeBlock,
      status: active ? "confirmed" : "cancelled",
      source: "connector",
      externalRef: change.externalId,
      revision: 1,
      createdAt: now,
      updatedAt: now,
      ...(active ? {} : { cancelReason: "facility_system" }),
    });
    ctx.pending.events.push({
      from: null,
      bookingId: booking.id,
      seq: 1,
      type: active ? "confirmed" : "cancelled",
      status: active ? "confirmed" : "cancelled",
      ...meta,
      data: { places: places.dates, timeBlock: places.timeBlock },
      occurredAt: now,
    });
    if (active) await take(ctx, booking.id, change.externalId, places);
    ctx.known.set(change.externalId, {
      id: booking.id,
      status: active ? "confirmed" : "cancelled",
      revision: 1,
      ...dates,
      lastRevision: change.revision,
      places: active ? places : { ...places, dates: [] },
    });
    ctx.result.applied++;
    return;
  }

  const k = known as KnownBooking;
  const next = {
    cancel: { status: "cancelled", type: "cancelled" },
    move: { status: "confirmed", type: "changed" },
    reinstate: { status: "confirmed", type: "confirmed" },
    note: { status: k.status, type: "synced" },
  }[step.do];
  const revision = k.revision + 1;
  await tx.booking.update({
    where: { id: k.id },
    data: {
      status: next.status as "confirmed",
      revision,
      updatedAt: now,
      // The booking's dates follow the facility's system, also while cancelled (a later revision of a cancelled
      // booking may carry other dates; applied out of order, the newest still wins). A used one keeps its own.
      ...(step.do !== "note" || k.status === "cancelled"
        ? { ...dates, serviceType: places.serviceType, timeBlock: places.timeBlock }
        : {}),
      ...(step.do === "move" || step.do === "reinstate" ? { cancelReason: null } : {}),
      ...(step.do === "cancel" ? { cancelReason: "facility_system" } : {}),
    },
  });
  await appendEvents(tx, [
    {
      from: k.status as BookingStatus,
      bookingId: k.id,
      seq: revision,
      type: next.type,
      status: next.status as BookingStatus,
      ...meta,
      data: step.do === "note" ? {} : { places: places.dates, timeBlock: places.timeBlock },
      occurredAt: now,
    },
  ]);
  if (step.do === "cancel" || step.do === "move") await release(ctx, k);
  if (step.do === "move" || step.do === "reinstate") await take(ctx, k.id, change.externalId, places);
  ctx.known.set(change.externalId, {
    ...k,
    status: next.status,
    revision,
    lastRevision: change.revision,
    places: step.do === "cancel" ? { ...k.places, dates: [] } : step.do === "note" ? k.places : places,
  });
  ctx.result.applied++;
}

/** Takes the places (booked + 1 each, written by flush); over capacity, the booking stays and goes to review. */
async function take(ctx: Ctx, bookingId: string, externalId: string, places: Places): Promise<void> {
  const full: string[] = [];
  for (const date of places.dates) {
    const slot = ctx.slots.get(slotKey(places.serviceType, date, places.timeBlock));
    if (!slot) throw new Error(`slot ${places.serviceType} ${date} ${places.timeBlock} was not locked`);
    if (slot.closed || slot.capacity - slot.booked - slot.external < 1) full.push(date);
    slot.booked++;
    ctx.pending.taken.set(slot.id, (ctx.pending.taken.get(slot.id) ?? 0) + 1);
    ctx.pending.places.push({ bookingId, slotId: slot.id });
  }
  if (full.length) {
    await openConflict(ctx, "oversold", externalId, bookingId, {
      serviceType: places.serviceType,
      timeBlock: places.timeBlock,
      dates: full,
    });
  }
}

/** Gives a booking's places back (booked − 1 each). */
async function release(ctx: Ctx, k: KnownBooking): Promise<void> {
  for (const date of k.places.dates) {
    const slot = ctx.slots.get(slotKey(k.places.serviceType, date, k.places.timeBlock));
    if (!slot) continue;
    slot.booked = Math.max(0, slot.booked - 1);
    await ctx.tx.$executeRaw`
      UPDATE slot SET booked = GREATEST(booked - 1, 0), updated_at = ${ctx.now}::timestamp
      WHERE id = ${slot.id}::uuid`;
  }
  await ctx.tx.bookingSlot.deleteMany({ where: { bookingId: k.id } });
  ctx.freed.add(k.places.serviceType as ServiceType);
}

async function applyAvailability(ctx: Ctx, change: ExternalAvailability): Promise<void> {
  await flush(ctx);
  const block = change.timeBlock ?? "";
  const slot = ctx.slots.get(slotKey(change.serviceType, change.date, block));
  if (!slot) {
    await openConflict(ctx, "invalid_change", null, null, {
      reason: ctx.services.has(change.serviceType)
        ? `no such day or time block: ${change.date} "${block}"`
        : `the facility does not offer ${change.serviceType}`,
      change,
    });
    return;
  }
  const order = {
    revision: change.revision ?? null,
    occurredAt: change.occurredAt ? new Date(change.occurredAt) : null,
  };
  if (order.occurredAt && Number.isNaN(order.occurredAt.getTime())) order.occurredAt = null;
  if (availabilityStep({ revision: slot.externalRevision, occurredAt: slot.externalAt }, order) === "stale") {
    ctx.result.stale = [
      ...(ctx.result.stale ?? []),
      {
        reason: "stale",
        date: change.date,
        property: block ? `${change.serviceType}/${block}` : change.serviceType,
        problem: order.revision !== null && slot.externalRevision !== null ? "older_revision" : "older_time",
      },
    ];
    return;
  }
  const before = slot.capacity - slot.booked - slot.external;
  const capacity = change.capacity ?? slot.capacity;
  const external = change.taken ?? slot.external;
  // The order key is kept even when the numbers stay: a later, older update is still told apart.
  const sameOrder =
    slot.externalRevision === order.revision && slot.externalAt?.getTime() === order.occurredAt?.getTime();
  slot.externalRevision = order.revision;
  slot.externalAt = order.occurredAt;
  if (capacity === slot.capacity && external === slot.external) {
    if (!sameOrder)
      await ctx.tx.$executeRaw`
      UPDATE slot SET external_revision = ${order.revision}, external_at = ${order.occurredAt}::timestamp
      WHERE id = ${slot.id}::uuid`;
    ctx.result.ignored++;
    return;
  }
  slot.capacity = capacity;
  slot.external = external;
  await ctx.tx.$executeRaw`
    UPDATE slot SET capacity = ${capacity}, external = ${external}, updated_at = ${ctx.now}::timestamp,
      external_revision = ${order.revision}, external_at = ${order.occurredAt}::timestamp
    WHERE id = ${slot.id}::uuid`;
  if (slot.booked + external > capacity) {
    await openConflict(ctx, "capacity_below_bookings", null, null, {
      serviceType: change.serviceType,
      date: change.date,
      timeBlock: block,
      capacity,
      taken: slot.booked + external,
    });
  }
  if (capacity - slot.booked - external > before) ctx.freed.add(change.serviceType);
  ctx.result.applied++;
}

/** Bookings from this facility's system in the window that the complete batch did not mention: to review. */
async function reviewMissing(
  ctx: Ctx,
  mentioned: ReadonlySet<string>,
  window: { from: string; to: string },
  unreadable: readonly string[],
) {
  // An item the source could not read is still there: its bookings (an occurrence "id/…", a place "id#2") stay.
  const stillThere = (ref: string) =>
    unreadable.some((u) => ref === u || ref.startsWith(`${u}/`) || ref.startsWith(`${u}#`));
  const rows = await ctx.tx.booking.findMany({
    where: {
      facilityId: ctx.conn.facilityId,
      source: "connector",
      status: "confirmed",
      externalRef: { not: null },
      startDate: { gte: parseDate(window.from) as Date, lte: parseDate(window.to) as Date },
    },
    select: { id: true, externalRef: true, startDate: true, serviceType: true },
  });
  for (const b of rows) {
    if (b.externalRef && !mentioned.has(b.externalRef) && !stillThere(b.externalRef)) {
      await openConflict(ctx, "missing_in_feed", b.externalRef, b.id, {
        serviceType: b.serviceType,
        startDate: formatDate(b.startDate),
      });
    }
  }
}

/** Opens a conflict for review, unless the same one (kind, external id) is already open. */
async function openConflict(
  ctx: Ctx,
  kind: ConflictKind,
  externalRef: string | null,
  bookingId: string | null,
  detail: Record<string, unknown>,
): Promise<void> {
  // The conflict may name a booking not written yet.
  await flush(ctx);
  const open = await ctx.tx.syncConflict.findFirst({
    where: {
      connectionId: ctx.conn.id,
      kind,
      externalRef,
      status: "open",
      ...(externalRef ? {} : { detail: { equals: detail as Prisma.InputJsonValue } }),
    },
    select: { id: true },
  });
  if (open) return;
  await ctx.tx.syncConflict.create({
    data: {
      connectionId: ctx.conn.id,
      facilityId: ctx.conn.facilityId,
      kind,
      externalRef,
      bookingId,
      detail: detail as Prisma.InputJsonValue,
      createdAt: ctx.now,
    },
  });
  ctx.result.conflicts++;
}

// ---------------------------------------------------------------------------------------------------------
// Echoes of the hub's own bookings: the facility's system reporting its decision on a booking the hub sent it
// (hub/connections/push.ts), by the hub's booking id.

/** What the facility's decision does to the hub's booking, or null when it changes nothing. */
function echoStep(hub: BookingStatus, facility: ExternalBooking["status"]): BookingStatus | null {
  if (hub === "requested") return facility === "confirmed" ? "confirmed" : "rejected";
  if (hub === "confirmed" && facility === "cancelled") return "cancelled";
  return null;
}

/**
 * A booking the hub pushed, echoed with the facility's decision: a `requested` booking it confirmed is confirmed;
 * one it cancelled is rejected while still requested, and cancelled by the facility (free of charge) once
 * confirmed. Recorded through the ledger as the facility's action (event source `connector`, so it is never
 * pushed back) and announced to the resident like an approval in the portal. The hub keeps its own places and
 * dates. An echo that changes nothing (the same decision again, a booking already past it) or whose revision is
 * not newer than the last one applied to that booking is ignored; an id that is not one of this facility's hub
 * bookings, or a confirmation after the hold ran out, goes to review.
 */
async function applyHubEcho(ctx: Ctx, change: ExternalBooking & { hubBookingId: string }): Promise<void> {
  await flush(ctx);
  const { tx, conn, now } = ctx;
  const booking = await tx.booking.findFirst({
    where: { id: change.hubBookingId, facilityId: conn.facilityId, source: { not: "connector" } },
  });
  if (!booking) {
    await openConflict(ctx, "invalid_change", change.externalId, null, {
      reason: `hubBookingId ${change.hubBookingId} is not one of this facility's bookings in the hub`,
      change,
    });
    return;
  }
  const last = await tx.bookingEvent.aggregate({
    where: { bookingId: booking.id, source: "connector", externalRef: change.externalId },
    _max: { externalRevision: true },
  });
  const to = echoStep(booking.status, change.status);
  if (change.revision <= (last._max.externalRevision ?? -1) || !to) {
    ctx.result.ignored++;
    return;
  }
  if (to === "confirmed" && booking.holdExpiresAt && booking.holdExpiresAt <= now) {
    await openConflict(ctx, "invalid_change", change.externalId, booking.id, {
      reason: "confirmed in the facility's system after the hold had run out",
      change,
    });
    return;
  }
  // The places this booking gives back, to keep the batch's view of the slots right.
  const held =
    to === "confirmed"
      ? []
      : await tx.$queryRaw<{ key: string }[]>`
          SELECT s.service_type::text || '|' || to_char(s.date, 'YYYY-MM-DD') || '|' || s.time_block AS key
          FROM booking_slot bs JOIN slot s ON s.id = bs.slot_id WHERE bs.booking_id = ${booking.id}::uuid`;
  const terms = await cancellationTerms(tx, booking);
  await applyTransition(
    tx,
    booking,
    to,
    {
      source: "connector",
      actorId: null,
      externalRef: change.externalId,
      externalRevision: change.revision,
      idempotencyKey: `${conn.id}:${change.externalId}:${change.revision}`,
      data: {
        by: "facility",
        via: "facility_system",
        ...(to === "cancelled" ? { reasonCode: FACILITY_CAUSED, fee: 0 } : {}),
      },
    },
    now,
    to === "cancelled"
      ? {
          cancelReason: FACILITY_CAUSED,
          cancelDeadline: terms.deadline,
          cancellationFee: 0,
          feeResidentShare: 0,
          feeMunicipalityShare: 0,
        }
      : {},
  );
  for (const { key } of held) {
    const slot = ctx.slots.get(key);
    if (slot) slot.booked = Math.max(0, slot.booked - 1);
  }
  await announce(tx, booking.id, to, "facility", undefined, {
    cancelDeadline: to === "confirmed" ? terms.deadline : undefined,
  });
  ctx.result.applied++;
}
