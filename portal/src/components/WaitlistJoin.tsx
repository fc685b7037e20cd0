import { A, revalidate } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import { ApiError, api, type Facility, SERVICE_TYPES, type ServiceType, type WaitlistEntry } from "../api";
import { getWaitlist } from "../data";
import { addDays, todayInJapan } from "../format";
import { label, t } from "../i18n";
import { Button } from "./Button";
import { ErrorMessage } from "./ErrorMessage";
import { TextField } from "./Field";

/** A waitlist problem, headed by a sentence for its code when the portal knows one. */
export function WaitlistProblem(props: { error: unknown; id?: string }) {
  const messages = () => {
    const e = props.error;
    if (!(e instanceof ApiError)) return undefined;
    const text = t().waitlist.problems[e.code];
    return text ? { [e.status]: text } : undefined;
  };
  return <ErrorMessage error={props.error} id={props.id} messages={messages()} />;
}

/** A time block's name as people say it (午前, 午後), else its code. */
export const blockName = (code: string) => t().bookings.timeBlocks[code] ?? code;

/**
 * 予約待ちに申し込む, on a facility's page for a signed-in resident: the service, the dates that would suit (any day
 * within them), the nights of a stay or the time of day care and visits. The hub checks the resident's voucher
 * first and says why when it would not cover the dates.
 */
export function WaitlistJoin(props: { facility: Facility }) {
  const w = () => t().waitlist;
  const services = () =>
    [...props.facility.services].sort(
      (a, b) => SERVICE_TYPES.indexOf(a.serviceType) - SERVICE_TYPES.indexOf(b.serviceType),
    );
  const [serviceType, setServiceType] = createSignal<ServiceType>(services()[0]?.serviceType ?? "stay");
  const [error, setError] = createSignal<unknown>();
  const [joined, setJoined] = createSignal<WaitlistEntry>();
  const [busy, setBusy] = createSignal(false);
  const today = todayInJapan();
  const blocks = () => props.facility.services.find((s) => s.serviceType === serviceType())?.timeBlocks ?? [];
  const fieldError = (name: string) => {
    const e = error();
    return e instanceof ApiError ? e.fieldErrors()[name] : undefined;
  };
  let done!: HTMLParagraphElement;

  async function submit(e: SubmitEvent) {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    const text = (name: string) => String(data.get(name) ?? "").trim();
    const type = serviceType();
    setBusy(true);
    setError(undefined);
    setJoined(undefined);
    try {
      const entry = await api.joinWaitlist({
        facilityId: props.facility.id,
        serviceType: type,
        fromDate: text("fromDate"),
        toDate: text("toDate"),
        ...(type === "stay" ? { nights: Number(text("nights")) || 1 } : {}),
        ...(type !== "stay" && text("timeBlock") ? { timeBlock: text("timeBlock") } : {}),
      });
      setJoined(entry);
      await revalidate(getWaitlist.key);
      done.focus();
    } catch (err) {
      // Shown in an alert (role="alert"), which is read out at once.
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="waitlist-join-title">
      <h2 id="waitlist-join-title">{w().joinTitle}</h2>
      <p>{w().joinIntro}</p>
      <p role="status" tabindex="-1" ref={done} class="result-count">
        <Show when={joined()}>{w().joined}</Show>
      </p>
      <Show when={joined()}>
        <p>
          <A href="/my/waitlist">{w().seeMine}</A>
        </p>
      </Show>
      <Show when={error()}>{(err) => <WaitlistProblem error={err()} id="waitlist-join-error" />}</Show>
      <form class="filters panel" onSubmit={submit} aria-labelledby="waitlist-join-title" novalidate>
        <div class="field">
          <label for="waitlist-service">{w().joinService}</label>
          <select
            id="waitlist-service"
            name="serviceType"
            value={serviceType()}
            onChange={(e) => setServiceType(e.currentTarget.value as ServiceType)}
          >
            <For each={services()}>
              {(s) => <option value={s.serviceType}>{label("serviceTypes", s.serviceType)}</option>}
            </For>
          </select>
        </div>
        <Show when={serviceType() !== "stay" && blocks().length > 0}>
          <div class="field">
            <label for="waitlist-block">{w().timeBlock}</label>
            <select id="waitlist-block" name="timeBlock">
              <option value="">{w().anyTimeBlock}</option>
              <For each={blocks()}>
                {(b) => (
                  <option
                    value={b.code}
                  >{`${blockName(b.code)} ${t().profile.timeRange(b.start, b.end)}`}</option>
                )}
              </For>
            </select>
          </div>
        </Show>
        <TextField
          name="fromDate"
          id="waitlist-from"
          type="date"
          label={w().fromDate}
          hint={w().datesHint}
          value={today}
          min={today}
          required
          error={fieldError("fromDate") ?? fieldError("startDate")}
        />
        <TextField
          name="toDate"
          id="waitlist-to"
          type="date"
          label={w().toDate}
          value={addDays(today, 13)}
          min={today}
          required
          error={fieldError("toDate")}
        />
        <Show when={serviceType() === "stay"}>
          <TextField
            name="nights"
            id="waitlist-nights"
            type="number"
            inputmode="numeric"
            class="input-number"
            label={w().nights}
            hint={w().nightsHint}
            value="1"
            min="1"
            max="14"
            step="1"
            required
            error={fieldError("nights")}
          />
        </Show>
        <div class="form-actions">
          <Button type="submit" class="button" busy={busy()}>
            {w().join}
          </Button>
        </div>
      </form>
    </section>
  );
}
