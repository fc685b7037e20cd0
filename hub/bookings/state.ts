/**
 * The booking state machine, pure. A booking's status only ever changes through `assertTransition`, and the
 * ledger appends one event per change; `replay` folds a booking's events back into its status, which is how
 * the projection (the Booking row) can always be checked against the history.
 */
import type { BookingStatus } from "../db/client.js";
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

export function canTransition(from: BookingStatus, to: BookingStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** 409 `invalid_transition` naming both ends when the machine does not allow the step. */
export function assertTransition(from: BookingStatus, to: BookingStatus): void {
  if (!canTransition(from, to)) {
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

/**
 * Folds events (oldest first) into the status they lead to, checking every step. The first event (seq 1)
 * must be an initial status; the result equals the projection's status when the ledger is consistent.
 */
export function replay(events: readonly { seq: number; status: BookingStatus }[]): {
  status: BookingStatus;
  revision: number;
} {
  const [first, ...rest] = events;
  if (!first || !INITIAL_STATUSES.has(first.status) || first.seq !== 1) {
    throw new Error("a booking's history starts with a requested or confirmed event at seq 1");
  }
  let status: BookingStatus = first.status;
  let revision = first.seq;
  for (const e of rest) {
    if (e.seq !== revision + 1) throw new Error(`event seq ${e.seq} follows ${revision}`);
    // An event that leaves the status as it is (a 過誤 correction of a redeemed booking) is no transition.
    if (e.status !== status) assertTransition(status, e.status);
    status = e.status;
    revision = e.seq;
  }
  return { status, revision };
}
