/**
 * Pure inventory rules: which time blocks a service has, how many places are free, whether a service
 * definition is valid. No I/O; the database side is in inventory.ts.
 */
import type { ServiceType } from "../db/client.js";
import type { FieldError } from "../errors.js";

export type TimeBlock = { code: string; start: string; end: string };

export const SERVICE_TYPES = ["stay", "day", "visit"] as const satisfies readonly ServiceType[];
export const SERVICE_ORDER: Readonly<Record<ServiceType, number>> = { stay: 0, day: 1, visit: 2 };

/**
 * The slot time blocks of a service: stays are counted per night and have one whole-day slot (""); day
 * care and home visits have one slot per time block, or one whole-day slot when they define none.
 */
export function slotBlocks(serviceType: ServiceType, timeBlocks: readonly TimeBlock[]): string[] {
  if (serviceType === "stay" || timeBlocks.length === 0) return [""];
  return timeBlocks.map((b) => b.code);
}

/** Free places: never negative, none on a closed day. */
export function freePlaces(slot: {
  capacity: number;
  booked: number;
  external: number;
  closed: boolean;
}): number {
  if (slot.closed) return 0;
  return Math.max(0, slot.capacity - slot.booked - slot.external);
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Problems with a service's time blocks (codes unique, start before end; stays have none). */
export function timeBlockErrors(serviceType: ServiceType, blocks: readonly TimeBlock[]): FieldError[] {
  const errors: FieldError[] = [];
  if (serviceType === "stay" && blocks.length > 0) {
    errors.push({ path: "/timeBlocks", message: "stays are booked by the night and have no time blocks" });
  }
  const seen = new Set<string>();
  blocks.forEach((b, i) => {
    if (seen.has(b.code))
      errors.push({ path: `/timeBlocks/${i}/code`, message: `code "${b.code}" is used twice` });
    seen.add(b.code);
    if (minutes(b.start) >= minutes(b.end)) {
      errors.push({ path: `/timeBlocks/${i}`, message: `start ${b.start} must be before end ${b.end}` });
    }
  });
  return errors;
}

/** Compares slot keys for a stable listing: date, then service type, then block in the service's order. */
export function compareSlots(
  a: { date: string; serviceType: ServiceType; order: number },
  b: { date: string; serviceType: ServiceType; order: number },
): number {
  if (a.date !== b.date) return a.date < b.date ? -1 : 1;
  if (a.serviceType !== b.serviceType) return SERVICE_ORDER[a.serviceType] - SERVICE_ORDER[b.serviceType];
  return a.order - b.order;
}
