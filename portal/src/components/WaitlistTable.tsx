import { A } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import type { WaitlistEntry } from "../api";
import { formatDate, formatDateTime } from "../format";
import { label, t } from "../i18n";
import { Button } from "./Button";
import { ScrollTable } from "./Table";
import { blockName } from "./WaitlistJoin";

/** What an entry waits for, as people say it: the dates, then the nights of a stay or the time of day. */
export function wantedText(e: WaitlistEntry): string {
  const w = t().waitlist;
  const dates = w.range(formatDate(e.fromDate), formatDate(e.toDate));
  if (e.serviceType === "stay") return `${dates}（${w.nightsN(e.nights)}）`;
  return `${dates}（${e.timeBlock ? blockName(e.timeBlock) : w.anyBlock}）`;
}

/** An entry's state in a few words: its place in line while waiting, the deadline of an offer. */
export function statusText(e: WaitlistEntry): string {
  const w = t().waitlist;
  const status = w.statuses[e.status] ?? e.status;
  if (e.status === "waiting" && e.position) return `${status}（${w.positionN(e.position)}）`;
  if (e.status === "offered" && e.offer?.expiresAt) {
    return `${status}（${w.offeredUntil(formatDateTime(e.offer.expiresAt))}）`;
  }
  return status;
}

/**
 * Waitlist entries for staff, as a table that scrolls inside its own region on a phone: the place in line and
 * status, the resident (for their municipality and the prefecture), the facility, service and dates, and the
 * priority, which the resident's municipality can change while the entry is in line.
 */
export function WaitlistTable(props: {
  id: string;
  caption: string;
  entries: WaitlistEntry[];
  showNames: boolean;
  /** Given to municipality staff: saves a new priority; resolves false when it was refused. */
  onPriority?: (entry: WaitlistEntry, priority: number) => Promise<boolean>;
  busy?: boolean;
}) {
  const w = () => t().waitlist;
  return (
    <ScrollTable id={props.id} caption={props.caption}>
      <thead>
        <tr>
          <th scope="col">{w().status}</th>
          <Show when={props.showNames}>
            <th scope="col">{w().resident}</th>
          </Show>
          <th scope="col">{w().facility}</th>
          <th scope="col">{w().service}</th>
          <th scope="col">{w().dates}</th>
          <th scope="col">{w().priority}</th>
        </tr>
      </thead>
      <tbody>
        <For each={props.entries}>
          {(e) => (
            <tr data-entry-id={e.id} data-status={e.status}>
              <th scope="row" class="nowrap">
                {statusText(e)}
              </th>
              <Show when={props.showNames}>
                <td class="nowrap">{e.residentName ?? t().dash}</td>
              </Show>
              <td class="booking-wide">
                <A href={`/facilities/${e.facilityId}`}>{e.facilityName}</A>
              </td>
              <td class="nowrap">{label("serviceTypes", e.serviceType)}</td>
              <td>{wantedText(e)}</td>
              <td>
                <Show
                  when={props.onPriority && (e.status === "waiting" || e.status === "offered")}
                  fallback={e.priority}
                >
                  <PriorityForm
                    entry={e}
                    busy={props.busy ?? false}
                    save={props.onPriority as NonNullable<typeof props.onPriority>}
                  />
                </Show>
              </td>
            </tr>
          )}
        </For>
      </tbody>
    </ScrollTable>
  );
}

/** A number field and a button: the entry's priority (0–100, higher first). */
function PriorityForm(props: {
  entry: WaitlistEntry;
  busy: boolean;
  save: (entry: WaitlistEntry, priority: number) => Promise<boolean>;
}) {
  const w = () => t().waitlist;
  const [invalid, setInvalid] = createSignal(false);
  const id = () => `priority-${props.entry.id}`;
  const name = () => props.entry.residentName ?? w().positionN(props.entry.position ?? 0);

  async function submit(e: SubmitEvent) {
    e.preventDefault();
    const raw = String(new FormData(e.currentTarget as HTMLFormElement).get("priority") ?? "").trim();
    const value = Number(raw);
    if (raw === "" || !Number.isInteger(value) || value < 0 || value > 100) {
      setInvalid(true);
      document.getElementById(id())?.focus();
      return;
    }
    setInvalid(false);
    await props.save(props.entry, value);
  }

  return (
    <form class="priority-form" onSubmit={submit} novalidate>
      <label for={id()} class="visually-hidden">
        {w().priorityLabel(name())}
      </label>
      <input
        id={id()}
        name="priority"
        type="number"
        inputmode="numeric"
        class="input-number"
        min="0"
        max="100"
        step="1"
        value={props.entry.priority}
        aria-invalid={invalid() ? "true" : undefined}
        aria-describedby={invalid() ? `${id()}-error` : undefined}
      />
      <Button
        type="submit"
        class="button button-secondary"
        busy={props.busy}
        aria-label={w().savePriorityLabel(name())}
      >
        {w().savePriority}
      </Button>
      <Show when={invalid()}>
        <p class="field-error" id={`${id()}-error`}>
          {w().priorityInvalid}
        </p>
      </Show>
    </form>
  );
}
