/**
 * A connection's log (its staff and operators), the test delivery and the mapping preview: the parts of the
 * connection pages that help a facility go live and see what happened (issue 14, parts 4 and 7).
 */
import { createAsync, revalidate } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import {
  api,
  type ConnectionHealth,
  type ConnectionLogEntry,
  type MappingPreview,
  type SkippedItem,
} from "../api";
import { type RunAction, useAction } from "../components/ActionOutcome";
import { Button } from "../components/Button";
import { ErrorMessage } from "../components/ErrorMessage";
import { TextField } from "../components/Field";
import { FilterSelect } from "../components/FilterSelect";
import { FilterForm } from "../components/Filters";
import { ScrollTable } from "../components/Table";
import { getConnectionLog, getFacilityConnection } from "../data";
import { formatDateTime } from "../format";
import { locale, t } from "../i18n";
import { formText } from "../search";

const L = () => t().connectionLog;
const KINDS = ["sync", "webhook", "upload", "push", "test"] as const;
const RESULTS = ["ok", "failed", "retrying", "not_modified"] as const;
/** Entries per page of the log. */
const LOG_PAGE = 50;
const sep = () => (locale() === "ja" ? "、" : ", ");

/** A failure in plain words, by its code (the hub's English words for a code the portal does not know). */
export function failureText(code: string | null, status?: number | null, fallback?: string | null): string {
  if (!code) return fallback ?? "";
  if (code === "http_status" && status) return L().httpFailure(status);
  return L().failures[code] ?? fallback ?? code;
}

/** The last error of a connection as staff read it: its kind in plain words. */
export function lastErrorText(h: ConnectionHealth): string | null {
  if (!h.lastError) return null;
  if (!h.lastErrorCode || h.lastErrorCode === "unexpected") return h.lastError;
  const status = /HTTP (\d{3})/.exec(h.lastError)?.[1];
  return failureText(h.lastErrorCode, status ? Number(status) : null, h.lastError);
}

/** The notice of a connection paused after its endpoint answered 410 Gone (nothing otherwise). */
export function PausedNotice(props: { health: ConnectionHealth }) {
  return (
    <Show when={props.health.disabledCode === "gone"}>
      <div class="alert alert-maintenance" role="note">
        <p class="alert-title">{L().pausedShort}</p>
        <p>{L().paused}</p>
      </div>
    </Show>
  );
}

/** "Send test delivery": for connections with an API of the facility's to send to. */
export function TestDeliveryButton(props: { health: ConnectionHealth; busy: boolean; run: RunAction }) {
  const h = () => props.health;
  const sends = () => h().capabilities.includes("pushBooking") && !!h().config.apiBaseUrl;
  return (
    <Show when={sends()}>
      <Button
        type="button"
        class="button button-secondary"
        busy={props.busy}
        aria-label={`${L().testDelivery}（${h().facilityName}）`}
        onClick={() =>
          props.run(async () => {
            const r = await api.sendTestDelivery(h().facilityId);
            await revalidate([getConnectionLog.key]);
            return r.ok
              ? L().testOk(r.httpStatus ?? 0, r.durationMs)
              : L().testFailed(failureText(r.code, r.httpStatus, r.message), r.durationMs);
          })
        }
      >
        {L().testDelivery}
      </Button>
    </Show>
  );
}

function countsText(e: ConnectionLogEntry): string {
  const parts = Object.entries(e.counts).map(([k, n]) => `${L().counts[k] ?? k} ${n}`);
  const refs = e.refs as {
    bookingId?: string;
    action?: string;
    revision?: number;
    externalIds?: string[];
    more?: number;
    webhookId?: string;
  };
  if (refs.bookingId) parts.push(L().booking(refs.bookingId));
  if (refs.externalIds?.length) {
    const shown = refs.externalIds.slice(0, 5);
    const rest = refs.externalIds.length - shown.length + (refs.more ?? 0);
    parts.push(`${shown.join(" ")}${rest > 0 ? ` ${L().more(rest)}` : ""}`);
  }
  // What was sent, in the reader's language: a push's action and revision; a test delivery's request line.
  if (e.kind === "push" && refs.action)
    parts.unshift(L().pushRequest(L().pushActions[refs.action] ?? refs.action, refs.revision ?? 0));
  else if (e.kind === "test" && e.request) parts.unshift(e.request);
  return parts.join(sep()) || t().dash;
}

function skipText(item: SkippedItem): string {
  const c = t().connections;
  return [
    item.line ? c.skippedLine(item.line) : "",
    item.date ?? "",
    L().skipReasons[item.reason] ?? c.skipReasons[item.reason] ?? item.reason,
    item.problem ? (c.skipProblems[item.problem] ?? item.problem) : "",
    item.property ? c.skippedProperty(item.property) : "",
  ]
    .filter(Boolean)
    .join(" · ");
}

function SkippedList(props: { skipped: ConnectionLogEntry["skipped"]; id: string }) {
  const total = () => Object.values(props.skipped?.counts ?? {}).reduce((a, n) => a + n, 0);
  return (
    <Show when={total() > 0} fallback={t().dash}>
      <details class="skipped-events">
        <summary>
          {Object.entries(props.skipped?.counts ?? {})
            .map(([r, n]) => `${L().skipReasons[r] ?? t().connections.skipReasons[r] ?? r} ${n}`)
            .join(sep())}
        </summary>
        <ul>
          <For each={props.skipped?.items ?? []}>{(item) => <li>{skipText(item)}</li>}</For>
        </ul>
      </details>
    </Show>
  );
}

/** The log of one facility's connection: filters, the entries with replay, and the CSV download. */
export function ConnectionLog(props: { facilityId: string; heading: string }) {
  const [filters, setFilters] = createSignal<Record<string, string>>({});
  const [offset, setOffset] = createSignal(0);
  const log = createAsync(() =>
    getConnectionLog(props.facilityId, { ...filters(), limit: LOG_PAGE, offset: offset() }),
  );
  const total = () => log()?.total ?? 0;
  const action = useAction(() => revalidate([getConnectionLog.key, getFacilityConnection.key]));
  const csvHref = () => {
    const q = new URLSearchParams(Object.entries(filters()).filter(([, v]) => v));
    const base = `api/facilities/${encodeURIComponent(props.facilityId)}/connection/log.csv`;
    return q.size ? `${base}?${q}` : base;
  };
  const replay = (e: ConnectionLogEntry) =>
    action.run(async () => {
      await api.replayConnectionLogEntry(props.facilityId, e.id);
      return L().replayed;
    });
  return (
    <section aria-labelledby="connection-log-title" id="connection-log">
      <h2 id="connection-log-title" tabindex="-1">
        {props.heading}
      </h2>
      <p>{L().intro}</p>
      <FilterForm
        label={L().filters}
        submit={L().filter}
        onSubmit={(form) => {
          const next: Record<string, string> = {};
          for (const k of ["kind", "result", "from", "to"]) {
            const v = formText(form, `log-${k}`);
            if (v) next[k] = v;
          }
          setFilters(next);
          setOffset(0);
        }}
      >
        <FilterSelect
          name="log-kind"
          label={L().kind}
          empty={L().all}
          values={KINDS}
          labels={(k) => L().kinds[k]}
          selected={undefined}
        />
        <FilterSelect
          name="log-result"
          label={L().result}
          empty={L().all}
          values={RESULTS}
          labels={(r) => L().results[r]}
          selected={undefined}
        />
        <TextField name="log-from" type="date" label={L().from} />
        <TextField name="log-to" type="date" label={L().to} />
      </FilterForm>
      <p>
        <a href={csvHref()} download="">
          {L().csv}
        </a>
      </p>
      <action.Outcome />
      <Show when={(log()?.items.length ?? 0) > 0} fallback={<p>{L().none}</p>}>
        <ScrollTable
          id="connection-log-table"
          caption={L().caption}
          columns={[
            L().at,
            L().kind,
            L().result,
            L().what,
            L().answer,
            L().skippedItems,
            t().connections.actions,
          ]}
        >
          <tbody>
            <For each={log()?.items}>
              {(e) => (
                <tr data-log-id={e.id} data-log-kind={e.kind} data-log-result={e.result}>
                  <th scope="row">{formatDateTime(e.at)}</th>
                  <td>{L().kinds[e.kind] ?? e.kind}</td>
                  <td>{L().results[e.result] ?? e.result}</td>
                  <td>{countsText(e)}</td>
                  <td>
                    {[
                      e.httpStatus ? L().http(e.httpStatus) : "",
                      e.durationMs !== null ? L().ms(e.durationMs) : "",
                      failureText(e.code, e.httpStatus, e.message),
                    ]
                      .filter(Boolean)
                      .join(sep()) || t().dash}
                  </td>
                  <td>
                    <SkippedList skipped={e.skipped} id={e.id} />
                  </td>
                  <td>
                    <Show
                      when={e.replayable}
                      fallback={e.replayedAt ? L().replayedAt(formatDateTime(e.replayedAt)) : t().dash}
                    >
                      <Button
                        type="button"
                        class="button button-secondary"
                        busy={action.busy()}
                        aria-label={`${L().replay}（${formatDateTime(e.at)} ${L().kinds[e.kind] ?? e.kind}）`}
                        onClick={() => replay(e)}
                      >
                        {L().replay}
                      </Button>
                    </Show>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </ScrollTable>
        <Show when={total() > LOG_PAGE}>
          <nav class="pager" aria-label={t().pager.label}>
            <button
              type="button"
              class="button button-secondary"
              disabled={offset() === 0}
              onClick={() => setOffset(Math.max(0, offset() - LOG_PAGE))}
            >
              {t().pager.previous}
            </button>
            <p class="pager-range">
              {t().pager.range(offset() + 1, Math.min(offset() + LOG_PAGE, total()), total())}
            </p>
            <button
              type="button"
              class="button button-secondary"
              disabled={offset() + LOG_PAGE >= total()}
              onClick={() => setOffset(offset() + LOG_PAGE)}
            >
              {t().pager.next}
            </button>
          </nav>
        </Show>
      </Show>
    </section>
  );
}

const toBase64 = async (file: File) => {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000)
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
};

/**
 * "Preview what would be imported" in the settings form (iCal and CSV): the proposed configuration (collected
 * from the form) is read against the feed or a sample file; nothing is saved.
 */
export function MappingPreviewPanel(props: {
  facilityId: string;
  connector: string;
  collect: () => Record<string, unknown> | null;
}) {
  const [preview, setPreview] = createSignal<MappingPreview | null>(null);
  const [error, setError] = createSignal<unknown>();
  const [busy, setBusy] = createSignal(false);
  let sample: HTMLInputElement | undefined;
  let heading: HTMLHeadingElement | undefined;
  const run = async () => {
    const config = props.collect();
    if (!config) return;
    setBusy(true);
    setError(undefined);
    try {
      const file = sample?.files?.[0];
      const r = await api.previewConnectionMapping(props.facilityId, {
        connector: props.connector,
        config,
        ...(file ? { sample: await toBase64(file) } : {}),
      });
      setPreview(r);
      heading?.focus();
    } catch (err) {
      setPreview(null);
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const total = () => Object.values(preview()?.byServiceType ?? {}).reduce((a, n) => a + n, 0);
  const serviceName = (s: string) => (t().serviceTypes as Record<string, string>)[s] ?? s;
  return (
    <div class="mapping-preview">
      <p class="hint" id="preview-hint">
        {L().previewHint}
      </p>
      <Show when={props.connector === "csv"}>
        <div class="field">
          <label for="field-preview-sample">{L().sample}</label>
          <input id="field-preview-sample" type="file" accept=".csv,text/csv" ref={sample} />
        </div>
      </Show>
      <Button
        type="button"
        class="button button-secondary"
        busy={busy()}
        aria-describedby="preview-hint"
        onClick={run}
      >
        {L().preview}
      </Button>
      <Show when={error()}>{(err) => <ErrorMessage error={err()} />}</Show>
      <Show when={preview()}>
        {(p) => (
          <section aria-labelledby="preview-title" class="panel">
            <h3 id="preview-title" tabindex="-1" ref={heading}>
              {L().previewTitle}
            </h3>
            <Show
              when={!p().failure}
              fallback={
                <p role="alert">
                  {L().previewFailed(failureText(p().failure?.code ?? null, null, p().failure?.message))}
                </p>
              }
            >
              <p>{L().previewSummary(p().read, total())}</p>
              <p>
                {L().previewByType}:{" "}
                {Object.entries(p().byServiceType)
                  .map(([s, n]) => `${serviceName(s)} ${n}`)
                  .join(sep()) || t().dash}
                <Show when={p().availability > 0}>
                  {sep()}
                  {L().previewAvailability(p().availability)}
                </Show>
              </p>
              <Show when={p().items.length > 0}>
                <ScrollTable
                  id="preview-table"
                  caption={L().previewCaption}
                  compact
                  columns={[
                    L().externalId,
                    t().connections.kind,
                    L().start,
                    L().end,
                    L().timeBlock,
                    L().status,
                  ]}
                >
                  <tbody>
                    <For each={p().items.slice(0, 50)}>
                      {(i) => (
                        <tr>
                          <th scope="row">
                            {i.line ? `${t().connections.skippedLine(i.line)} ` : ""}
                            {i.externalId ?? ""}
                          </th>
                          <td>{serviceName(i.serviceType)}</td>
                          <td>{i.startDate}</td>
                          <td>{i.endDate}</td>
                          <td>{i.timeBlock || t().dash}</td>
                          <td>{i.status}</td>
                        </tr>
                      )}
                    </For>
                  </tbody>
                </ScrollTable>
              </Show>
              <h4>{L().previewSkipped}</h4>
              <SkippedList skipped={p().skipped} id="preview" />
            </Show>
          </section>
        )}
      </Show>
    </div>
  );
}
