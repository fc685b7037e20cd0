import { A, createAsync, revalidate } from "@solidjs/router";
import { createSignal, For, type JSX, Match, Show, Switch } from "solid-js";
import { api, type Booking, type Me, WAITLIST_STATUSES, type WaitlistEntry } from "../api";
import { type RunAction, useAction } from "../components/ActionOutcome";
import { bookingDates } from "../components/BookingList";
import { Button } from "../components/Button";
import { FilterSelect } from "../components/FilterSelect";
import { FilterForm } from "../components/Filters";
import { RequireRole } from "../components/Guard";
import { Page } from "../components/Page";
import { Pager, ResultCount } from "../components/Pager";
import { WaitlistProblem } from "../components/WaitlistJoin";
import { statusText, WaitlistTable, wantedText } from "../components/WaitlistTable";
import { getBookings, getWaitlist } from "../data";
import { formatDateTime, formatYen } from "../format";
import { label, t } from "../i18n";
import { useListSearch } from "../search";

/** A resident has a few entries at most (the hub allows 10 active); ended ones are kept too. */
const MY_LIMIT = 100;
const STAFF_LIMIT = 50;

/**
 * 予約待ち for the signed-in resident (/my/waitlist): places offered to them first, each with its deadline and
 * accept / decline; then every entry with its place in line, which they can leave.
 */
export function MyWaitlist() {
  return (
    <RequireRole roles={["resident"]} title={t().waitlist.title}>
      {() => <Mine />}
    </RequireRole>
  );
}

function Mine() {
  const entries = createAsync(() => getWaitlist({ limit: MY_LIMIT }));
  const w = () => t().waitlist;
  const change = useAction(() => revalidate([getWaitlist.key, getBookings.key]), {
    problem: WaitlistProblem,
    refreshOnError: true,
  });
  const items = () => entries()?.items ?? [];
  const offers = () => items().filter((e) => e.status === "offered" && e.offer);
  return (
    <Page title={w().title}>
      <p>{w().intro}</p>
      <change.Outcome />
      <Show when={entries()}>
        <section aria-labelledby="waitlist-offers">
          <h2 id="waitlist-offers">{w().offersTitle}</h2>
          <Show when={offers().length > 0} fallback={<p>{w().noOffers}</p>}>
            <For each={offers()}>{(e) => <OfferCard entry={e} busy={change.busy()} run={change.run} />}</For>
          </Show>
        </section>
        <section aria-labelledby="waitlist-entries">
          <h2 id="waitlist-entries">{w().entriesTitle}</h2>
          <Show
            when={items().length > 0}
            fallback={
              <>
                <p>{w().none}</p>
                <p>
                  <A class="button button-secondary" href="/facilities">
                    {w().findFacilities}
                  </A>
                </p>
              </>
            }
          >
            <ul class="waitlist-entries">
              <For each={items()}>{(e) => <EntryItem entry={e} busy={change.busy()} run={change.run} />}</For>
            </ul>
          </Show>
        </section>
      </Show>
    </Page>
  );
}

/** One row of the definition list of a card. */
function Item(props: { term: string; children: JSX.Element }) {
  return (
    <div>
      <dt>{props.term}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

/** A button that asks once more before it acts (declining and leaving cannot be undone). */
function ConfirmButton(props: {
  label: string;
  ariaLabel: string;
  question: string;
  yes: string;
  busy: boolean;
  onConfirm: () => void;
}) {
  const [asking, setAsking] = createSignal(false);
  let opener: HTMLButtonElement | undefined;
  return (
    <Show
      when={asking()}
      fallback={
        <Button
          type="button"
          class="button button-secondary"
          ref={opener}
          busy={props.busy}
          aria-label={props.ariaLabel}
          onClick={() => setAsking(true)}
        >
          {props.label}
        </Button>
      }
    >
      <div class="confirm">
        <p tabindex="-1" ref={(el) => queueMicrotask(() => el.focus())}>
          {props.question}
        </p>
        <p class="actions">
          <Button type="button" class="button" busy={props.busy} onClick={() => props.onConfirm()}>
            {props.yes}
          </Button>
          <button
            type="button"
            class="button button-secondary"
            onClick={() => {
              setAsking(false);
              queueMicrotask(() => opener?.focus());
            }}
          >
            {t().waitlist.keep}
          </button>
        </p>
      </div>
    </Show>
  );
}

/** A place held for the resident: what, when, what it costs, the deadline, and accept / decline. */
function OfferCard(props: { entry: WaitlistEntry; busy: boolean; run: RunAction }) {
  const w = () => t().waitlist;
  const e = () => props.entry;
  const offer = () => e().offer as NonNullable<WaitlistEntry["offer"]>;
  const headingId = () => `offer-${e().id}`;
  const dates = () =>
    bookingDates({
      serviceType: e().serviceType,
      startDate: offer().startDate,
      endDate: offer().endDate,
      timeBlock: offer().timeBlock,
    } as Booking);
  const deadline = () => formatDateTime(offer().expiresAt ?? "");
  return (
    <article class="panel waitlist-offer" aria-labelledby={headingId()} data-entry-id={e().id}>
      <h3 id={headingId()}>{w().offerHeading(e().facilityName)}</h3>
      <p class="alert">
        <strong>{w().offerDeadline(deadline())}</strong>
      </p>
      <dl class="details">
        <Item term={w().facility}>
          <A href={`/facilities/${e().facilityId}`}>{e().facilityName}</A>
        </Item>
        <Item term={w().service}>{label("serviceTypes", e().serviceType)}</Item>
        <Item term={w().offerDates}>{dates()}</Item>
        <Item term={w().offerUnits}>{t().book.units(offer().units, offer().stayCounting)}</Item>
        <Item term={w().offerCopay}>{formatYen(offer().residentCopay)}</Item>
        <Item term={w().offerDeadlineTerm}>
          <time datetime={offer().expiresAt ?? ""}>{deadline()}</time>
        </Item>
      </dl>
      <p>{w().offerAfter}</p>
      <div class="actions">
        <Button
          type="button"
          class="button"
          busy={props.busy}
          aria-label={w().acceptLabel(e().facilityName)}
          onClick={() =>
            props.run(async () => {
              await api.acceptWaitlistOffer(e().id);
              return w().accepted(e().facilityName);
            })
          }
        >
          {w().accept}
        </Button>
        <ConfirmButton
          label={w().decline}
          ariaLabel={w().declineLabel(e().facilityName)}
          question={w().declineConfirm}
          yes={w().declineYes}
          busy={props.busy}
          onConfirm={() =>
            props.run(async () => {
              await api.declineWaitlistOffer(e().id);
              return w().declined(e().facilityName);
            })
          }
        />
      </div>
    </article>
  );
}

/** One of the resident's entries: facility, what they wait for, status (place in line), and leaving. */
function EntryItem(props: { entry: WaitlistEntry; busy: boolean; run: RunAction }) {
  const w = () => t().waitlist;
  const e = () => props.entry;
  const headingId = () => `entry-${e().id}`;
  return (
    <li class="card" data-entry-id={e().id} data-status={e().status}>
      <h3 id={headingId()}>
        <A href={`/facilities/${e().facilityId}`}>{e().facilityName}</A>
      </h3>
      <dl class="details">
        <Item term={w().service}>{label("serviceTypes", e().serviceType)}</Item>
        <Item term={w().dates}>{wantedText(e())}</Item>
        <Item term={w().status}>{statusText(e())}</Item>
      </dl>
      <Show when={e().status === "waiting"}>
        <div class="actions">
          <ConfirmButton
            label={w().leave}
            ariaLabel={w().leaveLabel(e().facilityName)}
            question={w().leaveConfirm}
            yes={w().leaveYes}
            busy={props.busy}
            onConfirm={() =>
              props.run(async () => {
                await api.leaveWaitlist(e().id);
                return w().left(e().facilityName);
              })
            }
          />
        </div>
      </Show>
    </li>
  );
}

/**
 * 予約待ちの一覧 for staff (/waitlist): municipality staff see their residents' entries and set priorities,
 * facility staff their facility's line (read only, without names), the prefecture every entry (read only).
 */
export function StaffWaitlist() {
  return (
    <RequireRole roles={["municipality", "facility", "prefecture"]} title={t().waitlist.staffTitle}>
      {(me) => <StaffList me={me} />}
    </RequireRole>
  );
}

function StaffList(props: { me: Me }) {
  const { filters, offset, setFilters, href } = useListSearch("/waitlist", ["status"]);
  const result = createAsync(() => getWaitlist({ ...filters(), limit: STAFF_LIMIT, offset: offset() }));
  const w = () => t().waitlist;
  const change = useAction(() => revalidate(getWaitlist.key), {
    problem: WaitlistProblem,
    refreshOnError: true,
  });
  const intro = () =>
    props.me.role === "municipality"
      ? w().staffIntroMunicipality
      : props.me.role === "facility"
        ? w().staffIntroFacility
        : w().staffIntroPrefecture;

  const savePriority = (entry: WaitlistEntry, priority: number) =>
    change.run(async () => {
      const saved = await api.updateWaitlistEntry(entry.id, { priority });
      return w().prioritySaved(saved.residentName ?? "", saved.priority);
    });

  return (
    <Page title={w().staffTitle}>
      <p>{intro()}</p>
      <FilterForm label={w().filtersLabel} submit={w().show} onSubmit={setFilters}>
        <FilterSelect
          id="waitlist-status"
          name="status"
          label={w().statusFilter}
          empty={w().allStatuses}
          values={WAITLIST_STATUSES}
          labels={(s) => w().statuses[s]}
          selected={filters().status}
        />
      </FilterForm>
      <ResultCount total={result()?.total} results={w().results} none={w().noResults} />
      <change.Outcome />
      <Switch>
        <Match when={(result()?.items.length ?? 0) > 0}>
          <WaitlistTable
            id="waitlist-table"
            caption={w().staffTitle}
            entries={result()?.items ?? []}
            showNames={props.me.role !== "facility"}
            onPriority={props.me.role === "municipality" ? savePriority : undefined}
            busy={change.busy()}
          />
        </Match>
      </Switch>
      <Pager total={result()?.total} limit={STAFF_LIMIT} offset={offset()} href={href} />
    </Page>
  );
}
