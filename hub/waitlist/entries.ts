/**
 * The waitlist (予約待機) as people use it: join, see, leave; accept or decline an offer; municipality staff set a
 * priority for residents who need it.
 *
 * Scoping follows bookings: a resident sees and changes their own entries; municipality staff those of their
 * residents (and join on their behalf); facility staff read their facility's line (without names or staff notes);
 * the prefecture reads everything. Anything outside the caller's scope is answered 404.
 *
 * Every change locks the entry's row first (offers.lockEntry), then whatever the ledger locks (voucher, slots),
 * the order offers are made in, so a decline, an acceptance, an expiry and an offer never deadlock or interleave.
 */
import { quoteHold } from "../bookings/holds.js";
import { announce } from "../bookings/ledger.js";
import type { BookingStatus, Prisma, PrismaClient, ServiceType, WaitlistStatus } from "../db/client.js";
import { problems } from "../errors.js";
import { parseTimeBlocks } from "../facilities/mapper.js";
import type { Actor } from "../identity/actor.js";
import { formatDate, requireDate, tokyoToday } from "../inventory/dates.js";
import { TX_OPTIONS } from "../inventory/inventory.js";
import { slotBlocks } from "../inventory/slots.js";
import { stayCountingOf } from "../policies/policy.js";
import { DECLINED_REASON_TEXT } from "./messages.js";
import { lockEntry, WAITLIST_DECLINED, withdrawOfferHold } from "./offers.js";
import { ACTIVE_STATUSES, checkRange, compareQueue, MAX_ACTIVE_ENTRIES } from "./rules.js";

type Tx = Prisma.TransactionClient;
const NIL_UUID = "00000000-0000-0000-0000-000000000000";

export type WaitlistOfferDto = {
  bookingId: string;
  bookingStatus: BookingStatus;
  /** Until when the offer may be accepted (null once accepted). */
  expiresAt: string | null;
  startDate: string;
  endDate: string;
  timeBlock: string;
  units: number;
  /** How the booking's policy counts a stay's units; null for other services. */
  stayCounting: "per_day" | "per_night" | null;
  residentCopay: number;
};

export type WaitlistEntryDto = {
  id: string;
  residentId: string;
  /** The resident's name: for the resident's municipality and the prefecture only. */
  residentName: string | null;
  facilityId: string;
  facilityName: string;
  serviceType: ServiceType;
  fromDate: string;
  toDate: string;
  nights: number;
  timeBlock: string;
  priority: number;
  status: WaitlistStatus;
  /** Place in line among the waiting entries that could take the same place (1 = next), while waiting. */
  position: number | null;
  offersMade: number;
  /** The place offered (status offered) or accepted (status booked). */
  offer: WaitlistOfferDto | null;
  /** The staff note: for the resident's municipality and the prefecture only. */
  note: string | null;
  createdAt: string;
  updatedAt: string;
};

export type JoinInput = {
  facilityId: string;
  serviceType: ServiceType;
  fromDate: string;
  toDate: string;
  nights?: number;
  timeBlock?: string;
  residentId?: string;
  priority?: number;
  note?: string;
};

export type WaitlistFilters = {
  status?: WaitlistStatus;
  facilityId?: string;
  residentId?: string;
  serviceType?: ServiceType;
  limit?: number;
  offset?: number;
};

/** Which entries an actor may see. */
export function waitlistScope(actor: Actor): Prisma.WaitlistEntryWhereInput {
  switch (actor.role) {
    case "resident":
      return { residentId: actor.residentId ?? NIL_UUID };
    case "municipality":
      return { resident: { municipalityCode: actor.municipalityCode ?? "" } };
    case "facility":
      return { facilityId: actor.facilityId ?? NIL_UUID };
    case "prefecture":
      return {};
    default:
      return { id: NIL_UUID };
  }
}

/** Who may change entries: the resident themself and their municipality's staff. */
function assertWriter(actor: Actor): void {
  if (actor.role !== "resident" && actor.role !== "municipality") {
    throw problems.forbidden("Only the resident and their municipality's staff may change waitlist entries");
  }
}

/** Whether the caller may read names and staff notes: the resident's municipality and the prefecture. */
const seesNames = (actor: Actor) => actor.role === "municipality" || actor.role === "prefecture";

const entryInclude = {
  facility: { select: { name: true } },
  resident: { select: { familyName: true, givenName: true } },
} as const satisfies Prisma.WaitlistEntryInclude;
type EntryRow = Prisma.WaitlistEntryGetPayload<{ include: typeof entryInclude }>;

/** Entries to the API's shape, with their place in line and the booking offered. */
async function toDtos(db: PrismaClient | Tx, actor: Actor, rows: EntryRow[]): Promise<WaitlistEntryDto[]> {
  const positions = await linePositions(db, rows);
  const offerIds = rows
    .filter((r) => (r.status === "offered" || r.status === "booked") && r.offerBookingId)
    .map((r) => r.offerBookingId as string);
  const bookings = offerIds.length
    ? await db.booking.findMany({
        where: { id: { in: offerIds } },
        select: {
          id: true,
          status: true,
          startDate: true,
          endDate: true,
          timeBlock: true,
          units: true,
          residentCopay: true,
          serviceType: true,
          // How its policy counts a stay's units (Prisma reads each distinct version once).
          policyVersion: { select: { rules: true } },
        },
      })
    : [];
  const byId = new Map(bookings.map((b) => [b.id, b]));
  const names = seesNames(actor);
  return rows.map((r) => {
    const b = r.offerBookingId ? byId.get(r.offerBookingId) : undefined;
    return {
      id: r.id,
      residentId: r.residentId,
      residentName: names ? `${r.resident.familyName} ${r.resident.givenName}` : null,
      facilityId: r.facilityId,
      facilityName: r.facility.name,
      serviceType: r.serviceType,
      fromDate: formatDate(r.fromDate),
      toDate: formatDate(r.toDate),
      nights: r.nights,
      timeBlock: r.timeBlock,
      priority: r.priority,
      status: r.status,
      position: positions.get(r.id) ?? null,
      offersMade: r.offersMade,
      offer: b
        ? {
            bookingId: b.id,
            bookingStatus: b.status,
            expiresAt: r.status === "offered" && r.offerExpiresAt ? r.offerExpiresAt.toISOString() : null,
            startDate: formatDate(b.startDate),
            endDate: formatDate(b.endDate),
            timeBlock: b.timeBlock,
            units: b.units,
            stayCounting:
              b.serviceType === "stay" && b.policyVersion ? stayCountingOf(b.policyVersion.rules) : null,
            residentCopay: b.residentCopay,
          }
        : null,
      note: names ? r.note : null,
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
    };
  });
}

/**
 * Place in line (1 = next) of each waiting entry: 1 + the waiting entries of its facility and service ahead of it
 * (rules.compareQueue) that could take the same place, i.e. whose dates overlap (and, for day care and visits,
 * whose time block is the same or either takes any block).
 */
async function linePositions(db: PrismaClient | Tx, rows: EntryRow[]): Promise<Map<string, number>> {
  const waiting = rows.filter((r) => r.status === "waiting");
  const out = new Map<string, number>();
  if (waiting.length === 0) return out;
  const groups = [...new Map(waiting.map((r) => [`${r.facilityId}/${r.serviceType}`, r])).values()];
  const line = await db.waitlistEntry.findMany({
    where: {
      status: "waiting",
      OR: groups.map((g) => ({ facilityId: g.facilityId, serviceType: g.serviceType })),
    },
    select: {
      id: true,
      facilityId: true,
      serviceType: true,
      priority: true,
      offersMade: true,
      createdAt: true,
      fromDate: true,
      toDate: true,
      timeBlock: true,
    },
  });
  for (const r of waiting) {
    const ahead = line.filter(
      (e) =>
        e.id !== r.id &&
        e.facilityId === r.facilityId &&
        e.serviceType === r.serviceType &&
        e.fromDate <= r.toDate &&
        e.toDate >= r.fromDate &&
        (!e.timeBlock || !r.timeBlock || e.timeBlock === r.timeBlock) &&
        compareQueue(e, r) < 0,
    );
    out.set(r.id, ahead.length + 1);
  }
  return out;
}

/** The entries the caller may see, active ones first, each facility's line in order. */
export async function listWaitlist(
  prisma: PrismaClient,
  actor: Actor,
  f: WaitlistFilters,
): Promise<{ total: number; items: WaitlistEntryDto[] }> {
  const where: Prisma.WaitlistEntryWhereInput = {
    AND: [
      waitlistScope(actor),
      ...(f.status ? [{ status: f.status }] : []),
      ...(f.facilityId ? [{ facilityId: f.facilityId }] : []),
      ...(f.residentId ? [{ residentId: f.residentId }] : []),
      ...(f.serviceType ? [{ serviceType: f.serviceType }] : []),
    ],
  };
  const [total, rows] = await Promise.all([
    prisma.waitlistEntry.count({ where }),
    prisma.waitlistEntry.findMany({
      where,
      include: entryInclude,
      // waiting, offered, booked, cancelled, ended: the schema's order of the statuses.
      orderBy: [
        { status: "asc" },
        { facility: { name: "asc" } },
        { facilityId: "asc" },
        { serviceType: "asc" },
        { priority: "desc" },
        { createdAt: "asc" },
        { id: "asc" },
      ],
      take: f.limit ?? 50,
      skip: f.offset ?? 0,
    }),
  ]);
  return { total, items: await toDtos(prisma, actor, rows) };
}

async function findEntry(db: PrismaClient | Tx, actor: Actor, id: string): Promise<EntryRow> {
  const row = await db.waitlistEntry.findFirst({
    where: { AND: [{ id }, waitlistScope(actor)] },
    include: entryInclude,
  });
  if (!row) throw problems.notFound("waitlist entry");
  return row;
}

export async function getWaitlistEntry(
  prisma: PrismaClient,
  actor: Actor,
  id: string,
): Promise<WaitlistEntryDto> {
  const [dto] = await toDtos(prisma, actor, [await findEntry(prisma, actor, id)]);
  return dto as WaitlistEntryDto;
}

/**
 * Joins the waitlist: for the resident themself, or by municipality staff for one of their residents (with a
 * priority when the resident needs it). Refused when the resident's voucher could not cover the first date
 * (the entitlement engine's reasons), when the resident already waits for an overlapping range at this
 * facility and service, or has too many entries waiting.
 */
export async function joinWaitlist(
  prisma: PrismaClient,
  actor: Actor,
  input: JoinInput,
  now: Date,
): Promise<WaitlistEntryDto> {
  assertWriter(actor);
  if (actor.role === "resident" && (input.priority !== undefined || input.note !== undefined)) {
    throw problems.unprocessable(
      "staff_only",
      "Only municipality staff set a priority or a note; leave them out",
      [
        ...(input.priority !== undefined ? [{ path: "priority", message: "municipality staff only" }] : []),
        ...(input.note !== undefined ? [{ path: "note", message: "municipality staff only" }] : []),
      ],
    );
  }
  const fromDate = requireDate(input.fromDate, "fromDate");
  const toDate = requireDate(input.toDate, "toDate");
  const range = checkRange(input.serviceType, fromDate, toDate, input.nights, tokyoToday(now));
  if (!range.ok) {
    throw problems.unprocessable(range.code, range.detail, [{ path: range.path, message: range.message }]);
  }
  const nights = input.serviceType === "stay" ? (input.nights ?? 1) : 1;
  const timeBlock = input.serviceType === "stay" ? "" : (input.timeBlock ?? "");
  // "Any block" is checked with the service's first block: the voucher covers the date whatever the block.
  const service = await prisma.facilityService.findUnique({
    where: { facilityId_serviceType: { facilityId: input.facilityId, serviceType: input.serviceType } },
    select: { timeBlocks: true },
  });
  const blocks = service ? slotBlocks(input.serviceType, parseTimeBlocks(service.timeBlocks)) : [];
  const quoteBlock = input.serviceType === "stay" ? input.timeBlock : timeBlock || blocks[0];
  // The same checks as a hold (facility, service, block, on whose behalf) and the entitlement engine, for the
  // first date; its problems (404, 422 not_entitled with every reason, ...) are the answer.
  await quoteHold(
    prisma,
    actor,
    {
      facilityId: input.facilityId,
      serviceType: input.serviceType,
      startDate: input.fromDate,
      ...(input.serviceType === "stay"
        ? { nights }
        : input.nights !== undefined
          ? { nights: input.nights }
          : {}),
      ...(quoteBlock !== undefined ? { timeBlock: quoteBlock } : {}),
      ...(input.residentId ? { residentId: input.residentId } : {}),
    },
    now,
  );
  const residentId = actor.role === "resident" ? (actor.residentId as string) : (input.residentId as string);
  const id = await prisma.$transaction(async (tx) => {
    // One join per resident at a time, so the checks below cannot be raced.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`waitlist-join:${residentId}`}))`;
    const active = await tx.waitlistEntry.findMany({
      where: { residentId, status: { in: [...ACTIVE_STATUSES] } },
      select: { facilityId: true, serviceType: true, fromDate: true, toDate: true },
    });
    if (active.length >= MAX_ACTIVE_ENTRIES) {
      throw problems.conflict(
        "too_many_entries",
        `A resident may wait for at most ${MAX_ACTIVE_ENTRIES} places at once; leave one first`,
      );
    }
    const overlapping = active.some(
      (e) =>
        e.facilityId === input.facilityId &&
        e.serviceType === input.serviceType &&
        e.fromDate <= toDate &&
        e.toDate >= fromDate,
    );
    if (overlapping) {
      throw problems.conflict(
        "already_waiting",
        "The resident already waits for these dates at this facility; leave that entry first to change it",
      );
    }
    const created = await tx.waitlistEntry.create({
      data: {
        residentId,
        facilityId: input.facilityId,
        serviceType: input.serviceType,
        fromDate,
        toDate,
        nights,
        timeBlock,
        priority: input.priority ?? 0,
        note: input.note ?? "",
        createdBy: actor.userId,
        createdAt: now,
        updatedAt: now,
      },
      select: { id: true },
    });
    return created.id;
  }, TX_OPTIONS);
  return getWaitlistEntry(prisma, actor, id);
}

/** Municipality staff change an entry's priority (while it is in line) or its note. */
export async function updateWaitlistEntry(
  prisma: PrismaClient,
  actor: Actor,
  id: string,
  patch: { priority?: number; note?: string },
  now: Date,
): Promise<WaitlistEntryDto> {
  if (actor.role !== "municipality") {
    throw problems.forbidden("Only the resident's municipality sets a priority or a note");
  }
  await prisma.$transaction(async (tx) => {
    await findEntry(tx, actor, id);
    await lockEntry(tx, id);
    const current = await tx.waitlistEntry.findUniqueOrThrow({ where: { id }, select: { status: true } });
    if (patch.priority !== undefined && !ACTIVE_STATUSES.includes(current.status)) {
      throw closed(current.status);
    }
    await tx.waitlistEntry.update({
      where: { id },
      data: {
        ...(patch.priority !== undefined ? { priority: patch.priority } : {}),
        ...(patch.note !== undefined ? { note: patch.note } : {}),
        updatedAt: now,
      },
    });
  }, TX_OPTIONS);
  return getWaitlistEntry(prisma, actor, id);
}

const closed = (status: WaitlistStatus) =>
  problems.conflict("waitlist_entry_closed", `The entry is ${status}; it is no longer in line`);

/** Runs a change of one entry in a transaction, the entry's row locked and read again first. */
async function changeEntry(
  prisma: PrismaClient,
  actor: Actor,
  id: string,
  run: (tx: Tx, entry: EntryRow) => Promise<void>,
): Promise<WaitlistEntryDto> {
  assertWriter(actor);
  await prisma.$transaction(async (tx) => {
    await findEntry(tx, actor, id);
    await lockEntry(tx, id);
    await run(tx, await findEntry(tx, actor, id));
  }, TX_OPTIONS);
  return getWaitlistEntry(prisma, actor, id);
}

/**
 * Accepts the place offered: the hold stays as the resident's booking request (the facility approves it like
 * any other) and the entry is booked. Accepting again changes nothing. 409 when there is no offer, when its
 * deadline has passed, or when its hold is gone.
 */
export const acceptOffer = (prisma: PrismaClient, actor: Actor, id: string, now: Date) =>
  changeEntry(prisma, actor, id, async (tx, entry) => {
    if (entry.status === "booked") return;
    if (entry.status !== "offered" || !entry.offerBookingId) {
      throw problems.conflict("no_offer", "Nothing is offered on this entry right now");
    }
    if (!entry.offerExpiresAt || entry.offerExpiresAt.getTime() <= now.getTime()) {
      throw problems.conflict(
        "offer_expired",
        "The time to accept this offer has passed; the place goes to the next person waiting",
      );
    }
    const booking = await tx.booking.findUnique({
      where: { id: entry.offerBookingId },
      select: { status: true },
    });
    if (booking?.status !== "requested" && booking?.status !== "confirmed") {
      throw problems.conflict("offer_withdrawn", "The place offered is no longer held");
    }
    await tx.waitlistEntry.update({ where: { id }, data: { status: "booked", updatedAt: now } });
    // Now a request like any other: the facility is told (the offer's hold was placed without telling it).
    if (booking.status === "requested") await announce(tx, entry.offerBookingId, "requested", actor.role);
  });

/** Declines the place offered: its hold is cancelled free of charge and the place goes to the next entry. */
export const declineOffer = (prisma: PrismaClient, actor: Actor, id: string, now: Date) =>
  changeEntry(prisma, actor, id, async (tx, entry) => {
    if (entry.status !== "offered") {
      throw problems.conflict("no_offer", "Nothing is offered on this entry right now");
    }
    await withdraw(tx, actor, entry, now);
  });

/** Leaves the line: a waiting entry is cancelled; an offered one is declined first. */
export const leaveWaitlist = (prisma: PrismaClient, actor: Actor, id: string, now: Date) =>
  changeEntry(prisma, actor, id, async (tx, entry) => {
    if (entry.status === "offered") return withdraw(tx, actor, entry, now);
    if (entry.status !== "waiting") throw closed(entry.status);
    await tx.waitlistEntry.update({ where: { id }, data: { status: "cancelled", updatedAt: now } });
  });

async function withdraw(tx: Tx, actor: Actor, entry: EntryRow, now: Date): Promise<void> {
  if (entry.offerBookingId) {
    await withdrawOfferHold(
      tx,
      entry.offerBookingId,
      WAITLIST_DECLINED,
      DECLINED_REASON_TEXT,
      { role: actor.role, userId: actor.userId },
      now,
    );
  }
  await tx.waitlistEntry.update({ where: { id: entry.id }, data: { status: "cancelled", updatedAt: now } });
}
