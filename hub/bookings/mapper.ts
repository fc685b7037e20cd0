/** Booking rows to the API's JSON shapes: dates as "YYYY-MM-DD", instants as ISO strings, no BigInt. */
import type { BookingSource, BookingStatus, Prisma, ServiceType } from "../db/client.js";
import { formatDate } from "../inventory/dates.js";

export const bookingInclude = {
  facility: { select: { name: true } },
} as const satisfies Prisma.BookingInclude;

export type BookingRow = Prisma.BookingGetPayload<{ include: typeof bookingInclude }>;

export type BookingDto = {
  id: string;
  residentId: string | null;
  facilityId: string;
  facilityName: string;
  serviceType: ServiceType;
  startDate: string;
  endDate: string;
  timeBlock: string;
  status: BookingStatus;
  holdExpiresAt: string | null;
  source: BookingSource;
  externalRef: string | null;
  revision: number;
  createdAt: string;
  updatedAt: string;
};

export type BookingEventDto = {
  seq: number;
  type: string;
  status: BookingStatus;
  source: BookingSource;
  actorId: string | null;
  externalRef: string | null;
  externalRevision: number | null;
  data: Record<string, unknown>;
  occurredAt: string;
};

export function toBookingDto(b: BookingRow): BookingDto {
  return {
    id: b.id,
    residentId: b.residentId,
    facilityId: b.facilityId,
    facilityName: b.facility.name,
    serviceType: b.serviceType,
    startDate: formatDate(b.startDate),
    endDate: formatDate(b.endDate),
    timeBlock: b.timeBlock,
    status: b.status,
    holdExpiresAt: b.holdExpiresAt ? b.holdExpiresAt.toISOString() : null,
    source: b.source,
    externalRef: b.externalRef,
    revision: b.revision,
    createdAt: b.createdAt.toISOString(),
    updatedAt: b.updatedAt.toISOString(),
  };
}

/** The event without its internal id and idempotency key (the key is namespaced per user and stays inside). */
export function toBookingEventDto(e: {
  seq: number;
  type: string;
  status: BookingStatus;
  source: BookingSource;
  actorId: string | null;
  externalRef: string | null;
  externalRevision: number | null;
  data: Prisma.JsonValue;
  occurredAt: Date;
}): BookingEventDto {
  const data = e.data !== null && typeof e.data === "object" && !Array.isArray(e.data) ? e.data : {};
  return {
    seq: e.seq,
    type: e.type,
    status: e.status,
    source: e.source,
    actorId: e.actorId,
    externalRef: e.externalRef,
    externalRevision: e.externalRevision,
    data: data as Record<string, unknown>,
    occurredAt: e.occurredAt.toISOString(),
  };
}
