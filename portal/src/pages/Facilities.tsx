/** The facility directory (/facilities): search and filters, the result count and a card for each facility. */
import { A, createAsync } from "@solidjs/router";
import { For, Show } from "solid-js";
import { FACILITY_KINDS, type Facility, KNOWN_LANGUAGES } from "../api";
import { TextField } from "../components/Field";
import { FilterSelect } from "../components/FilterSelect";
import { MunicipalitySelect } from "../components/MunicipalitySelect";
import { Page } from "../components/Page";
import { Pager, ResultCount } from "../components/Pager";
import { ServiceTypeSelect } from "../components/ServiceTypeSelect";
import { getFacilities, getMunicipalities } from "../data";
import { label, t, untranslated } from "../i18n";
import { useListSearch } from "../search";

const LIMIT = 20;
const FILTERS = ["q", "municipality", "serviceType", "kind", "language"] as const;

export function Facilities() {
  const { filters, offset, setFilters, href } = useListSearch("/facilities", FILTERS);
  const result = createAsync(() => getFacilities({ ...filters(), limit: LIMIT, offset: offset() }));
  const municipalities = createAsync(() => getMunicipalities());
  const f = () => t().facilities;

  function search(e: SubmitEvent) {
    e.preventDefault();
    setFilters(new FormData(e.currentTarget as HTMLFormElement));
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
            <MunicipalitySelect
              label={f().municipality}
              empty={f().any}
              municipalities={municipalities()}
              selected={filters().municipality}
            />
            <ServiceTypeSelect label={f().serviceType} empty={f().any} selected={filters().serviceType} />
            <FilterSelect
              name="kind"
              label={f().kind}
              empty={f().any}
              values={FACILITY_KINDS}
              labels="kinds"
              selected={filters().kind}
            />
            <FilterSelect
              name="language"
              label={f().language}
              empty={f().any}
              values={KNOWN_LANGUAGES}
              labels="languages"
              selected={filters().language}
            />
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
        <ResultCount total={result()?.total} results={f().results} none={f().noResults} />
        <ul class="cards">
          <For each={result()?.items}>{(facility) => <FacilityCard facility={facility} />}</For>
        </ul>
        <Pager total={result()?.total} limit={LIMIT} offset={offset()} href={href} />
      </section>
    </Page>
  );
}

function FacilityCard(props: { facility: Facility }) {
  const fac = () => props.facility;
  return (
    <li class="card">
      <h3>
        <A href={`/facilities/${fac().id}`} lang={untranslated()}>
          {fac().name}
        </A>
      </h3>
      <p class="meta">
        {[label("kinds", fac().kind), fac().municipalityName].filter(Boolean).join(t().dotSeparator)}
      </p>
      <Show when={fac().services.length > 0}>
        <ul class="tags" aria-label={t().facilities.services}>
          <For each={fac().services}>{(s) => <li>{label("serviceTypes", s.serviceType)}</li>}</For>
        </ul>
      </Show>
      <p class="address" lang={untranslated()}>
        {fac().address}
      </p>
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
