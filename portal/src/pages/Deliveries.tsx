import { createAsync } from "@solidjs/router";
import { For, Show } from "solid-js";
import type { Delivery, Me } from "../api";
import { FilterSelect } from "../components/FilterSelect";
import { dayRangeInstants, FilterForm, useDayRange } from "../components/Filters";
import { RequireRole } from "../components/Guard";
import { Page } from "../components/Page";
import { Pager, ResultCount } from "../components/Pager";
import { ScrollTable } from "../components/Table";
import { getDeliveries } from "../data";
import { formatDateTime } from "../format";
import { t } from "../i18n";
import { useListSearch } from "../search";

const LIMIT = 50;
const STATUSES = ["sent", "failed"] as const;
const CHANNELS = ["email", "sms"] as const;
const oneOf = <T extends string>(values: readonly T[], v: string | undefined): T | undefined =>
  values.includes(v as T) ? (v as T) : undefined;

/**
 * 通知の送信履歴: every attempt to send an e-mail or SMS, for facility, municipality and prefecture staff,
 * each within their own scope (the hub decides). Destinations arrive masked; message texts never arrive.
 */
export function Deliveries() {
  return (
    <RequireRole roles={["facility", "municipality", "prefecture"]} title={t().deliveries.title}>
      {(me) => <DeliveryLog me={me} />}
    </RequireRole>
  );
}

function DeliveryLog(props: { me: Me }) {
  const { filters, offset, setFilters, href } = useListSearch("/deliveries", [
    "status",
    "channel",
    "from",
    "to",
  ]);
  const result = createAsync(() =>
    getDeliveries({
      status: oneOf(STATUSES, filters().status),
      channel: oneOf(CHANNELS, filters().channel),
      ...dayRangeInstants(filters().from, filters().to),
      limit: LIMIT,
      offset: offset(),
    }),
  );
  const d = () => t().deliveries;
  const days = useDayRange(() => d().rangeError);

  return (
    <Page title={d().title}>
      <p>{d().intro}</p>
      <p>{d().scope[props.me.role]}</p>
      <FilterForm
        label={d().filtersLabel}
        submit={d().search}
        onSubmit={(data) => days.accept(data) && setFilters(data)}
      >
        <FilterSelect
          name="status"
          label={d().status}
          empty={d().all}
          values={STATUSES}
          labels={(s) => d().statuses[s]}
          selected={filters().status}
        />
        <FilterSelect
          name="channel"
          label={d().channel}
          empty={d().all}
          values={CHANNELS}
          labels={(c) => d().channels[c]}
          selected={filters().channel}
        />
        <days.Fields
          from={filters().from ?? ""}
          to={filters().to ?? ""}
          fromLabel={d().from}
          toLabel={d().to}
        />
      </FilterForm>
      <ResultCount total={result()?.total} results={d().results} none={d().noResults} />
      <Show when={(result()?.items.length ?? 0) > 0}>
        <ScrollTable id="deliveries-table" caption={d().caption}>
          <thead>
            <tr>
              <th scope="col">{d().at}</th>
              <th scope="col">{d().channel}</th>
              <th scope="col">{d().recipient}</th>
              <th scope="col" class="delivery-wide">
                {d().subject}
              </th>
              <th scope="col" class="delivery-wide">
                {d().result}
              </th>
              <th scope="col" class="delivery-wide">
                {d().state}
              </th>
            </tr>
          </thead>
          <tbody>
            <For each={result()?.items}>{(item) => <DeliveryRow item={item} />}</For>
          </tbody>
        </ScrollTable>
      </Show>
      <Pager total={result()?.total} limit={LIMIT} offset={offset()} href={href} />
    </Page>
  );
}

function DeliveryRow(props: { item: Delivery }) {
  const d = () => t().deliveries;
  const i = () => props.item;
  return (
    <tr>
      <th scope="row" class="nowrap">
        {formatDateTime(i().attemptedAt)}
      </th>
      <td class="nowrap">{d().channels[i().channel] ?? i().channel}</td>
      <td class="nowrap" translate="no">
        {i().to}
      </td>
      <td>{i().subject || d().noSubject}</td>
      <td>
        <Show when={i().status === "failed"} fallback={d().statuses.sent}>
          <strong>{d().statuses.failed}</strong>
        </Show>
        <Show when={i().error}>
          <p class="hint">{i().error}</p>
        </Show>
      </td>
      <td>
        <div>{d().messageStatuses[i().messageStatus] ?? i().messageStatus}</div>
        <Show when={i().nextAttemptAt}>
          {(at) => <p class="hint">{d().nextAttempt(formatDateTime(at()))}</p>}
        </Show>
        <p class="hint">{d().attempts(i().attempts)}</p>
        <Show when={i().status === "sent" && i().providerRef}>
          {(ref) => (
            <p class="hint" translate="no">
              {d().providerRef(String(ref()))}
            </p>
          )}
        </Show>
      </td>
    </tr>
  );
}
