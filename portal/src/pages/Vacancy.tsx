import { A, createAsync } from "@solidjs/router";
import { createMemo, createSignal, ErrorBoundary, For, onCleanup, Show, Suspense } from "solid-js";
import { ACCESSIBILITY_TAGS, FACILITY_KINDS, KNOWN_LANGUAGES } from "../api";
import { ErrorMessage } from "../components/ErrorMessage";
import { SelectField, TextField } from "../components/Field";
import { FilterSelect } from "../components/FilterSelect";
import { MunicipalitySelect } from "../components/MunicipalitySelect";
import { Page } from "../components/Page";
import { ServiceTypeSelect } from "../components/ServiceTypeSelect";
import { VacancyCopay } from "../components/VacancyCopay";
import { VacancyGrid } from "../components/VacancyGrid";
import { VacancyList } from "../components/VacancyList";
import { byRegion, getMunicipalities, getVacancy } from "../data";
import { addDays, formatDate, formatTime, todayInJapan } from "../format";
import { t } from "../i18n";
import { useListSearch } from "../search";
import { FILTERS, ISO_DATE, PERIODS, vacancyPeriod, vacancyQuery } from "../vacancy-query";
import { wholeText } from "../whole-text";

/**
 * 空き状況をさがす: every facility's free places for the coming days in one grid, with filters kept in the
 * address so a search can be bookmarked or shared: the three questions a mother has first (when, which kind,
 * where), the rest (period, region, facility kind, language, accessibility, only facilities with a place) folded.
 * Public: residents look before they sign in.
 */
export function Vacancy() {
  const { filters, setFilters } = useListSearch("/vacancy", FILTERS);
  const municipalities = createAsync(() => getMunicipalities());
  const v = () => t().vacancy;
  const today = todayInJapan();
  const period = () => vacancyPeriod(filters());
  const fromProblem = () => {
    const f = filters().from;
    if (!f) return undefined;
    if (!ISO_DATE.test(f)) return v().fromInvalid;
    return f < today ? v().fromPast : undefined;
  };
  const query = createMemo(() => vacancyQuery(filters(), today));
  const vacancy = createAsync(() => getVacancy(query()));
  // A phone gets the list a week at a time; wider screens the grid (the same breakpoint as the layout's).
  const narrow = window.matchMedia("(max-width: 47.99rem)");
  const [phone, setPhone] = createSignal(narrow.matches);
  const follow = (e: MediaQueryListEvent) => setPhone(e.matches);
  narrow.addEventListener("change", follow);
  onCleanup(() => narrow.removeEventListener("change", follow));
  const regions = () => byRegion(municipalities() ?? []).map(([region]) => region);
  /** The folded filters open by themselves when one of them is in use. */
  const moreChosen = () => {
    const f = filters();
    return !!(vacancyPeriod(f) !== 14 || f.region || f.kind || f.language || f.accessibility || f.available);
  };

  function search(e: SubmitEvent) {
    e.preventDefault();
    setFilters(new FormData(e.currentTarget as HTMLFormElement));
  }

  return (
    <Page title={v().title}>
      <p class="lead">{v().lead}</p>
      <section aria-labelledby="vacancy-filters-title" class="panel">
        <h2 id="vacancy-filters-title">{v().filtersTitle}</h2>
        <search aria-labelledby="vacancy-filters-title">
          <form class="filters" onSubmit={search}>
            <TextField
              name="from"
              type="date"
              label={v().from}
              hint={v().fromHint}
              min={today}
              max={addDays(today, 89)}
              value={filters().from ?? today}
              error={fromProblem()}
            />
            <ServiceTypeSelect label={v().serviceType} empty={v().any} selected={filters().serviceType} />
            <MunicipalitySelect
              label={v().municipality}
              empty={v().any}
              municipalities={municipalities()}
              selected={filters().municipality}
            />
            <details class="more-filters" open={moreChosen()}>
              <summary>{v().more}</summary>
              <div class="filters">
                <SelectField name="days" label={v().period}>
                  <For each={PERIODS}>
                    {(p) => (
                      <option value={p} selected={Number(p) === period()}>
                        {v().periodDays(Number(p))}
                      </option>
                    )}
                  </For>
                </SelectField>
                <SelectField name="region" label={v().region}>
                  <option value="">{v().any}</option>
                  <For each={regions()}>
                    {(r) => (
                      <option value={r} selected={r === filters().region}>
                        {r}
                      </option>
                    )}
                  </For>
                </SelectField>
                <FilterSelect
                  name="kind"
                  label={v().kind}
                  empty={v().any}
                  values={FACILITY_KINDS}
                  labels="kinds"
                  selected={filters().kind}
                />
                <FilterSelect
                  name="language"
                  label={v().language}
                  empty={v().any}
                  values={KNOWN_LANGUAGES}
                  labels="languages"
                  selected={filters().language}
                />
                <FilterSelect
                  name="accessibility"
                  label={v().accessibility}
                  empty={v().any}
                  values={ACCESSIBILITY_TAGS}
                  labels="accessibility"
                  selected={filters().accessibility}
                />
                <label class="checkbox">
                  <input
                    type="checkbox"
                    name="available"
                    value="true"
                    checked={filters().available === "true"}
                  />
                  {v().availableOnly}
                </label>
              </div>
            </details>
            <div class="form-actions">
              <button type="submit" class="button">
                {v().search}
              </button>
              <A href="/vacancy" class="button button-secondary">
                {v().clear}
              </A>
            </div>
          </form>
        </search>
      </section>

      <section aria-labelledby="vacancy-results-title">
        <h2 id="vacancy-results-title">{v().resultsTitle}</h2>
        <ErrorBoundary fallback={(err) => <ErrorMessage error={err} />}>
          <Suspense
            fallback={
              <p class="loading" role="status">
                {t().loading}
              </p>
            }
          >
            <Show when={vacancy()}>
              {(data) => (
                <>
                  {/* Texts that change in place are set whole (textContent), so they stay right under
                      browser page translation, which wraps text nodes in <font> (solidjs/solid#1451). */}
                  <p
                    role="status"
                    class="result-count"
                    ref={wholeText(() => (data().total > 0 ? v().results(data().total) : v().noResults))}
                  />
                  <Show when={data().total > 0}>
                    <p
                      class="as-of"
                      ref={wholeText(() =>
                        v().asOf(
                          formatTime(data().checkedAt),
                          formatDate(data().from),
                          formatDate(data().to),
                        ),
                      )}
                    />
                    <p class="meta" id="vacancy-legend">
                      {phone() ? v().legendPhone : v().legend}
                    </p>
                    <VacancyCopay vacancy={data()} />
                    <Show when={phone()} fallback={<VacancyGrid vacancy={data()} />}>
                      <VacancyList vacancy={data()} />
                    </Show>
                  </Show>
                  <Show when={data().freePlaces === 0}>
                    <div class="alert" role="note">
                      <p>{v().noneFree}</p>
                    </div>
                  </Show>
                </>
              )}
            </Show>
          </Suspense>
        </ErrorBoundary>
      </section>
    </Page>
  );
}
