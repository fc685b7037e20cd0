import { A, createAsync, useSearchParams } from "@solidjs/router";
import { For, Show } from "solid-js";
import { FACILITY_KINDS, type Facility, KNOWN_LANGUAGES, SERVICE_TYPES } from "../api";
import { SelectField, TextField } from "../components/Field";
import { Page } from "../components/Page";
import { Pager, searchHref } from "../components/Pager";
import { byRegion, getFacilities, getMunicipalities } from "../data";
import { label, t } from "../i18n";

const LIMIT = 20;
const FILTERS = ["q", "municipality", "serviceType", "kind", "language"] as const;
type Filters = Record<(typeof FILTERS)[number], string | undefined>;

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) || undefined;

export function Facilities() {
  const [params, setParams] = useSearchParams();
  const filters = (): Filters => Object.fromEntries(FILTERS.map((k) => [k, one(params[k])])) as Filters;
  const offset = () => Math.max(0, Number(one(params.offset)) || 0);
  const result = createAsync(() => getFacilities({ ...filters(), limit: LIMIT, offset: offset() }));
  const municipalities = createAsync(() => getMunicipalities());
  const f = () => t().facilities;

  function search(e: SubmitEvent) {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    const next: Record<string, string | undefined> = { offset: undefined };
    for (const k of FILTERS) next[k] = String(data.get(k) ?? "").trim() || undefined;
    setParams(next);
  }

  return (
    <Page title={f().title}>
      <section aria-labelledby="filters-title" class="panel">
        <h2 id="filters-title">{f().filtersTitle}</h2>
        <search aria-labelledby="filters-title">
          <form class="filters" onSubmit={search}>
            <TextField
              name="q"
              label={f().q}
              hint={f().qHint}
              type="search"
              value={filters().q}
              maxLength={100}
            />
            <SelectField name="municipality" label={f().municipality}>
              <option value="">{f().any}</option>
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
            <SelectField name="serviceType" label={f().serviceType}>
              <option value="">{f().any}</option>
              <For each={SERVICE_TYPES}>
                {(s) => (
                  <option value={s} selected={s === filters().serviceType}>
                    {label("serviceTypes", s)}
                  </option>
                )}
              </For>
            </SelectField>
            <SelectField name="kind" label={f().kind}>
              <option value="">{f().any}</option>
              <For each={FACILITY_KINDS}>
                {(k) => (
                  <option value={k} selected={k === filters().kind}>
                    {label("kinds", k)}
                  </option>
                )}
              </For>
            </SelectField>
            <SelectField name="language" label={f().language}>
              <option value="">{f().any}</option>
              <For each={[...KNOWN_LANGUAGES]}>
                {(l) => (
                  <option value={l} selected={l === filters().language}>
                    {label("languages", l)}
                  </option>
                )}
              </For>
            </SelectField>
            <div class="form-actions">
              <button type="submit" class="button">
                {f().search}
              </button>
              <A href="/facilities" class="button button-secondary">
                {f().clear}
              </A>
            </div>
          </form>
        </search>
      </section>

      <section aria-labelledby="results-title">
        <h2 id="results-title">{f().resultsTitle}</h2>
        <p role="status" class="result-count">
          <Show when={result()}>{(r) => (r().total > 0 ? f().results(r().total) : f().noResults)}</Show>
        </p>
        <ul class="cards">
          <For each={result()?.items}>{(facility) => <FacilityCard facility={facility} />}</For>
        </ul>
        <Show when={result()}>
          {(r) => (
            <Pager
              total={r().total}
              limit={LIMIT}
              offset={offset()}
              href={(o) => searchHref("/facilities", filters(), o)}
            />
          )}
        </Show>
      </section>
    </Page>
  );
}

function FacilityCard(props: { facility: Facility }) {
  const fac = () => props.facility;
  return (
    <li class="card">
      <h3>
        <A href={`/facilities/${fac().id}`}>{fac().name}</A>
      </h3>
      <p class="meta">
        {[label("kinds", fac().kind), fac().municipalityName].filter(Boolean).join(t().dotSeparator)}
      </p>
      <Show when={fac().services.length > 0}>
        <ul class="tags" aria-label={t().facilities.services}>
          <For each={fac().services}>{(s) => <li>{label("serviceTypes", s.serviceType)}</li>}</For>
        </ul>
      </Show>
      <p class="address">{fac().address}</p>
      <Show when={(fac().languages?.length ?? 0) > 1}>
        <p class="meta">
          {t().facilities.languagesLine(
            (fac().languages ?? []).map((l) => label("languages", l)).join(t().listSeparator),
          )}
        </p>
      </Show>
    </li>
  );
}
