import { A, createAsync, revalidate } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import {
  ApiError,
  DISCLOSURE_READERS,
  DISCLOSURE_TENANT_ROLES,
  REPORT_DIMENSIONS,
  REPORT_METRICS,
  REPORT_ROLES,
  type Report,
  type ReportDimension,
  type ReportMetric,
  type ReportRole,
  type StatsDisclosure,
  statsApi,
} from "../api";
import { Button } from "../components/Button";
import { ErrorMessage } from "../components/ErrorMessage";
import { SelectField, TextField } from "../components/Field";
import { RequireRole } from "../components/Guard";
import { Page } from "../components/Page";
import { ScrollTable } from "../components/Table";
import { t } from "../i18n";
import { getReports, reportTitle } from "./Stats";

/**
 * The prefecture decides which roles may read each statistics report, and adds reports (a metric by one or two
 * dimensions) without a code change. The hub enforces the grants; this page only edits them.
 */

export function StatsSettings() {
  return (
    <RequireRole roles={["prefecture"]} title={t().stats.settings.title}>
      {() => <Settings />}
    </RequireRole>
  );
}

function Settings() {
  const s = () => t().stats.settings;
  const reports = createAsync(() => getReports());
  const [status, setStatus] = createSignal<string>();
  const [error, setError] = createSignal<unknown>();

  async function saveRoles(report: Report, form: HTMLFormElement) {
    setStatus(undefined);
    setError(undefined);
    const roles = new FormData(form).getAll("roles").map(String) as ReportRole[];
    try {
      await statsApi.updateReport(report.key, { roles });
      await revalidate(getReports.key);
      setStatus(s().saved(reportTitle(report)));
    } catch (e) {
      setError(e);
    }
  }

  async function remove(report: Report) {
    setStatus(undefined);
    setError(undefined);
    try {
      await statsApi.deleteReport(report.key);
      await revalidate(getReports.key);
      setStatus(report.builtIn ? s().reset(reportTitle(report)) : s().deleted(reportTitle(report)));
    } catch (e) {
      setError(e);
    }
  }

  return (
    <Page title={s().title}>
      <p>{s().intro}</p>
      <p>
        <A href="/stats">{s().back}</A>
      </p>
      <div role="status" aria-live="polite" class="status-slot">
        <Show when={status()}>
          <p class="alert alert-success">{status()}</p>
        </Show>
      </div>
      <Show when={error()}>{(e) => <ErrorMessage error={e()} />}</Show>
      <Show when={reports()} fallback={<p role="status">{t().loading}</p>}>
        {(list) => (
          <ScrollTable
            id="report-grants"
            caption={s().grantsCaption}
            columns={[s().report, s().contents, s().roles, s().actions]}
          >
            <tbody>
              <For each={list().items}>
                {(r) => (
                  <tr>
                    <th scope="row">{reportTitle(r)}</th>
                    <td>
                      {t().stats.metrics[r.metric]}（
                      {r.dimensions.map((d) => t().stats.dimensions[d]).join("・")}）
                    </td>
                    <td>
                      <form
                        id={`grant-${r.key}`}
                        onSubmit={(e) => {
                          e.preventDefault();
                          void saveRoles(r, e.currentTarget);
                        }}
                      >
                        <fieldset class="checkbox-group">
                          <legend class="visually-hidden">{s().rolesOf(reportTitle(r))}</legend>
                          <For each={REPORT_ROLES}>
                            {(role) => (
                              <label class="checkbox">
                                <input
                                  type="checkbox"
                                  name="roles"
                                  value={role}
                                  checked={r.roles.includes(role)}
                                />
                                <span>{t().roles[role]}</span>
                              </label>
                            )}
                          </For>
                        </fieldset>
                      </form>
                    </td>
                    <td>
                      <div class="form-actions">
                        <button type="submit" class="button" form={`grant-${r.key}`}>
                          {s().save}
                          <span class="visually-hidden">（{reportTitle(r)}）</span>
                        </button>
                        <Show
                          when={r.builtIn}
                          fallback={
                            <button type="button" class="button button-secondary" onClick={() => remove(r)}>
                              {s().delete}
                              <span class="visually-hidden">（{reportTitle(r)}）</span>
                            </button>
                          }
                        >
                          <button type="button" class="button button-secondary" onClick={() => remove(r)}>
                            {s().resetButton}
                            <span class="visually-hidden">（{reportTitle(r)}）</span>
                          </button>
                        </Show>
                      </div>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </ScrollTable>
        )}
      </Show>
      <Show when={reports()}>{(list) => <Disclosure reports={list().items} />}</Show>
      <NewReport
        onCreated={async (r) => {
          await revalidate(getReports.key);
          setError(undefined);
          setStatus(s().created(reportTitle(r)));
        }}
      />
    </Page>
  );
}

function NewReport(props: { onCreated: (r: Report) => Promise<void> }) {
  const s = () => t().stats.settings;
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [failure, setFailure] = createSignal<unknown>();
  const [busy, setBusy] = createSignal(false);

  async function create(e: SubmitEvent) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const text = (k: string) => String(data.get(k) ?? "").trim();
    const dimensions = [text("dimension1"), text("dimension2")].filter(Boolean) as ReportDimension[];
    const local: Record<string, string> = {};
    if (!/^[a-z][a-z0-9_]{2,63}$/.test(text("key"))) local.key = s().keyError;
    if (!text("titleJa")) local.titleJa = s().titleError;
    if (dimensions.length === 2 && dimensions[0] === dimensions[1]) local.dimension2 = s().sameDimension;
    setErrors(local);
    setFailure(undefined);
    if (Object.keys(local).length > 0) {
      form.querySelector<HTMLElement>(`[name="${Object.keys(local)[0]}"]`)?.focus();
      return;
    }
    setBusy(true);
    try {
      const created = await statsApi.createReport({
        key: text("key"),
        titleJa: text("titleJa"),
        titleEn: text("titleEn"),
        metric: text("metric") as ReportMetric,
        dimensions,
        roles: data.getAll("roles").map(String) as ReportRole[],
        chart: text("chart") === "line" ? "line" : "bar",
      });
      form.reset();
      await props.onCreated(created);
    } catch (err) {
      if (err instanceof ApiError && err.errors.length > 0) {
        const byField: Record<string, string> = {};
        for (const fe of err.errors) {
          const field = (fe.path ?? "").replace(/^\/?(body\/)?/, "").split("/")[0] ?? "";
          const name = field === "dimensions" ? "dimension1" : field;
          byField[name] ??= s().serverError(fe.message);
        }
        setErrors(byField);
      }
      setFailure(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="new-report" class="panel stack">
      <h2 id="new-report">{s().newTitle}</h2>
      <p>{s().newIntro}</p>
      <Show when={failure()}>{(e) => <ErrorMessage error={e()} />}</Show>
      <form class="stack" onSubmit={create} novalidate>
        <TextField
          name="key"
          label={s().key}
          hint={s().keyHint}
          error={errors().key}
          maxLength={64}
          required
        />
        <TextField name="titleJa" label={s().titleJa} error={errors().titleJa} maxLength={100} required />
        <TextField name="titleEn" label={s().titleEn} error={errors().titleEn} maxLength={100} />
        <SelectField name="metric" label={s().metric} hint={s().metricHint}>
          <For each={REPORT_METRICS}>{(m) => <option value={m}>{t().stats.metrics[m]}</option>}</For>
        </SelectField>
        <SelectField name="dimension1" label={s().dimension1}>
          <For each={REPORT_DIMENSIONS}>{(d) => <option value={d}>{t().stats.dimensions[d]}</option>}</For>
        </SelectField>
        <Show when={errors().dimension1}>
          <p class="field-error">{errors().dimension1}</p>
        </Show>
        <SelectField name="dimension2" label={s().dimension2}>
          <option value="">{s().none}</option>
          <For each={REPORT_DIMENSIONS}>{(d) => <option value={d}>{t().stats.dimensions[d]}</option>}</For>
        </SelectField>
        <Show when={errors().dimension2}>
          <p class="field-error">{errors().dimension2}</p>
        </Show>
        <fieldset class="checkbox-group">
          <legend>{s().roles}</legend>
          <Show when={errors().roles}>
            <p class="field-error">{errors().roles}</p>
          </Show>
          <For each={REPORT_ROLES}>
            {(role) => (
              <label class="checkbox">
                <input type="checkbox" name="roles" value={role} />
                <span>{t().roles[role]}</span>
              </label>
            )}
          </For>
        </fieldset>
        <SelectField name="chart" label={s().chart}>
          <option value="bar">{s().bar}</option>
          <option value="line">{s().line}</option>
        </SelectField>
        <div class="form-actions">
          <Button type="submit" class="button" busy={busy()}>
            {s().create}
          </Button>
        </div>
      </form>
    </section>
  );
}

/**
 * The disclosure rule: the default threshold, a threshold per report and reader role, and the roles that see
 * exact figures about their own organisation. The hub checks and audits it; this form only edits it.
 */
function Disclosure(props: { reports: Report[] }) {
  const s = () => t().stats.settings;
  const rule = createAsync(() => statsApi.getDisclosure());
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [status, setStatus] = createSignal<string>();
  const [failure, setFailure] = createSignal<unknown>();
  const valid = (v: string) => /^\d{1,3}$/.test(v) && Number(v) >= 1 && Number(v) <= 100;

  async function save(e: SubmitEvent) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const local: Record<string, string> = {};
    const defaultText = String(data.get("defaultThreshold") ?? "").trim();
    if (!valid(defaultText)) local.defaultThreshold = s().thresholdError;
    const thresholds: StatsDisclosure["thresholds"] = {};
    for (const r of props.reports) {
      for (const role of DISCLOSURE_READERS) {
        const name = `t-${r.key}-${role}`;
        const v = String(data.get(name) ?? "").trim();
        if (v === "") continue;
        if (!valid(v)) local[name] = s().thresholdError;
        else thresholds[r.key] = { ...thresholds[r.key], [role]: Number(v) };
      }
    }
    setErrors(local);
    setStatus(undefined);
    setFailure(undefined);
    if (Object.keys(local).length > 0) {
      form.querySelector<HTMLElement>(`[name="${Object.keys(local)[0]}"]`)?.focus();
      return;
    }
    try {
      await statsApi.updateDisclosure({
        defaultThreshold: Number(defaultText),
        thresholds,
        exactOwnRoles: data.getAll("exactOwnRoles").map(String) as StatsDisclosure["exactOwnRoles"],
      });
      setStatus(s().disclosureSaved);
    } catch (err) {
      setFailure(err);
    }
  }

  return (
    <section aria-labelledby="disclosure" class="panel stack">
      <h2 id="disclosure">{s().disclosureTitle}</h2>
      <p>{s().disclosureIntro}</p>
      <div role="status" aria-live="polite" class="status-slot">
        <Show when={status()}>
          <p class="alert alert-success">{status()}</p>
        </Show>
      </div>
      <Show when={failure()}>{(e) => <ErrorMessage error={e()} />}</Show>
      <Show when={rule()} fallback={<p role="status">{t().loading}</p>}>
        {(r) => (
          <form class="stack" onSubmit={save} novalidate>
            <TextField
              name="defaultThreshold"
              label={s().defaultThreshold}
              error={errors().defaultThreshold}
              value={String(r().defaultThreshold)}
              inputMode="numeric"
              maxLength={3}
              required
            />
            <fieldset class="checkbox-group">
              <legend>{s().exactOwn}</legend>
              <p class="hint">{s().exactOwnHint}</p>
              <For each={DISCLOSURE_TENANT_ROLES}>
                {(role) => (
                  <label class="checkbox">
                    <input
                      type="checkbox"
                      name="exactOwnRoles"
                      value={role}
                      checked={r().exactOwnRoles.includes(role)}
                    />
                    <span>{t().roles[role]}</span>
                  </label>
                )}
              </For>
            </fieldset>
            <ScrollTable id="disclosure-thresholds" caption={s().thresholdsCaption}>
              <thead>
                <tr>
                  <th scope="col">{s().report}</th>
                  <For each={DISCLOSURE_READERS}>{(role) => <th scope="col">{t().roles[role]}</th>}</For>
                </tr>
              </thead>
              <tbody>
                <For each={props.reports}>
                  {(report) => (
                    <tr>
                      <th scope="row">{reportTitle(report)}</th>
                      <For each={DISCLOSURE_READERS}>
                        {(role) => {
                          const name = `t-${report.key}-${role}`;
                          return (
                            <td>
                              <input
                                class="input-narrow"
                                name={name}
                                inputMode="numeric"
                                maxLength={3}
                                size={3}
                                value={r().thresholds[report.key]?.[role] ?? ""}
                                aria-label={s().thresholdOf(reportTitle(report), t().roles[role] ?? role)}
                                aria-invalid={errors()[name] ? "true" : undefined}
                              />
                              <Show when={errors()[name]}>
                                <p class="field-error">{errors()[name]}</p>
                              </Show>
                            </td>
                          );
                        }}
                      </For>
                    </tr>
                  )}
                </For>
              </tbody>
            </ScrollTable>
            <div class="form-actions">
              <button type="submit" class="button">
                {s().saveDisclosure}
              </button>
            </div>
          </form>
        )}
      </Show>
    </section>
  );
}
