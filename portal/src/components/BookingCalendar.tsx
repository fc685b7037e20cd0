import { For, Show } from "solid-js";
import type { Booking, ServiceType, Slot, TimeBlock } from "../api";
import { addDays, formatDate, formatDay, formatYen } from "../format";
import { label, t } from "../i18n";
import { type BoardCell, type BoardColumn, boardColumns, occupancyBoard } from "../occupancy";
import { ScrollTable } from "./Table";

export type CalendarView = "day" | "week";

/** The Monday of the week a date falls in (weeks run Monday to Sunday, as in Japanese calendars at work). */
export function weekStart(date: string): string {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return addDays(date, -((day + 6) % 7));
}

/** The calendar's dates: the day, or the seven days of its week. */
export function calendarDays(view: CalendarView, date: string): string[] {
  if (view === "day") return [date];
  const first = weekStart(date);
  return Array.from({ length: 7 }, (_, i) => addDays(first, i));
}

function Entry(props: { booking: Booking; detailed?: boolean }) {
  const c = () => t().calendar;
  const b = () => props.booking;
  return (
    <li class={`calendar-entry calendar-${b().status}`} data-booking-id={b().id}>
      <strong>{t().bookings.statuses[b().status] ?? b().status}</strong>
      <span class="calendar-who"> {b().guest?.name || b().voucherNumber || c().noVoucher}</span>
      <Show when={b().serviceType === "stay"}>
        <span> {c().nightOf(formatDate(b().startDate), formatDate(b().endDate))}</span>
      </Show>
      <Show when={b().guest && b().voucherNumber}>
        <span class="calendar-voucher meta"> {b().voucherNumber}</span>
      </Show>
      <Show when={props.detailed}>
        <span class="meta">
          {" "}
          {c().detail(t().book.units(b().units ?? 0, b().stayCounting), formatYen(b().residentCopay ?? 0))}
        </span>
      </Show>
    </li>
  );
}

/** The places of a cell in words: taken of capacity, closed, or (across facilities) only the count. */
function Places(props: { cell: BoardCell }) {
  const c = () => t().calendar;
  return (
    <p class="occupancy-count">
      {props.cell.closed
        ? c().closed
        : props.cell.capacity === null
          ? c().count(props.cell.taken)
          : c().taken(props.cell.taken, props.cell.capacity)}
    </p>
  );
}

const columnLabel = (col: BoardColumn) =>
  col.block
    ? `${label("serviceTypes", col.serviceType)} ${t().profile.timeRange(col.block.start, col.block.end)}`
    : label("serviceTypes", col.serviceType);

/**
 * The occupancy board of a day or a week (portal/src/occupancy.ts): one row per day, one column per service and
 * time block, each cell the places taken against the capacity and the bookings that take them (status in words,
 * the mother's name for the facility's own staff, else the voucher number). A table with row and column headers,
 * so a screen reader announces the day and the block of each cell; on a phone it scrolls inside its own labelled
 * region. Statuses are text, colour only repeats them.
 */
export function BookingCalendar(props: {
  bookings: Booking[];
  view: CalendarView;
  date: string;
  services: { serviceType: ServiceType; timeBlocks: TimeBlock[] }[];
  /** The facility's slots over the days, for the capacity; without them only the count is shown. */
  slots?: Slot[];
}) {
  const c = () => t().calendar;
  const days = () => calendarDays(props.view, props.date);
  const columns = () => boardColumns(props.services);
  const board = () => occupancyBoard(days(), columns(), props.bookings, props.slots);
  const caption = () => {
    const d = days();
    return props.view === "day"
      ? c().dayCaption(formatDay(props.date))
      : c().weekCaption(formatDay(d[0] ?? props.date), formatDay(d[d.length - 1] ?? props.date));
  };
  return (
    <ScrollTable id="booking-calendar" caption={caption()}>
      <thead>
        <tr>
          <th scope="col">{c().date}</th>
          <For each={columns()}>{(col) => <th scope="col">{columnLabel(col)}</th>}</For>
        </tr>
      </thead>
      <tbody>
        <For each={board()}>
          {(row) => (
            <tr>
              <th scope="row" class="nowrap">
                <time datetime={row.date}>{formatDay(row.date)}</time>
              </th>
              <For each={row.cells}>
                {(cell) => (
                  <td
                    class="calendar-cell"
                    classList={{
                      "occupancy-full":
                        cell.capacity !== null && cell.capacity > 0 && cell.taken >= cell.capacity,
                      "occupancy-closed": cell.closed,
                    }}
                    data-date={cell.date}
                    data-service={cell.column.serviceType}
                    data-block={cell.column.timeBlock}
                  >
                    <Places cell={cell} />
                    <Show when={cell.bookings.length > 0}>
                      <ul class="plain-list">
                        <For each={cell.bookings}>
                          {(b) => <Entry booking={b} detailed={props.view === "day"} />}
                        </For>
                      </ul>
                    </Show>
                  </td>
                )}
              </For>
            </tr>
          )}
        </For>
      </tbody>
    </ScrollTable>
  );
}
