import { createAsync, query, revalidate, useSearchParams } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import { ApiError, type BillingRunDetail, billingApi, type Me } from "../api";
import { Button } from "../components/Button";
import { CorrectionForm, CorrectionList } from "../components/Corrections";
import { ErrorMessage } from "../components/ErrorMessage";
import { TextField } from "../components/Field";
import { FilterForm, MonthSelect } from "../components/Filters";
import { RequireRole } from "../components/Guard";
import { Page } from "../components/Page";
import { ScrollTable } from "../components/Table";
import { formatDate, formatYen } from "../format";
import { t } from "../i18n";
import { lastMonth, MONTH, monthText } from "../months";
import { formText, one } from "../search";

/**
 * Billing (請求) for association staff: choose a month, compute its runs (one per municipality), see the totals
 * per municipality and per facility, open a run to see its discrepancies and lines, review and finalize it, and
 * download the invoices (xlsx, docx, all as zip), the facility statements and the totals as CSV.
 */

const getRuns = query((month: string) => billingApi.listRuns(month), "billingRuns");
const getRun = query((id: string) => billingApi.getRun(id), "billingRun");

function Problem(props: { error: unknown }) {
  const messages = () => {
    const e = props.error;
    if (!(e instanceof ApiError)) return undefined;
    const text = t().billing.problems[e.code];
    return text ? { [e.status]: text } : undefined;
  };
  return <ErrorMessage error={props.error} messages={messages()} />;
}

export function Billing() {
  return (
    <RequireRole roles={["association", "prefecture"]} title={t().billing.title}>
      {(me) => <BillingBrowser me={me} />}
    </RequireRole>
  );
}

function BillingBrowser(props: { me: Me }) {
  const b = () => t().billing;
  const [params, setParams] = useSearchParams();
  const month = () => one(params.month) ?? lastMonth();
  const runId = () => one(params.run);

  return (
    <Page title={b().title}>
      <p>{b().intro}</p>
      <FilterForm
        label={b().month}
        submit={b().show}
        onSubmit={(data) => setParams({ month: formText(data, "month"), run: undefined })}
      >
        <MonthSelect label={b().month} month={month()} />
      </FilterForm>
      <Show when={MONTH.test(month())} fallback={<p role="alert">{t().usage.monthInvalid}</p>}>
        <Show
          when={runId()}
          keyed
          fallback={
            <Show when={month()} keyed>
              {(m) => <MonthView month={m} me={props.me} open={(id) => setParams({ run: id })} />}
            </Show>
          }
        >
          {(id) => <RunView id={id} me={props.me} back={() => setParams({ run: undefined })} />}
        </Show>
      </Show>
      <Show when={props.me.role === "association"}>
        <CorrectionList id="corrections-all" heading={t().corrections.allHeading} />
      </Show>
    </Page>
  );
}

function MonthView(props: { month: string; me: Me; open: (id: string) => void }) {
  const b = () => t().billing;
  const runs = createAsync(() => getRuns(props.month));
  const [notice, setNotice] = createSignal("");
  const [error, setError] = createSignal<unknown>();
  const [busy, setBusy] = createSignal(false);
  const title = () => monthText(props.month);
  const isAssociation = () => props.me.role === "association";

  async function run() {
    setBusy(true);
    setError(undefined);
    setNotice(b().running);
    try {
      const r = await billingApi.createRuns(props.month);
      setNotice(`${b().ran(r.items.length)}${r.skipped.length ? ` ${b().skipped(r.skipped.length)}` : ""}`);
      await revalidate(getRuns.keyFor(props.month));
    } catch (e) {
      setNotice("");
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="billing-month">
      <h2 id="billing-month">{title()}</h2>
      <p role="status" id="billing-status">
        {notice()}
      </p>
      <Show when={error()}>{(e) => <Problem error={e()} />}</Show>
      <Show when={isAssociation()}>
        <p>
          <Button type="button" class="button" onClick={run} busy={busy()}>
            {b().run}
          </Button>
        </p>
      </Show>
      <Show when={runs()}>
        {(list) => (
          <Show when={list().items.length > 0} fallback={<p>{b().none}</p>}>
            <ScrollTable
              id="billing-runs"
              caption={b().runsCaption(title())}
              columns={[
                b().municipality,
                b().status,
                b().invoiceNumber,
                b().lines,
                b().amount,
                b().downloads,
              ]}
            >
              <tbody>
                <For each={list().items}>
                  {(r) => (
                    <tr>
                      <th scope="row">
                        <button type="button" class="button-link" onClick={() => props.open(r.id)}>
                          {r.municipalityName}
                        </button>
                      </th>
                      <td class="nowrap">{b().statuses[r.status] ?? r.status}</td>
                      <td class="nowrap">{r.nothingToBill ? b().nothingToBill : (r.invoiceNumber ?? "—")}</td>
                      <td class="num">{r.lineCount}</td>
                      <td class="num nowrap">{formatYen(r.total)}</td>
                      <td class="nowrap">
                        <Show when={!r.nothingToBill} fallback={b().noInvoice}>
                          <a href={billingApi.invoiceUrl(r.id, "xlsx")} download="">
                            {b().xlsx}
                            <span class="visually-hidden">（{r.municipalityName}）</span>
                          </a>{" "}
                          <a href={billingApi.invoiceUrl(r.id, "docx")} download="">
                            {b().docx}
                            <span class="visually-hidden">（{r.municipalityName}）</span>
                          </a>
                        </Show>
                      </td>
                    </tr>
                  )}
                </For>
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row" colspan="4">
                    {b().total}
                  </th>
                  <td class="num nowrap">{formatYen(list().total)}</td>
                  <td />
                </tr>
              </tfoot>
            </ScrollTable>
            <ul class="inline-list">
              <li>
                <a href={billingApi.zipUrl(props.month)} download="">
                  {b().zip}
                </a>
              </li>
              <li>
                <a href={billingApi.csvUrl(props.month, "utf-8")} download="">
                  {b().csv}
                </a>
              </li>
              <li>
                <a href={billingApi.csvUrl(props.month, "sjis")} download="">
                  {b().csvSjis}
                </a>
              </li>
            </ul>
            <ScrollTable id="billing-facilities" caption={b().facilitiesCaption(title())}>
              <thead>
                <tr>
                  <th scope="col">{b().facility}</th>
                  <th scope="col">{b().lines}</th>
                  <th scope="col">{b().units}</th>
                  <th scope="col">{b().amount}</th>
                  <Show when={isAssociation()}>
                    <th scope="col">{b().statement}</th>
                  </Show>
                </tr>
              </thead>
              <tbody>
                <For each={list().byFacility}>
                  {(f) => (
                    <tr>
                      <th scope="row">{f.facilityName}</th>
                      <td class="num">{f.lines}</td>
                      <td class="num">{f.units}</td>
                      <td class="num nowrap">{formatYen(f.amount)}</td>
                      <Show when={isAssociation()}>
                        <td>
                          <a href={billingApi.statementUrl(props.month, f.facilityId)} download="">
                            {b().xlsx}
                          </a>
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

function RunView(props: { id: string; me: Me; back: () => void }) {
  const b = () => t().billing;
  const run = createAsync(() => getRun(props.id));
  const [notice, setNotice] = createSignal("");
  const [error, setError] = createSignal<unknown>();
  const [busy, setBusy] = createSignal(false);

  async function act(fn: () => Promise<BillingRunDetail>, done: (r: BillingRunDetail) => string) {
    setBusy(true);
    setError(undefined);
    try {
      const r = await fn();
      setNotice(done(r));
    } catch (e) {
      setNotice("");
      setError(e);
    } finally {
      setBusy(false);
      await revalidate([getRun.keyFor(props.id), getRuns.key]);
    }
  }

  return (
    <Show when={run()}>
      {(r) => (
        <section aria-labelledby="billing-run">
          <p>
            <button type="button" class="button button-quiet" onClick={() => props.back()}>
              {b().back}
            </button>
          </p>
          <h2 id="billing-run">{b().detailTitle(r().municipalityName, monthText(r().month))}</h2>
          <dl class="summary">
            <dt>{b().status}</dt>
            <dd>{b().statuses[r().status] ?? r().status}</dd>
            <dt>{b().invoiceNumber}</dt>
            <dd>{r().nothingToBill ? b().nothingToBill : (r().invoiceNumber ?? "—")}</dd>
            <dt>{b().amount}</dt>
            <dd>{formatYen(r().totals.amount)}</dd>
            <Show when={r().issueDate}>
              {(d) => (
                <>
                  <dt>{b().issueDate}</dt>
                  <dd>{formatDate(d())}</dd>
                </>
              )}
            </Show>
          </dl>
          <p role="status" id="billing-run-status">
            {notice()}
          </p>
          <Show when={error()}>{(e) => <Problem error={e()} />}</Show>
          <Show when={props.me.role === "association" && r().status !== "finalized"}>
            <p class="form-actions">
              <Show when={r().status === "draft"}>
                <Button
                  type="button"
                  class="button"
                  busy={busy()}
                  onClick={() =>
                    act(
                      () => billingApi.reviewRun(props.id),
                      () => b().reviewed,
                    )
                  }
                >
                  {b().review}
                </Button>
              </Show>
              <Show when={r().status === "reviewed"}>
                <form
                  class="inline-form"
                  onSubmit={(e) => {
                    e.preventDefault();
                    if (!window.confirm(b().finalizeConfirm)) return;
                    const date = String(new FormData(e.currentTarget).get("issueDate") ?? "");
                    void act(
                      () => billingApi.finalizeRun(props.id, date || undefined),
                      (x) => b().finalized(x.invoiceNumber ?? ""),
                    );
                  }}
                >
                  <TextField name="issueDate" type="date" label={b().issueDate} hint={b().issueDateHint} />
                  <Button type="submit" class="button" busy={busy()}>
                    {b().finalize}
                  </Button>
                </form>
              </Show>
            </p>
          </Show>
          <Show when={!r().nothingToBill} fallback={<p>{b().nothingToBillIntro}</p>}>
            <p>
              <a href={billingApi.invoiceUrl(props.id, "xlsx")} download="">
                {b().xlsx}
              </a>{" "}
              <a href={billingApi.invoiceUrl(props.id, "docx")} download="">
                {b().docx}
              </a>
              <Show when={r().status !== "finalized"}> {b().draftMarked}</Show>
            </p>
            <Show when={r().status === "finalized"}>
              <ul class="inline-list">
                <li>
                  <a href={billingApi.linesCsvUrl(props.id, "utf-8")} download="">
                    {b().linesCsv}
                  </a>
                </li>
                <li>
                  <a href={billingApi.linesCsvUrl(props.id, "sjis")} download="">
                    {b().linesCsvSjis}
                  </a>
                </li>
              </ul>
            </Show>
          </Show>
          <Show when={r().documents.length > 0}>
            <section aria-labelledby="billing-documents">
              <h3 id="billing-documents">{b().documents}</h3>
              <p>{b().documentsIntro}</p>
              <dl class="summary">
                <For each={r().documents}>
                  {(d) => (
                    <>
                      <dt>
                        {d.fileName} ({b().bytes(d.bytes)})
                      </dt>
                      <dd>
                        {b().sha256}: <code class="hash">{d.sha256}</code>
                      </dd>
                    </>
                  )}
                </For>
              </dl>
            </section>
          </Show>
          <Show when={r().status !== "finalized"}>
            <section aria-labelledby="billing-discrepancies">
              <h3 id="billing-discrepancies">{b().discrepancies}</h3>
              <Show when={r().discrepancies.length > 0} fallback={<p>{b().noDiscrepancies}</p>}>
                <ul>
                  <For each={r().discrepancies}>
                    {(d) => (
                      <li>
                        {formatDate(d.startDate)} {d.facilityName} {d.residentRef}:{" "}
                        {b().discrepancyCodes[d.code] ?? d.code}
                        <Show when={d.code === "copay_mismatch"}>
                          {" "}
                          ({b().copayDiff(formatYen(d.expected ?? 0), formatYen(d.actual ?? 0))})
                        </Show>
                      </li>
                    )}
                  </For>
                </ul>
              </Show>
            </section>
          </Show>
          <p>{b().formula}</p>
          <ScrollTable
            id="billing-lines"
            caption={b().linesCaption}
            compact
            columns={[
              b().date,
              b().facility,
              b().resident,
              b().units,
              b().fee,
              b().copay,
              b().cancellationFee,
              b().cancellationCopay,
              b().amount,
              b().note,
            ]}
          >
            <tbody>
              <For each={r().lines}>
                {(l) => (
                  <tr>
                    <td class="nowrap">
                      {formatDate(l.startDate)} {b().kinds[l.kind] ?? l.kind}
                    </td>
                    <td>{l.facilityName}</td>
                    <td class="nowrap">{l.residentRef}</td>
                    <td class="num">{l.units}</td>
                    <td class="num nowrap">{formatYen(l.fee)}</td>
                    <td class="num nowrap">{formatYen(l.residentCopay)}</td>
                    <td class="num nowrap">{formatYen(l.cancellationFee)}</td>
                    <td class="num nowrap">{formatYen(l.cancellationCopay)}</td>
                    <td class="num nowrap">{formatYen(l.amount)}</td>
                    <td>
                      <Show when={l.adjusts}>{(a) => `${b().corrects(a().invoiceNumber, a().lineNo)} `}</Show>
                      {l.note}
                      <Show when={l.amountBefore !== null}>
                        {" "}
                        {b().beforeAfter(formatYen(l.amountBefore ?? 0), formatYen(l.amountAfter ?? 0))}
                      </Show>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
            <tfoot>
              <tr>
                <th scope="row" colspan="3">
                  {b().total}
                </th>
                <td class="num">{r().totals.units}</td>
                <td class="num nowrap">{formatYen(r().totals.fee)}</td>
                <td class="num nowrap">{formatYen(r().totals.residentCopay)}</td>
                <td class="num nowrap">{formatYen(r().totals.cancellationFee)}</td>
                <td class="num nowrap">{formatYen(r().totals.cancellationCopay)}</td>
                <td class="num nowrap">{formatYen(r().totals.amount)}</td>
                <td />
              </tr>
            </tfoot>
          </ScrollTable>
          <Show
            when={props.me.role === "association" && r().lines.some((l) => l.kind === "use" && l.bookingId)}
          >
            <LineCorrection run={r()} onDone={setNotice} />
          </Show>
        </section>
      )}
    </Show>
  );
}

/** The association corrects one use of the run directly (過誤: 取消 or 修正), confirmed at once. */
function LineCorrection(props: { run: BillingRunDetail; onDone: (text: string) => void }) {
  const c = () => t().corrections;
  const uses = () => props.run.lines.filter((l) => l.kind === "use" && l.bookingId);
  const [chosen, setChosen] = createSignal(uses()[0]?.id ?? "");
  const line = () => uses().find((l) => l.id === chosen());
  return (
    <section aria-labelledby="billing-correction" class="panel stack">
      <h3 id="billing-correction">{c().heading}</h3>
      <div class="field">
        <label for="billing-correction-line">{c().line}</label>
        <select
          id="billing-correction-line"
          name="correctionLine"
          onChange={(e) => setChosen(e.currentTarget.value)}
        >
          <For each={uses()}>
            {(l) => (
              <option value={l.id} selected={l.id === chosen()}>
                {c().lineOption(
                  `No.${l.lineNo} ${l.startDate ? formatDate(l.startDate) : ""}`,
                  l.facilityName,
                  l.residentRef,
                  formatYen(l.amount),
                )}
              </option>
            )}
          </For>
        </select>
      </div>
      <Show when={line()} keyed>
        {(l) => (
          <CorrectionForm
            bookingId={l.bookingId as string}
            units={l.units}
            fee={l.fee}
            residentCopay={l.residentCopay}
            direct
            onDone={props.onDone}
          />
        )}
      </Show>
    </section>
  );
}
