import { ErrorBoundary, For, Show, Suspense } from "solid-js";
import type { Booking, Page } from "../api";
import { formatDate, formatYen } from "../format";
import { label, t } from "../i18n";
import { ErrorMessage } from "./ErrorMessage";
import { ScrollTable } from "./Table";

/** Nights between two calendar dates (YYYY-MM-DD). */
function nights(from: string, until: string): number {
  return Math.round((Date.parse(`${until}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** Newest first: by start date, then by when the booking was made. */
function newestFirst(a: Booking, b: Booking): number {
  return b.startDate.localeCompare(a.startDate) || b.createdAt.localeCompare(a.createdAt);
}

/** The dates of a booking as people say them: a stay with its nights, a day or visit with its time of day. */
export function bookingDates(b: Booking): string {
  const bt = t().bookings;
  if (b.serviceType === "stay" && b.endDate > b.startDate) {
    return bt.stayRange(formatDate(b.startDate), formatDate(b.endDate), nights(b.startDate, b.endDate));
  }
  const block = b.timeBlock ? bt.timeBlocks[b.timeBlock] : undefined;
  return block ? `${formatDate(b.startDate)} ${block}` : formatDate(b.startDate);
}

/**
 * Bookings as a table (caption, column headers): dates, status (next to the dates, so a phone shows both without
 * scrolling), facility, service type, voucher units, the resident's copay and where the booking was made. Newest
 * first. Wider than a phone, it scrolls inside its own region, never the page.
 */
export function BookingList(props: { id: string; caption: string; bookings: Booking[] }) {
  const bt = () => t().bookings;
  const sorted = () => [...props.bookings].sort(newestFirst);
  return (
    <ScrollTable
      id={props.id}
      caption={props.caption}
      columns={[
        bt().dates,
        bt().status,
        bt().facility,
        bt().serviceType,
        bt().units,
        bt().copay,
        bt().source,
      ]}
    >
      <tbody>
        <For each={sorted()}>
          {(b) => (
            <tr data-booking-id={b.id} data-status={b.status}>
              <th scope="row" class="booking-dates">
                <time datetime={b.startDate}>{bookingDates(b)}</time>
              </th>
              <td class="nowrap">{bt().statuses[b.status] ?? b.status}</td>
              <td class="booking-wide">{b.facilityName || t().dash}</td>
              <td class="booking-wide">{label("serviceTypes", b.serviceType)}</td>
              <td class="nowrap">
                {b.units === undefined ? t().dash : t().book.units(b.units, b.stayCounting)}
              </td>
              <td class="nowrap">{b.residentCopay === undefined ? t().dash : formatYen(b.residentCopay)}</td>
              <td class="nowrap">{bt().sources[b.source] ?? b.source}</td>
            </tr>
          )}
        </For>
      </tbody>
    </ScrollTable>
  );
}

/**
 * A page of bookings still loading: the table once it is there, `empty` when there are none, a note when only
 * the newest part is shown. Loading and failing stay inside this part of the page, so the rest of it shows.
 */
export function LoadedBookingList(props: {
  id: string;
  caption: string;
  empty: string;
  bookings: () => Page<Booking> | undefined;
}) {
  return (
    <ErrorBoundary fallback={(err) => <ErrorMessage error={err} />}>
      <Suspense
        fallback={
          <p class="loading" role="status">
            {t().loading}
          </p>
        }
      >
        <Show when={props.bookings()}>
          {(page) => (
            <Show when={page().items.length > 0} fallback={<p>{props.empty}</p>}>
              <BookingList id={props.id} caption={props.caption} bookings={page().items} />
              <Show when={page().total > page().items.length}>
                <p class="meta">{t().bookings.more(page().items.length, page().total)}</p>
              </Show>
            </Show>
          )}
        </Show>
      </Suspense>
    </ErrorBoundary>
  );
}
