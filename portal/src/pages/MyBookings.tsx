import { A, createAsync, revalidate } from "@solidjs/router";
import { createSignal, ErrorBoundary, For, Show, Suspense } from "solid-js";
import { api, type Booking, type CancellationPreview } from "../api";
import { BookingList, bookingDates } from "../components/BookingList";
import { BookingProblem } from "../components/BookingProblem";
import { Button } from "../components/Button";
import { ErrorMessage } from "../components/ErrorMessage";
import { RequireRole } from "../components/Guard";
import { Page } from "../components/Page";
import { getBookings, getMyVouchers } from "../data";
import { formatDateTime, formatYen, todayInJapan } from "../format";
import { label, t } from "../i18n";
import { wholeText } from "../whole-text";

/** A resident has a few bookings a year: all of them fit on one page. */
const LIMIT = 200;
const OPEN = new Set(["requested", "confirmed"]);

/**
 * 予約の確認・キャンセル: the resident's bookings, the coming ones first (each with its status, what happens next
 * and a way to cancel with a reason), then everything past or ended as a table.
 */
export function MyBookings() {
  return (
    <RequireRole roles={["resident"]} title={t().myBookings.title}>
      {() => <MyBookingsPage />}
    </RequireRole>
  );
}

function MyBookingsPage() {
  const m = () => t().myBookings;
  const bookings = createAsync(() => getBookings({ limit: LIMIT }));
  const [notice, setNotice] = createSignal<string>();
  const today = todayInJapan();
  const upcoming = () =>
    (bookings()?.items ?? [])
      .filter((b) => OPEN.has(b.status) && b.endDate >= today)
      .sort((a, b) => a.startDate.localeCompare(b.startDate) || a.createdAt.localeCompare(b.createdAt));
  const past = () => (bookings()?.items ?? []).filter((b) => !(OPEN.has(b.status) && b.endDate >= today));

  return (
    <Page title={m().title}>
      <p class="lead">{m().lead}</p>
      <p class="actions">
        <A class="button button-secondary" href="/vacancy">
          {m().findMore}
        </A>
      </p>
      <p
        role="status"
        id="my-bookings-notice"
        tabindex="-1"
        class="alert alert-success status-slot"
        ref={wholeText(() => notice() ?? "")}
      />
      <ErrorBoundary fallback={(err) => <ErrorMessage error={err} />}>
        <Suspense
          fallback={
            <p class="loading" role="status">
              {t().loading}
            </p>
          }
        >
          <Show when={bookings()}>
            <section aria-labelledby="upcoming-title">
              <h2 id="upcoming-title">{m().upcomingTitle}</h2>
              <Show when={upcoming().length > 0} fallback={<p>{m().noUpcoming}</p>}>
                <ul class="cards booking-cards">
                  <For each={upcoming()}>
                    {(b) => (
                      <UpcomingBooking
                        booking={b}
                        onCancelled={(done) => {
                          const share = done.cancellation?.residentShare ?? 0;
                          const claimed = done.cancellation?.waiver?.status === "claimed";
                          setNotice(
                            [
                              m().cancelled(done.facilityName ?? "", bookingDates(done)),
                              share > 0 ? m().cancelledFee(formatYen(share)) : "",
                              claimed ? m().cancelledClaim : "",
                            ].join(" "),
                          );
                          void revalidate([getBookings.key, getMyVouchers.key]);
                          queueMicrotask(() => document.getElementById("my-bookings-notice")?.focus());
                        }}
                      />
                    )}
                  </For>
                </ul>
              </Show>
            </section>
            <section aria-labelledby="past-title">
              <h2 id="past-title">{m().pastTitle}</h2>
              <Show when={past().length > 0} fallback={<p>{m().noPast}</p>}>
                <BookingList id="past-bookings" caption={m().pastCaption} bookings={past()} />
              </Show>
            </section>
          </Show>
        </Suspense>
      </ErrorBoundary>
    </Page>
  );
}

/** Reasons the policy may let off the fee: the resident's or the baby's illness. */
const ILLNESS = new Set(["illness", "baby"]);

/** The reason code a chosen reason gives, when the hub offers it (else the default, resident_request). */
function reasonCodeFor(preset: string, allowed: readonly string[]): string | undefined {
  return ILLNESS.has(preset) && allowed.includes("illness") ? "illness" : undefined;
}

function UpcomingBooking(props: { booking: Booking; onCancelled: (b: Booking) => void }) {
  const m = () => t().myBookings;
  const b = () => props.booking;
  const [open, setOpen] = createSignal(false);
  const [preset, setPreset] = createSignal("");
  const [other, setOther] = createSignal("");
  const [error, setError] = createSignal<string>();
  const [problem, setProblem] = createSignal<unknown>();
  const [busy, setBusy] = createSignal(false);
  const [preview, setPreview] = createSignal<CancellationPreview>();
  const [previewProblem, setPreviewProblem] = createSignal<unknown>();
  const id = () => b().id;
  let toggle!: HTMLButtonElement;
  let asked = 0;

  const reason = () => (preset() === "other" ? other().trim() : (m().reasons[preset()] ?? ""));
  const code = () => reasonCodeFor(preset(), preview()?.reasonCodes ?? []);
  /** A change is free until the deadline; a request the facility has not approved yet can always be changed. */
  const changeable = () =>
    b().status === "requested" || !b().cancelDeadline || Date.now() < Date.parse(b().cancelDeadline ?? "");
  const changeHref = () =>
    `/book/${b().facilityId}?change=${encodeURIComponent(id())}&type=${b().serviceType}&date=${b().startDate}`;

  /** What cancelling now would cost with the reason chosen; the latest answer wins. */
  async function loadPreview() {
    const n = ++asked;
    try {
      const p = await api.previewCancellation(id(), code());
      if (n === asked) {
        setPreview(p);
        setPreviewProblem(undefined);
      }
    } catch (err) {
      if (n === asked) setPreviewProblem(err);
    }
  }

  function choose(next: string) {
    const before = code();
    setPreset(next);
    if (code() !== before) void loadPreview();
  }

  async function cancel(e: SubmitEvent) {
    e.preventDefault();
    if (!preset() || (preset() === "other" && !other().trim())) {
      setError(m().reasonRequired);
      document.getElementById(`cancel-reason-${id()}-${preset() === "other" ? "text" : "illness"}`)?.focus();
      return;
    }
    setError(undefined);
    setProblem(undefined);
    setBusy(true);
    try {
      const done = await api.cancelBooking(id(), reason(), code());
      props.onCancelled({ ...b(), ...done });
    } catch (err) {
      setProblem(err);
      queueMicrotask(() => document.getElementById(`cancel-problem-${id()}`)?.focus());
    } finally {
      setBusy(false);
    }
  }

  const fee = () => preview()?.fee ?? 0;

  return (
    <li class="card" aria-labelledby={`booking-${id()}`} data-booking-id={id()} data-status={b().status}>
      <h3 id={`booking-${id()}`}>{b().facilityName}</h3>
      <dl class="details">
        <div>
          <dt>{m().when}</dt>
          <dd>
            <time datetime={b().startDate}>{bookingDates(b())}</time>
          </dd>
        </div>
        <div>
          <dt>{m().service}</dt>
          <dd>{label("serviceTypes", b().serviceType)}</dd>
        </div>
        <div>
          <dt>{m().status}</dt>
          <dd>
            <strong>{t().bookings.statuses[b().status] ?? b().status}</strong>
          </dd>
        </div>
        <div>
          <dt>{m().copay}</dt>
          <dd>{formatYen(b().residentCopay ?? 0)}</dd>
        </div>
        <Show when={b().units !== undefined}>
          <div>
            <dt>{m().units}</dt>
            <dd>{t().book.units(b().units ?? 0, b().stayCounting)}</dd>
          </div>
        </Show>
        <Show when={b().cancelDeadline}>
          <div>
            <dt>{m().freeUntil}</dt>
            <dd>{formatDateTime(b().cancelDeadline ?? "")}</dd>
          </div>
        </Show>
      </dl>
      <p class="booking-next">
        {b().status === "requested"
          ? b().holdExpiresAt
            ? m().waiting(formatDateTime(b().holdExpiresAt ?? ""))
            : m().waitingNoDeadline
          : m().confirmedNote}
      </p>
      <Show
        when={open()}
        fallback={
          <p class="actions">
            <Show when={changeable()}>
              <A class="button button-secondary" href={changeHref()}>
                {m().change}
                <span class="visually-hidden">
                  {m().cancelWhich(b().facilityName ?? "", bookingDates(b()))}
                </span>
              </A>
            </Show>
            <button
              ref={toggle}
              type="button"
              class="button button-secondary"
              onClick={() => {
                setOpen(true);
                void loadPreview();
                queueMicrotask(() => document.getElementById(`cancel-title-${id()}`)?.focus());
              }}
            >
              {m().cancel}
              <span class="visually-hidden">
                {m().cancelWhich(b().facilityName ?? "", bookingDates(b()))}
              </span>
            </button>
          </p>
        }
      >
        <form class="inline-form stack" onSubmit={cancel} aria-labelledby={`cancel-title-${id()}`}>
          <h4 id={`cancel-title-${id()}`} tabindex="-1">
            {m().cancelTitle}
          </h4>
          <p>{m().cancelIntro}</p>
          <div role="status" class="status-slot" id={`cancel-fee-${id()}`}>
            <Show when={preview()}>
              {(p) => (
                <div class="alert" classList={{ "alert-error": p().fee > 0 }}>
                  <p class="alert-title">
                    {p().fee > 0
                      ? m().feeOwed(formatYen(p().residentShare))
                      : p().claim
                        ? m().freeClaim
                        : (m().free[p().waived ?? ""] ?? m().freeOther)}
                  </p>
                  <Show when={p().claim}>
                    {(c) => <p>{m().freeClaimDetail(formatYen(c().residentShare))}</p>}
                  </Show>
                  <Show when={p().fee > 0}>
                    <p>
                      {m().feeDetail(
                        formatDateTime(p().deadline),
                        formatYen(p().fee),
                        formatYen(p().municipalityShare),
                      )}
                    </p>
                    <Show when={p().noFeeReasons.includes("illness")}>
                      <p>{m().feeIllness}</p>
                    </Show>
                  </Show>
                  <Show when={p().fee === 0 && p().waived === "before_deadline"}>
                    <p>{m().freeUntilText(formatDateTime(p().deadline))}</p>
                  </Show>
                  <p>{m().cutoffRule(p().cutoff)}</p>
                </div>
              )}
            </Show>
            <Show when={previewProblem()}>
              <p>{m().previewFailed}</p>
            </Show>
          </div>
          <Show when={problem()}>
            <BookingProblem error={problem()} id={`cancel-problem-${id()}`} />
          </Show>
          <fieldset class="checkbox-group" aria-describedby={error() ? `cancel-error-${id()}` : undefined}>
            <legend>{m().reasonLegend}</legend>
            <Show when={error()}>
              <p class="field-error" id={`cancel-error-${id()}`}>
                {error()}
              </p>
            </Show>
            <For each={Object.keys(m().reasons)}>
              {(key) => (
                <label class="checkbox">
                  <input
                    type="radio"
                    id={`cancel-reason-${id()}-${key}`}
                    name={`reason-${id()}`}
                    value={key}
                    checked={preset() === key}
                    onChange={() => choose(key)}
                  />
                  {m().reasons[key]}
                </label>
              )}
            </For>
            <label class="checkbox">
              <input
                type="radio"
                name={`reason-${id()}`}
                value="other"
                checked={preset() === "other"}
                onChange={() => choose("other")}
              />
              {m().reasonOther}
            </label>
            <Show when={preset() === "other"}>
              <div class="field">
                <label for={`cancel-reason-${id()}-text`}>{m().reasonText}</label>
                <textarea
                  id={`cancel-reason-${id()}-text`}
                  rows={3}
                  maxLength={500}
                  value={other()}
                  onInput={(e) => setOther(e.currentTarget.value)}
                />
              </div>
            </Show>
          </fieldset>
          <div class="form-actions">
            <Button type="submit" class="button" busy={busy()}>
              {busy()
                ? t().saving
                : fee() > 0
                  ? m().confirmCancelFee(formatYen(preview()?.residentShare ?? 0))
                  : m().confirmCancel}
            </Button>
            <Button
              type="button"
              class="button button-secondary"
              busy={busy()}
              onClick={() => {
                setOpen(false);
                setProblem(undefined);
                setError(undefined);
                queueMicrotask(() => toggle?.focus());
              }}
            >
              {m().keep}
            </Button>
          </div>
        </form>
      </Show>
    </li>
  );
}
