/**
 * The parts every list page's filters are made of: the labelled search landmark with its form and submit button,
 * the month picker of the pages that work by month, and the from–to day pair with its order check.
 */
import { createSignal, For, type JSX } from "solid-js";
import { monthChoices, monthText } from "../months";
import { SelectField, TextField } from "./Field";

/** A list's filters: one form in a `search` landmark named `label`, its fields, then the submit button (and `extra`). */
export function FilterForm(props: {
  label: string;
  submit: string;
  onSubmit: (data: FormData) => void;
  /** Buttons or links after the submit button (e.g. "clear"). */
  extra?: JSX.Element;
  children: JSX.Element;
}) {
  return (
    <search aria-label={props.label}>
      <form
        class="filters panel"
        novalidate
        onSubmit={(e) => {
          e.preventDefault();
          props.onSubmit(new FormData(e.currentTarget));
        }}
      >
        {props.children}
        <div class="form-actions">
          <button type="submit" class="button">
            {props.submit}
          </button>
          {props.extra}
        </div>
      </form>
    </search>
  );
}

/** A month picker with `month` chosen: the last five years' months, newest first, unless `choices` says which. */
export function MonthSelect(props: {
  label: string;
  month: string;
  hint?: string;
  name?: string;
  choices?: readonly string[];
}) {
  return (
    <SelectField name={props.name ?? "month"} label={props.label} hint={props.hint}>
      <For each={props.choices ?? monthChoices(props.month)}>
        {(m) => (
          <option value={m} selected={m === props.month}>
            {monthText(m)}
          </option>
        )}
      </For>
    </SelectField>
  );
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A day range in Japan as the instants the API takes: from the first day's start to the last day's end. */
export function dayRangeInstants(from: string | undefined, to: string | undefined) {
  return {
    from: from && DAY.test(from) ? `${from}T00:00:00+09:00` : undefined,
    to: to && DAY.test(to) ? `${to}T23:59:59.999+09:00` : undefined,
  };
}

/**
 * The "from" and "to" day fields of a filter. `accept(data)` checks the submitted pair: when "to" comes before
 * "from" it shows `orderError` on "to", moves focus there and answers false.
 */
export function useDayRange(orderError: () => string) {
  const [wrongOrder, setWrongOrder] = createSignal(false);
  function accept(data: FormData): boolean {
    const from = String(data.get("from") ?? "").trim();
    const to = String(data.get("to") ?? "").trim();
    const bad = !!from && !!to && to < from;
    setWrongOrder(bad);
    if (bad) document.getElementById("field-to")?.focus();
    return !bad;
  }
  function Fields(props: { from: string; to: string; fromLabel: string; toLabel: string }) {
    return (
      <>
        <TextField name="from" label={props.fromLabel} type="date" value={props.from} />
        <TextField
          name="to"
          label={props.toLabel}
          type="date"
          value={props.to}
          error={wrongOrder() ? orderError() : undefined}
        />
      </>
    );
  }
  return { accept, Fields };
}
