/**
 * The occupancy board of a facility's week (pure, no words): one row per day, one column per service and time
 * block, each cell the places taken against the capacity with the bookings that take them. Rendered by
 * components/BookingCalendar.tsx; tested in occupancy.test.ts.
 */
import type { Booking, ServiceType, Slot, TimeBlock } from "./api";

/** Statuses that take a place (or took it): rejected, expired and cancelled bookings gave theirs back. */
export const TAKES_PLACE: ReadonlySet<string> = new Set([
  "requested",
  "confirmed",
  "used",
  "reported",
  "no_show",
]);

/** Whether the booking takes a place on `date`: each night of a stay (not the day of leaving), else its one day. */
export function coversDate(b: Pick<Booking, "serviceType" | "startDate" | "endDate">, date: string): boolean {
  if (b.serviceType === "stay" && b.endDate > b.startDate) return b.startDate <= date && date < b.endDate;
  return b.startDate === date;
}

export type BoardColumn = { serviceType: ServiceType; timeBlock: string; block: TimeBlock | null };

/** One column per time block of each service; a stay, or a service without blocks, is one column. */
export function boardColumns(
  services: { serviceType: ServiceType; timeBlocks: TimeBlock[] }[],
): BoardColumn[] {
  return services.flatMap((s): BoardColumn[] =>
    s.serviceType === "stay" || s.timeBlocks.length === 0
      ? [{ serviceType: s.serviceType, timeBlock: "", block: null }]
      : s.timeBlocks.map((b) => ({ serviceType: s.serviceType, timeBlock: b.code, block: b })),
  );
}

export type BoardCell = {
  date: string;
  column: BoardColumn;
  /** Places taken: the bookings listed in the cell. */
  taken: number;
  /** The places offered that day (null: no capacity known, e.g. across facilities or none set). */
  capacity: number | null;
  closed: boolean;
  bookings: Booking[];
};

export type BoardRow = { date: string; cells: BoardCell[] };

/**
 * The board: each booking that takes a place goes in the cell of its days and its block (a booking whose block
 * is not a column, or of a service with one column, goes in its service's first column), earliest block and
 * request first; the capacity and closure come from the facility's slots when they are given.
 */
export function occupancyBoard(
  days: string[],
  columns: BoardColumn[],
  bookings: Booking[],
  slots?: Slot[],
): BoardRow[] {
  const columnOf = (b: Booking): BoardColumn | undefined => {
    const ofService = columns.filter((c) => c.serviceType === b.serviceType);
    return ofService.find((c) => c.timeBlock === b.timeBlock) ?? ofService[0];
  };
  const slotOf = (date: string, c: BoardColumn) =>
    slots?.find((s) => s.date === date && s.serviceType === c.serviceType && s.timeBlock === c.timeBlock);
  const shown = bookings
    .filter((b) => TAKES_PLACE.has(b.status))
    .sort((a, b) => a.timeBlock.localeCompare(b.timeBlock) || a.createdAt.localeCompare(b.createdAt));
  return days.map((date) => ({
    date,
    cells: columns.map((column) => {
      const here = shown.filter((b) => coversDate(b, date) && columnOf(b) === column);
      const slot = slotOf(date, column);
      return {
        date,
        column,
        taken: here.length,
        capacity: slots ? (slot?.capacity ?? 0) : null,
        closed: slot?.closed ?? false,
        bookings: here,
      };
    }),
  }));
}
