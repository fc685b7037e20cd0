/** The prefecture's audit log (/audit): who read or changed what, filtered by action and dates, page by page. */
import { createAsync } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import { TextField } from "../components/Field";
import { RequireRole } from "../components/Guard";
import { Page } from "../components/Page";
import { Pager, ResultCount } from "../components/Pager";
import { ScrollTable } from "../components/Table";
import { getAuditLog } from "../data";
import { formatDateTime } from "../format";
import { label, t } from "../i18n";
import { formText, useListSearch } from "../search";

const LIMIT = 50;
const isDate = (v: string | undefined) => !!v && /^\d{4}-\d{2}-\d{2}$/.test(v);

export function Audit() {
  return (
    <RequireRole roles={["prefecture"]} title={t().audit.title}>
      {() => <AuditLog />}
    </RequireRole>
  );
}

function AuditLog() {
  const { filters, offset, setFilters, href } = useListSearch("/audit", ["action", "from", "to"]);
  const [rangeError, setRangeError] = createSignal(false);
  // Dates are days in Japan; the API takes instants.
  const result = createAsync(() =>
    getAuditLog({
      action: filters().action,
      from: isDate(filters().from) ? `${filters().from}T00:00:00+09:00` : undefined,
      to: isDate(filters().to) ? `${filters().to}T23:59:59.999+09:00` : undefined,
      limit: LIMIT,
      offset: offset(),
    }),
  );
  const a = () => t().audit;

  function search(e: SubmitEvent) {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    const from = formText(data, "from");
    const to = formText(data, "to");
    const bad = !!from && !!to && to < from;
    setRangeError(bad);
    if (bad) {
      document.getElementById("field-to")?.focus();
      return;
    }
    setFilters(data);
  }

  return (
    <Page title={a().title}>
      <p>{a().intro}</p>
      <search aria-label={a().title}>
        <form class="filters panel" onSubmit={search} novalidate>
          <TextField
            name="action"
            label={a().action}
            hint={a().actionHint}
            value={filters().action}
            maxLength={60}
          />
          <TextField name="from" label={a().from} type="date" value={filters().from} />
          <TextField
            name="to"
            label={a().to}
            type="date"
            value={filters().to}
            error={rangeError() ? a().rangeError : undefined}
          />
          <div class="form-actions">
            <button type="submit" class="button">
              {a().search}
            </button>
          </div>
        </form>
      </search>
      <ResultCount total={result()?.total} results={a().results} none={a().noResults} />
      <Show when={(result()?.items.length ?? 0) > 0}>
        <ScrollTable id="audit-table" caption={a().caption}>
          <thead>
            <tr>
              <th scope="col">{a().at}</th>
              <th scope="col">{a().actor}</th>
              <th scope="col">{a().action}</th>
              <th scope="col">{a().resource}</th>
              <th scope="col">{a().tenant}</th>
              <th scope="col">{a().ip}</th>
              <th scope="col">{a().outcome}</th>
            </tr>
          </thead>
          <tbody>
            <For each={result()?.items}>
              {(e) => (
                <tr>
                  <th scope="row" class="nowrap">
                    {formatDateTime(e.at)}
                  </th>
                  <td>
                    <Show when={e.actorRole}>{(r) => <div>{label("roles", r())}</div>}</Show>
                    <Show when={e.actorId}>
                      <code title={e.actorId ?? ""}>{e.actorId?.slice(0, 8)}</code>
                    </Show>
                  </td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>
                    {e.resourceType}
                    <Show when={e.resourceId}>
                      {" "}
                      <code title={e.resourceId}>{e.resourceId?.slice(0, 8)}</code>
                    </Show>
                  </td>
                  <td>{e.tenant}</td>
                  <td>
                    <code>{e.ip}</code>
                  </td>
                  <td>{e.outcome}</td>
                </tr>
              )}
            </For>
          </tbody>
        </ScrollTable>
      </Show>
      <Pager total={result()?.total} limit={LIMIT} offset={offset()} href={href} />
    </Page>
  );
}
