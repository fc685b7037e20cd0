/**
 * Merging a facility system's changes into the ledger, the pure part: which places an external booking takes,
 * and what a change means for the booking the hub already has from the same external id. No I/O; apply.ts does
 * the writing.
 */
import type { ExternalBooking, ServiceType } from "../../connectors/contract.js";
import { addDays, dateRange, daysBetween, formatDate, parseDate } from "../inventory/dates.js";
import { slotBlocks, type TimeBlock } from "../inventory/slots.js";

/** The longest booking accepted from a facility's system (a stay of 30 nights). */
export const MAX_EXTERNAL_DAYS = 31;

export type Places = { serviceType: ServiceType; dates: string[]; timeBlock: string };

/**
 * The slots an external booking occupies: each night of a stay (startDate .. endDate − 1; a same-day stay counts
 * one night), or the one day of day care or a home visit in its time block. A problem (string) when the
 * facility does not offer the service, the dates are reversed or too long, or the time block is unknown.
 */
export function placesOf(
  b: Pick<ExternalBooking, "serviceType" | "startDate" | "endDate" | "timeBlock">,
  services: ReadonlyMap<ServiceType, readonly TimeBlock[]>,
): Places | string {
  const blocks = services.get(b.serviceType);
  if (!blocks) return `the facility does not offer ${b.serviceType}`;
  const start = parseDate(b.startDate);
  const end = parseDate(b.endDate);
  if (!start || !end) return "startDate and endDate must be dates (YYYY-MM-DD)";
  if (end < start) return "endDate is before startDate";
  if (daysBetween(start, end) > MAX_EXTERNAL_DAYS) return `longer than ${MAX_EXTERNAL_DAYS} days`;
  const valid = slotBlocks(b.serviceType, blocks);
  const block = b.timeBlock ?? "";
  if (b.serviceType === "stay") {
    const last = end > start ? addDays(end, -1) : start;
    return { serviceType: "stay", dates: dateRange(start, last).map(formatDate), timeBlock: "" };
  }
  if (end > start) return `${b.serviceType} bookings last one day`;
  const timeBlock = block === "" && valid.length === 1 ? (valid[0] ?? "") : block;
  if (!valid.includes(timeBlock)) {
    return `time block "${block}" is not one of the facility's (${valid.filter(Boolean).join(", ") || "whole day"})`;
  }
  return { serviceType: b.serviceType, dates: [formatDate(start)], timeBlock };
}

/** What the hub has for an external id: its status, places and the last external revision applied. */
export type Known = {
  status: "confirmed" | "cancelled" | string;
  places: Places;
  lastRevision: number;
};

export type Step =
  /** Not newer than what was applied: a duplicate or an out-of-order delivery. */
  | { do: "ignore" }
  /** First seen: record it (taking its places unless it arrives cancelled). */
  | { do: "create" }
  | { do: "cancel" }
  /** Other places (dates, type or block): give the old back, take the new. */
  | { do: "move" }
  /** Confirmed again after a cancellation: take its places again. */
  | { do: "reinstate" }
  /** A newer revision that changes nothing the hub keeps: only remember the revision. */
  | { do: "note" };

const samePlaces = (a: Places, b: Places) =>
  a.serviceType === b.serviceType && a.timeBlock === b.timeBlock && a.dates.join() === b.dates.join();

/** The step that brings the hub's booking to what the facility's system now says. */
export function stepFor(
  known: Known | null,
  change: { revision: number; status: string },
  places: Places,
): Step {
  if (!known) return { do: "create" };
  if (change.revision <= known.lastRevision) return { do: "ignore" };
  // Used or no-show: past, whatever the facility's system says now.
  if (known.status !== "confirmed" && known.status !== "cancelled") return { do: "note" };
  const wasActive = known.status === "confirmed";
  if (change.status === "cancelled") return wasActive ? { do: "cancel" } : { do: "note" };
  if (!wasActive) return { do: "reinstate" };
  return samePlaces(known.places, places) ? { do: "note" } : { do: "move" };
}

/** The order key of an availability update (or of the last one applied to a slot). */
export type AvailabilityOrder = { revision?: number | null; occurredAt?: Date | null };

/**
 * Whether an availability update is applied to a slot, given the order key of the update applied there last:
 * "stale" when it is older — a lower `revision` when both have one, else an earlier `occurredAt` when both have
 * one — and "apply" otherwise (newer, equal, or nothing to compare: then the last one received wins, as for
 * senders that give neither).
 */
export function availabilityStep(last: AvailabilityOrder, update: AvailabilityOrder): "apply" | "stale" {
  if (isNum(last.revision) && isNum(update.revision))
    return update.revision < last.revision ? "stale" : "apply";
  if (last.occurredAt && update.occurredAt) {
    return update.occurredAt.getTime() < last.occurredAt.getTime() ? "stale" : "apply";
  }
  return "apply";
}

const isNum = (n: number | null | undefined): n is number => typeof n === "number";
