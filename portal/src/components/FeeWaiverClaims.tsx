import { createAsync, revalidate } from "@solidjs/router";
import { createSignal, ErrorBoundary, For, Show, Suspense } from "solid-js";
import { api, type Booking } from "../api";
import { getBookings } from "../data";
import { formatDateTime, formatYen } from "../format";
import { label, t } from "../i18n";
import { bookingDates } from "./BookingList";
import { bookingProblem } from "./BookingProblem";
import { Button } from "./Button";
import { ErrorMessage } from "./ErrorMessage";

/**
 * キャンセル料の免除の申出: late cancellations whose resident chose a no-fee reason herself (being unwell, …). They
 * cost nothing until the facility of the booking or her municipality decides; each card shows the reason and the
 * fee that applies if declined, with one button for each answer and an optional note the resident reads.
 */
export function FeeWaiverClaims(props: { facilityId?: string; showFacility?: boolean }) {
  const s = () => t().staffBookings;
  const claims = createAsync(() =>
    getBookings({ feeWaiver: "claimed", facilityId: props.facilityId, limit: 200 }),
  );
  const [busy, setBusy] = createSignal<string>();
  const [notice, setNotice] = createSignal<{ text: string; error: boolean }>();
  const items = () => [...(claims()?.items ?? [])].sort((a, b) => a.startDate.localeCompare(b.startDate));

  async function decide(b: Booking, decision: "accept" | "decline", note: string) {
    setBusy(b.id);
    try {
      await api.decideFeeWaiver(b.id, decision, note || undefined);
      const what = bookingDates(b);
      setNotice({
        text: decision === "accept" ? s().acceptedWaiver(what) : s().declinedWaiver(what),
        error: false,
      });
      await revalidate(getBookings.key);
    } catch (err) {
      setNotice({ text: s().failed(bookingDates(b), bookingProblem(err).title), error: true });
    } finally {
      setBusy(undefined);
      queueMicrotask(() => document.getElementById("waiver-notice")?.focus());
    }
  }

  return (
    <section aria-labelledby="waiver-title" class="panel">
      <h2 id="waiver-title">{s().waiverTitle}</h2>
      <p>{s().waiverIntro}</p>
      <div id="waiver-notice" tabindex="-1" role="status" class="status-slot">
        <Show when={notice()}>
          {(n) => (
            <div class="alert" classList={{ "alert-success": !n().error, "alert-error": n().error }}>
              <p class="alert-title">{n().text}</p>
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
          <Show when={claims()}>
            <Show when={items().length > 0} fallback={<p>{s().noWaivers}</p>}>
              <ul class="cards pending-list" id="waiver-list" aria-label={s().waiverCaption(items().length)}>
                <For each={items()}>
                  {(b) => (
                    <ClaimCard
                      booking={b}
                      showFacility={props.showFacility ?? false}
                      busy={busy() !== undefined}
                      onDecide={(decision, note) => void decide(b, decision, note)}
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

function ClaimCard(props: {
  booking: Booking;
  showFacility: boolean;
  busy: boolean;
  onDecide: (decision: "accept" | "decline", note: string) => void;
}) {
  const s = () => t().staffBookings;
  const b = () => props.booking;
  const c = () => b().cancellation;
  const claim = () => c()?.waiver?.claim;
  const [note, setNote] = createSignal("");
  const what = () => bookingDates(b());
  const noteId = () => `waiver-note-${b().id}`;
  return (
    <li class="card pending-card" data-booking-id={b().id} aria-labelledby={`waiver-${b().id}`}>
      <h3 id={`waiver-${b().id}`}>
        <time datetime={b().startDate}>{what()}</time>
        <span class="pending-service">{label("serviceTypes", b().serviceType)}</span>
      </h3>
      <dl class="pending-facts">
        <Show when={props.showFacility}>
          <div>
            <dt>{t().bookings.facility}</dt>
            <dd>{b().facilityName ?? t().dash}</dd>
          </div>
        </Show>
        <div>
          <dt>{s().voucher}</dt>
          <dd>{b().voucherNumber ?? t().dash}</dd>
        </div>
        <div>
          <dt>{s().waiverReason}</dt>
          <dd>{s().reasonCodes[c()?.reasonCode ?? ""] ?? c()?.reasonCode}</dd>
        </div>
        <div>
          <dt>{s().cancelledAt}</dt>
          <dd>{b().cancelDeadline ? formatDateTime(b().cancelDeadline ?? "") : t().dash}</dd>
        </div>
        <div>
          <dt>{s().waiverFee}</dt>
          <dd>
            {claim()
              ? s().waiverFeeSplit(formatYen(claim()?.fee ?? 0), formatYen(claim()?.residentShare ?? 0))
              : t().dash}
          </dd>
        </div>
      </dl>
      <div class="field">
        <label for={noteId()}>{s().waiverNote}</label>
        <textarea
          id={noteId()}
          rows={2}
          maxLength={500}
          value={note()}
          onInput={(e) => setNote(e.currentTarget.value)}
        />
      </div>
      <div class="row-actions">
        <Button
          type="button"
          class="button"
          busy={props.busy}
          onClick={() => props.onDecide("accept", note().trim())}
        >
          {s().acceptWaiver}
          <span class="visually-hidden">{s().which(what())}</span>
        </Button>
        <Button
          type="button"
          class="button button-secondary"
          busy={props.busy}
          onClick={() => props.onDecide("decline", note().trim())}
        >
          {s().declineWaiver}
          <span class="visually-hidden">{s().which(what())}</span>
        </Button>
      </div>
    </li>
  );
}
