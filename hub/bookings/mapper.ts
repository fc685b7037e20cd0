/** Booking rows to the API's JSON shapes: dates as "YYYY-MM-DD", instants as ISO strings, no BigInt. */
import type { BookingSource, BookingStatus, Prisma, ServiceType } from "../db/client.js";
import { formatDate } from "../inventory/dates.js";
import type { EntitlementLine } from "../policies/entitlement.js";
import { formatVoucherNumber } from "../vouchers/number.js";

export const bookingInclude = {
  facility: { select: { name: true } },
  voucher: { select: { number: true } },
  policyVersion: { select: { id: true, version: true, effectiveFrom: true } },
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
  voucherId: string | null;
  voucherNumber: string | null;
  units: number;
  fee: number;
  residentCopay: number;
  municipalityShare: number;
  addOns: string[];
  policyVersion: { id: string; version: number; effectiveFrom: string } | null;
  lines: EntitlementLine[];
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
    voucherId: b.voucherId,
    voucherNumber: b.voucher ? formatVoucherNumber(b.voucher.number) : null,
    units: b.units,
    fee: b.fee,
    residentCopay: b.residentCopay,
    municipalityShare: b.municipalityShare,
    addOns: b.addOns,
    policyVersion: b.policyVersion && {
      id: b.policyVersion.id,
      version: b.policyVersion.version,
      effectiveFrom: formatDate(b.policyVersion.effectiveFrom),
    },
    lines: Array.isArray(b.entitlementLines) ? (b.entitlementLines as unknown as EntitlementLine[]) : [],
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
