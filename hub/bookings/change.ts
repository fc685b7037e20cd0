/**
 * Changing a booking (予約変更): new dates, length, time block, and optionally another service type or facility.
 *
 * A change is one transaction, all or nothing: it locks the voucher, the old booking and every slot involved
 * (the old booking's and the new dates', in (date, time block) order, as holds and releases lock them), ends the
 * old booking as `cancelled` with reason code `changed` (no fee; its places and units are given back), and places
 * the new hold with the same statement a hold uses (holds.recordHold, here inside the transaction). When the new
 * places are not there (409 slot_full / slot_closed) or the voucher does not cover the new booking (422), the
 * transaction rolls back and the old booking stays exactly as it was.
 *
 * The entitlement engine checks the new booking with the old booking's units (and its use, for 減免 "first N
 * uses") counted as free again, since the same transaction gives them back first.
 *
 * One history: the old booking's last event is of type `changed` (status `cancelled`) with `changedTo`, and the
 * new booking's first event carries `changedFrom`.
 *
 * The rule on deadlines, kept simple: a change is free until the old booking's free-cancellation deadline. After
 * it, a resident's or municipality's change of a confirmed booking is refused (409 change_after_deadline): they
 * may cancel it (with the fee) and book again. The facility may change its own bookings at any time (a change it
 * makes is facility-caused, like its cancellations), within its own facility (else 422 other_facility). A new
 * booking made by a resident or municipality waits for
 * the facility's approval (requested, with a hold); one the facility makes is confirmed at once.
 *
 * With an Idempotency-Key, a repeated request returns the change the first one made (200), as for holds.
 */
import { randomUUID } from "node:crypto";
import type { Booking, PrismaClient, ServiceType } from "../db/client.js";
import { DomainError, problems } from "../errors.js";
import { bookingScope } from "../identity/access.js";
import type { Actor } from "../identity/actor.js";
import { daysBetween, formatDate, parseDate } from "../inventory/dates.js";
import { ensureSlots, TX_OPTIONS } from "../inventory/inventory.js";
import { type EntitlementFacts, entitle } from "./booking-entitlement.js";
import { CHANGED } from "./cancellation.js";
import {
  assertPlacesFree,
  draftHold,
  type HoldContext,
  type HoldInput,
  isUniqueViolation,
  noticeParties,
  planHold,
  readHoldContext,
  recordHold,
  sameRequest,
  storedKey,
  VOUCHER_RETRIES,
} from "./holds.js";
import { applyTransition } from "./ledger.js";
import { type BookingDto, bookingInclude, toBookingDtoWithDeadline } from "./mapper.js";
import { changeNotices } from "./notices.js";
import { assertTransition, HOLDS_CAPACITY } from "./state.js";
import { bookingDto, cancellationTerms } from "./terms.js";

export type ChangeInput = {
  startDate: string;
  nights?: number;
  timeBlock?: string;
  serviceType?: ServiceType;
  facilityId?: string;
  addOns?: string[];
  note?: string;
};

export type ChangeResult = {
  /** The new booking. */
  booking: BookingDto;
  /** The old one, now cancelled with reason code `changed`. */
  previous: BookingDto;
  /** false when an earlier request with the same Idempotency-Key made this change. */
  created: boolean;
};

const CHANGERS = new Set(["resident", "municipality", "facility"]);

/** Thrown inside the transaction when the voucher changed since it was read: roll back and start again. */
class VoucherChanged extends Error {}

export const changeAfterDeadline = (deadline: Date) =>
  problems.conflict(
    "change_after_deadline",
    `The deadline for free changes and cancellations was ${deadline.toISOString()}; the booking can still be ` +
      "cancelled (a cancellation fee applies) and a new one requested",
  );

/** The hold the change asks for: what the request says, the rest as the old booking had it. */
export function changedHold(old: Booking, input: ChangeInput): HoldInput {
  const serviceType = input.serviceType ?? old.serviceType;
  const facilityId = input.facilityId ?? old.facilityId;
  const sameService = serviceType === old.serviceType && facilityId === old.facilityId;
  const oldNights = old.serviceType === "stay" ? daysBetween(old.startDate, old.endDate) : 1;
  return {
    facilityId,
    serviceType,
    startDate: input.startDate,
    ...(serviceType === "stay"
      ? { nights: input.nights ?? (old.serviceType === "stay" ? oldNights : 1) }
      : input.nights !== undefined
        ? { nights: input.nights }
        : {}),
    ...(input.timeBlock !== undefined
      ? { timeBlock: input.timeBlock }
      : serviceType !== "stay" && sameService && old.timeBlock
        ? { timeBlock: old.timeBlock }
        : {}),
    ...(old.residentId ? { residentId: old.residentId } : {}),
    ...(old.voucherId ? { voucherId: old.voucherId } : {}),
    addOns: input.addOns ?? old.addOns,
    ...(input.note ? { note: input.note } : {}),
  };
}

/** True when the hold asks for exactly what the old booking has. */
function unchanged(old: Booking, hold: HoldInput): boolean {
  const nights = hold.serviceType === "stay" ? (hold.nights ?? 1) : 0;
  const oldNights = old.serviceType === "stay" ? daysBetween(old.startDate, old.endDate) : 0;
  return (
    hold.facilityId === old.facilityId &&
    hold.serviceType === old.serviceType &&
    hold.startDate === formatDate(old.startDate) &&
    (hold.timeBlock ?? "") === old.timeBlock &&
    nights === oldNights
  );
}

/**
 * The facts the entitlement engine judges the new booking on: the voucher as it will be once the old booking
 * has given its units back (and no longer counts as a use), exactly as the transaction will leave it.
 */
function withOldReleased(ctx: HoldContext, old: Booking): EntitlementFacts {
  const v = ctx.voucher;
  if (!v || v.id !== old.voucherId || old.units <= 0 || !HOLDS_CAPACITY.has(old.status)) return ctx;
  const balance = v.balances[old.serviceType];
  return {
    ...ctx,
    voucher: {
      ...v,
      usesCount: Math.max(v.usesCount - 1, 0),
      balances: {
        ...v.balances,
        ...(balance
          ? { [old.serviceType]: { ...balance, reserved: Math.max(balance.reserved - old.units, 0) } }
          : {}),
      },
    },
  };
}

/** The change an earlier request with the same key made, or null; 422 when the key was used for something else. */
async function earlierChange(
  prisma: PrismaClient,
  key: string,
  old: Booking,
  hold: HoldInput,
): Promise<ChangeResult | null> {
  const event = await prisma.bookingEvent.findUnique({
    where: { idempotencyKey: key },
    select: { data: true, booking: { include: bookingInclude } },
  });
  if (!event) return null;
  const data = (event.data ?? {}) as { changedFrom?: unknown };
  if (data.changedFrom !== old.id) {
    throw problems.unprocessable(
      "idempotency_key_reused",
      "This Idempotency-Key was already used for a different request; use a new key for a new request",
    );
  }
  const booking = sameRequest(await bookingDto(prisma, event.booking), hold);
  const previous = await prisma.booking.findUniqueOrThrow({ where: { id: old.id }, include: bookingInclude });
  return { booking, previous: await bookingDto(prisma, previous), created: false };
}

/** Changes a booking; see the module comment for the rules. */
export async function changeBooking(
  prisma: PrismaClient,
  actor: Actor,
  bookingId: string,
  input: ChangeInput,
  now: Date,
  opts: { idempotencyKey?: string } = {},
): Promise<ChangeResult> {
  if (!CHANGERS.has(actor.role)) throw problems.forbidden();
  const key = opts.idempotencyKey ? storedKey(actor, opts.idempotencyKey) : undefined;
  for (let attempt = 1; ; attempt++) {
    const old = await prisma.booking.findFirst({ where: { AND: [{ id: bookingId }, bookingScope(actor)] } });
    if (!old) throw problems.notFound("booking");
    const hold = changedHold(old, input);
    if (key) {
      const earlier = await earlierChange(prisma, key, old, hold);
      if (earlier) return earlier;
    }
    assertTransition(old.status, "cancelled");
    if (parseDate(input.startDate) && unchanged(old, hold)) {
      throw problems.unprocessable("no_change", "The booking already has these dates and this service", [
        { path: "startDate", message: "unchanged" },
      ]);
    }
    const terms = await cancellationTerms(prisma, old);
    if (
      actor.role !== "facility" &&
      old.status === "confirmed" &&
      now.getTime() >= terms.deadline.getTime()
    ) {
      throw changeAfterDeadline(terms.deadline);
    }

    // Staff may change this booking, but not move it to a facility they do not work at: a refusal of the target.
    if (actor.role === "facility" && hold.facilityId !== actor.facilityId) {
      throw problems.unprocessable(
        "other_facility",
        "Facility staff can move a booking only within their own facility; the resident or municipality can move it elsewhere",
        [{ path: "facilityId", message: "not your facility" }],
      );
    }
    const ctx = await readHoldContext(prisma, actor, hold, undefined);
    const plan = planHold(actor, hold, ctx, now);
    const facts = withOldReleased(ctx, old);
    const entitled = await entitle(prisma, facts, hold);
    const [first, last] = [plan.dates[0], plan.dates[plan.dates.length - 1]];
    if (first && last) {
      await ensureSlots(prisma, hold.facilityId, hold.serviceType, first, last, [plan.timeBlock], now);
    }
    const draft = draftHold(actor, hold, plan, { ...ctx, ...facts }, entitled, key, now, {
      id: randomUUID(),
      status: actor.role === "facility" ? "confirmed" : "requested",
      eventData: { changedFrom: old.id },
    });
    const oldFacility =
      old.facilityId === hold.facilityId
        ? null
        : await prisma.facility.findUnique({
            where: { id: old.facilityId },
            select: { name: true, email: true },
          });
    const parties = noticeParties(hold, ctx);
    const messages = changeNotices(
      actor.role,
      old,
      { ...draft.booking, cancelDeadline: draft.deadline },
      {
        resident: parties.resident,
        before: oldFacility ? { id: old.facilityId, ...oldFacility } : parties.facility,
        after: parties.facility,
      },
    );

    try {
      await prisma.$transaction(async (tx) => {
        // Lock order as everywhere: voucher(s), the booking, then slots in (date, time block) order.
        const vouchers = [...new Set([old.units > 0 ? old.voucherId : null, draft.reservation.voucherId])]
          .filter((v): v is string => v !== null)
          .sort();
        await tx.$queryRaw`SELECT 1 FROM voucher WHERE id = ANY(${vouchers}::uuid[]) ORDER BY id FOR UPDATE`;
        await tx.$queryRaw`SELECT 1 FROM booking WHERE id = ${old.id}::uuid FOR UPDATE`;
        await tx.$queryRaw`
          SELECT s.id FROM slot s
          WHERE s.id IN (SELECT bs.slot_id FROM booking_slot bs WHERE bs.booking_id = ${old.id}::uuid)
            OR (s.facility_id = ${hold.facilityId}::uuid AND s.service_type = ${hold.serviceType}::"ServiceType"
              AND s.time_block = ${plan.timeBlock} AND s.date = ANY(${draft.days}::date[]))
          ORDER BY s.date, s.time_block, s.id
          FOR UPDATE OF s`;
        await applyTransition(
          tx,
          old,
          "cancelled",
          {
            source: actor.role === "resident" ? "portal" : "staff",
            actorId: actor.userId,
            type: "changed",
            data: { reasonCode: CHANGED, changedTo: draft.booking.id, by: actor.role },
          },
          now,
          {
            cancelReason: CHANGED,
            cancelDeadline: terms.deadline,
            cancellationFee: 0,
            feeResidentShare: 0,
            feeMunicipalityShare: 0,
          },
        );
        const recorded = await recordHold(tx, draft, messages);
        if (!recorded.held) {
          assertPlacesFree(recorded, draft.days);
          if (recorded.voucherOk) throw new Error(`change ${old.id} was neither written nor refused`);
          throw new VoucherChanged();
        }
      }, TX_OPTIONS);
    } catch (err) {
      if (err instanceof VoucherChanged) {
        if (attempt < VOUCHER_RETRIES) continue;
        throw problems.conflict(
          "voucher_changed",
          "The voucher was being used by another booking at the same moment; try again",
        );
      }
      // The same key raced us: its change won (the old booking changed under us, or its key insert came first).
      const raced =
        isUniqueViolation(err) ||
        (err instanceof DomainError &&
          ["booking_changed", "invalid_transition", "already_booked"].includes(err.code));
      if (key && raced) {
        const earlier = await earlierChange(prisma, key, old, hold);
        if (earlier) return earlier;
      }
      throw err;
    }
    const previous = await prisma.booking.findUniqueOrThrow({
      where: { id: old.id },
      include: bookingInclude,
    });
    return {
      booking: toBookingDtoWithDeadline(draft.booking, draft.deadline),
      previous: await bookingDto(prisma, previous),
      created: true,
    };
  }
}
