import { For, Show } from "solid-js";
import type { Booking, ServiceType, TimeBlock } from "../api";
import { addDays, formatDate, formatDay, formatYen } from "../format";
import { label, t } from "../i18n";
import { ScrollTable } from "./Table";

export type CalendarView = "day" | "week";

/** Statuses a calendar shows: places taken or used. Rejected, expired and cancelled bookings free their places. */
const SHOWN = new Set(["requested", "confirmed", "used", "reported", "no_show"]);

/** Whether the booking takes a place on `date`: each night of a stay (not the day of leaving), else its one day. */
export function coversDate(b: Booking, date: string): boolean {
  if (b.serviceType === "stay" && b.endDate > b.startDate) return b.startDate <= date && date < b.endDate;
  return b.startDate === date;
}

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

function Entry(props: { booking: Booking; timeBlocks: TimeBlock[]; detailed?: boolean }) {
  const c = () => t().calendar;
  const b = () => props.booking;
  const block = () => props.timeBlocks.find((x) => x.code === b().timeBlock);
  return (
    <li class={`calendar-entry calendar-${b().status}`} data-booking-id={b().id}>
      <strong>{t().bookings.statuses[b().status] ?? b().status}</strong>
      <Show when={block()}>{(x) => <span> {t().profile.timeRange(x().start, x().end)}</span>}</Show>
      <Show when={b().serviceType === "stay"}>
        <span> {c().nightOf(formatDate(b().startDate), formatDate(b().endDate))}</span>
      </Show>
      <span class="calendar-voucher"> {b().voucherNumber ?? c().noVoucher}</span>
      <Show when={props.detailed}>
        <span class="meta"> {c().detail(b().units ?? 0, formatYen(b().residentCopay ?? 0))}</span>
      </Show>
    </li>
  );
}

/**
 * A facility's bookings on a day or a week: one row per day, one column per service it offers, each cell listing
 * the bookings that take a place that day (status in words, time block, voucher number). A table with headers,
 * so it reads by row and column with a screen reader; statuses are text, colour only repeats them.
 */
export function BookingCalendar(props: {
  bookings: Booking[];
  view: CalendarView;
  date: string;
  services: { serviceType: ServiceType; timeBlocks: TimeBlock[] }[];
}) {
  const c = () => t().calendar;
  const days = () => calendarDays(props.view, props.date);
  const shown = () => props.bookings.filter((b) => SHOWN.has(b.status));
  const cell = (date: string, type: ServiceType) =>
    shown()
      .filter((b) => b.serviceType === type && coversDate(b, date))
      .sort((a, b) => a.timeBlock.localeCompare(b.timeBlock) || a.createdAt.localeCompare(b.createdAt));
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
          <For each={props.services}>
            {(s) => <th scope="col">{label("serviceTypes", s.serviceType)}</th>}
          </For>
        </tr>
      </thead>
      <tbody>
        <For each={days()}>
          {(date) => (
            <tr>
              <th scope="row" class="nowrap">
                <time datetime={date}>{formatDay(date)}</time>
              </th>
              <For each={props.services}>
                {(s) => (
                  <td class="calendar-cell">
                    <Show when={cell(date, s.serviceType).length > 0} fallback={<span>{c().none}</span>}>
                      <ul class="plain-list">
                        <For each={cell(date, s.serviceType)}>
                          {(b) => (
                            <Entry booking={b} timeBlocks={s.timeBlocks} detailed={props.view === "day"} />
                          )}
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
