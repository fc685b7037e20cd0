/**
 * Requesting a booking: a timed hold on the capacity it needs. The places are taken with one conditional
 * UPDATE per slot (`booked + external < capacity`) inside the same transaction that writes the booking, its
 * first event and its outbox messages, so capacity is never oversold however many requests race, and a
 * request that cannot get every night gets none.
 */
import { randomUUID } from "node:crypto";
import { Prisma, type PrismaClient, type ServiceType } from "../db/client.js";
import { Problem, problems } from "../http/problem.js";
import type { Actor } from "../identity/actor.js";
import { addDays, daysBetween, formatDate, requireDate, tokyoToday } from "../inventory/dates.js";
import {
  ensureSlots,
  requireService,
  serviceDates,
  TX_OPTIONS,
  unknownTimeBlock,
  visibleFacility,
} from "../inventory/inventory.js";
import { slotBlocks } from "../inventory/slots.js";
import { announce } from "./ledger.js";
import { type BookingDto, bookingInclude, toBookingDto } from "./mapper.js";

export type HoldInput = {
  facilityId: string;
  serviceType: ServiceType;
  startDate: string;
  nights?: number;
  timeBlock?: string;
  residentId?: string;
  note?: string;
};

/** The longest stay one request may hold (the contract's maximum for `nights`). */
export const MAX_NIGHTS = 14;

export type HoldResult = { booking: BookingDto; created: boolean };

/** What a hold asks for, once checked against the facility's service. */
type Plan = {
  residentId: string;
  dates: Date[];
  startDate: Date;
  endDate: Date;
  timeBlock: string;
  holdMinutes: number;
};

/** Idempotency keys are stored per user, so one caller's key can never return another caller's booking. */
const storedKey = (actor: Actor, key: string) => `${actor.userId}:${key}`;

/**
 * Places a hold. With an Idempotency-Key, a repeated request (same caller, same key) returns the booking the
 * first one made, with `created: false`, also when the two arrive at the same moment.
 */
export async function createHold(
  prisma: PrismaClient,
  actor: Actor,
  input: HoldInput,
  now: Date,
  opts: { idempotencyKey?: string } = {},
): Promise<HoldResult> {
  const key = opts.idempotencyKey ? storedKey(actor, opts.idempotencyKey) : undefined;
  if (key) {
    const earlier = await bookingForKey(prisma, key);
    if (earlier) return { booking: sameRequest(earlier, input), created: false };
  }

  const plan = await planHold(prisma, actor, input, now);
  const [first, last] = [plan.dates[0], plan.dates[plan.dates.length - 1]];
  if (first && last) {
    await ensureSlots(prisma, input.facilityId, input.serviceType, first, last, [plan.timeBlock], now);
  }
  try {
    const booking = await prisma.$transaction(async (tx) => {
      const slotIds: string[] = [];
      for (const date of plan.dates) {
        const day = formatDate(date);
        const taken = await tx.$queryRaw<{ id: string }[]>`
          UPDATE slot SET booked = booked + 1, updated_at = ${now}::timestamp
          WHERE facility_id = ${input.facilityId}::uuid AND service_type = ${input.serviceType}::"ServiceType"
            AND date = ${day}::date AND time_block = ${plan.timeBlock}
            AND NOT closed AND booked + external < capacity
          RETURNING id`;
        const id = taken[0]?.id;
        if (!id) {
          // Throwing rolls back the places already taken for earlier nights.
          const slot = await tx.slot.findFirst({
            where: {
              facilityId: input.facilityId,
              serviceType: input.serviceType,
              date,
              timeBlock: plan.timeBlock,
            },
            select: { closed: true },
          });
          throw slot?.closed ? slotClosed(day) : slotFull(day);
        }
        slotIds.push(id);
      }
      const source = actor.role === "resident" ? "portal" : "staff";
      const created = await tx.booking.create({
        data: {
          id: randomUUID(),
          residentId: plan.residentId,
          facilityId: input.facilityId,
          serviceType: input.serviceType,
          startDate: plan.startDate,
          endDate: plan.endDate,
          timeBlock: plan.timeBlock,
          status: "requested",
          holdExpiresAt: new Date(now.getTime() + plan.holdMinutes * 60_000),
          source,
          revision: 1,
          createdAt: now,
          updatedAt: now,
          slots: { createMany: { data: slotIds.map((slotId) => ({ slotId })) } },
          events: {
            create: {
              seq: 1,
              type: "requested",
              status: "requested",
              source,
              actorId: actor.userId,
              idempotencyKey: key ?? null,
              data: {
                dates: plan.dates.map(formatDate),
                ...(input.serviceType === "stay" ? { nights: plan.dates.length } : {}),
                ...(plan.timeBlock ? { timeBlock: plan.timeBlock } : {}),
                ...(input.note ? { note: input.note } : {}),
                ...(actor.role !== "resident" ? { onBehalfOf: plan.residentId } : {}),
              },
              occurredAt: now,
            },
          },
        },
        include: bookingInclude,
      });
      await announce(tx, created.id, "requested", actor.role);
      return created;
    }, TX_OPTIONS);
    return { booking: toBookingDto(booking), created: true };
  } catch (err) {
    // The same key raced us: either its insert won (unique violation here) or it took the last place.
    const raced =
      (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002") ||
      (err instanceof Problem && (err.code === "slot_full" || err.code === "slot_closed"));
    if (key && raced) {
      const earlier = await bookingForKey(prisma, key);
      if (earlier) return { booking: sameRequest(earlier, input), created: false };
    }
    throw err;
  }
}

const slotFull = (day: string) =>
  new Problem(409, "slot_full", "No place is free", `No place is free on ${day}`, [
    { path: day, message: "full" },
  ]);
const slotClosed = (day: string) =>
  new Problem(409, "slot_closed", "The facility is closed", `The facility is closed on ${day}`, [
    { path: day, message: "closed" },
  ]);

async function bookingForKey(prisma: PrismaClient, key: string): Promise<BookingDto | null> {
  const event = await prisma.bookingEvent.findUnique({
    where: { idempotencyKey: key },
    select: { booking: { include: bookingInclude } },
  });
  return event ? toBookingDto(event.booking) : null;
}

/** A key reused for a different request is a client bug: 422 instead of silently returning the other booking. */
function sameRequest(b: BookingDto, input: HoldInput): BookingDto {
  const nights = input.serviceType === "stay" ? (input.nights ?? 1) : 0;
  const bookedNights = b.serviceType === "stay" ? daysBetween(new Date(b.startDate), new Date(b.endDate)) : 0;
  const same =
    b.facilityId === input.facilityId &&
    b.serviceType === input.serviceType &&
    b.startDate === input.startDate &&
    b.timeBlock === (input.serviceType === "stay" ? "" : (input.timeBlock ?? "")) &&
    bookedNights === nights &&
    (input.residentId === undefined || input.residentId === b.residentId);
  if (!same) {
    throw problems.unprocessable(
      "idempotency_key_reused",
      "This Idempotency-Key was already used for a different request; use a new key for a new request",
    );
  }
  return b;
}

/** Checks who books for whom, the facility and service, the date and the time block. */
async function planHold(prisma: PrismaClient, actor: Actor, input: HoldInput, now: Date): Promise<Plan> {
  const residentId = await bookingResident(prisma, actor, input);
  if (actor.role === "facility" && actor.facilityId !== input.facilityId) {
    throw problems.forbidden("Facility staff can book only at their own facility");
  }
  await visibleFacility(prisma, actor, input.facilityId);
  const service = await requireService(prisma, input.facilityId, input.serviceType);
  const startDate = requireDate(input.startDate, "startDate");
  if (startDate < tokyoToday(now)) {
    throw problems.unprocessable("date_in_past", `${input.startDate} has already passed`, [
      { path: "startDate", message: "in the past" },
    ]);
  }
  const holdMinutes = service.holdMinutes;
  if (input.serviceType === "stay") {
    if (input.timeBlock) throw unknownTimeBlock(input.timeBlock, [""]);
    const nights = input.nights ?? 1;
    if (!Number.isInteger(nights) || nights < 1 || nights > MAX_NIGHTS) {
      throw problems.unprocessable("invalid_nights", `A stay is 1 to ${MAX_NIGHTS} nights`, [
        { path: "nights", message: "out of range" },
      ]);
    }
    const dates = serviceDates("stay", startDate, nights);
    return { residentId, dates, startDate, endDate: addDays(startDate, nights), timeBlock: "", holdMinutes };
  }
  if (input.nights !== undefined && input.nights !== 1) {
    throw problems.unprocessable("nights_not_allowed", "Only stays are booked by the night", [
      { path: "nights", message: "stays only" },
    ]);
  }
  const blocks = slotBlocks(input.serviceType, service.timeBlocks);
  const timeBlock = input.timeBlock ?? "";
  if (!blocks.includes(timeBlock)) {
    if (!timeBlock) {
      throw problems.unprocessable("unknown_time_block", `Choose a time block: ${blocks.join(", ")}`, [
        { path: "timeBlock", message: "required for this service" },
      ]);
    }
    throw unknownTimeBlock(timeBlock, blocks);
  }
  return { residentId, dates: [startDate], startDate, endDate: startDate, timeBlock, holdMinutes };
}

/** Residents book for themselves; staff name the resident (a municipality only its own residents). */
async function bookingResident(prisma: PrismaClient, actor: Actor, input: HoldInput): Promise<string> {
  if (actor.role === "resident") {
    if (!actor.residentId) throw problems.forbidden("This account is not linked to a resident record");
    // Residents book for themselves; anyone else is outside their scope and, as everywhere, not found.
    if (input.residentId && input.residentId !== actor.residentId) throw problems.notFound("resident");
    return actor.residentId;
  }
  if (actor.role !== "facility" && actor.role !== "municipality") throw problems.forbidden();
  if (!input.residentId) {
    throw problems.unprocessable("resident_required", "Say for which resident the booking is", [
      { path: "residentId", message: "required when staff book" },
    ]);
  }
  const resident = await prisma.resident.findFirst({
    where: {
      id: input.residentId,
      ...(actor.role === "municipality" ? { municipalityCode: actor.municipalityCode ?? "" } : {}),
    },
    select: { id: true },
  });
  if (!resident) throw problems.notFound("resident");
  return resident.id;
}
