import { createAsync, useSearchParams } from "@solidjs/router";
import { For, Show } from "solid-js";
import type { Me } from "../api";
import { SelectField, TextField } from "../components/Field";
import { RequireRole } from "../components/Guard";
import { Page } from "../components/Page";
import { Pager, searchHref } from "../components/Pager";
import { ScrollTable } from "../components/Table";
import { byRegion, getMunicipalities, getResidents } from "../data";
import { formatDate } from "../format";
import { t } from "../i18n";

const LIMIT = 50;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) || undefined;

export function Residents() {
  return (
    <RequireRole roles={["municipality", "prefecture"]} title={t().residents.title}>
      {(me) => <ResidentList me={me} />}
    </RequireRole>
  );
}

function ResidentList(props: { me: Me }) {
  const [params, setParams] = useSearchParams();
  const filters = () => ({ q: one(params.q), municipality: one(params.municipality) });
  const offset = () => Math.max(0, Number(one(params.offset)) || 0);
  const result = createAsync(() => getResidents({ ...filters(), limit: LIMIT, offset: offset() }));
  const municipalities = createAsync(() => getMunicipalities());
  const municipalityName = (code: string) => municipalities()?.find((m) => m.code === code)?.name ?? code;
  const r = () => t().residents;

  function search(e: SubmitEvent) {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    setParams({
      q: String(data.get("q") ?? "").trim() || undefined,
      municipality: String(data.get("municipality") ?? "") || undefined,
      offset: undefined,
    });
  }

  return (
    <Page title={r().title}>
      <p>{r().intro}</p>
      <search aria-label={r().title}>
        <form class="filters panel" onSubmit={search}>
          <TextField name="q" label={r().q} type="search" value={filters().q} maxLength={100} />
          <Show when={props.me.role === "prefecture"}>
            <SelectField name="municipality" label={r().municipality}>
              <option value="">{r().all}</option>
              <For each={byRegion(municipalities() ?? [])}>
                {([region, items]) => (
                  <optgroup label={region}>
                    <For each={items}>
                      {(m) => (
                        <option value={m.code} selected={m.code === filters().municipality}>
                          {m.name}
                        </option>
                      )}
                    </For>
                  </optgroup>
                )}
              </For>
            </SelectField>
          </Show>
          <div class="form-actions">
            <button type="submit" class="button">
              {r().search}
            </button>
          </div>
        </form>
      </search>
      <p role="status" class="result-count">
        <Show when={result()}>{(res) => (res().total > 0 ? r().results(res().total) : r().noResults)}</Show>
      </p>
      <Show when={(result()?.items.length ?? 0) > 0}>
        <ScrollTable id="residents-table" caption={r().caption}>
          <thead>
            <tr>
              <th scope="col">{r().name}</th>
              <th scope="col">{r().kana}</th>
              <th scope="col">{r().municipality}</th>
              <th scope="col">{r().birthDate}</th>
              <th scope="col">{r().contact}</th>
              <th scope="col">{r().children}</th>
            </tr>
          </thead>
          <tbody>
            <For each={result()?.items}>
              {(p) => (
                <tr>
                  <th scope="row">
                    {p.familyName} {p.givenName}
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
      <Show when={result()}>
        {(res) => (
          <Pager
            total={res().total}
            limit={LIMIT}
            offset={offset()}
            href={(o) => searchHref("/residents", filters(), o)}
          />
        )}
      </Show>
    </Page>
  );
}
