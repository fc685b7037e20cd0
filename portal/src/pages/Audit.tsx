/** The prefecture's audit log (/audit): who read or changed what, filtered by action and dates, page by page. */
import { createAsync } from "@solidjs/router";
import { For, Show } from "solid-js";
import { TextField } from "../components/Field";
import { dayRangeInstants, FilterForm, useDayRange } from "../components/Filters";
import { RequireRole } from "../components/Guard";
import { Page } from "../components/Page";
import { Pager, ResultCount } from "../components/Pager";
import { ScrollTable } from "../components/Table";
import { getAuditLog } from "../data";
import { formatDateTime } from "../format";
import { label, t } from "../i18n";
import { useListSearch } from "../search";

const LIMIT = 50;

export function Audit() {
  return (
    <RequireRole roles={["prefecture"]} title={t().audit.title}>
      {() => <AuditLog />}
    </RequireRole>
  );
}

function AuditLog() {
  const { filters, offset, setFilters, href } = useListSearch("/audit", ["action", "from", "to"]);
  const result = createAsync(() =>
    getAuditLog({
      action: filters().action,
      ...dayRangeInstants(filters().from, filters().to),
      limit: LIMIT,
      offset: offset(),
    }),
  );
  const a = () => t().audit;
  const days = useDayRange(() => a().rangeError);

  return (
    <Page title={a().title}>
      <p>{a().intro}</p>
      <FilterForm
        label={a().title}
        submit={a().search}
        onSubmit={(data) => days.accept(data) && setFilters(data)}
      >
        <TextField
          name="action"
          label={a().action}
          hint={a().actionHint}
          value={filters().action}
          maxLength={60}
        />
        <days.Fields
          from={filters().from ?? ""}
          to={filters().to ?? ""}
          fromLabel={a().from}
          toLabel={a().to}
        />
      </FilterForm>
      <ResultCount total={result()?.total} results={a().results} none={a().noResults} />
      <Show when={(result()?.items.length ?? 0) > 0}>
        <ScrollTable
          id="audit-table"
          caption={a().caption}
          columns={[a().at, a().actor, a().action, a().resource, a().tenant, a().ip, a().outcome]}
        >
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
