/**
 * 使用済処理: facility staff read a voucher (scanned QR or typed number), see their bookings on it that are due
 * and the exact copay recorded for each under its policy version, and mark one used. Marking is idempotent: a
 * second scan of a redeemed booking changes nothing and says so. Refusals say why, with a stable code.
 *
 * A facility sees a voucher only through its own bookings on it. A number with no booking here, whether it does not
 * exist or belongs to someone who booked elsewhere or nowhere, gets one and the same answer (404 `no_booking`), so
 * typing numbers tells a facility nothing about other people's vouchers; look-ups are also limited per staff account
 * (hub/identity/limits.ts). With a booking here, a refusal says why (revoked, expired, not yet due, ...), never the
 * holder's details.
 */

import { announce, applyTransition } from "../bookings/ledger.js";
import { type BookingDto, bookingInclude, toBookingDto } from "../bookings/mapper.js";
import type { PrismaClient } from "../db/client.js";
import { DomainError, problems } from "../errors.js";
import type { Actor } from "../identity/actor.js";
import { formatDate, tokyoToday } from "../inventory/dates.js";
import { TX_OPTIONS } from "../inventory/inventory.js";
import { stayCountingOf } from "../policies/policy.js";
import { formatVoucherNumber, parseVoucherNumber } from "./number.js";
import { QR_PREFIX, verifyVoucherQr } from "./qr.js";
import { toBalanceDtos, type VoucherDto } from "./vouchers.js";

export interface RedemptionLookup {
  voucher: {
    id: string;
    number: string;
    status: "active" | "revoked";
    municipalityCode: string;
    municipalityName: string;
    validFrom: string;
    validUntil: string;
    balances: VoucherDto["balances"];
    /** How the voucher's policy version counts a stay's units, for showing its balance (日分 or 泊分). */
    stayCounting: VoucherDto["stayCounting"];
  };
  resident: { familyName: string; givenName: string; kana: string };
  bookings: BookingDto[];
}

const refuse = (code: string, detail: string) =>
  new DomainError("conflict", code, "The voucher cannot be used here", detail);

/** The voucher number in a scanned QR payload or a typed number; 422 invalid_voucher_code saying what is wrong. */
export function readVoucherCode(secretKey: Buffer, code: string): string {
  const text = code.trim();
  if (text.startsWith(`${QR_PREFIX}.`)) {
    const qr = verifyVoucherQr(secretKey, text);
    if (qr.ok) return qr.number;
    throw problems.unprocessable(
      "invalid_voucher_code",
      qr.error === "bad_signature"
        ? "This QR code was not issued by the hub (its signature does not match)"
        : "This QR code cannot be read as a voucher",
      [{ path: "code", message: qr.error }],
    );
  }
  const parsed = parseVoucherNumber(text);
  if (parsed.ok) return parsed.number;
  throw problems.unprocessable(
    "invalid_voucher_code",
    parsed.error === "bad_check_digit"
      ? "The number's last digit (check digit) does not match; please check the number again"
      : "A voucher number has 13 digits, e.g. 04100-0000123-4",
    [{ path: "code", message: parsed.error }],
  );
}

function facilityOf(actor: Actor): string {
  if (actor.role !== "facility" || !actor.facilityId) throw problems.forbidden();
  return actor.facilityId;
}

/** Step 1: the voucher and this facility's bookings on it that can be redeemed now (or were, today). */
export async function lookupRedemption(
  prisma: PrismaClient,
  actor: Actor,
  secretKey: Buffer,
  code: string,
  now: Date,
): Promise<RedemptionLookup> {
  const facilityId = facilityOf(actor);
  const number = readVoucherCode(secretKey, code);
  const shown = formatVoucherNumber(number);
  const today = tokyoToday(now);
  const voucher = await prisma.voucher.findUnique({
    where: { number },
    include: {
      balances: true,
      policyVersion: { select: { rules: true } },
      resident: { select: { familyName: true, givenName: true, kana: true } },
      // A re-issued voucher's bookings moved to its replacement: those here still make it this facility's business.
      replacedBy: { select: { number: true, bookings: { where: { facilityId }, select: { id: true } } } },
      // Only this facility's own bookings: whatever else the voucher was used for is none of its business.
      bookings: { where: { facilityId }, include: bookingInclude, orderBy: { startDate: "asc" } },
    },
  });
  if (!voucher || (!voucher.bookings.length && !voucher.replacedBy?.bookings.length)) {
    throw noBookingHere(shown);
  }
  if (voucher.status === "revoked") {
    const replaced = voucher.replacedBy
      ? ` A replacement (${formatVoucherNumber(voucher.replacedBy.number)}) was issued.`
      : "";
    throw refuse("voucher_revoked", `Voucher ${shown} was revoked by the municipality.${replaced}`);
  }
  const here = voucher.bookings.filter((b) => OPEN_OR_USED.has(b.status));
  const due = here.filter(
    (b) =>
      (b.status === "confirmed" && b.startDate <= today) ||
      ((b.status === "used" || b.status === "reported") && b.updatedAt >= startOfTokyoDay(now)),
  );
  if (!due.length) throw whyNothingToRedeem(voucher, here, shown, today);
  const municipality = await prisma.municipality.findUnique({
    where: { code: voucher.municipalityCode },
    select: { name: true },
  });
  return {
    voucher: {
      id: voucher.id,
      number: shown,
      status: voucher.status,
      municipalityCode: voucher.municipalityCode,
      municipalityName: municipality?.name ?? voucher.municipalityCode,
      validFrom: formatDate(voucher.validFrom),
      validUntil: formatDate(voucher.validUntil),
      balances: toBalanceDtos(voucher.balances),
      stayCounting: stayCountingOf(voucher.policyVersion.rules),
    },
    resident: voucher.resident,
    bookings: due.map(toBookingDto),
  };
}

/** The reason a facility has nothing to redeem on a voucher, most specific first. */
function whyNothingToRedeem(
  voucher: {
    validUntil: Date;
    balances: { cap: number; used: number; reserved: number }[];
  },
  here: { status: string; startDate: Date }[],
  shown: string,
  today: Date,
): DomainError {
  const upcoming = here.find((b) => b.status === "confirmed" && b.startDate > today);
  if (upcoming) {
    return refuse(
      "booking_not_yet_due",
      `The booking on ${shown} here starts on ${formatDate(upcoming.startDate)}`,
    );
  }
  if (here.some((b) => b.status === "requested")) {
    return refuse(
      "booking_not_confirmed",
      `The booking on ${shown} here is not approved yet; approve it first`,
    );
  }
  if (voucher.validUntil < today) {
    return refuse("voucher_expired", `Voucher ${shown} was valid until ${formatDate(voucher.validUntil)}`);
  }
  if (voucher.balances.every((b) => b.cap - b.used <= 0)) {
    return refuse("voucher_exhausted", `Every unit of voucher ${shown} has been used`);
  }
  return noBookingHere(shown);
}

const OPEN_OR_USED: ReadonlySet<string> = new Set(["requested", "confirmed", "used", "reported"]);

/** The one answer for a number this facility has no business with: unknown, or booked elsewhere or nowhere. */
const noBookingHere = (shown: string) =>
  new DomainError(
    "not_found",
    "no_booking",
    "No booking here",
    `There is no booking on voucher ${shown} at this facility; check the number, or make the booking first`,
  );

/** Midnight in Asia/Tokyo of `now`'s day, as an instant. */
function startOfTokyoDay(now: Date): Date {
  return new Date(tokyoToday(now).getTime() - 9 * 3_600_000);
}

/**
 * Step 2: marks a confirmed booking of this facility used; its reserved units become used ones, and the
 * resident is told. A booking already used (or reported) answers as it is, with alreadyRedeemed: also when two
 * scans race, the one that loses sees the other's result.
 */
export async function redeemBooking(
  prisma: PrismaClient,
  actor: Actor,
  bookingId: string,
  now: Date,
): Promise<{ booking: BookingDto; alreadyRedeemed: boolean }> {
  const facilityId = facilityOf(actor);
  const today = tokyoToday(now);
  const read = () =>
    prisma.booking.findFirst({
      where: { id: bookingId, facilityId },
      include: { ...bookingInclude, voucher: { select: { number: true, status: true } } },
    });
  const booking = await read();
  if (!booking) throw problems.notFound("booking");
  if (booking.status === "used" || booking.status === "reported") {
    return { booking: toBookingDto(booking), alreadyRedeemed: true };
  }
  if (booking.status !== "confirmed") {
    throw refuse(
      booking.status === "requested" ? "booking_not_confirmed" : "booking_not_redeemable",
      `A ${booking.status} booking cannot be marked used`,
    );
  }
  if (!booking.voucher) throw refuse("no_voucher", "This booking draws on no voucher");
  const shown = formatVoucherNumber(booking.voucher.number);
  if (booking.voucher.status === "revoked") {
    throw refuse("voucher_revoked", `Voucher ${shown} was revoked by the municipality`);
  }
  if (booking.startDate > today) {
    throw refuse("booking_not_yet_due", `The booking starts on ${formatDate(booking.startDate)}`);
  }
  try {
    await prisma.$transaction(async (tx) => {
      await applyTransition(
        tx,
        booking,
        "used",
        {
          source: "staff",
          actorId: actor.userId,
          data: { voucherNumber: shown, units: booking.units, residentCopay: booking.residentCopay },
        },
        now,
      );
      await announce(tx, booking.id, "used", actor.role);
    }, TX_OPTIONS);
  } catch (err) {
    const again = err instanceof DomainError && err.code === "booking_changed" ? await read() : null;
    if (again && (again.status === "used" || again.status === "reported")) {
      return { booking: toBookingDto(again), alreadyRedeemed: true };
    }
    throw err;
  }
  const done = await prisma.booking.findUniqueOrThrow({ where: { id: booking.id }, include: bookingInclude });
  return { booking: toBookingDto(done), alreadyRedeemed: false };
}
