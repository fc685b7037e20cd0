import { createAsync, revalidate, useSearchParams } from "@solidjs/router";
import { createMemo, createSignal, ErrorBoundary, For, type JSX, Show, Suspense } from "solid-js";
import {
  api,
  type Booking,
  type BookingStatus,
  bookingsCsvUrl,
  type Facility,
  type ServiceType,
} from "../api";
import { BookingCalendar, type CalendarView, calendarDays } from "../components/BookingCalendar";
import { BookingList, bookingDates } from "../components/BookingList";
import { bookingProblem } from "../components/BookingProblem";
import { Button } from "../components/Button";
import { ErrorMessage } from "../components/ErrorMessage";
import { FeeWaiverClaims } from "../components/FeeWaiverClaims";
import { SelectField, TextField } from "../components/Field";
import { RequireRole } from "../components/Guard";
import { Page } from "../components/Page";
import { getBookings, getSlots } from "../data";
import { addDays, formatDateTime, formatYen, todayInJapan } from "../format";
import { label, t } from "../i18n";
import { formText, one } from "../search";
import { facilityOrNull } from "./FacilityProfile";

const LIMIT = 200;
const STATUSES: BookingStatus[] = [
  "requested",
  "confirmed",
  "rejected",
  "expired",
  "cancelled",
  "used",
  "reported",
  "no_show",
];
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const date = (v: string | undefined) => (v && ISO_DATE.test(v) ? v : undefined);

/**
 * 予約の承認 (facility staff): every request waiting for an answer, each approved in one press or turned down with
 * a reason, several approved at once; below, all of the facility's bookings by status and dates as a list or a
 * day / week calendar, and the history as CSV.
 */
export function FacilityBookings() {
  return (
    <RequireRole roles={["facility"]} title={t().staffBookings.facilityTitle}>
      {(me) => <FacilityDesk facilityId={me.facilityId ?? ""} />}
    </RequireRole>
  );
}

/** 予約一覧 for municipality staff (their residents' bookings) and the prefecture (all): read, filter, download. */
export function StaffBookings() {
  return (
    <RequireRole roles={["municipality", "prefecture"]} title={t().staffBookings.title}>
      {(me) => (
        <Page title={t().staffBookings.title}>
          <p class="lead">{t().staffBookings.staffLead}</p>
          <Show when={me.role === "municipality"}>
            <FeeWaiverClaims showFacility />
          </Show>
          <BookingsOverview />
        </Page>
      )}
    </RequireRole>
  );
}

function FacilityDesk(props: { facilityId: string }) {
  const s = () => t().staffBookings;
  const facility = createAsync(() => facilityOrNull(props.facilityId));
  return (
    <Page title={s().facilityTitle}>
      <p class="lead">{s().facilityLead}</p>
      <Pending facilityId={props.facilityId} />
      <FeeWaiverClaims facilityId={props.facilityId} />
      <BookingsOverview facilityId={props.facilityId} facility={facility()} />
    </Page>
  );
}

/** A sentence for a problem with a booking action, naming the booking. */
const failure = (b: Booking, err: unknown) =>
  t().staffBookings.failed(bookingDates(b), bookingProblem(err).title);

/** Requests waiting for the facility's answer: approve one, reject one with a reason, or approve the selected. */
function Pending(props: { facilityId: string }) {
  const s = () => t().staffBookings;
  const pending = createAsync(() =>
    getBookings({ facilityId: props.facilityId, status: "requested", limit: LIMIT }),
  );
  const [selected, setSelected] = createSignal<ReadonlySet<string>>(new Set());
  const [rejecting, setRejecting] = createSignal<string>();
  const [busy, setBusy] = createSignal(false);
  const [notice, setNotice] = createSignal<{ text: string; problems: string[] }>();
  const items = () =>
    [...(pending()?.items ?? [])].sort(
      (a, b) => a.startDate.localeCompare(b.startDate) || a.createdAt.localeCompare(b.createdAt),
    );
  const chosen = () => items().filter((b) => selected().has(b.id));

  const announce = (text: string, problems: string[] = []) => {
    setNotice({ text, problems });
    queueMicrotask(() => document.getElementById("pending-notice")?.focus());
  };
  const refresh = () => revalidate(getBookings.key);

  async function approve(list: Booking[]) {
    if (list.length === 0 || busy()) return;
    setBusy(true);
    const done: Booking[] = [];
    const problems: string[] = [];
    for (const b of list) {
      try {
        await api.confirmBooking(b.id);
        done.push(b);
      } catch (err) {
        problems.push(failure(b, err));
      }
    }
    setSelected(new Set<string>());
    setBusy(false);
    announce(
      list.length === 1 && done.length === 1
        ? s().approvedOne(bookingDates(list[0] as Booking))
        : s().approvedMany(done.length),
      problems,
    );
    await refresh();
  }

  async function reject(b: Booking, reason: string) {
    setBusy(true);
    try {
      await api.rejectBooking(b.id, reason);
      setRejecting(undefined);
      announce(s().rejected(bookingDates(b)));
      await refresh();
    } catch (err) {
      announce("", [failure(b, err)]);
    } finally {
      setBusy(false);
    }
  }

  const toggle = (id: string, on: boolean) =>
    setSelected((prev) => {
      const next = new Set(prev);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  return (
    <section aria-labelledby="pending-title" class="panel">
      <h2 id="pending-title">{s().pendingTitle}</h2>
      <p>{s().pendingIntro}</p>
      <div id="pending-notice" tabindex="-1" role="status" class="status-slot">
        <Show when={notice()}>
          {(n) => (
            <div
              class="alert"
              classList={{
                "alert-success": n().problems.length === 0,
                "alert-error": n().problems.length > 0,
              }}
            >
              <Show when={n().text}>
                <p class="alert-title">{n().text}</p>
              </Show>
              <Show when={n().problems.length > 0}>
                <ul>
                  <For each={n().problems}>{(p) => <li>{p}</li>}</For>
                </ul>
              </Show>
            </div>
          )}
        </Show>
      </div>
      <ErrorBoundary fallback={(err) => <ErrorMessage error={err} />}>
        <Suspense
          fallback={
            <p class="loading" role="status">
              {t().loading}
            </p>
          }
        >
          <Show when={pending()}>
            <Show when={items().length > 0} fallback={<p>{s().noPending}</p>}>
              <div class="actions pending-bulk">
                <label class="checkbox">
                  <input
                    type="checkbox"
                    checked={items().length > 0 && chosen().length === items().length}
                    onChange={(e) =>
                      setSelected(new Set<string>(e.currentTarget.checked ? items().map((b) => b.id) : []))
                    }
                  />
                  {s().selectAll}
                </label>
                <Button
                  type="button"
                  class="button"
                  busy={busy()}
                  disabled={chosen().length === 0}
                  onClick={() => void approve(chosen())}
                >
                  {s().approveSelected(chosen().length)}
                </Button>
              </div>
              <ul
                class="cards pending-list"
                id="pending-list"
                aria-label={s().pendingCaption(items().length)}
              >
                <For each={items()}>
                  {(b) => (
                    <PendingCard
                      booking={b}
                      selected={selected().has(b.id)}
                      busy={busy()}
                      rejecting={rejecting() === b.id}
                      onSelect={(on) => toggle(b.id, on)}
                      onApprove={() => void approve([b])}
                      onReject={(reason) => void reject(b, reason)}
                      onRejecting={(on) => setRejecting(on ? b.id : undefined)}
                    />
                  )}
                </For>
              </ul>
            </Show>
          </Show>
        </Suspense>
      </ErrorBoundary>
    </section>
  );
}

function PendingCard(props: {
  booking: Booking;
  selected: boolean;
  busy: boolean;
  rejecting: boolean;
  onSelect: (on: boolean) => void;
  onApprove: () => void;
  onReject: (reason: string) => void;
  onRejecting: (on: boolean) => void;
}) {
  const s = () => t().staffBookings;
  const b = () => props.booking;
  const [reason, setReason] = createSignal("");
  const [error, setError] = createSignal<string>();
  const what = () => bookingDates(b());
  let rejectButton: HTMLButtonElement | undefined;
  const reasonId = () => `reject-reason-${b().id}`;

  function submit(e: SubmitEvent) {
    e.preventDefault();
    if (!reason().trim()) {
      setError(s().reasonRequired);
      document.getElementById(reasonId())?.focus();
      return;
    }
    setError(undefined);
    props.onReject(reason().trim());
  }

  return (
    <li class="card pending-card" data-booking-id={b().id} aria-labelledby={`pending-${b().id}`}>
      <h3 id={`pending-${b().id}`}>
        <time datetime={b().startDate}>{what()}</time>
        <span class="pending-service">{label("serviceTypes", b().serviceType)}</span>
      </h3>
      <label class="checkbox">
        <input
          type="checkbox"
          checked={props.selected}
          onChange={(e) => props.onSelect(e.currentTarget.checked)}
        />
        {s().selectThis}
        <span class="visually-hidden">{s().which(what())}</span>
      </label>
      <dl class="pending-facts">
        <Show when={b().guest}>
          {(g) => (
            <>
              <div>
                <dt>{s().guest}</dt>
                <dd class="pending-guest">{g().name}</dd>
              </div>
              <div>
                <dt>{s().babyAge}</dt>
                <dd class="pending-age">
                  {g().childAgeMonths === null
                    ? s().ageUnknown
                    : s().ageMonths(g().childAgeMonths ?? 0, g().ageBasis === "corrected")}
                </dd>
              </div>
              <div class="pending-notes-row">
                <dt>{s().notes}</dt>
                <dd class="pending-notes">
                  <Show when={g().notes.length > 0} fallback={s().noNotes}>
                    <For each={g().notes}>{(n) => <p>{n}</p>}</For>
                  </Show>
                </dd>
              </div>
            </>
          )}
        </Show>
        <div>
          <dt>{s().voucher}</dt>
          <dd>{b().voucherNumber ?? t().dash}</dd>
        </div>
        <div>
          <dt>{t().bookings.units}</dt>
          <dd>{t().book.units(b().units ?? 0, b().stayCounting)}</dd>
        </div>
        <div>
          <dt>{t().bookings.copay}</dt>
          <dd>{formatYen(b().residentCopay ?? 0)}</dd>
        </div>
        <div>
          <dt>{s().answerBy}</dt>
          <dd>{b().holdExpiresAt ? formatDateTime(b().holdExpiresAt ?? "") : t().dash}</dd>
        </div>
      </dl>
      <Show
        when={props.rejecting}
        fallback={
          <div class="row-actions">
            <Button type="button" class="button" busy={props.busy} onClick={() => props.onApprove()}>
              {s().approve}
              <span class="visually-hidden">{s().which(what())}</span>
            </Button>
            <Button
              ref={rejectButton}
              type="button"
              class="button button-secondary"
              busy={props.busy}
              onClick={() => {
                props.onRejecting(true);
                queueMicrotask(() => document.getElementById(reasonId())?.focus());
              }}
            >
              {s().reject}
              <span class="visually-hidden">{s().which(what())}</span>
            </Button>
          </div>
        }
      >
        <form class="reject-form" onSubmit={submit}>
          <div class="field" classList={{ "field-invalid": !!error() }}>
            <label for={reasonId()}>{s().rejectReason}</label>
            <Show when={error()}>
              <p class="field-error" id={`${reasonId()}-error`}>
                {error()}
              </p>
            </Show>
            <textarea
              id={reasonId()}
              rows={3}
              maxLength={500}
              value={reason()}
              aria-invalid={error() ? "true" : undefined}
              aria-describedby={error() ? `${reasonId()}-error` : undefined}
              onInput={(e) => setReason(e.currentTarget.value)}
            />
          </div>
          <div class="row-actions">
            <Button type="submit" class="button" busy={props.busy}>
              {s().rejectConfirm}
            </Button>
            <Button
              type="button"
              class="button button-secondary"
              busy={props.busy}
              onClick={() => {
                props.onRejecting(false);
                queueMicrotask(() => rejectButton?.focus());
              }}
            >
              {s().cancelReject}
            </Button>
          </div>
        </form>
      </Show>
    </li>
  );
}

type OverviewFilters = {
  status?: string;
  from?: string;
  to?: string;
  view: "list" | CalendarView;
  date: string;
};

/** All bookings in view by status and dates, as a list or a day / week calendar, with CSV downloads. */
function BookingsOverview(props: { facilityId?: string; facility?: Facility | null }) {
  const s = () => t().staffBookings;
  const [params, setParams] = useSearchParams();
  const today = todayInJapan();
  const filters = (): OverviewFilters => {
    const view = one(params.view);
    return {
      status: STATUSES.includes(one(params.status) as BookingStatus) ? one(params.status) : undefined,
      from: date(one(params.from)),
      to: date(one(params.to)),
      view: view === "day" || view === "week" ? view : "list",
      date: date(one(params.date)) ?? today,
    };
  };
  // Memos, so switching the view or the calendar date does not reset what is being typed in the filters.
  const status = createMemo(() => filters().status);
  const from = createMemo(() => filters().from);
  const to = createMemo(() => filters().to);
  const query = () => ({
    facilityId: props.facilityId,
    status: filters().status,
    from: filters().from,
    to: filters().to,
  });
  const list = createAsync(() =>
    filters().view === "list" ? getBookings({ ...query(), limit: LIMIT }) : Promise.resolve(undefined),
  );
  const days = createMemo(() => calendarDays(filters().view === "day" ? "day" : "week", filters().date));
  const calendar = createAsync(() =>
    filters().view === "list"
      ? Promise.resolve(undefined)
      : getBookings({
          facilityId: props.facilityId,
          from: days()[0],
          to: days()[days().length - 1],
          limit: LIMIT,
        }),
  );
  /** The facility's capacity over the calendar's days (the board's "taken of capacity"); none across facilities. */
  const slots = createAsync(() =>
    filters().view === "list" || !props.facilityId
      ? Promise.resolve(undefined)
      : getSlots(props.facilityId, days()[0] ?? filters().date, days()[days().length - 1] ?? filters().date),
  );
  /** The service columns: the facility's services, or those its bookings use. */
  const services = (): {
    serviceType: ServiceType;
    timeBlocks: { code: string; start: string; end: string }[];
  }[] => {
    const offered = props.facility?.services;
    if (offered?.length) return offered;
    const used = new Set((calendar()?.items ?? []).map((b) => b.serviceType));
    return (["stay", "day", "visit"] as const)
      .filter((x) => used.has(x) || used.size === 0)
      .map((serviceType) => ({ serviceType, timeBlocks: [] }));
  };

  function applyFilters(e: SubmitEvent) {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setParams({ status: formText(form, "status"), from: formText(form, "from"), to: formText(form, "to") });
  }
  const setView = (view: "list" | CalendarView) => setParams({ view: view === "list" ? undefined : view });
  const moveCalendar = (step: number) =>
    setParams({ date: addDays(filters().date, step * (filters().view === "day" ? 1 : 7)) });
  const rangeProblem = () => {
    const f = filters();
    return f.from && f.to && f.from > f.to ? s().rangeError : undefined;
  };

  return (
    <section aria-labelledby="overview-title">
      <h2 id="overview-title">{s().overviewTitle}</h2>
      <search aria-labelledby="overview-title">
        <form class="filters" onSubmit={applyFilters}>
          <SelectField name="status" label={s().status}>
            <option value="">{s().allStatuses}</option>
            <For each={STATUSES}>
              {(st) => (
                <option value={st} selected={st === status()}>
                  {t().bookings.statuses[st]}
                </option>
              )}
            </For>
          </SelectField>
          <TextField name="from" type="date" label={s().from} hint={s().rangeHint} value={from() ?? ""} />
          <TextField name="to" type="date" label={s().to} value={to() ?? ""} error={rangeProblem()} />
          <div class="form-actions">
            <button type="submit" class="button">
              {s().apply}
            </button>
          </div>
        </form>
      </search>
      <Downloads query={query()} />
      <fieldset class="view-switch">
        <legend>{s().viewLabel}</legend>
        <For each={["list", "day", "week"] as const}>
          {(v) => (
            <button
              type="button"
              class="button button-quiet"
              aria-pressed={filters().view === v ? "true" : "false"}
              onClick={() => setView(v)}
            >
              {s().views[v]}
            </button>
          )}
        </For>
      </fieldset>
      <Loading>
        <Show
          when={filters().view === "list"}
          fallback={
            <>
              <div class="actions calendar-nav">
                <button type="button" class="button button-quiet" onClick={() => moveCalendar(-1)}>
                  {filters().view === "day" ? s().previousDay : s().previousWeek}
                </button>
                <button
                  type="button"
                  class="button button-quiet"
                  onClick={() => setParams({ date: undefined })}
                >
                  {s().today}
                </button>
                <button type="button" class="button button-quiet" onClick={() => moveCalendar(1)}>
                  {filters().view === "day" ? s().nextDay : s().nextWeek}
                </button>
              </div>
              <Show when={calendar()}>
                {(page) => (
                  <>
                    <BookingCalendar
                      bookings={page().items}
                      view={filters().view === "day" ? "day" : "week"}
                      date={filters().date}
                      services={services()}
                      slots={slots()?.items}
                    />
                    <Show when={page().total > page().items.length}>
                      <p class="meta">{t().bookings.more(page().items.length, page().total)}</p>
                    </Show>
                  </>
                )}
              </Show>
            </>
          }
        >
          <Show when={list()}>
            {(page) => (
              <>
                <p role="status" class="result-count">
                  {page().total > 0 ? s().results(page().total) : s().noResults}
                </p>
                <Show when={page().items.length > 0}>
                  <BookingList id="bookings-table" caption={s().listCaption} bookings={page().items} />
                </Show>
                <Show when={page().total > page().items.length}>
                  <p class="meta">{t().bookings.more(page().items.length, page().total)}</p>
                </Show>
              </>
            )}
          </Show>
        </Show>
      </Loading>
    </section>
  );
}

function Loading(props: { children: JSX.Element }) {
  return (
    <ErrorBoundary fallback={(err) => <ErrorMessage error={err} />}>
      <Suspense
        fallback={
          <p class="loading" role="status">
            {t().loading}
          </p>
        }
      >
        {props.children}
      </Suspense>
    </ErrorBoundary>
  );
}

/** The history as CSV with the filters shown: UTF-8 (current Excel) or Shift_JIS (older Excel). */
function Downloads(props: { query: Record<string, string | undefined> }) {
  const s = () => t().staffBookings;
  return (
    <div class="actions downloads">
      <a class="button button-secondary" href={bookingsCsvUrl(props.query, "utf-8")} download="">
        {s().csvUtf8}
      </a>
      <a class="button button-secondary" href={bookingsCsvUrl(props.query, "sjis")} download="">
        {s().csvSjis}
      </a>
    </div>
  );
}
