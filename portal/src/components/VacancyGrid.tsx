import { A } from "@solidjs/router";
import { For, Show } from "solid-js";
import type { Vacancy, VacancyBlock, VacancyFacility } from "../api";
import { addDays, formatDateTime, formatDay } from "../format";
import { label, t } from "../i18n";
import { ScrollTable } from "./Table";

/** What a cell says: the free places, 満 (full) or 休 (closed); never colour alone. */
export function freeText(free: number | null): string {
  const v = t().vacancy;
  if (free === null) return v.closed;
  return free > 0 ? String(free) : v.full;
}

/** The row label of a service's block: the service, and the block's time when it has one. */
function blockLabel(serviceType: string, block: VacancyBlock): string {
  const name = label("serviceTypes", serviceType);
  return block.start && block.end ? `${name} ${t().profile.timeRange(block.start, block.end)}` : name;
}

/**
 * The unified vacancy as one table: a column per day, a group of rows per facility (its name, area, freshness and
 * a link to book as the group's header), a row per service and time block. Cells say the free places in text
 * (a number, 満 full, 休 closed), so nothing depends on colour. Wider than the screen, it scrolls in its own region
 * with the row labels kept in view.
 */
export function VacancyGrid(props: { vacancy: Vacancy }) {
  const v = () => t().vacancy;
  const days = () => Array.from({ length: props.vacancy.days }, (_, i) => addDays(props.vacancy.from, i));
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
            {(d) => (
              <th scope="col" class="vacancy-day" classList={{ "vacancy-weekend": isWeekend(d) }}>
                <time datetime={d}>{formatDay(d)}</time>
              </th>
            )}
          </For>
        </tr>
      </thead>
      <For each={props.vacancy.items}>{(f) => <FacilityRows facility={f} columns={days().length} />}</For>
    </ScrollTable>
  );
}

function isWeekend(date: string): boolean {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return day === 0 || day === 6;
}

function FacilityRows(props: { facility: VacancyFacility; columns: number }) {
  const v = () => t().vacancy;
  const f = () => props.facility;
  return (
    <tbody class="vacancy-facility" data-facility-id={f().facilityId}>
      <tr>
        <th scope="rowgroup" colspan={props.columns + 1} class="vacancy-facility-head">
          <span class="vacancy-facility-line">
            <A href={`/facilities/${f().facilityId}`} class="vacancy-name">
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
                  <A href={`/book/${f().facilityId}`} class="vacancy-book">
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
                  {(free) => (
                    <td
                      classList={{
                        "slot-free": !f().requestOnly && free !== null && free > 0,
                        "slot-none": free === null || free === 0,
                      }}
                    >
                      {f().requestOnly && free !== null ? v().ask : freeText(free)}
                    </td>
                  )}
                </For>
              </tr>
            )}
          </For>
        )}
      </For>
    </tbody>
  );
}
