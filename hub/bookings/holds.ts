/**
 * Requesting a booking: a timed hold on the capacity it needs.
 *
 * A hold is the hub's hottest write, so it is done in as few statements as the guarantees allow, in raw SQL
 * (each Prisma model query costs far more Node CPU than the database work behind it):
 *  1. one read of everything the checks need (readHoldContext): facility, service, resident, the voucher the
 *     booking draws on with its balances and child, the policy version in force, and the booking an earlier
 *     request with the same Idempotency-Key made;
 *  2. the entitlement engine, pure (hub/bookings/booking-entitlement.ts): units, fee, copay and municipality share;
 *  3. one statement (recordHold) that locks the voucher and the slots, reserves the units and takes a place on
 *     every night, or does neither, and writes the booking, its slots, its first event and its outbox messages.
 *     A single statement is a single transaction: all of it commits, or nothing does. Slot rows are created
 *     lazily, so only when some did not exist yet are they created (ensureSlots) and the statement run once
 *     more. When the voucher changed since step 1 (another booking on it), the hold starts again from step 1.
 * A change of booking (hub/bookings/change.ts) runs the same statement inside its own transaction, after giving
 * back the old booking's places and units. The answer carries the free-cancellation deadline, computed from the
 * policy's rule and the facility's closures read in step 1.
 */
import { randomUUID } from "node:crypto";
import { PLAN_CACHED, Prisma, type PrismaClient, type ServiceType } from "../db/client.js";
import { isUniqueViolation as isDriverUniqueViolation } from "../db/driver.js";
import { hotRows } from "../db/hot.js";
import { DomainError, problems } from "../errors.js";
import { parseTimeBlocks } from "../facilities/mapper.js";
import type { Actor } from "../identity/actor.js";
import { addDays, daysBetween, formatDate, parseDate, requireDate, tokyoToday } from "../inventory/dates.js";
import { type Db, ensureSlots, serviceDates, unknownTimeBlock } from "../inventory/inventory.js";
import { slotBlocks, type TimeBlock } from "../inventory/slots.js";
import { OUTBOX_TOPIC_MESSAGE, OUTBOX_TOPIC_PUSH } from "../notify/outbox.js";
import type { IncomeTier } from "../policies/policy.js";
import {
  type Entitled,
  type EntitlementFacts,
  entitle,
  type HoldVoucher,
  toQuote,
} from "./booking-entitlement.js";
import { cancellationDeadline } from "./cancellation.js";
import { type BookingDto, type BookingRow, bookingInclude, toBookingDtoWithDeadline } from "./mapper.js";
import { bookingNotices, type NoticeParties } from "./notices.js";
import { assertStep } from "./state.js";
import { bookingDto, CLOSURE_LOOKBACK_DAYS } from "./terms.js";

export type HoldInput = {
  facilityId: string;
  serviceType: ServiceType;
  startDate: string;
  nights?: number;
  timeBlock?: string;
  residentId?: string;
  voucherId?: string;
  addOns?: string[];
  note?: string;
};

/** The longest stay one request may hold (the contract's maximum for `nights`). */
export const MAX_NIGHTS = 14;

export type HoldResult = { booking: BookingDto; created: boolean };

/** What the checks of a hold need from the database, read in one query (readHoldContext). */
export type HoldContext = EntitlementFacts & {
  facility: { name: string; email: string; published: boolean } | null;
  service: { timeBlocks: TimeBlock[]; holdMinutes: number } | null;
  /** The resident the booking is for, when they exist and lie within the caller's scope. */
  resident: {
    id: string;
    email: string | null;
    phone: string | null;
    language: string;
    municipalityCode: string;
  } | null;
  /** The facility's closures that count for the cancellation deadline (hub/bookings/terms.ts), "YYYY-MM-DD". */
  closedDays: ReadonlySet<string>;
  /** The booking an earlier request with the same (per-user) Idempotency-Key made. */
  earlierBookingId: string | null;
};

/** What a hold asks for, once checked against the facility's service. */
export type Plan = {
  residentId: string;
  dates: Date[];
  startDate: Date;
  endDate: Date;
  timeBlock: string;
  holdMinutes: number;
};

/** Idempotency keys are stored per user, so one caller's key can never return another caller's booking. */
export const storedKey = (actor: Actor, key: string) => `${actor.userId}:${key}`;

/** How often a hold is tried again when its voucher changed between the read and the write. */
export const VOUCHER_RETRIES = 3;

/**
 * Places a hold. With an Idempotency-Key, a repeated request (same caller, same key) returns the booking the
 * first one made, with `created: false`, also when the two arrive at the same moment.
 */
export async function createHold(
  prisma: PrismaClient,
  actor: Actor,
  input: HoldInput,
  now: Date,
  // notifyFacility false: the facility is not told of the request yet (a waitlist offer, until it is accepted).
  opts: { idempotencyKey?: string; notifyFacility?: boolean } = {},
): Promise<HoldResult> {
  const key = opts.idempotencyKey ? storedKey(actor, opts.idempotencyKey) : undefined;
  for (let attempt = 1; ; attempt++) {
    const ctx = await readHoldContext(prisma, actor, input, key);
    if (key && ctx.earlierBookingId) {
      const earlier = await bookingForKey(prisma, key);
      if (earlier) return { booking: sameRequest(earlier, input), created: false };
    }
    const plan = planHold(actor, input, ctx, now);
    const entitled = await entitle(prisma, ctx, input);
    const notify = opts.notifyFacility !== false;
    const result = await tryPlaceHold(prisma, actor, input, plan, ctx, entitled, key, now, notify);
    if (result) return result;
    if (attempt >= VOUCHER_RETRIES) {
      throw problems.conflict(
        "voucher_changed",
        "The voucher was being used by another booking at the same moment; try again",
      );
    }
  }
}

/**
 * What a hold would reserve and cost (the entitlement check), without holding anything: for showing units and
 * copay before the resident confirms.
 */
export async function quoteHold(prisma: PrismaClient, actor: Actor, input: HoldInput, now: Date) {
  const ctx = await readHoldContext(prisma, actor, input, undefined);
  // The same checks as a hold (facility, service, dates, on whose behalf) come first.
  planHold(actor, input, ctx, now);
  return toQuote(await entitle(prisma, ctx, input));
}

/** placeHold, resolving a race on the same Idempotency-Key to the booking the other request made. */
async function tryPlaceHold(
  prisma: PrismaClient,
  actor: Actor,
  input: HoldInput,
  plan: Plan,
  ctx: HoldContext,
  entitled: Entitled,
  key: string | undefined,
  now: Date,
  notify: boolean,
): Promise<HoldResult | null> {
  try {
    const booking = await placeHold(prisma, actor, input, plan, ctx, entitled, key, now, notify);
    return booking && { booking, created: true };
  } catch (err) {
    // The same key raced us: either its insert won (unique violation here) or it took the last place.
    const raced =
      isUniqueViolation(err) ||
      (err instanceof DomainError && ["slot_full", "slot_closed", "already_booked"].includes(err.code));
    if (key && raced) {
      const earlier = await bookingForKey(prisma, key);
      if (earlier) return { booking: sameRequest(earlier, input), created: false };
    }
    throw err;
  }
}

/**
 * Everything the checks need, in one query: the facility and its service (for visibility, time blocks and
 * the hold's length), the resident within the caller's scope (a municipality only its own residents; also
 * whom to tell, and the income tier), the voucher (the one asked for, else the resident's active one that is
 * valid on the start date, newest first) with its balances and child, the voucher municipality's policy
 * version in force on the start date, and the booking an earlier request with the same key made.
 */
export async function readHoldContext(
  prisma: PrismaClient,
  actor: Actor,
  input: HoldInput,
  key: string | undefined,
): Promise<HoldContext> {
  const residentId = (actor.role === "resident" ? actor.residentId : input.residentId) ?? null;
  const municipality = actor.role === "municipality" ? (actor.municipalityCode ?? "") : null;
  const start = parseDate(input.startDate) ? input.startDate : null;
  const [row] = await hotRows<
    {
      facility_name: string | null;
      facility_email: string | null;
      published: boolean | null;
      time_blocks: Prisma.JsonValue | null;
      hold_minutes: number | null;
      resident_id: string | null;
      resident_email: string | null;
      resident_phone: string | null;
      resident_language: string | null;
      resident_municipality: string | null;
      income_tier: IncomeTier | null;
      voucher_id: string | null;
      birth_date: string | null;
      due_date: string | null;
      multiple_birth: number;
      policy_version_id: string | null;
      earlier_booking_id: string | null;
      closed_days: string[] | null;
    } & VoucherColumns
  >(
    prisma,
    Prisma.sql`${PLAN_CACHED}
    SELECT f.name AS facility_name, f.email AS facility_email, f.published,
      fs.time_blocks, fs.hold_minutes,
      r.id AS resident_id, r.email AS resident_email, r.phone AS resident_phone,
      r.preferred_language AS resident_language, r.municipality_code AS resident_municipality,
      r.income_tier::text AS income_tier,
      v.id AS voucher_id, v.number AS voucher_number, v.municipality_code AS voucher_municipality,
      v.status::text AS voucher_status, to_char(v.valid_from, 'YYYY-MM-DD') AS valid_from,
      to_char(v.valid_until, 'YYYY-MM-DD') AS valid_until, v.uses_count,
      (SELECT json_agg(json_build_array(b.service_type, b.cap, b.used, b.reserved))
        FROM voucher_balance b WHERE b.voucher_id = v.id) AS balances,
      to_char(c.birth_date, 'YYYY-MM-DD') AS birth_date, to_char(c.due_date, 'YYYY-MM-DD') AS due_date,
      c.multiple_birth, pv.id AS policy_version_id,
      (SELECT e.booking_id FROM booking_event e WHERE e.idempotency_key = ${key ?? null}::text) AS earlier_booking_id,
      (SELECT array_agg(to_char(cl.date, 'YYYY-MM-DD')) FROM closure cl
        WHERE cl.facility_id = f.id
          AND (cl.service_type IS NULL OR cl.service_type = ${input.serviceType}::"ServiceType")
          AND cl.date >= ${start}::date - ${CLOSURE_LOOKBACK_DAYS}::int AND cl.date < ${start}::date) AS closed_days
    FROM (VALUES (1)) AS one (x)
    LEFT JOIN facility f ON f.id = ${input.facilityId}::uuid
    LEFT JOIN facility_service fs
      ON fs.facility_id = f.id AND fs.service_type = ${input.serviceType}::"ServiceType"
    LEFT JOIN resident r ON r.id = ${residentId}::uuid
      AND (${municipality}::text IS NULL OR r.municipality_code = ${municipality}::text)
    LEFT JOIN LATERAL (
      SELECT * FROM voucher v
      WHERE v.resident_id = r.id AND (${input.voucherId ?? null}::uuid IS NULL OR v.id = ${input.voucherId ?? null}::uuid)
      ORDER BY v.status = 'active' DESC,
        coalesce(${start}::date BETWEEN v.valid_from AND v.valid_until, false) DESC, v.issued_at DESC
      LIMIT 1
    ) v ON true
    LEFT JOIN child c ON c.id = v.child_id
    LEFT JOIN LATERAL (
      SELECT pv.id FROM policy_version pv
      WHERE pv.municipality_code = v.municipality_code AND pv.effective_from <= ${start}::date
      ORDER BY pv.effective_from DESC, pv.version DESC
      LIMIT 1
    ) pv ON true`,
  );
  if (!row) throw new Error("the hold context query returned no row");
  return {
    facility:
      row.facility_name === null
        ? null
        : { name: row.facility_name, email: row.facility_email ?? "", published: row.published === true },
    service:
      row.hold_minutes === null
        ? null
        : {
            timeBlocks: parseTimeBlocks(row.time_blocks, `facility ${input.facilityId} ${input.serviceType}`),
            holdMinutes: row.hold_minutes,
          },
    resident:
      row.resident_id === null
        ? null
        : {
            id: row.resident_id,
            email: row.resident_email,
            phone: row.resident_phone,
            language: row.resident_language ?? "ja",
            municipalityCode: row.resident_municipality ?? "",
          },
    closedDays: new Set(row.closed_days ?? []),
    incomeTier: row.income_tier ?? "general",
    voucher: row.voucher_id === null ? null : holdVoucher(row.voucher_id, row),
    child:
      row.birth_date === null
        ? null
        : { birthDate: row.birth_date, dueDate: row.due_date, multipleBirth: row.multiple_birth },
    policyVersionId: row.policy_version_id,
    earlierBookingId: row.earlier_booking_id,
  };
}

/** The voucher's columns of the hold context's row. */
type VoucherColumns = {
  voucher_number: string;
  voucher_municipality: string;
  voucher_status: "active" | "revoked";
  valid_from: string;
  valid_until: string;
  uses_count: number;
  balances: [ServiceType, number, number, number][] | null;
};

function holdVoucher(id: string, row: VoucherColumns): HoldVoucher {
  return {
    id,
    number: row.voucher_number,
    municipalityCode: row.voucher_municipality,
    status: row.voucher_status,
    validFrom: row.valid_from,
    validUntil: row.valid_until,
    usesCount: row.uses_count,
    balances: Object.fromEntries(
      (row.balances ?? []).map(([type, cap, used, reserved]) => [type, { cap, used, reserved }]),
    ),
  };
}

/**
 * Checks who books for whom, the facility and service, the date and the time block, in this order (the
 * first failing check is the answer).
 */
export function planHold(actor: Actor, input: HoldInput, ctx: HoldContext, now: Date): Plan {
  const residentId = bookingResident(actor, input, ctx);
  if (actor.role === "facility" && actor.facilityId !== input.facilityId) {
    throw problems.forbidden("Facility staff can book only at their own facility");
  }
  const own = actor.role === "facility" && actor.facilityId === input.facilityId;
  if (!ctx.facility || (!ctx.facility.published && !own)) throw problems.notFound("facility");
  const service = ctx.service;
  if (!service) {
    throw problems.unprocessable(
      "service_not_offered",
      `This facility does not offer the ${input.serviceType} service`,
      [{ path: "serviceType", message: "not offered by this facility" }],
    );
  }
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
function bookingResident(actor: Actor, input: HoldInput, ctx: HoldContext): string {
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
  // readHoldContext looked the resident up within the caller's scope.
  if (!ctx.resident) throw problems.notFound("resident");
  return ctx.resident.id;
}

/**
 * Writes the hold (recordHold). When some of its slot rows did not exist yet, creates them from the
 * service's defaults, outside any transaction as concurrent callers may, and tries once more. null when
 * the places were there but the voucher had changed since it was read (the caller starts again).
 */
async function placeHold(
  prisma: PrismaClient,
  actor: Actor,
  input: HoldInput,
  plan: Plan,
  ctx: HoldContext,
  entitled: Entitled,
  key: string | undefined,
  now: Date,
  notify: boolean,
): Promise<BookingDto | null> {
  const draft = draftHold(actor, input, plan, ctx, entitled, key, now);
  const messages = notify
    ? bookingNotices("requested", actor.role, draft.booking, noticeParties(input, ctx))
    : [];

  let slots = await recordHold(prisma, draft, messages);
  if (!slots.held && slots.found.length < draft.days.length) {
    const [first, last] = [plan.dates[0], plan.dates[plan.dates.length - 1]];
    if (first && last) {
      await ensureSlots(prisma, input.facilityId, input.serviceType, first, last, [plan.timeBlock], now);
    }
    slots = await recordHold(prisma, draft, messages);
  }
  if (!slots.held) {
    assertPlacesFree(slots, draft.days);
    if (!slots.voucherOk) return null;
    throw new Error(`hold ${draft.booking.id} was neither written nor refused`);
  }
  return toBookingDtoWithDeadline(draft.booking, draft.deadline);
}

/** Whom a hold's messages go to: the facility (Japanese) and the resident (in their language). */
export function noticeParties(input: { facilityId: string }, ctx: HoldContext): NoticeParties {
  return {
    facility: { id: input.facilityId, name: ctx.facility?.name ?? "", email: ctx.facility?.email ?? "" },
    resident: ctx.resident && {
      id: ctx.resident.id,
      email: ctx.resident.email,
      phone: ctx.resident.phone,
      language: ctx.resident.language,
      municipalityCode: ctx.resident.municipalityCode,
    },
  };
}

/**
 * When a hold was not written: the first night (or day) that could not be had is the answer (409 slot_full or
 * slot_closed), as a hold takes them in date order. Returns when every place was there (the voucher had changed).
 */
export function assertPlacesFree(slots: RecordedHold, days: readonly string[]): void {
  for (const day of days) {
    const slot = slots.found.find((s) => s.day === day);
    if (!slot || slot.closed || !slot.free) throw slot?.closed ? slotClosed(day) : slotFull(day);
  }
}

/** The voucher units a hold reserves, and the voucher's use count its amounts were computed with. */
export type Reservation = { voucherId: string; usesSoFar: number; units: number };

/** Everything one hold writes: the booking row, its first event, the voucher reservation, its dates. */
export type HoldDraft = {
  booking: BookingRow;
  event: { actorId: string; idempotencyKey: string | null; data: Record<string, unknown> };
  reservation: Reservation;
  days: string[];
  /** Its free-cancellation deadline, as the policy and the facility's closures say now. */
  deadline: Date;
};

/**
 * The hold a request makes, not yet written. A change (hub/bookings/change.ts) gives the new booking's id, its
 * first status (a facility's own change is confirmed at once) and what its first event adds (`changedFrom`).
 */
export function draftHold(
  actor: Actor,
  input: HoldInput,
  plan: Plan,
  ctx: HoldContext,
  entitled: Entitled,
  key: string | undefined,
  now: Date,
  opts: { id?: string; status?: "requested" | "confirmed"; eventData?: Record<string, unknown> } = {},
): HoldDraft {
  const status = opts.status ?? "requested";
  const booking: BookingRow = {
    id: opts.id ?? randomUUID(),
    residentId: plan.residentId,
    facilityId: input.facilityId,
    facility: { name: ctx.facility?.name ?? "" },
    serviceType: input.serviceType,
    startDate: plan.startDate,
    endDate: plan.endDate,
    timeBlock: plan.timeBlock,
    status,
    holdExpiresAt: status === "requested" ? new Date(now.getTime() + plan.holdMinutes * 60_000) : null,
    source: actor.role === "resident" ? "portal" : "staff",
    externalRef: null,
    revision: 1,
    createdAt: now,
    updatedAt: now,
    voucherId: entitled.voucher.id,
    voucher: { number: entitled.voucher.number },
    policyVersionId: entitled.policyVersionId,
    policyVersion: {
      id: entitled.policyVersionId,
      version: entitled.policyVersion.version,
      effectiveFrom: parseDate(entitled.policyVersion.effectiveFrom) as Date,
      // Of the version's rules the mapper reads only how a stay is counted, which the entitlement already has.
      rules: entitled.stayCounting ? { services: { stay: { stayCounting: entitled.stayCounting } } } : {},
    },
    units: entitled.unitsNeeded,
    fee: entitled.fee,
    residentCopay: entitled.residentCopay,
    municipalityShare: entitled.municipalityShare,
    addOns: input.addOns ?? [],
    entitlementLines: entitled.lines as unknown as Prisma.JsonValue,
    cancelReason: null,
    cancelDeadline: null,
    cancellationFee: 0,
    feeResidentShare: 0,
    feeMunicipalityShare: 0,
    feeWaiver: null,
    feeWaiverDecidedBy: null,
    feeWaiverDecidedAt: null,
    remindedAt: null,
    waitlistEntryId: null,
  };
  const event = {
    actorId: actor.userId,
    idempotencyKey: key ?? null,
    data: {
      dates: plan.dates.map(formatDate),
      ...(input.serviceType === "stay" ? { nights: plan.dates.length } : {}),
      ...(plan.timeBlock ? { timeBlock: plan.timeBlock } : {}),
      ...(input.note ? { note: input.note } : {}),
      ...(actor.role !== "resident" ? { onBehalfOf: plan.residentId } : {}),
      units: entitled.unitsNeeded,
      residentCopay: entitled.residentCopay,
      policyVersion: entitled.policyVersion.version,
      ...opts.eventData,
    },
  };
  return {
    booking,
    event,
    reservation: {
      voucherId: entitled.voucher.id,
      usesSoFar: entitled.voucher.usesCount,
      units: entitled.unitsNeeded,
    },
    days: plan.dates.map(formatDate),
    deadline: cancellationDeadline(entitled.cancellation.cutoff, plan.startDate, ctx.closedDays),
  };
}

/** What recordHold saw and did. */
export type RecordedHold = {
  held: boolean;
  voucherOk: boolean;
  found: { day: string; closed: boolean; free: boolean }[];
};

/**
 * The hold's one statement, one transaction: locks the voucher row and its balance for the service type first,
 * then the slot rows of `days` in (date, time block) order. Every path that changes both a voucher and slots
 * (a cancellation, hub/bookings/ledger.ts) locks the voucher first too, and slots are always locked in the
 * order setCapacity and releaseSlots use (closures touch one date), so holds never deadlock with one another,
 * with capacity changes or with places being given back.
 *
 * The voucher is judged on the locked (latest) row: still active, its use count unchanged since the amounts
 * were computed (減免 for "the first N uses" depends on it), and used + reserved + units within the cap.
 *
 * Never oversold: a place is taken only when EVERY locked row has one free and is open, judged on the row
 * versions the lock returned (the latest), which nobody else can change before this commits; the UPDATE
 * itself filters on the row id only, because its own scan sees the statement's snapshot, where a place
 * given back a moment ago would still look taken and a multi-night hold could be taken only in part.
 * All or nothing: the booking, its slots, its first event and its outbox messages are written only when
 * every night was taken, in the same statement; a failing insert (e.g. an Idempotency-Key that a concurrent
 * request just used) fails the whole statement and so gives the places back.
 *
 * `db` may be a transaction client: the statement then becomes one step of the caller's transaction (a change of
 * booking gives back the old booking's places and units first, hub/bookings/change.ts), and its locks, like its
 * writes, last until that transaction ends.
 *
 * Returns the slot rows that exist, with what the lock saw, and whether the booking was written.
 */
export async function recordHold(db: Db, draft: HoldDraft, messages: unknown[]): Promise<RecordedHold> {
  try {
    return await recordHoldStatement(db, draft, messages);
  } catch (err) {
    if (isSecondBooking(err)) throw alreadyBooked(draft.days);
    throw err;
  }
}

async function recordHoldStatement(db: Db, draft: HoldDraft, messages: unknown[]): Promise<RecordedHold> {
  const { booking: b, reservation: r, days, event } = draft;
  // The statement writes the booking's first event itself (a hold is one statement): the same check as every
  // other event's (hub/bookings/ledger.ts appendEvents).
  assertStep(null, b.status, b.source);
  const rows = await hotRows<{
    day: string;
    closed: boolean;
    free: boolean;
    held: boolean;
    voucher_ok: boolean;
  }>(
    db,
    Prisma.sql`${PLAN_CACHED}
    WITH voucher_locked AS (
      SELECT status = 'active' AND uses_count = ${r.usesSoFar} AS ok
      FROM voucher WHERE id = ${r.voucherId}::uuid
      FOR UPDATE
    ), balance_locked AS (
      SELECT used + reserved + ${r.units} <= cap AS ok
      FROM voucher_balance WHERE voucher_id = ${r.voucherId}::uuid AND service_type = ${b.serviceType}::"ServiceType"
      FOR UPDATE
    ), voucher_ok AS (
      SELECT coalesce((SELECT ok FROM voucher_locked), false) AND coalesce((SELECT ok FROM balance_locked), false) AS ok
    ), wanted AS (
      -- Referring to voucher_ok makes the voucher locks come first.
      SELECT id, date, time_block, closed, booked + external < capacity AS free
      FROM slot
      WHERE facility_id = ${b.facilityId}::uuid AND service_type = ${b.serviceType}::"ServiceType"
        AND time_block = ${b.timeBlock} AND date = ANY(${days}::date[])
        AND (SELECT ok FROM voucher_ok) IS NOT NULL
      ORDER BY date, time_block
      FOR UPDATE
    ), go AS (
      SELECT (SELECT count(*) FROM wanted WHERE free AND NOT closed) = ${days.length}
        AND (SELECT ok FROM voucher_ok) AS ok
    ), taken AS (
      UPDATE slot s SET booked = s.booked + 1, updated_at = ${b.updatedAt}::timestamp
      FROM wanted w
      WHERE s.id = w.id AND (SELECT ok FROM go)
      RETURNING s.id, s.date
    ), counted AS (
      UPDATE voucher SET uses_count = uses_count + 1
      WHERE id = ${r.voucherId}::uuid AND (SELECT ok FROM go)
    ), reserved AS (
      UPDATE voucher_balance SET reserved = reserved + ${r.units}
      WHERE voucher_id = ${r.voucherId}::uuid AND service_type = ${b.serviceType}::"ServiceType" AND (SELECT ok FROM go)
    ), new_booking AS (
      INSERT INTO booking (id, resident_id, facility_id, service_type, start_date, end_date, time_block,
        status, hold_expires_at, source, revision, created_at, updated_at, voucher_id, policy_version_id,
        units, fee, resident_copay, municipality_share, add_ons, entitlement_lines)
      SELECT ${b.id}::uuid, ${b.residentId}::uuid, ${b.facilityId}::uuid, ${b.serviceType}::"ServiceType",
        ${formatDate(b.startDate)}::date, ${formatDate(b.endDate)}::date, ${b.timeBlock},
        ${b.status}::"BookingStatus", ${b.holdExpiresAt}::timestamp, ${b.source}::"BookingSource",
        ${b.revision}, ${b.createdAt}::timestamp, ${b.updatedAt}::timestamp, ${r.voucherId}::uuid,
        ${b.policyVersionId}::uuid, ${b.units}, ${b.fee}, ${b.residentCopay}, ${b.municipalityShare},
        ${b.addOns}::text[], ${JSON.stringify(b.entitlementLines)}::jsonb
      WHERE (SELECT ok FROM go)
      RETURNING id
    ), new_slots AS (
      -- The resident's claim on each place: a second booking of hers for the same place and time fails here.
      INSERT INTO booking_slot (booking_id, slot_id, resident_id)
      SELECT nb.id, t.id, ${b.residentId}::uuid FROM new_booking nb CROSS JOIN taken t
    ), new_event AS (
      INSERT INTO booking_event (booking_id, seq, type, status, source, actor_id, idempotency_key, data, occurred_at)
      SELECT nb.id, ${b.revision}, ${b.status}, ${b.status}::"BookingStatus", ${b.source}::"BookingSource",
        ${event.actorId}::uuid, ${event.idempotencyKey}::text, ${JSON.stringify(event.data)}::jsonb,
        ${b.createdAt}::timestamp
      FROM new_booking nb
    ), new_messages AS (
      INSERT INTO outbox (topic, payload, created_at)
      SELECT ${OUTBOX_TOPIC_MESSAGE}, m.payload, ${b.createdAt}::timestamp
      FROM new_booking CROSS JOIN jsonb_array_elements(${JSON.stringify(messages)}::jsonb) AS m (payload)
    ), new_push AS (
      -- The facility's own system hears of the booking at once (hub/bookings/ledger.ts pushToFacilitySystem).
      INSERT INTO outbox (topic, payload, created_at)
      SELECT ${OUTBOX_TOPIC_PUSH}, jsonb_build_object('connectionId', c.id::text), ${b.createdAt}::timestamp
      FROM new_booking CROSS JOIN connection c
      WHERE c.facility_id = ${b.facilityId}::uuid AND c.enabled AND ${b.source} <> 'connector'
    ), new_availability AS (
      -- …and of the places left on those days (hub/connections/availability-changes.ts; the same job sends it).
      INSERT INTO connector_availability_change (connection_id, service_type, date, created_at)
      SELECT c.id, ${b.serviceType}::"ServiceType", t.date, ${b.createdAt}::timestamp
      FROM taken t CROSS JOIN connection c
      WHERE c.facility_id = ${b.facilityId}::uuid AND c.enabled AND coalesce(c.config->>'apiBaseUrl', '') <> ''
        AND ${b.source} <> 'connector'
    )
    SELECT to_char(w.date, 'YYYY-MM-DD') AS day, w.closed, w.free, EXISTS (SELECT 1 FROM new_booking) AS held,
      (SELECT ok FROM voucher_ok) AS voucher_ok
    FROM wanted w ORDER BY w.date`,
  );
  // With no slot row at all there is no row to report `held` on; nothing was written then.
  return {
    held: rows[0]?.held === true,
    voucherOk: rows[0]?.voucher_ok === true,
    found: rows.map(({ day, closed, free }) => ({ day, closed, free })),
  };
}

const slotFull = (day: string) =>
  new DomainError("conflict", "slot_full", "No place is free", `No place is free on ${day}`, [
    { path: day, message: "full" },
  ]);
const slotClosed = (day: string) =>
  new DomainError("conflict", "slot_closed", "The facility is closed", `The facility is closed on ${day}`, [
    { path: day, message: "closed" },
  ]);

const alreadyBooked = (days: string[]) =>
  new DomainError(
    "conflict",
    "already_booked",
    "Already booked",
    `She already has a booking of this place and time on ${days.length > 1 ? "one of these days" : "this day"} (${days.join(", ")}); change or cancel that booking instead`,
    days.map((day) => ({ path: day, message: "already booked" })),
  );

/** The unique index that keeps one booking per mother per place and time (booking_slot) refused the hold. */
function isSecondBooking(err: unknown): boolean {
  if (!isUniqueViolation(err)) return false;
  // Sent on the driver (hotRows): node-postgres names the constraint.
  if (isDriverUniqueViolation(err)) return (err as { constraint?: unknown }).constraint === SECOND_BOOKING;
  const meta = (err as Prisma.PrismaClientKnownRequestError).meta;
  const cause = (meta?.driverAdapterError as { cause?: { originalMessage?: string; constraint?: unknown } })
    ?.cause;
  const named = (cause?.originalMessage ?? "").includes(SECOND_BOOKING);
  const fields = (cause?.constraint as { fields?: string[] } | undefined)?.fields ?? [];
  return named || fields.includes("resident_id");
}

/** The unique index of booking_slot on (resident, slot). */
const SECOND_BOOKING = "booking_slot_one_per_resident";

/**
 * A unique index refused a row: from a model query (P2002), a raw one through Prisma (P2010 with the adapter's kind)
 * or one sent on the driver (SQLSTATE 23505).
 */
export function isUniqueViolation(err: unknown): boolean {
  if (isDriverUniqueViolation(err)) return true;
  if (!(err instanceof Prisma.PrismaClientKnownRequestError)) return false;
  if (err.code === "P2002") return true;
  const cause = (err.meta?.driverAdapterError as { cause?: { kind?: string } } | undefined)?.cause;
  return err.code === "P2010" && cause?.kind === "UniqueConstraintViolation";
}

export async function bookingForKey(prisma: PrismaClient, key: string): Promise<BookingDto | null> {
  const event = await prisma.bookingEvent.findUnique({
    where: { idempotencyKey: key },
    select: { booking: { include: bookingInclude } },
  });
  return event ? bookingDto(prisma, event.booking) : null;
}

/** A key reused for a different request is a client bug: 422 instead of silently returning the other booking. */
export function sameRequest(b: BookingDto, input: HoldInput): BookingDto {
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
