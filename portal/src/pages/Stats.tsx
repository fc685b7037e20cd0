import { A, createAsync, query, useSearchParams } from "@solidjs/router";
import { For, Show } from "solid-js";
import { type Me, type Report, type ReportData, type ReportDimension, type StatsRow, statsApi } from "../api";
import { ErrorMessage } from "../components/ErrorMessage";
import { SelectField } from "../components/Field";
import { FilterForm, MonthSelect } from "../components/Filters";
import { RequireRole } from "../components/Guard";
import { Page } from "../components/Page";
import { type ChartSeries, StatsChart } from "../components/StatsChart";
import { ScrollTable } from "../components/Table";
import { todayInJapan } from "../format";
import { label, locale as lang, t } from "../i18n";
import { MONTH, monthText } from "../months";
import { formText, one } from "../search";

/**
 * Statistics (統計): the reports the prefecture granted the reader's role, for a period of whole months. Each
 * is a chart with the same figures in a table (for screen readers and for copying), and CSV downloads. The hub
 * limits the figures to the reader's own municipality, facility or association.
 */

export const STATS_ROLES = ["facility", "municipality", "association", "prefecture", "operator"] as const;

/** The reports the reader may read (all of them, with their grants, for the prefecture). */
export const getReports = query(() => statsApi.listReports(), "statsReports");
const getReportData = query(
  (key: string, from: string, to: string) => statsApi.getData(key, from, to),
  "statsData",
);

/** The current fiscal year (April to March) in Japan. */
export function fiscalYear(today = todayInJapan()): { from: string; to: string } {
  const [y, m] = today.split("-").map(Number) as [number, number];
  const start = m >= 4 ? y : y - 1;
  return { from: `${start}-04`, to: `${start + 1}-03` };
}

/** Months offered for a period: three fiscal years back to the end of next fiscal year. */
function periodChoices(shown: string[]): string[] {
  const { from } = fiscalYear();
  const start = Number(from.slice(0, 4)) - 3;
  const out: string[] = [];
  for (let i = 0; i < 12 * 5; i++) out.push(new Date(Date.UTC(start, 3 + i, 1)).toISOString().slice(0, 7));
  for (const s of shown) if (MONTH.test(s) && !out.includes(s)) out.push(s);
  return out.sort();
}

export const reportTitle = (r: Report) => (lang() === "en" && r.titleEn ? r.titleEn : r.titleJa);

export function Stats() {
  return (
    <RequireRole roles={[...STATS_ROLES]} title={t().stats.title}>
      {(me) => <StatsBrowser me={me} />}
    </RequireRole>
  );
}

function StatsBrowser(props: { me: Me }) {
  const s = () => t().stats;
  const [params, setParams] = useSearchParams();
  const reports = createAsync(() => getReports());
  const year = fiscalYear();
  const from = () => one(params.from) ?? year.from;
  const to = () => one(params.to) ?? year.to;
  const chosen = () => {
    const items = reports()?.items ?? [];
    return items.find((r) => r.key === one(params.report)) ?? items[0];
  };

  function choose(data: FormData) {
    setParams({ report: formText(data, "report"), from: formText(data, "from"), to: formText(data, "to") });
  }

  return (
    <Page title={s().title}>
      <p>{s().intro}</p>
      <Show when={props.me.role === "prefecture"}>
        <p>
          <A href="/stats/settings">{s().settingsLink}</A>
        </p>
      </Show>
      <Show when={reports()} fallback={<p role="status">{t().loading}</p>}>
        {(list) => (
          <Show when={list().items.length > 0} fallback={<p class="alert alert-info">{s().noReports}</p>}>
            <FilterForm label={s().filtersLabel} submit={s().show} onSubmit={choose}>
              <SelectField name="report" label={s().report}>
                <For each={list().items}>
                  {(r) => (
                    <option value={r.key} selected={r.key === chosen()?.key}>
                      {reportTitle(r)}
                    </option>
                  )}
                </For>
              </SelectField>
              <MonthSelect
                name="from"
                label={s().from}
                month={from()}
                choices={periodChoices([from(), to()])}
              />
              <MonthSelect name="to" label={s().to} month={to()} choices={periodChoices([from(), to()])} />
            </FilterForm>
            <Show when={chosen()} keyed>
              {(report) => <ReportView report={report} from={from()} to={to()} />}
            </Show>
          </Show>
        )}
      </Show>
    </Page>
  );
}

function ReportView(props: { report: Report; from: string; to: string }) {
  const s = () => t().stats;
  const data = createAsync(() =>
    getReportData(props.report.key, props.from, props.to).catch((e: unknown) => e),
  );
  const loaded = () => {
    const d = data();
    return d && typeof d === "object" && "rows" in d ? (d as ReportData) : undefined;
  };
  const failed = () => {
    const d = data();
    return d !== undefined && !loaded() ? d : undefined;
  };
  const period = () => `${monthText(props.from)}〜${monthText(props.to)}`;
  return (
    <section aria-labelledby="report-title" class="stack">
      <h2 id="report-title">{reportTitle(props.report)}</h2>
      <Show when={props.report.description}>
        <p>{props.report.description}</p>
      </Show>
      <Show when={failed()}>{(e) => <ErrorMessage error={e()} />}</Show>
      <Show when={loaded()} fallback={<Show when={!failed()}>{<p role="status">{t().loading}</p>}</Show>}>
        {(d) => (
          <>
            <p>
              {s().scope[d().scope]} ・ {period()}
              <Show when={d().disclosure.threshold > 1}> ・ {s().hiddenUnder(d().disclosure.threshold)}</Show>
            </p>
            <p class="hint" id="report-definition">
              {s().definition}：{lang() === "en" ? d().definition.en : d().definition.ja}
            </p>
            <ReportFigures data={d()} title={reportTitle(props.report)} period={period()} />
            <ul class="inline-list">
              <li>
                <a href={statsApi.csvUrl(props.report.key, props.from, props.to, "utf-8")} download="">
                  {s().csvUtf8}
                </a>
              </li>
              <li>
                <a href={statsApi.csvUrl(props.report.key, props.from, props.to, "sjis")} download="">
                  {s().csvSjis}
                </a>
              </li>
            </ul>
          </>
        )}
      </Show>
    </section>
  );
}

/** The text of one dimension's value in a row. */
function dimensionText(row: StatsRow, d: ReportDimension): string {
  const s = t().stats;
  switch (d) {
    case "month":
      return row.month ? monthText(row.month) : "";
    case "service_type":
      return row.serviceType === "any" ? s.anyService : label("serviceTypes", row.serviceType ?? "");
    case "municipality":
      // A booking without a resident's municipality came from a facility's own system: the hub names it so.
      if (row.municipalityCode == null) return row.municipalityName ? s.connectorBookings : s.noMunicipality;
      return row.municipalityName ?? s.noMunicipality;
    case "facility":
      return row.facilityName ?? s.unknown;
  }
}

const dimensionKey = (row: StatsRow, d: ReportDimension) =>
  d === "month"
    ? (row.month ?? "")
    : d === "service_type"
      ? (row.serviceType ?? "")
      : d === "municipality"
        ? (row.municipalityCode ?? "")
        : (row.facilityId ?? "");

/**
 * The chart's categories and series: months (when a dimension) along the axis, the other dimension as one
 * series per value; with one dimension, one series.
 */
export function chartSeries(data: ReportData): { labels: string[]; series: ChartSeries[] } {
  const dims = [...data.report.dimensions].sort((a, b) => (a === "month" ? -1 : b === "month" ? 1 : 0));
  const [axis, split] = dims as [ReportDimension, ReportDimension | undefined];
  const categories: string[] = [];
  const labels: string[] = [];
  const groups = new Map<string, { label: string; values: Map<string, number | null> }>();
  for (const row of data.rows) {
    const c = dimensionKey(row, axis);
    if (!categories.includes(c)) {
      categories.push(c);
      labels.push(dimensionText(row, axis));
    }
    const g = split ? dimensionKey(row, split) : "";
    if (!groups.has(g))
      groups.set(g, { label: split ? dimensionText(row, split) : metricLabel(data), values: new Map() });
    groups.get(g)?.values.set(c, row.value);
  }
  return {
    labels,
    series: [...groups.values()].map((g) => ({
      label: g.label,
      values: categories.map((c) => g.values.get(c) ?? null),
    })),
  };
}

const metricLabel = (data: ReportData) => t().stats.metrics[data.report.metric] ?? data.report.metric;

/** How a figure hidden by the disclosure rule is shown, as in the CSV. */
const HIDDEN = "＊";

function formatValue(data: ReportData, value: number | null | undefined, hidden?: boolean): string {
  if (hidden) return HIDDEN;
  if (value === null || value === undefined) return t().dash;
  return data.kind === "rate" ? `${value.toFixed(1)}%` : value.toLocaleString(lang());
}

function ReportFigures(props: { data: ReportData; title: string; period: string }) {
  const s = () => t().stats;
  const chart = () => chartSeries(props.data);
  const rate = () => props.data.kind === "rate";
  const part = (n: number | null | undefined, hidden?: boolean) =>
    hidden ? HIDDEN : (n ?? 0).toLocaleString(lang());
  const parts = (): [string, string] =>
    s().rateParts[props.data.report.metric] ?? s().rateParts.default ?? ["", ""];
  return (
    <>
      <Show when={props.data.rows.length > 0} fallback={<p class="alert alert-info">{s().empty}</p>}>
        <StatsChart
          kind={props.data.report.chart}
          labels={chart().labels}
          series={chart().series}
          percent={rate()}
          name={s().chartName(props.title)}
        />
      </Show>
      <ScrollTable id="report-table" caption={s().tableCaption(props.title, props.period)}>
        <thead>
          <tr>
            <For each={props.data.report.dimensions}>{(d) => <th scope="col">{s().dimensions[d]}</th>}</For>
            <th scope="col" class="num">
              {rate() ? s().rate : metricLabel(props.data)}
            </th>
            <Show when={rate()}>
              <th scope="col" class="num">
                {parts()[0]}
              </th>
              <th scope="col" class="num">
                {parts()[1]}
              </th>
            </Show>
          </tr>
        </thead>
        <tbody>
          <For each={props.data.rows}>
            {(row) => (
              <tr>
                <For each={props.data.report.dimensions}>
                  {(d, i) =>
                    i() === 0 ? (
                      <th scope="row">{dimensionText(row, d)}</th>
                    ) : (
                      <td>{dimensionText(row, d)}</td>
                    )
                  }
                </For>
                <td class="num">{formatValue(props.data, row.value, row.suppressed)}</td>
                <Show when={rate()}>
                  <td class="num">{part(row.numerator, row.suppressed)}</td>
                  <td class="num">{part(row.denominator, row.suppressed)}</td>
                </Show>
              </tr>
            )}
          </For>
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colSpan={props.data.report.dimensions.length}>
              {s().total}
            </th>
            <td class="num">
              {formatValue(props.data, props.data.total.value, props.data.total.suppressed)}
            </td>
            <Show when={rate()}>
              <td class="num">{part(props.data.total.numerator, props.data.total.suppressed)}</td>
              <td class="num">{part(props.data.total.denominator, props.data.total.suppressed)}</td>
            </Show>
          </tr>
        </tfoot>
      </ScrollTable>
      <Show when={props.data.disclosure.threshold > 1}>
        <p class="footnote" id="report-footnote">
          {s().hiddenNote(props.data.disclosure.threshold)}
        </p>
      </Show>
    </>
  );
}
