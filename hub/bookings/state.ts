/**
 * The booking state machine, pure. A booking's status only ever changes through `assertTransition`, and the
 * ledger appends one event per change; `replay` folds a booking's events back into its status, which is how
 * the projection (the Booking row) can always be checked against the history.
 */
import type { BookingSource, BookingStatus } from "../db/client.js";
import { DomainError } from "../errors.js";

export const BOOKING_STATUSES = [
  "requested",
  "confirmed",
  "rejected",
  "expired",
  "cancelled",
  "used",
  "reported",
  "no_show",
] as const satisfies readonly BookingStatus[];

/** Where each status may go next. Statuses with no way out are final. */
export const TRANSITIONS: Readonly<Record<BookingStatus, readonly BookingStatus[]>> = {
  requested: ["confirmed", "rejected", "expired", "cancelled"],
  confirmed: ["cancelled", "used", "no_show"],
  used: ["reported"],
  rejected: [],
  expired: [],
  cancelled: [],
  reported: [],
  no_show: [],
};

/**
 * Statuses that take a place: a hold, a confirmed booking, and one whose day came (used, reported, no-show:
 * the place was spent). Going from one of these to one that does not gives the places back.
 */
export const HOLDS_CAPACITY: ReadonlySet<BookingStatus> = new Set<BookingStatus>([
  "requested",
  "confirmed",
  "used",
  "reported",
  "no_show",
]);

/**
 * What a facility's own system may do besides (it is the authority over the bookings it keeps, applied by
 * hub/connections/apply.ts): a booking cancelled there may be confirmed again there.
 */
export const FACILITY_SYSTEM_TRANSITIONS: Readonly<Partial<Record<BookingStatus, readonly BookingStatus[]>>> =
  {
    cancelled: ["confirmed"],
  };

export function canTransition(from: BookingStatus, to: BookingStatus, source?: BookingSource): boolean {
  return (
    TRANSITIONS[from].includes(to) ||
    (source === "connector" && !!FACILITY_SYSTEM_TRANSITIONS[from]?.includes(to))
  );
}

/** 409 `invalid_transition` naming both ends when the machine does not allow the step. */
export function assertTransition(from: BookingStatus, to: BookingStatus, source?: BookingSource): void {
  if (!canTransition(from, to, source)) {
    throw new DomainError(
      "conflict",
      "invalid_transition",
      "This change is not possible in the booking's current state",
      `A ${from} booking cannot become ${to}`,
    );
  }
}

export function isFinal(status: BookingStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

/** True when going from `from` to `to` must release the booking's slots (booked − 1 on each). */
export function releasesCapacity(from: BookingStatus, to: BookingStatus): boolean {
  return HOLDS_CAPACITY.has(from) && !HOLDS_CAPACITY.has(to);
}

/** The event type recorded for a change to `to` (the event names match the statuses they lead to). */
export function eventTypeFor(to: BookingStatus): string {
  return to;
}

/** How a booking's history may begin: a hold from the hub, or a booking already confirmed elsewhere. */
export const INITIAL_STATUSES: ReadonlySet<BookingStatus> = new Set<BookingStatus>([
  "requested",
  "confirmed",
]);

/** A facility's system may also tell of a booking first when it is already cancelled there (kept for its order). */
const FACILITY_SYSTEM_INITIAL: ReadonlySet<BookingStatus> = new Set<BookingStatus>([
  "confirmed",
  "cancelled",
]);

/**
 * The one check of every event appended to a booking's history (hub/bookings/ledger.ts appendEvents): its first
 * event (`from` null) starts in an initial status for its source; a later one either keeps the status (a note: a
 * correction, a fee-waiver decision, a facility system's change of dates) or is a step the machine allows.
 */
export function assertStep(from: BookingStatus | null, to: BookingStatus, source: BookingSource): void {
  if (from === null) {
    const initial = source === "connector" ? FACILITY_SYSTEM_INITIAL : INITIAL_STATUSES;
    if (!initial.has(to)) {
      throw new DomainError(
        "conflict",
        "invalid_transition",
        "This change is not possible in the booking's current state",
        `A booking from ${source} cannot begin as ${to}`,
      );
    }
    return;
  }
  if (from !== to) assertTransition(from, to, source);
}

/**
 * Folds events (oldest first) into the status they lead to, checking every step. The first event (seq 1)
 * must be an initial status; the result equals the projection's status when the ledger is consistent.
 */
export function replay(events: readonly { seq: number; status: BookingStatus; source?: BookingSource }[]): {
  status: BookingStatus;
  revision: number;
} {
  const [first, ...rest] = events;
  if (first?.seq !== 1) throw new Error("a booking's history starts at seq 1");
  assertStep(null, first.status, first.source ?? "portal");
  let status: BookingStatus = first.status;
  let revision = first.seq;
  for (const e of rest) {
    if (e.seq !== revision + 1) throw new Error(`event seq ${e.seq} follows ${revision}`);
    assertStep(status, e.status, e.source ?? "portal");
    status = e.status;
    revision = e.seq;
  }
  return { status, revision };
}
