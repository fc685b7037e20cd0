/** Booking rows to the API's JSON shapes: dates as "YYYY-MM-DD", instants as ISO strings, no BigInt. */

import type { BookingSource, BookingStatus, Prisma, ServiceType } from "../db/client.js";
import { formatDate } from "../inventory/dates.js";
import type { EntitlementLine } from "../policies/entitlement.js";
import { stayCountingOf } from "../policies/policy.js";
import { formatVoucherNumber } from "../vouchers/number.js";
import type { FeeSplit } from "./cancellation.js";

export const bookingInclude = {
  facility: { select: { name: true } },
  voucher: { select: { number: true } },
  // rules: for how the policy counts a stay (Prisma reads each distinct version once, not once per booking).
  policyVersion: { select: { id: true, version: true, effectiveFrom: true, rules: true } },
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
  /** A stay's units as its policy version counts them (per_day: 1泊2日 = 2, per_night: = 1); null for other services. */
  stayCounting: "per_day" | "per_night" | null;
  /**
   * Until when the booking can be cancelled free of charge: for an open (requested or confirmed) booking as the
   * rules and the facility's closures say now, for a cancelled one the deadline that applied; else null.
   */
  cancelDeadline: string | null;
  /** How a cancelled booking was cancelled: the reason code and the fee with its split (all 0 when free). */
  cancellation: BookingCancellationDto | null;
  /** Who is coming, for the facility's own staff only (hub/bookings/guests.ts); absent for everyone else. */
  guest?: GuestDto;
};

/** What a facility's approver sees of the mother behind a booking (hub/bookings/guests.ts). */
export type GuestDto = {
  name: string;
  kana: string;
  /** Completed months on the booking's first day; null when the voucher names no child or it is not born yet. */
  childAgeMonths: number | null;
  /** "corrected": counted from the due date (修正月齢), as the policy does for a preterm baby. */
  ageBasis: "birth" | "corrected" | null;
  /** The notes given with the request (and with each change that led to this booking), oldest first. */
  notes: string[];
};

export type BookingCancellationDto = {
  reasonCode: string;
  fee: number;
  residentShare: number;
  municipalityShare: number;
  /** The resident's own no-fee reason, free until the facility or her municipality decides (hub/bookings/fee-waiver.ts). */
  waiver: {
    status: FeeWaiverStatus;
    decidedAt: string | null;
    /** While claimed: the fee and its split that apply if the claim is declined. */
    claim: FeeSplit | null;
  } | null;
};

export type FeeWaiverStatus = "claimed" | "accepted" | "declined";

/** Statuses that can still be cancelled or changed. */
export const OPEN_STATUSES: ReadonlySet<BookingStatus> = new Set<BookingStatus>(["requested", "confirmed"]);

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

/**
 * A booking as the API shows it. An open booking's free-cancellation deadline depends on the policy and the
 * facility's closures, which this pure mapper does not read: hub/bookings/terms.ts bookingDtos computes it and
 * uses toBookingDtoWithDeadline; here an open booking shows the deadline stored on it, if any.
 */
export function toBookingDto(b: BookingRow): BookingDto {
  return toBookingDtoWithDeadline(b, null);
}

/**
 * toBookingDto with the deadline of an open booking as computed now (`openDeadline`), and for a claimed fee waiver
 * the fee that applies if it is declined (`claim`).
 */
export function toBookingDtoWithDeadline(
  b: BookingRow,
  openDeadline: Date | null | undefined,
  claim: FeeSplit | null = null,
): BookingDto {
  const deadline = OPEN_STATUSES.has(b.status) ? (openDeadline ?? b.cancelDeadline) : b.cancelDeadline;
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
    stayCounting: b.serviceType === "stay" && b.policyVersion ? stayCountingOf(b.policyVersion.rules) : null,
    cancelDeadline:
      b.status === "cancelled" || OPEN_STATUSES.has(b.status) ? (deadline?.toISOString() ?? null) : null,
    cancellation:
      b.status === "cancelled" && b.cancelReason !== null
        ? {
            reasonCode: b.cancelReason,
            fee: b.cancellationFee,
            residentShare: b.feeResidentShare,
            municipalityShare: b.feeMunicipalityShare,
            waiver: b.feeWaiver
              ? {
                  status: b.feeWaiver as FeeWaiverStatus,
                  decidedAt: b.feeWaiverDecidedAt?.toISOString() ?? null,
                  claim: b.feeWaiver === "claimed" ? claim : null,
                }
              : null,
          }
        : null,
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
