import { For, Show } from "solid-js";
import { ApiError } from "../api";
import { t } from "../i18n";
import { errorText } from "./ErrorMessage";

/**
 * What went wrong with a booking request or action, in plain words: the sentence for the hub's code, and for a
 * voucher that does not cover the booking (not_entitled) every reason the entitlement check gave. Codes the
 * portal has no sentence for fall back to the general message with the hub's detail (in English) under it. `asked`
 * is what the resident asked for, where the advice depends on it (fewer nights only when she asked for more than one).
 */
export function bookingProblem(
  err: unknown,
  asked: { nights?: number } = {},
): { title: string; reasons: string[]; detail?: string } {
  const p = t().bookingProblems;
  if (!(err instanceof ApiError)) return { title: errorText(err), reasons: [] };
  if (err.code === "not_entitled") {
    // Too few units left: fewer nights helps only when more than one was asked; otherwise say whom to ask.
    const fewer = (asked.nights ?? 0) > 1;
    const reasons = err.errors.map(
      (e) =>
        (e.code === "not_enough_units" && fewer && p.fewerNights) ||
        (e.code && p.reasons[e.code]) ||
        e.message,
    );
    return { title: p.codes.not_entitled ?? errorText(err), reasons: [...new Set(reasons)] };
  }
  const known = p.codes[err.code];
  if (known) return { title: known, reasons: [] };
  return { title: errorText(err), reasons: [], detail: err.detail };
}

/** The problem, announced (role=alert) and focusable, so focus can move to it. */
export function BookingProblem(props: { error: unknown; id: string; nights?: number | undefined }) {
  const problem = () => bookingProblem(props.error, { nights: props.nights });
  return (
    <div class="alert alert-error" role="alert" id={props.id} tabindex="-1">
      <p class="alert-title">{problem().title}</p>
      <Show when={problem().reasons.length > 0}>
        <ul>
          <For each={problem().reasons}>{(r) => <li>{r}</li>}</For>
        </ul>
      </Show>
      <Show when={problem().detail}>
        {/* The hub's details are in English. */}
        <p lang="en">{problem().detail}</p>
      </Show>
    </div>
  );
}
