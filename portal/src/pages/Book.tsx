import { A, createAsync, revalidate, useParams, useSearchParams } from "@solidjs/router";
import {
  createEffect,
  createMemo,
  createSignal,
  ErrorBoundary,
  For,
  Match,
  on,
  Show,
  Suspense,
  Switch,
} from "solid-js";
import {
  ApiError,
  api,
  type Booking,
  type BookingQuote,
  type Facility,
  type HoldRequest,
  hasRole,
  SERVICE_TYPES,
  type ServiceType,
  type Slot,
} from "../api";
import { bookingDates } from "../components/BookingList";
import { BookingProblem } from "../components/BookingProblem";
import { Button } from "../components/Button";
import { ErrorMessage } from "../components/ErrorMessage";
import { RequireRole } from "../components/Guard";
import { Page } from "../components/Page";
import { ResidentSignIn } from "../components/ResidentSignIn";
import { getBookings, getMe, getMyVouchers, getSlots } from "../data";
import { addDays, formatDate, formatDateTime, formatDay, formatYen, todayInJapan } from "../format";
import { label, t, untranslated } from "../i18n";
import { one } from "../search";
import { wholeText } from "../whole-text";
import { facilityOrNull } from "./FacilityProfile";
import { NotFound } from "./NotFound";

/** Days shown at once, and how far ahead a booking can be made from this page. */
const WINDOW_DAYS = 14;
const AHEAD_DAYS = 90;
/** Longest stay offered here (the municipality's rules may allow fewer; the quote says so). */
const MAX_NIGHTS = 7;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const PROBLEM_ID = "book-problem";

/**
 * 予約する: a resident books a facility on one page: the service, the day (and time, or nights) from the
 * facility's calendar with its free places, and, as soon as a day is chosen, the units and copay it would take
 * (nothing is held yet) with the button that requests it, which holds the place until the facility answers. A free
 * cell of the vacancy view opens this page with facility, service, day and block chosen (`?type=&day=&block=`).
 * Not signed in, she sees the calendar and signs in right here with a one-time code, keeping what she chose.
 * The answer says what happens next. A facility that takes bookings on its own site gets a link there instead.
 */
export function Book() {
  const params = useParams();
  const [search] = useSearchParams();
  const facility = createAsync(() => facilityOrNull(params.facilityId ?? ""));
  return (
    <Show when={facility() !== undefined}>
      <Show when={facility()} fallback={<NotFound />}>
        {(f) => (
          <Show when={!f().bookingUrl || one(search.change)} fallback={<ExternalBooking facility={f()} />}>
            <Show when={one(search.change)} fallback={<NewBooking facility={f()} />}>
              {(id) => (
                <RequireRole roles={["resident"]} title={t().book.changeTitle(f().name)}>
                  {() => <ChangeOf bookingId={id()} facility={f()} />}
                </RequireRole>
              )}
            </Show>
          </Show>
        )}
      </Show>
    </Show>
  );
}

/** A new booking: open to anyone (she signs in on the way); staff are told it is for residents. */
function NewBooking(props: { facility: Facility }) {
  const me = createAsync(() => getMe());
  const staff = () => !!me()?.verified && !hasRole(me(), ["resident"]);
  return (
    <Show when={me() !== undefined}>
      <Show
        when={!staff()}
        fallback={
          <Page title={t().book.title(props.facility.name)}>
            <div class="alert alert-error" role="alert">
              <p>{t().guard.forbidden}</p>
            </div>
          </Page>
        }
      >
        <BookingFlow facility={props.facility} />
      </Show>
    </Show>
  );
}

function ExternalBooking(props: { facility: Facility }) {
  const b = () => t().book;
  return (
    <Page title={b().title(props.facility.name)}>
      <p>{b().externalIntro}</p>
      <p class="actions">
        <a class="button" href={props.facility.bookingUrl} rel="external noopener noreferrer">
          {b().externalLink}
          <span class="visually-hidden">{t().profile.externalNote}</span>
        </a>
        <A class="button button-secondary" href={`/facilities/${props.facility.id}`}>
          {b().backToFacility}
        </A>
      </p>
    </Page>
  );
}

/** A key for one booking request: the same key on a retry or a double tap books once. */
function newKey(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  // randomUUID needs a secure context; getRandomValues does not.
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (x) => x.toString(16).padStart(2, "0")).join(
    "",
  );
}

/** A date (YYYY-MM-DD) kept within first..last. */
function clampDate(date: string, first: string, last: string): string {
  if (date < first) return first;
  if (date > last) return last;
  return date;
}

type Choice = { date: string; timeBlock: string };

/** Changing a booking: the booking being changed (the resident's own, open, at this facility), then the flow. */
function ChangeOf(props: { bookingId: string; facility: Facility }) {
  const original = createAsync(() => api.getBooking(props.bookingId));
  return (
    <Show when={original()}>
      {(o) => (
        <Show
          when={
            o().facilityId === props.facility.id && (o().status === "requested" || o().status === "confirmed")
          }
          fallback={
            <Page title={t().book.changeTitle(props.facility.name)}>
              <div class="alert alert-error" role="alert">
                <p class="alert-title">{t().book.notChangeable}</p>
              </div>
              <p>
                <A class="button" href="/my/bookings">
                  {t().book.toMyBookings}
                </A>
              </p>
            </Page>
          }
        >
          <BookingFlow facility={props.facility} original={o()} />
        </Show>
      )}
    </Show>
  );
}

/**
 * What the address asks for: the service (`type`), the first day of the calendar (`date`), and a day chosen
 * already (`day`, with the time `block` if the service has blocks: a vacancy cell), if this facility offers them.
 */
function asked(
  services: Facility["services"],
  search: Record<string, string | string[] | undefined>,
  first: string,
  last: string,
) {
  const valid = (d: string | undefined) => (d && ISO_DATE.test(d) && d >= first && d <= last ? d : undefined);
  const type = one(search.type);
  const service =
    services.find((s) => s.serviceType === type) ?? (services.length === 1 ? services[0] : undefined);
  const day = service && service.serviceType === type ? valid(one(search.day)) : undefined;
  const start = day ?? valid(one(search.date)) ?? first;
  const timeBlock = one(search.block) ?? "";
  const offered = service?.timeBlocks.length
    ? service.timeBlocks.some((b) => b.code === timeBlock)
    : timeBlock === "";
  const choice: Choice | undefined = day && offered ? { date: day, timeBlock } : undefined;
  return { serviceType: service?.serviceType, start, choice };
}

function BookingFlow(props: { facility: Facility; original?: Booking }) {
  const b = () => t().book;
  const [search] = useSearchParams();
  const me = createAsync(() => getMe());
  const today = todayInJapan();
  const lastDay = addDays(today, AHEAD_DAYS - 1);
  const services = () =>
    [...props.facility.services].sort(
      (x, y) => SERVICE_TYPES.indexOf(x.serviceType) - SERVICE_TYPES.indexOf(y.serviceType),
    );
  const initial = asked(services(), search, today, lastDay);

  const [serviceType, setServiceType] = createSignal<ServiceType | undefined>(initial.serviceType);
  const [windowStart, setWindowStart] = createSignal(initial.start);
  const [choice, setChoice] = createSignal<Choice | undefined>(initial.choice);
  const [nights, setNights] = createSignal(1);
  const [done, setDone] = createSignal(false);
  const [quote, setQuote] = createSignal<BookingQuote>();
  const [quoting, setQuoting] = createSignal(false);
  const [booking, setBooking] = createSignal<Booking>();
  const [problem, setProblem] = createSignal<unknown>();
  const [busy, setBusy] = createSignal(false);
  const [chooseError, setChooseError] = createSignal<string>();
  // Arriving with a day chosen (a vacancy cell), the calendar stays folded: the copay and the button come first.
  const [calendarOpen, setCalendarOpen] = createSignal(!initial.choice);
  let key = newKey();
  let quoteSeq = 0;
  let doneHeading: HTMLHeadingElement | undefined;

  /** Signed in as a resident (a change is only ever shown to one); signed out, she signs in on this page. */
  const signedIn = () => !!props.original || hasRole(me(), ["resident"]);
  const windowEnd = () => {
    return clampDate(addDays(windowStart(), WINDOW_DAYS - 1), today, lastDay);
  };
  const slots = createAsync(() => getSlots(props.facility.id, windowStart(), windowEnd()));
  const service = () => services().find((s) => s.serviceType === serviceType());
  const ofType = createMemo(() => (slots()?.items ?? []).filter((s) => s.serviceType === serviceType()));
  const focusSoon = (get: () => HTMLElement | null | undefined) => queueMicrotask(() => get()?.focus());

  /** Free nights in a row from the chosen day, as far as the calendar shown tells (the rest the hold checks). */
  const maxNights = () => {
    const c = choice();
    if (!c || serviceType() !== "stay") return 1;
    let n = 0;
    for (let d = c.date; n < MAX_NIGHTS; d = addDays(d, 1), n++) {
      const s = ofType().find((x) => x.date === d);
      if (!s) return d > windowEnd() ? MAX_NIGHTS : Math.max(1, n);
      if (s.closed || s.free <= 0) return Math.max(1, n);
    }
    return MAX_NIGHTS;
  };

  const request = (): HoldRequest | undefined => {
    const c = choice();
    const type = serviceType();
    if (!c || !type) return undefined;
    return type === "stay"
      ? { facilityId: props.facility.id, serviceType: type, startDate: c.date, nights: nights() }
      : {
          facilityId: props.facility.id,
          serviceType: type,
          startDate: c.date,
          ...(c.timeBlock ? { timeBlock: c.timeBlock } : {}),
        };
  };
  const requestKey = createMemo(() => JSON.stringify(request() ?? null));

  // A day asked for in the address that is no longer free (or not offered) is let go, saying so.
  createEffect(
    on(slots, (list) => {
      const c = choice();
      if (!list || !c) return;
      const s = list.items.find(
        (x) => x.serviceType === serviceType() && x.date === c.date && x.timeBlock === c.timeBlock,
      );
      if (!s || s.closed || s.free <= 0) {
        setChoice(undefined);
        setChooseError(b().chosenGone);
      }
    }),
  );

  // The units and copay, as soon as a day is chosen (and again when the nights change): nothing to press.
  // Only the newest answer counts; a change is checked as a whole when it is made.
  createEffect(
    on([requestKey, signedIn], () => {
      const req = request();
      const seq = ++quoteSeq;
      key = newKey();
      setQuote(undefined);
      setQuoting(false);
      if (!req || !signedIn() || props.original) return;
      setProblem(undefined);
      setQuoting(true);
      api.quoteBooking(req).then(
        (q) => {
          if (seq !== quoteSeq) return;
          setQuote(q);
          setQuoting(false);
        },
        (err) => {
          if (seq !== quoteSeq) return;
          setProblem(err);
          setQuoting(false);
        },
      );
    }),
  );

  function choose(c: Choice | undefined) {
    setChoice(c);
    setNights(1);
    setChooseError(undefined);
    setProblem(undefined);
  }

  /** 申し込む: says what is still missing (a service, a day, signing in), else requests what is shown. */
  function proceed() {
    if (!request()) {
      setChooseError(serviceType() ? b().chooseDayFirst : b().chooseServiceFirst);
      focusSoon(() => document.getElementById("book-choose-error"));
      return;
    }
    setChooseError(undefined);
    if (!signedIn()) {
      focusSoon(() => document.querySelector<HTMLElement>("#book-sign-in input:not([type=hidden])"));
      return;
    }
    if (props.original || quote()) {
      void confirm();
      return;
    }
    if (problem()) focusSoon(() => document.getElementById(PROBLEM_ID));
  }

  async function confirm() {
    const req = request();
    if (!req || busy()) return;
    setBusy(true);
    setProblem(undefined);
    try {
      if (props.original) {
        const { facilityId: _facility, addOns: _addOns, ...change } = req;
        setBooking((await api.changeBooking(props.original.id, change, key)).booking);
      } else {
        setBooking(await api.createHold(req, key));
      }
      setDone(true);
      // What the resident sees next (their bookings, their vouchers' units, the calendar) is read afresh.
      void revalidate([
        getSlots.keyFor(props.facility.id, windowStart(), windowEnd()),
        getBookings.key,
        getMyVouchers.key,
      ]);
      focusSoon(() => doneHeading);
    } catch (err) {
      if (err instanceof ApiError && (err.code === "slot_full" || err.code === "slot_closed")) {
        // The calendar was out of date: show it as it is now and let the resident choose again.
        setChoice(undefined);
        void revalidate(getSlots.keyFor(props.facility.id, windowStart(), windowEnd()));
      }
      setProblem(err);
      focusSoon(() => document.getElementById(PROBLEM_ID));
    } finally {
      setBusy(false);
    }
  }

  function move(days: number) {
    const next = addDays(windowStart(), days);
    setWindowStart(clampDate(next, today, lastDay));
    choose(undefined);
  }

  /** What the check of a change and the quote share: the facility and the two buttons. */
  const confirming = () => ({
    facility: props.facility,
    busy: busy(),
    onConfirm: confirm,
    onBack: backToDay,
  });

  const backToDay = () => {
    setCalendarOpen(true);
    focusSoon(
      () =>
        document.querySelector<HTMLInputElement>("input[name=slot]:checked") ??
        document.querySelector<HTMLInputElement>("input[name=slot]:not(:disabled)"),
    );
  };

  return (
    <Page title={props.original ? b().changeTitle(props.facility.name) : b().title(props.facility.name)}>
      <Switch>
        <Match when={done() && booking()}>
          {(made) => <Done booking={made()} previous={props.original} ref={(el) => (doneHeading = el)} />}
        </Match>
        <Match when={true}>
          <Show when={props.original} fallback={<p class="lead">{b().lead}</p>}>
            {(o) => <p class="lead">{b().changeLead(bookingDates(o()))}</p>}
          </Show>
          <ol class="steps" aria-label={b().stepsLabel}>
            <li aria-current={request() ? undefined : "step"}>{b().step1}</li>
            <li aria-current={request() ? "step" : undefined}>{b().step2}</li>
            <li>{b().step3}</li>
          </ol>
          <Show when={problem()}>
            <BookingProblem error={problem()} id={PROBLEM_ID} nights={request()?.nights} />
          </Show>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              proceed();
            }}
            class="stack"
            aria-describedby={chooseError() ? "book-choose-error" : undefined}
          >
            <fieldset class="checkbox-group">
              <legend>{b().serviceLegend}</legend>
              <Show when={services().length > 0} fallback={<p>{b().noServices}</p>}>
                <div class="choice-list">
                  <For each={services()}>
                    {(s) => (
                      <label class="choice">
                        <input
                          type="radio"
                          name="serviceType"
                          value={s.serviceType}
                          checked={serviceType() === s.serviceType}
                          onChange={() => {
                            setServiceType(s.serviceType);
                            choose(undefined);
                          }}
                        />
                        <span>
                          <strong>{label("serviceTypes", s.serviceType)}</strong>
                          <span class="choice-note">{b().serviceNote[s.serviceType]}</span>
                        </span>
                      </label>
                    )}
                  </For>
                </div>
              </Show>
            </fieldset>

            <Show when={service()}>
              {(svc) => (
                <Show
                  when={calendarOpen() || !choice()}
                  fallback={
                    <div class="chosen-day">
                      <p>
                        <span class="chosen-day-label">{b().chosenDay}</span>{" "}
                        <strong>
                          {formatDay(choice()?.date ?? "")}{" "}
                          {blockTime(svc().timeBlocks, choice()?.timeBlock ?? "")}
                        </strong>
                      </p>
                      <button type="button" class="button button-secondary" onClick={backToDay}>
                        {b().otherDay}
                      </button>
                    </div>
                  }
                >
                  <fieldset class="checkbox-group">
                    <legend>{svc().serviceType === "stay" ? b().dayLegendStay : b().dayLegend}</legend>
                    <p class="hint">{b().dayHint(formatDate(windowStart()), formatDate(windowEnd()))}</p>
                    <div class="actions">
                      <button
                        type="button"
                        class="button button-quiet"
                        disabled={windowStart() <= today}
                        onClick={() => move(-WINDOW_DAYS)}
                      >
                        {b().earlier}
                      </button>
                      <button
                        type="button"
                        class="button button-quiet"
                        disabled={windowEnd() >= lastDay}
                        onClick={() => move(WINDOW_DAYS)}
                      >
                        {b().later}
                      </button>
                    </div>
                    <ErrorBoundary fallback={(err) => <ErrorMessage error={err} />}>
                      <Suspense
                        fallback={
                          <p class="loading" role="status">
                            {t().loading}
                          </p>
                        }
                      >
                        <DayChoices
                          slots={ofType()}
                          timeBlocks={svc().timeBlocks}
                          chosen={choice()}
                          onChoose={choose}
                        />
                      </Suspense>
                    </ErrorBoundary>
                  </fieldset>
                </Show>
              )}
            </Show>

            <Show when={serviceType() === "stay" && choice()}>
              <div class="field">
                <label for="book-nights">{b().nights}</label>
                <p class="hint" id="book-nights-hint">
                  {b().nightsHint}
                </p>
                <select
                  id="book-nights"
                  name="nights"
                  aria-describedby="book-nights-hint"
                  onChange={(e) => {
                    setNights(Number(e.currentTarget.value));
                  }}
                >
                  <For each={Array.from({ length: maxNights() }, (_, i) => i + 1)}>
                    {(n) => (
                      <option value={n} selected={n === nights()}>
                        {b().nightsOption(n)}
                      </option>
                    )}
                  </For>
                </select>
              </div>
            </Show>

            <Show when={chooseError()}>
              <p class="field-error" id="book-choose-error" tabindex="-1" role="alert">
                {chooseError()}
              </p>
            </Show>
          </form>

          {/* What the page is doing about the quote, said once (the quote itself follows). */}
          <div role="status" class="status-slot" id="book-status">
            <Show when={quoting()}>
              <p class="loading">{b().quoting}</p>
            </Show>
            <Show when={quote()}>
              {/* Set whole, so browser page translation cannot leave the old amount (solidjs/solid#1451). */}
              {(q) => (
                <p
                  class="visually-hidden"
                  ref={wholeText(() => b().quoteReady(formatYen(q().residentCopay)))}
                />
              )}
            </Show>
          </div>

          <Switch>
            <Match when={!signedIn()}>
              <section aria-labelledby="book-sign-in-title" class="panel" id="book-sign-in">
                <h2 id="book-sign-in-title">{b().signInTitle}</h2>
                <ResidentSignIn intro={b().signInIntro} here />
              </section>
            </Match>
            <Match when={props.original && request()}>
              {(req) => <ChangeView original={props.original as Booking} request={req()} {...confirming()} />}
            </Match>
            <Match when={quote() && request()}>
              {(req) => <QuoteView quote={quote() as BookingQuote} request={req()} {...confirming()} />}
            </Match>
            <Match when={!quoting()}>
              <div class="form-actions">
                <Button type="button" class="button" busy={busy()} onClick={proceed}>
                  {props.original ? b().changeConfirm : b().request}
                </Button>
              </div>
            </Match>
          </Switch>
        </Match>
      </Switch>
    </Page>
  );
}

/** A time block's hours ("" for a service without blocks). */
function blockTime(blocks: { code: string; start: string; end: string }[], code: string): string {
  const block = blocks.find((x) => x.code === code);
  return block ? t().profile.timeRange(block.start, block.end) : "";
}

/** The days (and time blocks) of the calendar shown, as radio buttons; full and closed days cannot be chosen. */
function DayChoices(props: {
  slots: Slot[];
  timeBlocks: { code: string; start: string; end: string }[];
  chosen: Choice | undefined;
  onChoose: (c: Choice) => void;
}) {
  const b = () => t().book;
  const time = (code: string) => blockTime(props.timeBlocks, code);
  return (
    <Show when={props.slots.length > 0} fallback={<p>{b().noDays}</p>}>
      <div class="day-choices">
        <For each={props.slots}>
          {(s) => {
            const value = `${s.date}|${s.timeBlock}`;
            const open = () => !s.closed && s.free > 0;
            return (
              <label class="day-choice" classList={{ "day-choice-off": !open() }}>
                <input
                  type="radio"
                  name="slot"
                  value={value}
                  disabled={!open()}
                  checked={props.chosen?.date === s.date && props.chosen?.timeBlock === s.timeBlock}
                  onChange={() => props.onChoose({ date: s.date, timeBlock: s.timeBlock })}
                />
                <span class="day-choice-text">
                  <time datetime={s.date} class="day-choice-date">
                    {formatDay(s.date)}
                  </time>
                  <Show when={time(s.timeBlock)}>
                    <span>{time(s.timeBlock)}</span>
                  </Show>
                  <span class="day-choice-free">
                    {s.closed ? b().closed : s.free > 0 ? b().free(s.free) : b().full}
                  </span>
                </span>
              </label>
            );
          }}
        </For>
      </div>
    </Show>
  );
}

/** The booking a request would make, for showing its dates before it exists. */
function previewOf(facility: Facility, request: HoldRequest): Booking {
  return {
    id: "",
    facilityId: facility.id,
    serviceType: request.serviceType,
    startDate: request.startDate,
    endDate:
      request.serviceType === "stay" ? addDays(request.startDate, request.nights ?? 1) : request.startDate,
    timeBlock: request.timeBlock ?? "",
    status: "requested",
    source: "portal",
    revision: 0,
    createdAt: "",
  };
}

function ChangeView(props: {
  original: Booking;
  facility: Facility;
  request: HoldRequest;
  busy: boolean;
  onConfirm: () => void;
  onBack: () => void;
}) {
  const b = () => t().book;
  return (
    <section aria-labelledby="quote-title" class="panel">
      <h2 id="quote-title" tabindex="-1">
        {b().changeCheckTitle}
      </h2>
      <dl class="details">
        <div>
          <dt>{b().changeFrom}</dt>
          <dd>
            {label("serviceTypes", props.original.serviceType)} {bookingDates(props.original)}
          </dd>
        </div>
        <div>
          <dt>{b().changeTo}</dt>
          <dd>
            {label("serviceTypes", props.request.serviceType)}{" "}
            {bookingDates(previewOf(props.facility, props.request))}
          </dd>
        </div>
      </dl>
      <p>{b().changeNote}</p>
      <ConfirmActions
        busy={props.busy}
        confirm={b().changeConfirm}
        onConfirm={props.onConfirm}
        onBack={props.onBack}
      />
    </section>
  );
}

function QuoteView(props: {
  quote: BookingQuote;
  facility: Facility;
  request: HoldRequest;
  busy: boolean;
  onConfirm: () => void;
  onBack: () => void;
}) {
  const b = () => t().book;
  const q = () => props.quote;
  const preview = () => previewOf(props.facility, props.request);
  return (
    <section aria-labelledby="quote-title" class="panel">
      <h2 id="quote-title" tabindex="-1">
        {b().quoteTitle}
      </h2>
      <p class="copay">
        <span class="copay-label">{b().copay}</span>
        <span class="copay-amount" data-testid="quote-copay">
          {formatYen(q().residentCopay)}
        </span>
        <span class="copay-note">{b().copayNote}</span>
      </p>
      <dl class="details">
        <div>
          <dt>{b().facility}</dt>
          <dd lang={untranslated()}>{props.facility.name}</dd>
        </div>
        <div>
          <dt>{b().service}</dt>
          <dd>{label("serviceTypes", props.request.serviceType)}</dd>
        </div>
        <div>
          <dt>{b().when}</dt>
          <dd>{bookingDates(preview())}</dd>
        </div>
        <div>
          <dt>{b().unitsUsed}</dt>
          <dd>{b().units(q().unitsNeeded, q().stayCounting)}</dd>
        </div>
        <div>
          <dt>{b().unitsLeft}</dt>
          <dd>{b().units(q().unitsRemainingAfter, q().stayCounting)}</dd>
        </div>
        <div>
          <dt>{b().voucher}</dt>
          <dd>{q().voucherNumber}</dd>
        </div>
      </dl>
      <Show when={q().stayCounting}>{(c) => <p class="meta">{b().counting[c()]}</p>}</Show>
      <p class="meta">{b().policyFrom(formatDate(q().policyVersion.effectiveFrom))}</p>
      <Show when={q().lines.length > 1}>
        <details>
          <summary>{b().lines}</summary>
          <ul>
            <For each={q().lines}>
              {(l) => <li>{b().line(l.label, l.quantity, formatYen(l.residentCopay))}</li>}
            </For>
          </ul>
        </details>
      </Show>
      <p>{b().notYet}</p>
      <ConfirmActions
        busy={props.busy}
        confirm={b().request}
        onConfirm={props.onConfirm}
        onBack={props.onBack}
      />
    </section>
  );
}

function Done(props: { booking: Booking; previous?: Booking; ref: (el: HTMLHeadingElement) => void }) {
  const b = () => t().book;
  return (
    <>
      <section aria-labelledby="done-title" class="alert alert-success">
        <h2 id="done-title" tabindex="-1" ref={props.ref} class="alert-title">
          {props.previous ? b().changedTitle : b().doneTitle}
        </h2>
        <p>
          {props.previous
            ? b().changedText(
                props.booking.facilityName ?? "",
                bookingDates(props.booking),
                bookingDates(props.previous),
              )
            : b().doneText(props.booking.facilityName ?? "", bookingDates(props.booking))}
        </p>
      </section>
      <section aria-labelledby="next-title">
        <h2 id="next-title">{b().nextTitle}</h2>
        <ol class="next-steps">
          <li>
            {props.booking.holdExpiresAt
              ? b().next1(formatDateTime(props.booking.holdExpiresAt))
              : b().next1NoDeadline}
          </li>
          <li>{b().next2}</li>
          <li>{b().next3(formatYen(props.booking.residentCopay ?? 0))}</li>
        </ol>
        <p>{b().nextCancel}</p>
        <p class="actions">
          <A class="button" href="/my/bookings">
            {b().toMyBookings}
          </A>
          <A class="button button-secondary" href="/my/vouchers">
            {b().toVouchers}
          </A>
        </p>
      </section>
    </>
  );
}

/** Confirm (sending…) and go back to change the request: the last step of booking and of changing a booking. */
function ConfirmActions(props: {
  busy: boolean;
  confirm: string;
  onConfirm: () => void;
  onBack: () => void;
}) {
  const b = () => t().book;
  return (
    <div class="form-actions">
      <Button type="button" class="button" busy={props.busy} onClick={() => props.onConfirm()}>
        {props.busy ? b().requesting : props.confirm}
      </Button>
      <Button type="button" class="button button-secondary" busy={props.busy} onClick={() => props.onBack()}>
        {b().change}
      </Button>
    </div>
  );
}
