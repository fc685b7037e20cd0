import { A } from "@solidjs/router";
import { createMemo, For, Show } from "solid-js";
import type { Vacancy, VacancyBlock, VacancyFacility } from "../api";
import { addDays, formatDateTime, formatDay } from "../format";
import { label, t, untranslated } from "../i18n";
import { ScrollTable } from "./Table";

/** What a cell says: the free places, 満 (full) or 休 (closed); never colour alone. */
export function freeText(free: number | null): string {
  const v = t().vacancy;
  if (free === null) return v.closed;
  return free > 0 ? String(free) : v.full;
}

/** The row label of a service's block: the service, and the block's time when it has one. */
export function blockLabel(serviceType: string, block: VacancyBlock): string {
  const name = label("serviceTypes", serviceType);
  return block.start && block.end ? `${name} ${t().profile.timeRange(block.start, block.end)}` : name;
}

/**
 * The booking page of a facility (an address below the portal's <base>, so the router opens it in place): `day`
 * (with `block`) chooses that day, `date` only starts its calendar there, `type` chooses the service. The vacancy
 * filters stay in the history the resident goes back to.
 */
export function bookHref(
  facilityId: string,
  ask: { type?: string | null; date?: string; day?: string; block?: string },
): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(ask)) if (v) q.set(k, v);
  const s = q.toString();
  return `book/${encodeURIComponent(facilityId)}${s ? `?${s}` : ""}`;
}

/**
 * The unified vacancy as one table: a column per day, a group of rows per facility (its name, area, freshness and
 * a link to book as the group's header), a row per service and time block. Cells say the free places in text
 * (a number, 満 full, 休 closed), so nothing depends on colour; every cell with a place is a link that opens the
 * booking with that facility, service, day and block chosen. Wider than the screen, it scrolls in its own region
 * with the row labels kept in view.
 */
export function VacancyGrid(props: { vacancy: Vacancy }) {
  const v = () => t().vacancy;
  const days = createMemo(() =>
    Array.from({ length: props.vacancy.days }, (_, i) => addDays(props.vacancy.from, i)),
  );
  // Each day's label once, not once per cell (a date format is costly on a slow phone, and there are thousands).
  const labels = createMemo(() => days().map(formatDay));
  return (
    <ScrollTable
      id="vacancy-table"
      caption={v().caption(formatDay(props.vacancy.from), formatDay(props.vacancy.to))}
    >
      <thead>
        <tr>
          <th scope="col" class="vacancy-corner">
            {v().serviceColumn}
          </th>
          <For each={days()}>
            {(d, i) => (
              <th scope="col" class="vacancy-day" classList={{ "vacancy-weekend": isWeekend(d) }}>
                <time datetime={d}>{labels()[i()]}</time>
              </th>
            )}
          </For>
        </tr>
      </thead>
      <For each={props.vacancy.items}>
        {(f) => (
          <FacilityRows
            facility={f}
            days={days()}
            labels={labels()}
            serviceType={props.vacancy.serviceType}
          />
        )}
      </For>
    </ScrollTable>
  );
}

function isWeekend(date: string): boolean {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return day === 0 || day === 6;
}

/** A cell links to the booking when the hub takes it (not the facility's own site) and it has a place. */
export const bookable = (f: VacancyFacility, free: number | null) =>
  !f.bookingUrl && free !== null && free > 0;

/** A facility's name (to its profile), kind and town, freshness, and the link to book it (here or on its site). */
export function FacilityHead(props: { facility: VacancyFacility; serviceType: string | null; from: string }) {
  const v = () => t().vacancy;
  const f = () => props.facility;
  return (
    <span class="vacancy-facility-line">
      <A href={`/facilities/${f().facilityId}`} class="vacancy-name" lang={untranslated()}>
        {f().name}
      </A>
      <span class="meta">
        {[label("kinds", f().kind), f().municipalityName].filter(Boolean).join(t().dotSeparator)}
      </span>
      <span class="meta">{v().updated(formatDateTime(f().asOf))}</span>
      <Show when={f().requestOnly}>
        <span class="meta">{v().requestOnly}</span>
      </Show>
      <Show
        when={f().bookingUrl}
        fallback={
          <Show when={f().freePlaces > 0 || f().requestOnly}>
            <A
              href={`/${bookHref(f().facilityId, { type: props.serviceType, date: props.from })}`}
              class="vacancy-book"
            >
              {v().book}
              <span class="visually-hidden">{v().bookAt(f().name)}</span>
            </A>
          </Show>
        }
      >
        <a href={f().bookingUrl} rel="external noopener noreferrer" class="vacancy-book">
          {v().bookExternal}
          <span class="visually-hidden">{v().bookAt(f().name)}</span>
        </a>
      </Show>
    </span>
  );
}

function FacilityRows(props: {
  facility: VacancyFacility;
  days: string[];
  labels: string[];
  serviceType: string | null;
}) {
  const v = () => t().vacancy;
  const f = () => props.facility;
  return (
    <tbody class="vacancy-facility" data-facility-id={f().facilityId}>
      <tr>
        <th scope="rowgroup" colspan={props.days.length + 1} class="vacancy-facility-head">
          <FacilityHead facility={f()} serviceType={props.serviceType} from={props.days[0] ?? ""} />
        </th>
      </tr>
      <For each={f().services}>
        {(s) => (
          <For each={s.blocks}>
            {(b) => (
              <tr>
                <th scope="row" class="vacancy-service">
                  {blockLabel(s.serviceType, b)}
                </th>
                <For each={b.free}>
                  {(free, i) => {
                    const text = () => (f().requestOnly && free !== null ? v().ask : freeText(free));
                    return (
                      <td
                        classList={{
                          "slot-free": !f().requestOnly && free !== null && free > 0,
                          "slot-none": free === null || free === 0,
                        }}
                      >
                        <Show when={bookable(f(), free)} fallback={text()}>
                          {/* A plain link (thousands of cells): the router opens it in place all the same. */}
                          <a
                            class="vacancy-cell-book"
                            href={bookHref(f().facilityId, {
                              type: s.serviceType,
                              day: props.days[i()],
                              block: b.timeBlock,
                            })}
                            aria-label={v().cellBook(
                              text(),
                              props.labels[i()] ?? "",
                              blockLabel(s.serviceType, b),
                              f().name,
                            )}
                          >
                            {text()}
                          </a>
                        </Show>
                      </td>
                    );
                  }}
                </For>
              </tr>
            )}
          </For>
        )}
      </For>
    </tbody>
  );
}
