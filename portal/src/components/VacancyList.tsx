import { createEffect, createMemo, createSignal, For, on, Show } from "solid-js";
import type { Vacancy, VacancyFacility } from "../api";
import { addDays, formatDay } from "../format";
import { locale, t } from "../i18n";
import { wholeText } from "../whole-text";
import { blockLabel, bookable, bookHref, FacilityHead } from "./VacancyGrid";

/** Days shown at once on a phone: a week fits the narrowest screen with a tap target per day. */
const WEEK = 7;

/** A day's mark: ○ two places or more, △ the last one, × full, 休 closed (問 when the facility must confirm). */
export function freeMark(free: number | null, requestOnly: boolean): string {
  const v = t().vacancy;
  if (free === null) return v.markClosed;
  if (requestOnly) return v.markAsk;
  if (free <= 0) return v.markFull;
  return free === 1 ? v.markFew : v.markFree;
}

/** A day as its date and weekday, short enough for a week across the narrowest phone. */
function dayParts(date: string): { day: number; weekday: string; weekend: boolean } {
  const d = new Date(`${date}T00:00:00Z`);
  const weekday = new Intl.DateTimeFormat(locale() === "ja" ? "ja-JP" : "en-GB", {
    timeZone: "UTC",
    weekday: "short",
  }).format(d);
  return { day: d.getUTCDate(), weekday, weekend: d.getUTCDay() === 0 || d.getUTCDay() === 6 };
}

/** What a day's mark means, in words (for screen readers; the legend says the same). */
function freeWords(free: number | null, requestOnly: boolean): string {
  const v = t().vacancy;
  if (free === null) return v.closedWords;
  if (requestOnly) return v.askWords;
  return free > 0 ? v.freeWords(free) : v.fullWords;
}

/**
 * The unified vacancy on a phone: a list of facilities, each with a row of days per service and time block
 * marked ○△× (a free day is a link that opens the booking with it chosen), a week at a time: she steps through
 * the weeks with the buttons or by swiping the list sideways. The desktop keeps the grid (VacancyGrid).
 */
export function VacancyList(props: { vacancy: Vacancy }) {
  const v = () => t().vacancy;
  const [week, setWeek] = createSignal(0);
  const weeks = () => Math.max(1, Math.ceil(props.vacancy.days / WEEK));
  // A new search starts at its first week.
  createEffect(
    on(
      () => props.vacancy,
      () => setWeek(0),
      { defer: true },
    ),
  );
  const first = () => week() * WEEK;
  // Each day's labels once for the week, not once per cell (date formats are costly on a slow phone).
  const days = createMemo(() =>
    Array.from({ length: Math.min(WEEK, props.vacancy.days - first()) }, (_, i) => {
      const date = addDays(props.vacancy.from, first() + i);
      return { date, label: formatDay(date), ...dayParts(date) };
    }),
  );
  const step = (by: number) => setWeek(Math.min(weeks() - 1, Math.max(0, week() + by)));
  let touchX: number | undefined;

  return (
    <div class="vacancy-phone">
      <div class="vacancy-week">
        <button
          type="button"
          class="button button-secondary"
          disabled={week() === 0}
          aria-controls="vacancy-list"
          onClick={() => step(-1)}
        >
          {v().weekEarlier}
        </button>
        {/* Set whole, so browser page translation cannot leave the old week (solidjs/solid#1451). */}
        <p
          role="status"
          class="vacancy-week-label"
          ref={wholeText(() => v().weekShown(days()[0]?.label ?? "", days().at(-1)?.label ?? ""))}
        />
        <button
          type="button"
          class="button button-secondary"
          disabled={week() >= weeks() - 1}
          aria-controls="vacancy-list"
          onClick={() => step(1)}
        >
          {v().weekLater}
        </button>
      </div>
      {/* The week's dates once, kept in view above the cards' columns of marks. */}
      <ol class="vacancy-days vacancy-week-days" aria-hidden="true">
        <For each={days()}>
          {(day) => (
            <li classList={{ "vacancy-weekend-text": day.weekend }}>
              <span>{day.day}</span>
              <span>{day.weekday}</span>
            </li>
          )}
        </For>
      </ol>
      <ul
        id="vacancy-list"
        class="vacancy-list"
        onTouchStart={(e) => {
          touchX = e.touches[0]?.clientX;
        }}
        onTouchEnd={(e) => {
          const end = e.changedTouches[0]?.clientX;
          if (touchX === undefined || end === undefined) return;
          const dx = end - touchX;
          touchX = undefined;
          if (Math.abs(dx) > 60) step(dx < 0 ? 1 : -1);
        }}
      >
        <For each={props.vacancy.items}>
          {(f) => (
            <FacilityCard
              facility={f}
              days={days()}
              offset={first()}
              serviceType={props.vacancy.serviceType}
              from={props.vacancy.from}
            />
          )}
        </For>
      </ul>
    </div>
  );
}

type Day = { date: string; label: string; day: number; weekday: string; weekend: boolean };

function FacilityCard(props: {
  facility: VacancyFacility;
  days: Day[];
  offset: number;
  serviceType: string | null;
  from: string;
}) {
  const v = () => t().vacancy;
  const f = () => props.facility;
  return (
    <li class="vacancy-card" data-facility-id={f().facilityId}>
      <FacilityHead facility={f()} serviceType={props.serviceType} from={props.from} />
      <For each={f().services}>
        {(s) => (
          <For each={s.blocks}>
            {(b) => (
              <div class="vacancy-row">
                <p class="vacancy-row-label">{blockLabel(s.serviceType, b)}</p>
                <ol class="vacancy-days">
                  <For each={props.days}>
                    {(day, i) => {
                      const free = () => b.free[props.offset + i()] ?? null;
                      const mark = () => freeMark(free(), f().requestOnly);
                      const said = () =>
                        `${day.label} ${blockLabel(s.serviceType, b)} ${freeWords(free(), f().requestOnly)}`;
                      // One element a day (thousands on a slow phone): the mark shown, its words as the name.
                      return (
                        <li>
                          <Show
                            when={bookable(f(), free())}
                            fallback={
                              <span class="vacancy-day vacancy-day-off" role="img" aria-label={said()}>
                                {mark()}
                              </span>
                            }
                          >
                            <a
                              class="vacancy-day vacancy-cell-book"
                              href={bookHref(f().facilityId, {
                                type: s.serviceType,
                                day: day.date,
                                block: b.timeBlock,
                              })}
                              aria-label={`${mark()} ${v().dayBook(said())}`}
                            >
                              {mark()}
                            </a>
                          </Show>
                        </li>
                      );
                    }}
                  </For>
                </ol>
              </div>
            )}
          </For>
        )}
      </For>
    </li>
  );
}
