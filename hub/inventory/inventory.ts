/**
 * Inventory: what each facility offers (FacilityService), its capacity per date and time block (Slot), and
 * the days it is closed (Closure). Slot rows are created lazily from the service's defaults, so a date
 * nobody has touched yet behaves exactly like one the seed created.
 */

import { noteAvailability } from "../connections/availability-changes.js";
import type { Prisma, PrismaClient, ServiceType } from "../db/client.js";
import { DomainError, problems } from "../errors.js";
import { parseTimeBlocks, toFacilityService } from "../facilities/mapper.js";
import { assertOwnFacility } from "../identity/access.js";
import type { Actor } from "../identity/actor.js";
import { noteFreedPlaces } from "../waitlist/kick.js";
import { addDays, dateRange, formatDate, parseRange, requireDate, tokyoToday } from "./dates.js";
import { compareSlots, freePlaces, slotBlocks, type TimeBlock, timeBlockErrors } from "./slots.js";

export type Db = PrismaClient | Prisma.TransactionClient;

/**
 * Interactive transactions wait for a connection (maxWait) and must finish (timeout). Under a burst of
 * holds they queue behind each other (PGlite runs one at a time), so both are generous; the work inside
 * each is a handful of short statements.
 */
export const TX_OPTIONS = { maxWait: 15_000, timeout: 20_000 } as const;

export type ServiceDef = {
  serviceType: ServiceType;
  capacity: number;
  timeBlocks: TimeBlock[];
  holdMinutes: number;
};
export type SlotDto = {
  date: string;
  serviceType: ServiceType;
  timeBlock: string;
  capacity: number;
  free: number;
  closed: boolean;
};
export type ClosureDto = { id: string; date: string; serviceType: ServiceType | null; reason: string };

/** The facility, when the caller may see it: unpublished ones only for their own staff. 404 otherwise. */
export async function visibleFacility(
  db: Db,
  actor: Actor | null,
  facilityId: string,
): Promise<{ id: string; name: string; published: boolean }> {
  const f = await db.facility.findUnique({
    where: { id: facilityId },
    select: { id: true, name: true, published: true },
  });
  const own = actor?.role === "facility" && actor.facilityId === facilityId;
  if (!f || (!f.published && !own)) throw problems.notFound("facility");
  return f;
}

export async function getService(
  db: Db,
  facilityId: string,
  serviceType: ServiceType,
): Promise<ServiceDef | null> {
  const row = await db.facilityService.findUnique({
    where: { facilityId_serviceType: { facilityId, serviceType } },
  });
  return row ? toFacilityService(row) : null;
}

export async function requireService(
  db: Db,
  facilityId: string,
  serviceType: ServiceType,
): Promise<ServiceDef> {
  const s = await getService(db, facilityId, serviceType);
  if (!s) {
    throw problems.unprocessable(
      "service_not_offered",
      `This facility does not offer the ${serviceType} service`,
      [{ path: "serviceType", message: "not offered by this facility" }],
    );
  }
  return s;
}

/**
 * Creates the missing slot rows for `from`..`to` × `blocks` from the service's default capacity, closed
 * where a closure covers the day. Existing rows are left alone (ON CONFLICT DO NOTHING), so concurrent
 * callers are safe. Returns how many rows were created; none when the facility does not offer the service.
 */
export async function ensureSlots(
  db: Db,
  facilityId: string,
  serviceType: ServiceType,
  from: Date,
  to: Date,
  blocks: readonly string[],
  now: Date,
): Promise<number> {
  const days = Math.round((to.getTime() - from.getTime()) / 86_400_000) + 1;
  if (days < 1 || blocks.length === 0) return 0;
  return db.$executeRaw`
    INSERT INTO slot (id, facility_id, service_type, date, time_block, capacity, closed, updated_at)
    SELECT gen_random_uuid(), fs.facility_id, fs.service_type, (${formatDate(from)}::date + i), b, fs.capacity,
      EXISTS (SELECT 1 FROM closure c WHERE c.facility_id = fs.facility_id AND c.date = (${formatDate(from)}::date + i)
              AND (c.service_type IS NULL OR c.service_type = fs.service_type)),
      ${now}::timestamp
    FROM facility_service fs
    CROSS JOIN generate_series(0, ${days - 1}::int) AS i
    CROSS JOIN unnest(${[...blocks]}::text[]) AS b
    WHERE fs.facility_id = ${facilityId}::uuid AND fs.service_type = ${serviceType}::"ServiceType"
    ON CONFLICT (facility_id, service_type, date, time_block) DO NOTHING`;
}

// ---------------------------------------------------------------------------------------------------------
// Service definitions.

export type ServiceInput = { capacity: number; timeBlocks?: TimeBlock[]; holdMinutes?: number };

/**
 * Offers a service type (or changes its defaults). Omitted fields keep their current value, or the defaults
 * (no time blocks, a 24-hour hold) for a new service. The default capacity applies to dates that have no slot
 * row yet; dates already set up keep theirs (change them with setCapacity).
 */
export async function setFacilityService(
  prisma: PrismaClient,
  actor: Actor,
  facilityId: string,
  serviceType: ServiceType,
  input: ServiceInput,
): Promise<ServiceDef> {
  assertOwnFacility(actor, facilityId);
  await visibleFacility(prisma, actor, facilityId);
  const current = await getService(prisma, facilityId, serviceType);
  const timeBlocks = (input.timeBlocks ?? current?.timeBlocks ?? []).map(({ code, start, end }) => ({
    code,
    start,
    end,
  }));
  const errors = timeBlockErrors(serviceType, timeBlocks);
  if (errors.length)
    throw problems.unprocessable("invalid_time_blocks", "The time blocks are not valid", errors);
  const data = {
    capacity: input.capacity,
    timeBlocks: timeBlocks as unknown as Prisma.InputJsonValue,
    holdMinutes: input.holdMinutes ?? current?.holdMinutes ?? 1440,
  };
  const now = new Date();
  const row = await prisma.$transaction(async (tx) => {
    const saved = await tx.facilityService.upsert({
      where: { facilityId_serviceType: { facilityId, serviceType } },
      create: { facilityId, serviceType, ...data },
      update: data,
    });
    // The defaults shape every day without a slot of its own: the facility's own system hears of the days ahead
    // (hub/connections/availability-push.ts; as far as the hub's vacancy view reaches).
    const today = tokyoToday(now);
    const days = Array.from({ length: SERVICE_CHANGE_DAYS }, (_, i) => ({
      serviceType,
      date: formatDate(addDays(today, i)),
    }));
    await noteAvailability(tx, facilityId, days, now, { job: true });
    return saved;
  }, TX_OPTIONS);
  return toFacilityService(row);
}

/** Days from today that a change of a service's default capacity or time blocks is sent to the facility's system. */
const SERVICE_CHANGE_DAYS = 120;

// ---------------------------------------------------------------------------------------------------------
// Vacancy.

export type SlotQuery = { facilityId: string; from: string; to: string; serviceType?: ServiceType };

/**
 * Capacity and free places per date and time block, for every service the facility offers (or one).
 * Dates without a slot row are shown from the service's defaults, as a hold would create them.
 */
export async function listSlots(
  prisma: PrismaClient,
  actor: Actor | null,
  q: SlotQuery,
  now: Date,
): Promise<{ asOf: string; items: SlotDto[] }> {
  await visibleFacility(prisma, actor, q.facilityId);
  const range = parseRange(q.from, q.to);
  const [services, slots, closures] = await Promise.all([
    prisma.facilityService.findMany({
      where: { facilityId: q.facilityId, ...(q.serviceType ? { serviceType: q.serviceType } : {}) },
    }),
    prisma.slot.findMany({
      where: {
        facilityId: q.facilityId,
        ...(q.serviceType ? { serviceType: q.serviceType } : {}),
        date: { gte: range.from, lte: range.to },
      },
    }),
    prisma.closure.findMany({
      where: { facilityId: q.facilityId, date: { gte: range.from, lte: range.to } },
    }),
  ]);
  const byKey = new Map(slots.map((s) => [`${s.serviceType}/${formatDate(s.date)}/${s.timeBlock}`, s]));
  const closedBy = (date: string, st: ServiceType) =>
    closures.some((c) => formatDate(c.date) === date && (c.serviceType === null || c.serviceType === st));
  const dates = dateRange(range.from, range.to).map(formatDate);
  const items: (SlotDto & { order: number })[] = [];
  for (const s of services) {
    const blocks = slotBlocks(s.serviceType, parseTimeBlocks(s.timeBlocks));
    for (const date of dates) {
      blocks.forEach((timeBlock, order) => {
        const row = byKey.get(`${s.serviceType}/${date}/${timeBlock}`) ?? {
          capacity: s.capacity,
          booked: 0,
          external: 0,
          closed: closedBy(date, s.serviceType),
        };
        items.push({
          date,
          serviceType: s.serviceType,
          timeBlock,
          capacity: row.capacity,
          free: freePlaces(row),
          closed: row.closed,
          order,
        });
      });
    }
  }
  items.sort(compareSlots);
  return { asOf: now.toISOString(), items: items.map(({ order: _order, ...slot }) => slot) };
}

// ---------------------------------------------------------------------------------------------------------
// Capacity.

export type CapacityInput = {
  serviceType: ServiceType;
  from: string;
  to: string;
  timeBlock?: string;
  capacity: number;
};

/**
 * Sets the capacity of every date in the range, for one time block or all of the service's blocks, in one
 * transaction. Refused as a whole (409 `capacity_below_bookings`, nothing changed) when any date already has
 * more places taken than the new capacity.
 */
export async function setCapacity(
  prisma: PrismaClient,
  actor: Actor,
  facilityId: string,
  input: CapacityInput,
  now: Date,
): Promise<{ updated: number }> {
  assertOwnFacility(actor, facilityId);
  await visibleFacility(prisma, actor, facilityId);
  const service = await requireService(prisma, facilityId, input.serviceType);
  const range = parseRange(input.from, input.to);
  const all = slotBlocks(input.serviceType, service.timeBlocks);
  const blocks = input.timeBlock === undefined ? all : [input.timeBlock];
  if (input.timeBlock !== undefined && !all.includes(input.timeBlock)) {
    throw unknownTimeBlock(input.timeBlock, all);
  }
  return prisma.$transaction(async (tx) => {
    await ensureSlots(tx, facilityId, input.serviceType, range.from, range.to, blocks, now);
    // Locked in (date, block) order, the order holds take them in, so the two never deadlock.
    const rows = await tx.$queryRaw<{ id: string; date: Date; time_block: string; taken: number }[]>`
      SELECT id, date, time_block, booked + external AS taken FROM slot
      WHERE facility_id = ${facilityId}::uuid AND service_type = ${input.serviceType}::"ServiceType"
        AND date BETWEEN ${formatDate(range.from)}::date AND ${formatDate(range.to)}::date
        AND time_block = ANY(${blocks}::text[])
      ORDER BY date, time_block
      FOR UPDATE`;
    const below = rows.filter((r) => Number(r.taken) > input.capacity);
    if (below.length) {
      throw new DomainError(
        "conflict",
        "capacity_below_bookings",
        "Conflict",
        `More places are already taken than ${input.capacity} on ${below.map((r) => formatDate(r.date)).join(", ")}`,
        below.map((r) => ({
          path: r.time_block ? `${formatDate(r.date)}/${r.time_block}` : formatDate(r.date),
          message: `${Number(r.taken)} places taken`,
        })),
      );
    }
    const updated = await tx.$executeRaw`
      UPDATE slot SET capacity = ${input.capacity}, updated_at = ${now}::timestamp
      WHERE id = ANY(${rows.map((r) => r.id)}::uuid[])`;
    await noteFreedPlaces(tx, { facilityId, serviceType: input.serviceType });
    // The facility's own system hears of the new capacity (hub/connections/availability-push.ts).
    const days = [...new Set(rows.map((r) => formatDate(r.date)))];
    await noteAvailability(
      tx,
      facilityId,
      days.map((date) => ({ serviceType: input.serviceType, date })),
      now,
      { job: true },
    );
    return { updated };
  }, TX_OPTIONS);
}

export function unknownTimeBlock(given: string, blocks: readonly string[]): DomainError {
  const known = blocks.filter(Boolean);
  return problems.unprocessable(
    "unknown_time_block",
    known.length
      ? `"${given}" is not a time block of this service; use one of ${known.join(", ")}`
      : `This service has no time blocks; leave timeBlock out`,
    [{ path: "timeBlock", message: "unknown time block" }],
  );
}

// ---------------------------------------------------------------------------------------------------------
// Closures.

const toClosure = (c: {
  id: string;
  date: Date;
  serviceType: ServiceType | null;
  reason: string;
}): ClosureDto => ({
  id: c.id,
  date: formatDate(c.date),
  serviceType: c.serviceType,
  reason: c.reason,
});

export async function listClosures(
  prisma: PrismaClient,
  actor: Actor | null,
  facilityId: string,
): Promise<ClosureDto[]> {
  await visibleFacility(prisma, actor, facilityId);
  const rows = await prisma.closure.findMany({
    where: { facilityId },
    orderBy: [{ date: "asc" }, { serviceType: "asc" }],
  });
  return rows.map(toClosure);
}

/** Closures of one facility are changed one at a time (a transaction-scoped advisory lock). */
async function lockClosures(tx: Prisma.TransactionClient, facilityId: string) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`closure:${facilityId}`}))`;
}

export type ClosureInput = { date: string; serviceType?: ServiceType; reason?: string };

/**
 * Closes a day for the whole facility (no serviceType) or one service: the closure is recorded and the day's
 * slots are marked closed (created closed where they did not exist). 409 `already_closed` when a closure
 * already covers it. Bookings already on that day stay as they are; the facility settles them with the resident.
 */
export async function addClosure(
  prisma: PrismaClient,
  actor: Actor,
  facilityId: string,
  input: ClosureInput,
  now: Date,
): Promise<ClosureDto> {
  assertOwnFacility(actor, facilityId);
  await visibleFacility(prisma, actor, facilityId);
  const date = requireDate(input.date, "date");
  if (date < tokyoToday(now)) {
    throw problems.unprocessable("date_in_past", `${input.date} has already passed`, [
      { path: "date", message: "in the past" },
    ]);
  }
  const offered = await prisma.facilityService.findMany({ where: { facilityId } });
  const affected = input.serviceType ? offered.filter((s) => s.serviceType === input.serviceType) : offered;
  if (input.serviceType && affected.length === 0) await requireService(prisma, facilityId, input.serviceType);
  return prisma.$transaction(async (tx) => {
    await lockClosures(tx, facilityId);
    const covering = await tx.closure.findFirst({
      where: {
        facilityId,
        date,
        OR: [{ serviceType: null }, ...(input.serviceType ? [{ serviceType: input.serviceType }] : [])],
      },
    });
    if (covering) {
      throw problems.conflict(
        "already_closed",
        `${input.date} is already closed${covering.serviceType ? ` for ${covering.serviceType}` : ""}`,
      );
    }
    const closure = await tx.closure.create({
      data: { facilityId, date, serviceType: input.serviceType ?? null, reason: input.reason ?? "" },
    });
    for (const s of affected) {
      const blocks = slotBlocks(s.serviceType, parseTimeBlocks(s.timeBlocks));
      await ensureSlots(tx, facilityId, s.serviceType, date, date, blocks, now);
    }
    await tx.slot.updateMany({
      where: { facilityId, date, ...(input.serviceType ? { serviceType: input.serviceType } : {}) },
      data: { closed: true, updatedAt: now },
    });
    const day = formatDate(date);
    await noteAvailability(
      tx,
      facilityId,
      affected.map((s) => ({ serviceType: s.serviceType, date: day })),
      now,
      { job: true },
    );
    return toClosure(closure);
  }, TX_OPTIONS);
}

/** Reopens the day: its slots are open again unless another closure still covers them. */
export async function removeClosure(
  prisma: PrismaClient,
  actor: Actor,
  facilityId: string,
  closureId: string,
  now: Date,
): Promise<void> {
  assertOwnFacility(actor, facilityId);
  await prisma.$transaction(async (tx) => {
    await lockClosures(tx, facilityId);
    const closure = await tx.closure.findFirst({ where: { id: closureId, facilityId } });
    if (!closure) throw problems.notFound("closure");
    await tx.closure.delete({ where: { id: closure.id } });
    const date = formatDate(closure.date);
    await tx.$executeRaw`
      UPDATE slot s SET closed = false, updated_at = ${now}::timestamp
      WHERE s.facility_id = ${facilityId}::uuid AND s.date = ${date}::date AND s.closed
        AND (${closure.serviceType}::"ServiceType" IS NULL OR s.service_type = ${closure.serviceType}::"ServiceType")
        AND NOT EXISTS (SELECT 1 FROM closure c WHERE c.facility_id = s.facility_id AND c.date = s.date
                        AND (c.service_type IS NULL OR c.service_type = s.service_type))`;
    const offered = await tx.facilityService.findMany({
      where: { facilityId },
      select: { serviceType: true },
    });
    await noteAvailability(
      tx,
      facilityId,
      offered
        .filter((s) => !closure.serviceType || s.serviceType === closure.serviceType)
        .map((s) => ({ serviceType: s.serviceType, date })),
      now,
      { job: true },
    );
  }, TX_OPTIONS);
}

/** The dates a booking covers: each night of a stay, or the one day of day care and home visits. */
export function serviceDates(serviceType: ServiceType, startDate: Date, nights: number): Date[] {
  if (serviceType !== "stay") return [startDate];
  return dateRange(startDate, addDays(startDate, nights - 1));
}
