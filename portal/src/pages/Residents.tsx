/** Municipal staff's list of their residents (/residents; the prefecture picks a municipality), searched and paged. */
import { A, createAsync } from "@solidjs/router";
import { For, Show } from "solid-js";
import type { Me } from "../api";
import { TextField } from "../components/Field";
import { FilterForm } from "../components/Filters";
import { RequireRole } from "../components/Guard";
import { MunicipalitySelect } from "../components/MunicipalitySelect";
import { Page } from "../components/Page";
import { Pager, ResultCount } from "../components/Pager";
import { ScrollTable } from "../components/Table";
import { getMunicipalities, getResidents } from "../data";
import { formatDate } from "../format";
import { t } from "../i18n";
import { useListSearch } from "../search";

const LIMIT = 50;

export function Residents() {
  return (
    <RequireRole roles={["municipality", "prefecture"]} title={t().residents.title}>
      {(me) => <ResidentList me={me} />}
    </RequireRole>
  );
}

function ResidentList(props: { me: Me }) {
  const { filters, offset, setFilters, href } = useListSearch("/residents", ["q", "municipality"]);
  const result = createAsync(() => getResidents({ ...filters(), limit: LIMIT, offset: offset() }));
  const municipalities = createAsync(() => getMunicipalities());
  const municipalityName = (code: string) => municipalities()?.find((m) => m.code === code)?.name ?? code;
  const r = () => t().residents;

  return (
    <Page title={r().title}>
      <p>{r().intro}</p>
      <FilterForm label={r().title} submit={r().search} onSubmit={setFilters}>
        <TextField name="q" label={r().q} type="search" value={filters().q} maxLength={100} />
        <Show when={props.me.role === "prefecture"}>
          <MunicipalitySelect
            label={r().municipality}
            empty={r().all}
            municipalities={municipalities()}
            selected={filters().municipality}
          />
        </Show>
      </FilterForm>
      <ResultCount total={result()?.total} results={r().results} none={r().noResults} />
      <Show when={(result()?.items.length ?? 0) > 0}>
        <ScrollTable
          id="residents-table"
          caption={r().caption}
          columns={[r().name, r().kana, r().municipality, r().birthDate, r().contact, r().children]}
        >
          <tbody>
            <For each={result()?.items}>
              {(p) => (
                <tr>
                  <th scope="row">
                    <A href={`/residents/${p.id}`}>
                      {p.familyName} {p.givenName}
                    </A>
                  </th>
                  <td>{p.kana}</td>
                  <td>{municipalityName(p.municipalityCode)}</td>
                  <td>{formatDate(p.birthDate)}</td>
                  <td>
                    <For each={[p.email, p.phone].filter(Boolean)}>{(c) => <div>{c}</div>}</For>
                  </td>
                  <td>
                    <For each={p.children ?? []}>
                      {(c) => <div>{r().childBorn(c.name ?? "", formatDate(c.birthDate))}</div>}
                    </For>
                  </td>
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
