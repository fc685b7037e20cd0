import { A, createAsync, useSearchParams } from "@solidjs/router";
import { For, Show } from "solid-js";
import { INCOME_TIERS, type Me, type PolicyServiceRule, type PolicyVersion, SERVICE_TYPES } from "../api";
import { FilterForm } from "../components/Filters";
import { RequireRole } from "../components/Guard";
import { MunicipalitySelect } from "../components/MunicipalitySelect";
import { Page } from "../components/Page";
import { ScrollTable } from "../components/Table";
import { getMunicipalities, getPolicyVersions } from "../data";
import { formatDate, formatYen } from "../format";
import { label, t } from "../i18n";
import { formText, one } from "../search";
import { PolicyCreate } from "./PolicyCreate";

const PATH = "/municipality/policies";
const isCode = (v: string | undefined) => !!v && /^[0-9]{6}$/.test(v);

/** A municipality's policy versions (利用条件) and, for the chosen version, what each service type offers. */
export function Policies() {
  return (
    <RequireRole roles={["municipality", "prefecture"]} title={t().policies.title}>
      {(me) => <PolicyBrowser me={me} />}
    </RequireRole>
  );
}

function PolicyBrowser(props: { me: Me }) {
  const [params, setParams] = useSearchParams();
  const municipalities = createAsync(() => getMunicipalities());
  const p = () => t().policies;
  // Municipality staff see their own municipality; the prefecture chooses one.
  const code = () =>
    props.me.role === "municipality" ? (props.me.municipalityCode ?? undefined) : one(params.municipality);
  const name = () => municipalities()?.find((m) => m.code === code())?.name ?? code() ?? "";

  return (
    <Page title={p().title}>
      <p>{p().intro}</p>
      <Show when={props.me.role === "prefecture"}>
        <FilterForm
          label={p().chooseLabel}
          submit={p().show}
          onSubmit={(data) => setParams({ municipality: formText(data, "municipality"), version: undefined })}
        >
          <MunicipalitySelect
            label={p().municipality}
            empty={p().choose}
            municipalities={municipalities()}
            selected={code()}
          />
        </FilterForm>
      </Show>
      <Show when={isCode(code()) && code()} fallback={<p>{p().chooseFirst}</p>}>
        {(c) => (
          <Versions
            code={c()}
            name={name()}
            selected={Number(one(params.version)) || undefined}
            canCreate={props.me.role === "municipality"}
          />
        )}
      </Show>
    </Page>
  );
}

function Versions(props: { code: string; name: string; selected: number | undefined; canCreate: boolean }) {
  const versions = createAsync(() => getPolicyVersions(props.code));
  const p = () => t().policies;
  const inForce = () => versions()?.find((v) => v.inUse)?.version;
  const shown = () => {
    const items = versions() ?? [];
    return items.find((v) => v.version === props.selected) ?? items.find((v) => v.inUse) ?? items[0];
  };
  const state = (v: PolicyVersion) =>
    !v.inUse ? p().scheduled : v.version === inForce() ? p().inForce : p().past;
  const href = (version: number) => {
    const q = new URLSearchParams();
    q.set("municipality", props.code);
    q.set("version", String(version));
    return `${PATH}?${q.toString()}`;
  };

  return (
    <section aria-labelledby="policy-municipality">
      <h2 id="policy-municipality">{p().ofMunicipality(props.name)}</h2>
      <Show when={versions()}>
        {(items) => (
          <Show when={items().length > 0} fallback={<p>{p().noVersions}</p>}>
            <ScrollTable id="policy-versions" caption={p().versionsCaption}>
              <thead>
                <tr>
                  <th scope="col">{p().version}</th>
                  <th scope="col">{p().effectiveFrom}</th>
                  <th scope="col">{p().state}</th>
                  <th scope="col">
                    <span class="visually-hidden">{p().shown}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                <For each={items()}>
                  {(v) => (
                    <tr>
                      <th scope="row">{p().versionN(v.version)}</th>
                      <td>{formatDate(v.effectiveFrom)}</td>
                      <td>{state(v)}</td>
                      <td>
                        <Show
                          when={v.version !== shown()?.version}
                          fallback={<span aria-current="true">{p().shown}</span>}
                        >
                          <A href={href(v.version)}>{p().showVersion(v.version)}</A>
                        </Show>
                      </td>
                    </tr>
                  )}
                </For>
              </tbody>
            </ScrollTable>
          </Show>
        )}
      </Show>
      <Show when={props.canCreate && versions()?.find((v) => v.version === inForce())}>
        {(current) => (
          <PolicyCreate code={props.code} current={current()} latest={versions()?.[0]?.effectiveFrom} />
        )}
      </Show>
      <Show when={shown()}>{(v) => <VersionDetail version={v()} />}</Show>
    </section>
  );
}

function VersionDetail(props: { version: PolicyVersion }) {
  const p = () => t().policies;
  return (
    <section aria-labelledby="policy-detail" class="policy-detail">
      <h3 id="policy-detail">
        {p().detailTitle(props.version.version, formatDate(props.version.effectiveFrom))}
      </h3>
      <For each={SERVICE_TYPES}>
        {(type) => (
          <section class="panel" aria-labelledby={`policy-${type}`}>
            <h4 id={`policy-${type}`}>{label("serviceTypes", type)}</h4>
            <Show when={props.version.services[type]} fallback={<p>{p().notOffered}</p>}>
              {(rule) => <ServiceRule rule={rule()} stay={type === "stay"} />}
            </Show>
          </section>
        )}
      </For>
      <Show when={props.version.note}>
        <p>{t().edit.fieldProblem(p().note, props.version.note ?? "")}</p>
      </Show>
    </section>
  );
}

function ServiceRule(props: { rule: PolicyServiceRule; stay: boolean }) {
  const p = () => t().policies;
  const r = () => props.rule;
  const units = () => {
    const n = r().maxUnits;
    if (n === undefined) return undefined;
    const m = r().maxUnitsMultipleBirth;
    return m !== undefined && m !== n ? p().unitsMultiple(n, m) : p().units(n);
  };
  const eligibility = () => {
    const e = r().eligibility;
    if (!e) return [];
    return [
      e.maxChildAgeMonths !== undefined ? p().maxAge(e.maxChildAgeMonths) : "",
      e.minChildAgeDays ? p().minAge(e.minChildAgeDays) : "",
      e.useCorrectedAgeForPreterm ? p().corrected : "",
    ].filter(Boolean);
  };
  return (
    <dl class="details policy-rule">
      <div>
        <dt>{p().unitFee}</dt>
        <dd>{formatYen(r().unitFee)}</dd>
      </div>
      <div>
        <dt>{p().copay}</dt>
        <dd>
          <ul class="plain-list">
            <For each={INCOME_TIERS.filter((tier) => r().copayPerUnit?.[tier] !== undefined)}>
              {(tier) => (
                <li>{t().edit.fieldProblem(p().tiers[tier] ?? tier, formatYen(r().copayPerUnit?.[tier]))}</li>
              )}
            </For>
          </ul>
        </dd>
      </div>
      <Show when={units()}>
        <div>
          <dt>{p().maxUnits}</dt>
          <dd>{units()}</dd>
        </div>
      </Show>
      <Show when={props.stay && (r().stayCounting || r().maxNightsPerStay)}>
        <div>
          <dt>{p().stayCounting}</dt>
          <dd>
            <Show when={r().stayCounting}>
              <div>{r().stayCounting === "per_night" ? p().perNight : p().perDay}</div>
            </Show>
            <Show when={r().maxNightsPerStay}>{(n) => <div>{p().maxNights(n())}</div>}</Show>
          </dd>
        </div>
      </Show>
      <Show when={eligibility().length > 0}>
        <div>
          <dt>{p().eligibility}</dt>
          <dd>
            <For each={eligibility()}>{(line) => <div>{line}</div>}</For>
          </dd>
        </div>
      </Show>
    </dl>
  );
}
