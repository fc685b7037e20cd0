import { createAsync, revalidate } from "@solidjs/router";
import { createSignal, For, type JSX, Show } from "solid-js";
import {
  api,
  type ConnectionCredentials,
  type ConnectionFileReport,
  type ConnectionHealth,
  type ConnectorInfo,
  type Me,
  type SyncConflict,
} from "../api";
import { type RunAction, useAction } from "../components/ActionOutcome";
import { Button } from "../components/Button";
import { SelectField, TextField } from "../components/Field";
import { FilterSelect } from "../components/FilterSelect";
import { FilterForm } from "../components/Filters";
import { RequireRole } from "../components/Guard";
import { Page } from "../components/Page";
import { ResultCount } from "../components/Pager";
import { ScrollTable } from "../components/Table";
import { getConnections, getConnectors, getFacilityConnection, getSyncConflicts } from "../data";
import { formatDateTime } from "../format";
import { locale, t } from "../i18n";
import { formText, useListSearch } from "../search";
import {
  ConnectionLog,
  lastErrorText,
  MappingPreviewPanel,
  PausedNotice,
  TestDeliveryButton,
} from "./ConnectionLog";

const STATES = ["disabled", "failing", "stale", "never", "warning", "skipping", "ok"] as const;
const c = () => t().connections;

const stateText = (h: ConnectionHealth) => c().states[h.state] ?? h.state;
const lagText = (h: ConnectionHealth) =>
  h.lastSuccessAt
    ? `${formatDateTime(h.lastSuccessAt)}（${c().lag(Math.round((h.lagSeconds ?? 0) / 60))}）`
    : c().never;

/** The state as text with a symbol, so it never rests on colour alone. */
function StateBadge(props: { health: ConnectionHealth }) {
  const symbol = () =>
    ({ ok: "●", warning: "▲", failing: "✕", stale: "◆", never: "○", disabled: "■", skipping: "△" })[
      props.health.state
    ];
  return (
    <span class="connection-state">
      <span aria-hidden="true">{symbol()} </span>
      {stateText(props.health)}
    </span>
  );
}

/**
 * What the last pull left out: "3 events skipped: no service type — show", opening the list (line, first day,
 * reason). A native disclosure: keyboard and screen readers know it. Nothing when nothing was skipped.
 */
const SKIP_REASONS = ["no_service_type", "ignored_keyword", "bad_event", "stale"];
const reasonOrder = (r: string) => {
  const i = SKIP_REASONS.indexOf(r);
  return i < 0 ? SKIP_REASONS.length : i;
};

function Skipped(props: { health: ConnectionHealth }) {
  const s = () => props.health.skipped;
  const reasons = () =>
    Object.entries(s()?.counts ?? {})
      .filter(([, n]) => n > 0)
      // In a fixed order (the stored report's key order is the database's).
      .sort(([a], [b]) => reasonOrder(a) - reasonOrder(b))
      .map(([r, n]) => `${c().skipReasons[r] ?? r} ${n}`)
      .join(locale() === "ja" ? "、" : ", ");
  return (
    <Show when={(s()?.total ?? 0) > 0} fallback={t().dash}>
      <details class="skipped-events">
        <summary>{c().skippedSummary(s()?.total ?? 0, reasons())}</summary>
        <ul>
          <For each={s()?.items ?? []}>
            {(item) => (
              <li>
                {[
                  item.line ? c().skippedLine(item.line) : "",
                  item.date ?? "",
                  c().skipReasons[item.reason] ?? item.reason,
                  item.problem ? (c().skipProblems[item.problem] ?? item.problem) : "",
                  item.property ? c().skippedProperty(item.property) : "",
                ]
                  .filter(Boolean)
                  .join(" · ")}
              </li>
            )}
          </For>
        </ul>
        <Show when={(s()?.total ?? 0) > (s()?.items.length ?? 0)}>
          <p>{c().skippedNotListed((s()?.total ?? 0) - (s()?.items.length ?? 0))}</p>
        </Show>
        <p class="hint">{c().skippedHint}</p>
      </details>
    </Show>
  );
}

/**
 * 連携状況 for operators (/connections): every facility's connection, the troubled first, with sync now and
 * retry; and the review queue of every facility.
 */
export function Connections() {
  return (
    <RequireRole roles={["operator"]} title={c().title}>
      {(me) => <AllConnections me={me} />}
    </RequireRole>
  );
}

function AllConnections(props: { me: Me }) {
  const { filters, setFilters } = useListSearch("/connections", ["state"]);
  const items = createAsync(() => getConnections({ state: filters().state }));
  const action = useAction(() => revalidate([getConnections.key, getSyncConflicts.key]));
  // The connection whose log is open below the table.
  const [logOf, setLogOf] = createSignal<ConnectionHealth | null>(null);
  return (
    <Page title={c().title}>
      <p>{c().intro}</p>
      <FilterForm label={c().filterState} submit={c().apply} onSubmit={setFilters}>
        <FilterSelect
          name="state"
          label={c().state}
          empty={c().allStates}
          values={STATES}
          labels={(s) => c().states[s]}
          selected={filters().state}
        />
      </FilterForm>
      <action.Outcome />
      <ResultCount total={items()?.length} results={t().facilities.results} none={t().facilities.noResults} />
      <Show when={(items()?.length ?? 0) > 0}>
        <ScrollTable
          id="connections-table"
          caption={c().caption}
          columns={[
            c().facility,
            c().connector,
            c().state,
            c().lastSuccess,
            c().lastError,
            c().failures,
            c().nextRun,
            c().skipped,
            c().conflicts,
            c().deadLetters,
            c().actions,
          ]}
        >
          <tbody>
            <For each={items()}>
              {(h) => (
                <tr data-connection-id={h.id}>
                  <th scope="row">{h.facilityName}</th>
                  <td>{h.connectorName[locale()]}</td>
                  <td>
                    <StateBadge health={h} />
                    <Show when={h.disabledCode === "gone"}>
                      <br />
                      {t().connectionLog.pausedShort}
                    </Show>
                  </td>
                  <td>{lagText(h)}</td>
                  <td>{lastErrorText(h) ?? t().dash}</td>
                  <td>{h.consecutiveFailures}</td>
                  <td>{h.nextRunAt ? formatDateTime(h.nextRunAt) : t().dash}</td>
                  <td>
                    <Skipped health={h} />
                  </td>
                  <td>{h.openConflicts}</td>
                  <td>{h.deadLetters.webhooks + h.deadLetters.pushes}</td>
                  <td>
                    <ConnectionActions health={h} busy={action.busy()} run={action.run} />
                    <button
                      type="button"
                      class="button button-quiet"
                      aria-label={`${logOf()?.id === h.id ? t().connectionLog.close : t().connectionLog.show}（${h.facilityName}）`}
                      aria-expanded={logOf()?.id === h.id}
                      onClick={() => {
                        setLogOf(logOf()?.id === h.id ? null : h);
                        if (logOf())
                          queueMicrotask(() => document.getElementById("connection-log-title")?.focus());
                      }}
                    >
                      {logOf()?.id === h.id ? t().connectionLog.close : t().connectionLog.show}
                    </button>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </ScrollTable>
      </Show>
      <Show when={logOf()} keyed>
        {(h) => (
          <ConnectionLog facilityId={h.facilityId} heading={t().connectionLog.forFacility(h.facilityName)} />
        )}
      </Show>
      <Conflicts facilityId={undefined} me={props.me} />
    </Page>
  );
}

/** Sync now (pulled connections) and retry of failed items (when there are any). */
function ConnectionActions(props: { health: ConnectionHealth; busy: boolean; run: RunAction }) {
  const h = () => props.health;
  const failed = () => h().deadLetters.webhooks + h().deadLetters.pushes;
  return (
    <div class="row-actions">
      <Show when={h().capabilities.includes("pullBookings") && h().enabled}>
        <Button
          type="button"
          class="button button-secondary"
          busy={props.busy}
          aria-label={`${c().syncNow}（${h().facilityName}）`}
          onClick={() =>
            props.run(async () => {
              await api.syncConnection(h().facilityId);
              return c().syncQueued;
            })
          }
        >
          {c().syncNow}
        </Button>
      </Show>
      <Show when={failed() > 0}>
        <Button
          type="button"
          class="button button-secondary"
          busy={props.busy}
          aria-label={`${c().replay}（${h().facilityName}）`}
          onClick={() =>
            props.run(async () => {
              const r = await api.replayConnection(h().facilityId);
              return c().replayed(r.webhooks, r.pushes);
            })
          }
        >
          {c().replay}
        </Button>
      </Show>
      <TestDeliveryButton health={h()} busy={props.busy} run={props.run} />
    </div>
  );
}

/** The review queue: open conflicts (or all), each with keep / cancel the booking. */
function Conflicts(props: { facilityId: string | undefined; me: Me }) {
  const [openOnly, setOpenOnly] = createSignal(true);
  const list = createAsync(() =>
    getSyncConflicts({ facilityId: props.facilityId, status: openOnly() ? "open" : undefined, limit: 100 }),
  );
  const action = useAction(() =>
    revalidate([getSyncConflicts.key, getConnections.key, getFacilityConnection.key]),
  );
  const resolve = (x: SyncConflict, how: "keep" | "cancel_booking") =>
    action.run(async () => {
      await api.resolveSyncConflict(x.id, { action: how });
      return c().resolvedNotice;
    });
  return (
    <section aria-labelledby="conflicts-title">
      <h2 id="conflicts-title">{c().conflictsTitle}</h2>
      <p>{c().conflictsIntro}</p>
      <label class="checkbox">
        <input type="checkbox" checked={openOnly()} onChange={(e) => setOpenOnly(e.currentTarget.checked)} />
        {c().openOnly}
      </label>
      <action.Outcome />
      <Show when={(list()?.items.length ?? 0) > 0} fallback={<p>{c().noConflicts}</p>}>
        <ScrollTable id="conflicts-table" caption={c().conflictsCaption}>
          <thead>
            <tr>
              <th scope="col">{c().received}</th>
              <Show when={props.me.role === "operator"}>
                <th scope="col">{c().facility}</th>
              </Show>
              <th scope="col">{c().kind}</th>
              <th scope="col">{c().externalRef}</th>
              <th scope="col">{c().detail}</th>
              <th scope="col">{c().actions}</th>
            </tr>
          </thead>
          <tbody>
            <For each={list()?.items}>
              {(x) => (
                <tr data-conflict-id={x.id}>
                  <th scope="row">{formatDateTime(x.createdAt)}</th>
                  <Show when={props.me.role === "operator"}>
                    <td>{x.facilityName}</td>
                  </Show>
                  <td>{c().kinds[x.kind] ?? x.kind}</td>
                  <td>{x.externalRef ?? t().dash}</td>
                  <td>{detailText(x.detail)}</td>
                  <td>
                    <Show
                      when={x.status === "open"}
                      fallback={<span>{`${c().resolved}: ${x.resolution ?? ""}`}</span>}
                    >
                      <div class="row-actions">
                        <Button
                          type="button"
                          class="button button-secondary"
                          busy={action.busy()}
                          aria-label={`${c().keep}（${x.externalRef ?? x.id}）`}
                          onClick={() => resolve(x, "keep")}
                        >
                          {c().keep}
                        </Button>
                        <Show when={x.bookingId}>
                          <Button
                            type="button"
                            class="button button-secondary"
                            busy={action.busy()}
                            aria-label={`${c().cancelBooking}（${x.externalRef ?? x.id}）`}
                            onClick={() => resolve(x, "cancel_booking")}
                          >
                            {c().cancelBooking}
                          </Button>
                        </Show>
                      </div>
                    </Show>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </ScrollTable>
      </Show>
    </section>
  );
}

/** A conflict's detail in one line: dates, service, reason. */
function detailText(detail: Record<string, unknown>): string {
  const parts: string[] = [];
  const service = detail.serviceType as string | undefined;
  if (service) parts.push(t().serviceTypes[service as keyof ReturnType<typeof t>["serviceTypes"]] ?? service);
  if (Array.isArray(detail.dates)) parts.push((detail.dates as string[]).join(t().listSeparator));
  if (typeof detail.date === "string") parts.push(detail.date);
  if (typeof detail.startDate === "string") parts.push(detail.startDate);
  if (typeof detail.reason === "string") parts.push(detail.reason);
  return parts.join(t().dotSeparator) || t().dash;
}

/**
 * システム連携 for facility staff (/facility/connection): the connection's state, its settings (connector and
 * configuration, from the connector's schema), credentials shown once, sync now, and the review queue.
 */
export function FacilityConnection() {
  return (
    <RequireRole roles={["facility"]} title={c().facilityTitle}>
      {(me) => <OwnConnection me={me} />}
    </RequireRole>
  );
}

function OwnConnection(props: { me: Me }) {
  const facilityId = () => props.me.facilityId ?? "";
  const health = createAsync(() => getFacilityConnection(facilityId()));
  const connectors = createAsync(() => getConnectors());
  const [credentials, setCredentials] = createSignal<ConnectionCredentials | null>(null);
  const action = useAction(() => revalidate([getFacilityConnection.key, getSyncConflicts.key]));
  return (
    <Page title={c().facilityTitle}>
      <p>{c().facilityIntro}</p>
      <action.Outcome />
      <Show when={credentials()}>{(cr) => <Credentials credentials={cr()} health={health() ?? null} />}</Show>
      <Show when={health()} fallback={<p>{c().noConnection}</p>}>
        {(h) => (
          <section aria-labelledby="health-title">
            <h2 id="health-title">{c().health}</h2>
            <PausedNotice health={h()} />
            <dl class="details">
              <Fact term={c().connector}>{h().connectorName[locale()]}</Fact>
              <Fact term={c().state}>
                <StateBadge health={h()} />
              </Fact>
              <Fact term={c().lastSuccess}>{lagText(h())}</Fact>
              <Fact term={c().lastError}>{lastErrorText(h()) ?? t().dash}</Fact>
              <Fact term={c().failures}>{String(h().consecutiveFailures)}</Fact>
              <Fact term={c().nextRun}>
                {h().nextRunAt ? formatDateTime(h().nextRunAt as string) : t().dash}
              </Fact>
              <Fact term={c().deadLetters}>{String(h().deadLetters.webhooks + h().deadLetters.pushes)}</Fact>
              <Fact term={c().skipped}>
                <Skipped health={h()} />
              </Fact>
            </dl>
            <ConnectionActions health={h()} busy={action.busy()} run={action.run} />
            <Show when={h().webhookPath || h().hasFeed}>
              <Button
                type="button"
                class="button button-quiet"
                busy={action.busy()}
                aria-describedby="rotate-note"
                onClick={() =>
                  action.run(async () => {
                    setCredentials(await api.rotateConnectionCredentials(facilityId()));
                    return c().credentialsTitle;
                  })
                }
              >
                {c().rotate}
              </Button>
              <p class="hint" id="rotate-note">
                {c().rotateConfirm}
              </p>
            </Show>
          </section>
        )}
      </Show>
      <Show when={health()}>
        <ConnectionLog facilityId={facilityId()} heading={t().connectionLog.title} />
      </Show>
      <Show when={health()?.capabilities.includes("fileUpload")}>
        <CsvFiles facilityId={facilityId()} />
      </Show>
      <Show when={connectors()}>
        {(list) => (
          <Settings
            facilityId={facilityId()}
            connectors={list()}
            health={health() ?? null}
            busy={action.busy()}
            onSave={(body) =>
              action.run(async () => {
                const saved = await api.putFacilityConnection(facilityId(), body);
                const cr = saved.credentials;
                setCredentials(cr.webhookSecret || cr.feedUrl ? cr : null);
                return c().saved;
              })
            }
          />
        )}
      </Show>
      <Conflicts facilityId={facilityId()} me={props.me} />
    </Page>
  );
}

/** CSV exchange for facilities on the csv connector: downloads, and an upload checked before it is applied. */
function CsvFiles(props: { facilityId: string }) {
  const [file, setFile] = createSignal<File | null>(null);
  const [report, setReport] = createSignal<ConnectionFileReport | null>(null);
  const [missing, setMissing] = createSignal(false);
  const action = useAction(() => revalidate([getFacilityConnection.key, getSyncConflicts.key]));
  const base = () => `api/facilities/${encodeURIComponent(props.facilityId)}/connection`;
  const errors = () => report()?.errors ?? [];
  const check = () => {
    const f = file();
    setMissing(!f);
    if (!f) {
      document.getElementById("field-connection-file")?.focus();
      return;
    }
    void action.run(async () => {
      const r = await api.uploadConnectionFile(props.facilityId, f, true);
      setReport(r);
      return `${c().fileReport(r)} ${r.errors.length ? c().fileErrors(r.errors.length) : c().fileOk}`;
    });
  };
  const applyFile = () => {
    const f = file();
    if (!f) return;
    void action.run(async () => {
      const r = await api.uploadConnectionFile(props.facilityId, f, false);
      setReport(null);
      return `${c().fileApplied(r.conflicts)} ${c().fileReport(r)}`;
    });
  };
  return (
    <section aria-labelledby="files-title">
      <h2 id="files-title">{c().filesTitle}</h2>
      <p>{c().filesIntro}</p>
      <h3>{c().downloads}</h3>
      <ul class="actions">
        <li>
          <a href={`${base()}/bookings.csv`} download="">
            {c().bookingsCsv}
          </a>
        </li>
        <li>
          <a href={`${base()}/bookings.csv?encoding=sjis`} download="">
            {c().bookingsSjis}
          </a>
        </li>
        <li>
          <a href={`${base()}/capacity.csv`} download="">
            {c().capacityCsv}
          </a>
        </li>
        <li>
          <a href={`${base()}/capacity.csv?encoding=sjis`} download="">
            {c().capacitySjis}
          </a>
        </li>
      </ul>
      <form
        class="panel"
        onSubmit={(e) => {
          e.preventDefault();
          check();
        }}
        novalidate
      >
        <div class="field" classList={{ "field-invalid": missing() }}>
          <label for="field-connection-file">{c().fileLabel}</label>
          <Show when={missing()}>
            <p class="field-error" id="field-connection-file-error">
              {c().chooseFile}
            </p>
          </Show>
          <input
            id="field-connection-file"
            type="file"
            accept=".csv,text/csv"
            aria-invalid={missing() ? "true" : undefined}
            aria-describedby={missing() ? "field-connection-file-error" : undefined}
            onChange={(e) => {
              setFile(e.currentTarget.files?.[0] ?? null);
              setReport(null);
            }}
          />
        </div>
        <div class="form-actions">
          <Button type="submit" class="button button-secondary" busy={action.busy()}>
            {c().check}
          </Button>
          <Show when={report() && errors().length === 0 && report()?.lines}>
            <Button type="button" class="button" busy={action.busy()} onClick={applyFile}>
              {c().applyFile}
            </Button>
          </Show>
        </div>
      </form>
      <action.Outcome />
      <Show when={errors().length > 0}>
        <ScrollTable
          id="file-errors"
          caption={c().errorsCaption}
          columns={[c().line, c().column, c().message]}
        >
          <tbody>
            <For each={errors()}>
              {(e) => (
                <tr>
                  <th scope="row">{e.line}</th>
                  <td>{e.column || t().dash}</td>
                  <td>{e.message}</td>
                </tr>
              )}
            </For>
          </tbody>
        </ScrollTable>
      </Show>
    </section>
  );
}

function Fact(props: { term: string; children: JSX.Element }) {
  return (
    <div>
      <dt>{props.term}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

function Credentials(props: { credentials: ConnectionCredentials; health: ConnectionHealth | null }) {
  const webhookUrl = () =>
    props.health?.webhookPath ? new URL(props.health.webhookPath, document.baseURI).href : null;
  return (
    <div class="alert alert-info" role="alert">
      <p class="alert-title">{c().credentialsTitle}</p>
      <p>{c().credentialsNote}</p>
      <dl class="details">
        <Show when={props.credentials.webhookSecret}>
          <Fact term={c().webhookSecret}>
            <code class="secret">{props.credentials.webhookSecret}</code>
          </Fact>
        </Show>
        <Show when={props.credentials.webhookSecret && webhookUrl()}>
          <Fact term={c().webhookUrl}>
            <code class="secret">{webhookUrl()}</code>
          </Fact>
        </Show>
        <Show when={props.credentials.feedUrl}>
          <Fact term={c().feedUrl}>
            <code class="secret">{props.credentials.feedUrl}</code>
          </Fact>
        </Show>
      </dl>
    </div>
  );
}

type Body = { connector: string; config: Record<string, unknown>; syncMinutes?: number; enabled: boolean };

/** The settings form: the connector, then one field per property of its configuration schema. */
function Settings(props: {
  facilityId: string;
  connectors: ConnectorInfo[];
  health: ConnectionHealth | null;
  busy: boolean;
  onSave: (body: Body) => void;
}) {
  const [key, setKey] = createSignal(props.health?.connector ?? "native");
  const [fieldErrors, setFieldErrors] = createSignal<Record<string, string>>({});
  const chosen = () => props.connectors.find((x) => x.key === key());
  const properties = () => Object.entries(chosen()?.configSchema.properties ?? {});
  const current = (name: string) =>
    props.health?.connector === key()
      ? props.health.config[name]
      : chosen()?.configSchema.properties?.[name]?.default;
  const kindOf = (type: string | string[] | undefined) => (Array.isArray(type) ? type[0] : type) ?? "string";

  let formEl: HTMLFormElement | undefined;
  /** The configuration as the form has it, or null (and the first field at fault focused) when it cannot be read. */
  function collect(form: FormData): Record<string, unknown> | null {
    const config: Record<string, unknown> = {};
    const errors: Record<string, string> = {};
    for (const [name, schema] of properties()) {
      const field = `config-${name}`;
      const kind = kindOf(schema.type);
      if (kind === "boolean") {
        config[name] = form.get(field) === "on";
        continue;
      }
      const text = formText(form, field);
      if (text === undefined) continue;
      if (kind === "integer" || kind === "number") config[name] = Number(text);
      else if (kind === "object" || kind === "array") {
        try {
          config[name] = JSON.parse(text);
        } catch {
          errors[name] = c().configHint;
        }
      } else config[name] = text;
    }
    setFieldErrors(errors);
    if (Object.keys(errors).length) {
      document.getElementById(`field-config-${Object.keys(errors)[0]}`)?.focus();
      return null;
    }
    return config;
  }

  function submit(e: SubmitEvent) {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const config = collect(form);
    if (!config) return;
    const minutes = formText(form, "syncMinutes");
    props.onSave({
      connector: key(),
      config,
      ...(minutes ? { syncMinutes: Number(minutes) } : {}),
      enabled: form.get("enabled") === "on",
    });
  }

  return (
    <section aria-labelledby="settings-title">
      <h2 id="settings-title">{c().settings}</h2>
      <form class="panel" onSubmit={submit} novalidate ref={formEl}>
        <div class="field">
          <label for="field-connector">{c().chooseConnector}</label>
          <select id="field-connector" name="connector" onChange={(e) => setKey(e.currentTarget.value)}>
            <For each={props.connectors}>
              {(x) => (
                <option value={x.key} selected={x.key === key()}>
                  {x.name[locale()]}
                </option>
              )}
            </For>
          </select>
          <p class="hint">{chosen()?.description[locale()]}</p>
        </div>
        <For each={properties()}>
          {([name, schema]) => {
            const kind = kindOf(schema.type);
            const value = current(name);
            if (schema.enum) {
              return (
                <SelectField name={`config-${name}`} label={schema.description ?? name}>
                  <For each={schema.enum}>
                    {(v) => (
                      <option value={v} selected={v === value}>
                        {v}
                      </option>
                    )}
                  </For>
                </SelectField>
              );
            }
            if (kind === "boolean") {
              return (
                <label class="checkbox">
                  <input name={`config-${name}`} type="checkbox" checked={value === true} />
                  {schema.description ?? name}
                </label>
              );
            }
            return (
              <TextField
                name={`config-${name}`}
                label={schema.description ?? name}
                type={
                  kind === "integer" || kind === "number"
                    ? "number"
                    : schema.format === "uri"
                      ? "url"
                      : "text"
                }
                multiline={kind === "object" || kind === "array"}
                hint={kind === "object" || kind === "array" ? c().configHint : undefined}
                error={fieldErrors()[name]}
                value={
                  value === undefined || value === null
                    ? ""
                    : typeof value === "object"
                      ? JSON.stringify(value, null, 2)
                      : String(value)
                }
              />
            );
          }}
        </For>
        <Show when={chosen()?.capabilities.includes("pullBookings")}>
          <TextField
            name="syncMinutes"
            type="number"
            min="1"
            max="1440"
            label={c().syncMinutes}
            value={String(props.health?.syncMinutes ?? 15)}
          />
        </Show>
        <Show when={key() === "ical" || key() === "csv"}>
          <MappingPreviewPanel
            facilityId={props.facilityId}
            connector={key()}
            collect={() => (formEl ? collect(new FormData(formEl)) : null)}
          />
        </Show>
        <label class="checkbox">
          <input name="enabled" type="checkbox" checked={props.health?.enabled ?? true} />
          {c().enabled}
        </label>
        <div class="form-actions">
          <Button type="submit" class="button" busy={props.busy}>
            {c().save}
          </Button>
        </div>
      </form>
    </section>
  );
}
