/** Reading bookings and their history, always within what the caller may see (policy.bookingScope). */
import type { BookingStatus, Prisma, PrismaClient } from "../db/client.js";
import { problems } from "../errors.js";
import { bookingScope } from "../identity/access.js";
import type { Actor } from "../identity/actor.js";
import { requireDate } from "../inventory/dates.js";
import { withGuests } from "./guests.js";
import { type BookingDto, type BookingEventDto, bookingInclude, toBookingEventDto } from "./mapper.js";
import { bookingDto, bookingDtos } from "./terms.js";

export type BookingFilters = {
  status?: BookingStatus;
  facilityId?: string;
  residentId?: string;
  voucherId?: string;
  /** A resident's claim of a free late cancellation: "claimed" finds those awaiting a decision. */
  feeWaiver?: "claimed" | "accepted" | "declined";
  /** Bookings whose service dates overlap from..to (either end may be left open). */
  from?: string;
  to?: string;
  limit?: number;
  offset?: number;
};

export function bookingWhere(actor: Actor, f: BookingFilters): Prisma.BookingWhereInput {
  const from = f.from ? requireDate(f.from, "from", "invalid_range") : null;
  const to = f.to ? requireDate(f.to, "to", "invalid_range") : null;
  if (from && to && from > to)
    throw problems.unprocessable("invalid_range", `from (${f.from}) is after to (${f.to})`);
  return {
    AND: [
      bookingScope(actor),
      ...(f.status ? [{ status: f.status }] : []),
      ...(f.facilityId ? [{ facilityId: f.facilityId }] : []),
      ...(f.residentId ? [{ residentId: f.residentId }] : []),
      ...(f.voucherId ? [{ voucherId: f.voucherId }] : []),
      ...(f.feeWaiver ? [{ feeWaiver: f.feeWaiver }] : []),
      ...(from ? [{ endDate: { gte: from } }] : []),
      ...(to ? [{ startDate: { lte: to } }] : []),
    ],
  };
}

/** Newest first, with the total for paging; the facility's own staff also see who is coming (guests.ts). */
export async function listBookings(
  prisma: PrismaClient,
  actor: Actor,
  f: BookingFilters,
): Promise<{ total: number; items: BookingDto[] }> {
  const where = bookingWhere(actor, f);
  const [total, rows] = await Promise.all([
    prisma.booking.count({ where }),
    prisma.booking.findMany({
      where,
      include: bookingInclude,
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: f.limit ?? 50,
      skip: f.offset ?? 0,
    }),
  ]);
  return { total, items: await withGuests(prisma, actor, await bookingDtos(prisma, rows)) };
}

/** One booking; 404 when it does not exist or lies outside the caller's scope (ids cannot be probed). */
export async function getBooking(prisma: PrismaClient, actor: Actor, bookingId: string): Promise<BookingDto> {
  const b = await prisma.booking.findFirst({
    where: { AND: [{ id: bookingId }, bookingScope(actor)] },
    include: bookingInclude,
  });
  if (!b) throw problems.notFound("booking");
  const [dto] = await withGuests(prisma, actor, [await bookingDto(prisma, b)]);
  return dto as BookingDto;
}

/** The unified history of a booking, whatever its sources, oldest first. */
export async function listBookingEvents(
  prisma: PrismaClient,
  actor: Actor,
  bookingId: string,
): Promise<BookingEventDto[]> {
  const b = await prisma.booking.findFirst({
    where: { AND: [{ id: bookingId }, bookingScope(actor)] },
    select: { id: true },
  });
  if (!b) throw problems.notFound("booking");
  const events = await prisma.bookingEvent.findMany({ where: { bookingId }, orderBy: { seq: "asc" } });
  return events.map(toBookingEventDto);
}
