import { createAsync, query, revalidate } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import { ApiError, type CorrectionListItem, type CorrectionRequest, correctionsApi } from "../api";
import { formatDate, formatYen } from "../format";
import { label, t } from "../i18n";
import { Button } from "./Button";
import { ErrorMessage } from "./ErrorMessage";
import { TextField } from "./Field";
import { ScrollTable } from "./Table";

/**
 * 過誤 corrections of redeemed bookings (issue 15, part 4; hub/billing/corrections.ts). A facility asks for one
 * from its usage reports (pending until the booking's municipality decides), the municipality confirms or declines
 * its pending requests, the association corrects directly from a billing run and sees every correction with its
 * state.
 */

export const getCorrections = query(
  (status: CorrectionListItem["status"] | undefined) => correctionsApi.list(status),
  "corrections",
);

/** The hub's problem with a sentence for the codes the portal knows. */
function Problem(props: { error: unknown; id: string }) {
  const messages = () => {
    const e = props.error;
    if (!(e instanceof ApiError)) return undefined;
    const text = t().corrections.problems[e.code];
    return text ? { [e.status]: text } : undefined;
  };
  return <ErrorMessage error={props.error} id={props.id} messages={messages()} />;
}

/** A whole number of yen or units typed by staff; undefined when it is not one. */
function whole(raw: FormDataEntryValue | null): number | undefined {
  const v = String(raw ?? "")
    .trim()
    .replace(/[,，]/g, "");
  return /^[0-9]+$/.test(v) ? Number(v) : undefined;
}

/**
 * The form correcting one redeemed booking: 取消 or 修正 (units, fee and copay prefilled with what was billed) and
 * a reason. `direct`: the association's correction, confirmed at once; otherwise the facility's request.
 */
export function CorrectionForm(props: {
  bookingId: string;
  units: number;
  fee: number;
  residentCopay: number;
  direct: boolean;
  onDone: (text: string) => void;
}) {
  const c = () => t().corrections;
  const prefix = () => `correction-${props.bookingId}`;
  const [kind, setKind] = createSignal<"void" | "amend">("void");
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [error, setError] = createSignal<unknown>();
  const [busy, setBusy] = createSignal(false);
  let form!: HTMLFormElement;

  async function submit(e: SubmitEvent) {
    e.preventDefault();
    if (busy()) return;
    const data = new FormData(form);
    const reason = String(data.get("reason") ?? "").trim();
    const errs: Record<string, string> = {};
    if (!reason) errs.reason = c().reasonMissing;
    let body: CorrectionRequest = { kind: "void", reason };
    if (kind() === "amend") {
      const units = whole(data.get("units"));
      const fee = whole(data.get("fee"));
      const residentCopay = whole(data.get("residentCopay"));
      if (units === undefined) errs.units = c().wholeNumber;
      if (fee === undefined) errs.fee = c().wholeNumber;
      if (residentCopay === undefined) errs.residentCopay = c().wholeNumber;
      body = { kind: "amend", reason, units: units ?? 0, fee: fee ?? 0, residentCopay: residentCopay ?? 0 };
    }
    setErrors(errs);
    setError(undefined);
    const first = Object.keys(errs)[0];
    if (first) {
      document.getElementById(`${prefix()}-${first}`)?.focus();
      return;
    }
    setBusy(true);
    try {
      await correctionsApi.request(props.bookingId, body);
      await revalidate(getCorrections.key);
      form.reset();
      setKind("void");
      props.onDone(props.direct ? c().corrected : c().sent);
    } catch (err) {
      setError(err);
      setTimeout(() => document.getElementById(`${prefix()}-error`)?.focus(), 0);
    } finally {
      setBusy(false);
    }
  }

  return (
    <details class="correction">
      <summary>{props.direct ? c().openAssociation : c().open}</summary>
      <form ref={form} class="stack" novalidate onSubmit={submit} aria-labelledby={`${prefix()}-title`}>
        <h4 id={`${prefix()}-title`}>{c().heading}</h4>
        <p>
          {c().intro}
          <Show when={!props.direct}> {c().needsConfirm}</Show>
        </p>
        <Show when={error()}>
          {(err) => (
            <div tabindex="-1" id={`${prefix()}-error`}>
              <Problem error={err()} id={`${prefix()}-problem`} />
            </div>
          )}
        </Show>
        <fieldset>
          <legend>{c().kind}</legend>
          <For each={["void", "amend"] as const}>
            {(k) => (
              <label class="checkbox">
                <input
                  type="radio"
                  name="kind"
                  value={k}
                  checked={kind() === k}
                  onChange={() => setKind(k)}
                />
                {c().kinds[k]}
              </label>
            )}
          </For>
        </fieldset>
        <Show when={kind() === "amend"}>
          <TextField
            name="units"
            id={`${prefix()}-units`}
            label={c().units}
            inputmode="numeric"
            autocomplete="off"
            value={String(props.units)}
            error={errors().units}
          />
          <TextField
            name="fee"
            id={`${prefix()}-fee`}
            label={c().fee}
            inputmode="numeric"
            autocomplete="off"
            value={String(props.fee)}
            error={errors().fee}
          />
          <TextField
            name="residentCopay"
            id={`${prefix()}-residentCopay`}
            label={c().copay}
            inputmode="numeric"
            autocomplete="off"
            value={String(props.residentCopay)}
            error={errors().residentCopay}
          />
        </Show>
        <TextField
          name="reason"
          id={`${prefix()}-reason`}
          label={c().reason}
          hint={c().reasonHint}
          multiline
          maxLength={500}
          error={errors().reason}
        />
        <div class="form-actions">
          <Button type="submit" class="button" busy={busy()}>
            {c().submit}
          </Button>
        </div>
      </form>
    </details>
  );
}

/**
 * The corrections in the signed-in staff's scope with their state. `status` narrows it (the municipality's
 * pending requests); `decide` shows 確認する / 認めない on pending rows (the municipality).
 */
export function CorrectionList(props: {
  id: string;
  heading: string;
  status?: CorrectionListItem["status"];
  decide?: boolean;
}) {
  const c = () => t().corrections;
  const list = createAsync(() => getCorrections(props.status));
  const [notice, setNotice] = createSignal("");
  const [error, setError] = createSignal<unknown>();
  const [busy, setBusy] = createSignal(false);

  async function decide(item: CorrectionListItem, decision: "confirm" | "decline") {
    setBusy(true);
    setError(undefined);
    setNotice("");
    try {
      await correctionsApi.decide(item.id, decision);
      setNotice(decision === "confirm" ? c().confirmed : c().declined);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      await revalidate(getCorrections.key);
      setTimeout(() => document.getElementById(`${props.id}-messages`)?.focus(), 0);
    }
  }

  const after = (i: CorrectionListItem) =>
    i.kind === "void"
      ? c().voided
      : c().amounts(i.units ?? 0, formatYen(i.fee ?? 0), formatYen(i.residentCopay ?? 0));

  return (
    <section aria-labelledby={`${props.id}-heading`} class="corrections">
      <h2 id={`${props.id}-heading`}>{props.heading}</h2>
      <div tabindex="-1" id={`${props.id}-messages`} class="messages">
        <div role="status" aria-live="polite" class="status-slot">
          <Show when={notice()}>
            <p class="alert alert-success">{notice()}</p>
          </Show>
        </div>
        <Show when={error()}>{(err) => <Problem error={err()} id={`${props.id}-problem`} />}</Show>
      </div>
      <Show when={list()}>
        {(l) => (
          <Show when={l().items.length > 0} fallback={<p id={`${props.id}-none`}>{c().none}</p>}>
            <ScrollTable id={props.id} caption={c().caption} compact>
              <thead>
                <tr>
                  <th scope="col">{c().date}</th>
                  <th scope="col">{c().facility}</th>
                  <th scope="col">{c().service}</th>
                  <th scope="col">{c().kindColumn}</th>
                  <th scope="col">{c().before}</th>
                  <th scope="col">{c().after}</th>
                  <th scope="col">{c().reason}</th>
                  <th scope="col">{c().requested}</th>
                  <th scope="col">{c().state}</th>
                  <Show when={props.decide}>
                    <th scope="col">{c().actions}</th>
                  </Show>
                </tr>
              </thead>
              <tbody>
                <For each={l().items}>
                  {(i) => (
                    <tr data-correction-id={i.id}>
                      <td class="nowrap">{formatDate(i.booking.startDate)}</td>
                      <td>{i.booking.facilityName}</td>
                      <td>{label("serviceTypes", i.booking.serviceType)}</td>
                      <td>{c().kindShort[i.kind]}</td>
                      <td>
                        {c().amounts(
                          i.booking.units,
                          formatYen(i.booking.fee),
                          formatYen(i.booking.residentCopay),
                        )}
                      </td>
                      <td>{after(i)}</td>
                      <td>{i.reason}</td>
                      <td>{c().byRole[i.requestedRole] ?? i.requestedRole}</td>
                      <td class="correction-state">{c().statuses[i.status]}</td>
                      <Show when={props.decide}>
                        <td>
                          <Show when={i.status === "pending"}>
                            <div class="form-actions">
                              <Button
                                type="button"
                                class="button button-secondary"
                                busy={busy()}
                                aria-label={c().confirmLabel(
                                  formatDate(i.booking.startDate),
                                  i.booking.facilityName,
                                )}
                                onClick={() => void decide(i, "confirm")}
                              >
                                {c().confirm}
                              </Button>
                              <Button
                                type="button"
                                class="button button-quiet"
                                busy={busy()}
                                aria-label={c().declineLabel(
                                  formatDate(i.booking.startDate),
                                  i.booking.facilityName,
                                )}
                                onClick={() => void decide(i, "decline")}
                              >
                                {c().decline}
                              </Button>
                            </div>
                          </Show>
                        </td>
                      </Show>
                    </tr>
                  )}
                </For>
              </tbody>
            </ScrollTable>
          </Show>
        )}
      </Show>
    </section>
  );
}
