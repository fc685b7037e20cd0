import { createAsync, query, revalidate, useSearchParams } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import {
  ApiError,
  api,
  CARE_CODES,
  type CareCode,
  type Me,
  type UsageReportItem,
  type UsageReportList,
  type UsageReportStatus,
} from "../api";
import { Button } from "../components/Button";
import { CorrectionForm, CorrectionList } from "../components/Corrections";
import { ErrorMessage } from "../components/ErrorMessage";
import { TextField } from "../components/Field";
import { FilterSelect } from "../components/FilterSelect";
import { FilterForm, MonthSelect } from "../components/Filters";
import { RequireRole } from "../components/Guard";
import { Page } from "../components/Page";
import { formatDate, formatDateTime, formatYen } from "../format";
import { label, t } from "../i18n";
import { lastMonth, MONTH, monthText } from "../months";
import { formText, one } from "../search";

/**
 * Usage reports (実績報告). Facility staff (/facility/reports) see a month's uses with their state and the
 * deadline, and complete a report per use: everything known from the booking is shown read-only, staff enter
 * the care given, the infant's condition, notes and the copay collected (prefilled with the policy's copay).
 * Municipality staff (/municipality/reports) read their residents' reports and confirm them; the prefecture
 * reads. The hub: GET api/usage-reports, PUT api/bookings/{id}/usage-report, POST api/usage-reports/confirm.
 */

const STATUSES: UsageReportStatus[] = ["due", "submitted", "confirmed"];

const getUsageReports = query(
  (month: string, status: UsageReportStatus | undefined) => api.listUsageReports(month, status),
  "usageReports",
);

export function FacilityUsageReports() {
  return (
    <RequireRole roles={["facility"]} title={t().usageReports.titleFacility}>
      {(me) => <Reports me={me} />}
    </RequireRole>
  );
}

export function MunicipalityUsageReports() {
  return (
    <RequireRole roles={["municipality", "prefecture"]} title={t().usageReports.titleMunicipality}>
      {(me) => <Reports me={me} />}
    </RequireRole>
  );
}

/** The hub's problem, headed by a sentence for its code when the portal knows one. */
function Problem(props: { error: unknown }) {
  const messages = () => {
    const e = props.error;
    if (!(e instanceof ApiError)) return undefined;
    const text = t().usageReports.problems[e.code];
    return text ? { [e.status]: text } : undefined;
  };
  return <ErrorMessage error={props.error} messages={messages()} />;
}

function Reports(props: { me: Me }) {
  const r = () => t().usageReports;
  const [params, setParams] = useSearchParams();
  const month = () => one(params.month) ?? lastMonth();
  const status = () => {
    const s = one(params.status);
    return STATUSES.includes(s as UsageReportStatus) ? (s as UsageReportStatus) : undefined;
  };
  const facility = () => props.me.role === "facility";

  return (
    <Page title={facility() ? r().titleFacility : r().titleMunicipality}>
      <p>{facility() ? r().introFacility : r().introMunicipality}</p>
      <FilterForm
        label={r().filtersLabel}
        submit={r().show}
        onSubmit={(data) => setParams({ month: formText(data, "month"), status: formText(data, "status") })}
      >
        <MonthSelect label={r().month} month={month()} />
        <FilterSelect
          name="status"
          label={r().status}
          empty={r().allStatuses}
          values={STATUSES}
          labels={(s) => r().statuses[s]}
          selected={status()}
        />
      </FilterForm>
      <Show
        when={MONTH.test(month())}
        fallback={
          <div class="alert alert-error" role="alert">
            <p>{r().monthInvalid}</p>
          </div>
        }
      >
        <Show when={props.me.role === "municipality"}>
          <CorrectionList
            id="corrections-pending"
            heading={t().corrections.pendingHeading}
            status="pending"
            decide
          />
        </Show>
        <Show when={facility()}>
          <CorrectionList id="corrections-facility" heading={t().corrections.facilityHeading} />
        </Show>
        <Show when={`${month()}/${status() ?? ""}`} keyed>
          {(key) => (
            <MonthView
              me={props.me}
              month={key.slice(0, 7)}
              status={(key.slice(8) || undefined) as UsageReportStatus | undefined}
            />
          )}
        </Show>
      </Show>
    </Page>
  );
}

function MonthView(props: { me: Me; month: string; status: UsageReportStatus | undefined }) {
  const r = () => t().usageReports;
  const list = createAsync(() => getUsageReports(props.month, props.status));
  const [notice, setNotice] = createSignal("");
  const [error, setError] = createSignal<unknown>();
  const [busy, setBusy] = createSignal(false);

  /** Announces an outcome in the status region and moves focus there. */
  function announce(text: string) {
    setNotice(text);
    setTimeout(() => document.getElementById("reports-messages")?.focus(), 0);
  }

  async function confirm(bookingIds?: string[]) {
    setError(undefined);
    setNotice("");
    setBusy(true);
    try {
      const res = await api.confirmUsageReports(props.month, bookingIds);
      await revalidate(getUsageReports.key);
      announce(r().confirmedNotice(res.confirmed));
    } catch (err) {
      setError(err);
      await revalidate(getUsageReports.key);
      setTimeout(() => document.getElementById("reports-messages")?.focus(), 0);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Show when={list()}>
      {(l) => (
        <section aria-labelledby="reports-heading">
          <h2 id="reports-heading">{r().listHeading(monthText(l().month))}</h2>
          <div class="panel" id="reports-summary">
            <p class="alert-title">{r().deadline(formatDate(l().deadline))}</p>
            <Show when={l().deadlinePassed}>
              <p>
                <strong>{r().deadlinePassed}</strong>
              </p>
            </Show>
            <p>{r().counts(l().counts.due, l().counts.submitted, l().counts.confirmed)}</p>
          </div>
          <div tabindex="-1" id="reports-messages" class="messages">
            <div role="status" aria-live="polite" class="status-slot">
              <Show when={notice()}>
                <p class="alert alert-success">{notice()}</p>
              </Show>
            </div>
            <Show when={error()}>{(err) => <Problem error={err()} />}</Show>
          </div>
          <Show when={props.me.role === "prefecture"}>
            <p class="alert">{r().readOnly}</p>
          </Show>
          <Show when={props.me.role === "municipality" && submittedOf(l()).length > 0}>
            <div class="form-actions">
              <Button type="button" class="button" busy={busy()} onClick={() => confirm()}>
                {r().confirmAll(submittedOf(l()).length)}
              </Button>
            </div>
          </Show>
          <Show when={l().items.length > 0} fallback={<p>{r().noUses}</p>}>
            <ul class="stack report-list" id="reports-list">
              <For each={l().items}>
                {(item) => (
                  <li>
                    <UseCard
                      item={item}
                      me={props.me}
                      busy={busy()}
                      onSaved={announce}
                      onConfirm={() => confirm([item.bookingId])}
                    />
                  </li>
                )}
              </For>
            </ul>
          </Show>
        </section>
      )}
    </Show>
  );
}

const submittedOf = (l: UsageReportList) => l.items.filter((i) => i.status === "submitted");

/** One use: what is known, its state and report; the form for the facility, the confirm button for the municipality. */
function UseCard(props: {
  item: UsageReportItem;
  me: Me;
  busy: boolean;
  onSaved: (text: string) => void;
  onConfirm: () => void;
}) {
  const r = () => t().usageReports;
  const i = () => props.item;
  const headingId = () => `use-${i().bookingId}`;
  return (
    <article class="panel" aria-labelledby={headingId()} id={`report-${i().bookingId}`}>
      <h3 id={headingId()}>
        {i().residentName || t().dash}
        <span class="meta"> — {formatDate(i().startDate)}</span>
      </h3>
      <p>
        <strong class="report-state" id={`report-state-${i().bookingId}`}>
          {r().statuses[i().status]}
        </strong>
      </p>
      <dl class="details">
        <Show when={i().residentNumber}>
          {(n) => (
            <div>
              <dt>{r().residentNumber}</dt>
              <dd>{n()}</dd>
            </div>
          )}
        </Show>
        <Show when={i().voucherNumber}>
          {(n) => (
            <div>
              <dt>{r().voucherNumber}</dt>
              <dd>{n()}</dd>
            </div>
          )}
        </Show>
        <div>
          <dt>{r().municipality}</dt>
          <dd>{i().municipalityName || i().municipalityCode}</dd>
        </div>
        <Show when={props.me.role !== "facility"}>
          <div>
            <dt>{r().facility}</dt>
            <dd>{i().facilityName}</dd>
          </div>
        </Show>
        <div>
          <dt>{r().dates}</dt>
          <dd>
            {formatDate(i().startDate)}
            <Show when={i().endDate !== i().startDate}> – {formatDate(i().endDate)}</Show>
          </dd>
        </div>
        <div>
          <dt>{r().service}</dt>
          <dd>{label("serviceTypes", i().serviceType)}</dd>
        </div>
        <div>
          <dt>{r().units}</dt>
          <dd>{r().unitsN(i().units)}</dd>
        </div>
        <div>
          <dt>{r().policyCopay}</dt>
          <dd>{formatYen(i().residentCopay)}</dd>
        </div>
      </dl>
      <Show
        when={props.me.role === "facility" && i().status !== "confirmed"}
        fallback={<ReportView item={i()} />}
      >
        <ReportForm item={i()} onSaved={props.onSaved} />
      </Show>
      <Show when={props.me.role === "facility"}>
        <CorrectionForm
          bookingId={i().bookingId}
          units={i().units}
          fee={i().fee}
          residentCopay={i().residentCopay}
          direct={false}
          onDone={props.onSaved}
        />
      </Show>
      <Show when={props.me.role === "municipality" && i().status === "submitted"}>
        <div class="form-actions">
          <Button
            type="button"
            class="button button-secondary"
            busy={props.busy}
            aria-label={r().confirmOneLabel(i().residentName)}
            onClick={() => props.onConfirm()}
          >
            {r().confirmOne}
          </Button>
        </div>
      </Show>
    </article>
  );
}

/** A submitted report, read-only. */
function ReportView(props: { item: UsageReportItem }) {
  const r = () => t().usageReports;
  return (
    <Show when={props.item.report}>
      {(rep) => (
        <dl class="details">
          <div>
            <dt>{r().careLabel}</dt>
            <dd>
              {rep()
                .care.map((c) => r().care[c] ?? c)
                .join("、")}
            </dd>
          </div>
          <Show when={rep().infantCondition}>
            <div>
              <dt>{r().infantCondition}</dt>
              <dd class="description">{rep().infantCondition}</dd>
            </div>
          </Show>
          <Show when={rep().notes}>
            <div>
              <dt>{r().notes}</dt>
              <dd class="description">{rep().notes}</dd>
            </div>
          </Show>
          <div>
            <dt>{r().copayCollected}</dt>
            <dd>
              {formatYen(rep().copayCollected)}
              <Show when={rep().copayCollected !== props.item.residentCopay}>
                <strong> {r().copayDiffers}</strong>
              </Show>
            </dd>
          </div>
          <div>
            <dt>{r().submittedAt}</dt>
            <dd>{formatDateTime(rep().updatedAt)}</dd>
          </div>
          <Show when={rep().confirmedAt}>
            {(at) => (
              <div>
                <dt>{r().confirmedAt}</dt>
                <dd>{formatDateTime(at())}</dd>
              </div>
            )}
          </Show>
        </dl>
      )}
    </Show>
  );
}

type FormErrors = Partial<Record<"care" | "infantCondition" | "notes" | "copayCollected", string>>;

function ReportForm(props: { item: UsageReportItem; onSaved: (text: string) => void }) {
  const r = () => t().usageReports;
  const id = props.item.bookingId;
  const [errors, setErrors] = createSignal<FormErrors>({});
  const [error, setError] = createSignal<unknown>();
  const [busy, setBusy] = createSignal(false);
  const report = props.item.report;
  const careError = () => errors().care;
  const fieldId = (name: string) => `field-${name}-${id}`;

  function check(data: FormData): { body?: Parameters<typeof api.putUsageReport>[1]; errs: FormErrors } {
    const errs: FormErrors = {};
    const care = data.getAll("care").map(String) as CareCode[];
    if (care.length === 0) errs.care = r().careRequired;
    const infantCondition = String(data.get("infantCondition") ?? "").trim();
    if ([...infantCondition].length > 1000) errs.infantCondition = r().tooLong(1000);
    const notes = String(data.get("notes") ?? "").trim();
    if ([...notes].length > 2000) errs.notes = r().tooLong(2000);
    const copayText = String(data.get("copayCollected") ?? "").trim();
    const copay = Number(copayText);
    if (!/^\d+$/.test(copayText) || !Number.isSafeInteger(copay)) errs.copayCollected = r().copayInvalid;
    if (Object.keys(errs).length > 0) return { errs };
    return { body: { care, infantCondition, notes, copayCollected: copay }, errs };
  }

  function focusFirstError(errs: FormErrors) {
    const first = (["care", "infantCondition", "notes", "copayCollected"] as const).find((k) => errs[k]);
    if (!first) return;
    const target =
      first === "care"
        ? document.querySelector<HTMLInputElement>(`#care-${id} input`)
        : document.getElementById(fieldId(first));
    setTimeout(() => target?.focus(), 0);
  }

  async function submit(e: SubmitEvent) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    setError(undefined);
    const { body, errs } = check(new FormData(form));
    setErrors(errs);
    if (!body) {
      focusFirstError(errs);
      return;
    }
    setBusy(true);
    const first = props.item.status === "due";
    const name = props.item.residentName;
    try {
      await api.putUsageReport(id, body);
      await revalidate(getUsageReports.key);
      props.onSaved(first ? r().submitted(name) : r().updated(name));
    } catch (err) {
      setError(err);
      const fields = err instanceof ApiError ? (err.fieldErrors() as FormErrors) : {};
      setErrors(fields);
      if (Object.keys(fields).length > 0) focusFirstError(fields);
      else setTimeout(() => document.getElementById(`report-error-${id}`)?.focus(), 0);
      if (err instanceof ApiError && err.status === 409) await revalidate(getUsageReports.key);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate class="stack" aria-labelledby={`use-${id}`}>
      <Show when={error()}>
        {(err) => (
          <div tabindex="-1" id={`report-error-${id}`}>
            <Problem error={err()} />
          </div>
        )}
      </Show>
      <fieldset
        class="checkbox-group"
        classList={{ "field-invalid": !!careError() }}
        id={`care-${id}`}
        aria-describedby={careError() ? `care-${id}-error` : undefined}
      >
        <legend>{r().careLegend}</legend>
        <Show when={careError()}>
          <p class="field-error" id={`care-${id}-error`}>
            {careError()}
          </p>
        </Show>
        <div class="checkbox-grid">
          <For each={CARE_CODES}>
            {(code) => (
              <label class="checkbox">
                <input
                  type="checkbox"
                  name="care"
                  value={code}
                  checked={report?.care.includes(code) ?? false}
                  aria-invalid={careError() ? "true" : undefined}
                />
                <span>{r().care[code]}</span>
              </label>
            )}
          </For>
        </div>
      </fieldset>
      <TextField
        id={fieldId("infantCondition")}
        name="infantCondition"
        label={r().infantCondition}
        hint={r().infantHint}
        error={errors().infantCondition}
        multiline
        maxLength={1000}
        value={report?.infantCondition ?? ""}
      />
      <TextField
        id={fieldId("notes")}
        name="notes"
        label={r().notes}
        hint={r().notesHint}
        error={errors().notes}
        multiline
        maxLength={2000}
        value={report?.notes ?? ""}
      />
      <TextField
        id={fieldId("copayCollected")}
        name="copayCollected"
        label={r().copayCollected}
        hint={r().copayHint}
        error={errors().copayCollected}
        inputMode="numeric"
        autocomplete="off"
        value={String(report?.copayCollected ?? props.item.residentCopay)}
      />
      <div class="form-actions">
        <Button type="submit" class="button" busy={busy()}>
          {busy() ? t().saving : props.item.status === "due" ? r().submit : r().update}
        </Button>
      </div>
    </form>
  );
}
