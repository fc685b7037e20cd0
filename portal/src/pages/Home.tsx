/**
 * The home page (/): signed out, a welcome that asks when, which kind and where and opens the vacancy view with
 * them, and what the services are; signed in, the home of the user's role.
 */
import { A, createAsync } from "@solidjs/router";
import { type JSX, Match, Show, Switch } from "solid-js";
import type { Me } from "../api";
import { Page } from "../components/Page";
import { VacancyQuestions } from "../components/VacancyQuestions";
import { getMe } from "../data";
import { label, t } from "../i18n";

export function Home() {
  const me = createAsync(() => getMe());
  return (
    <Show when={me() !== undefined}>
      <Show when={me()?.verified && me()} fallback={<Welcome />}>
        {(m) => <RoleHome me={m()} />}
      </Show>
    </Show>
  );
}

function Welcome() {
  const w = () => t().welcome;
  return (
    <Page title={w().title}>
      <p class="lead">{w().lead}</p>
      <VacancyQuestions />
      <p class="actions">
        <A class="button button-secondary" href="/facilities">
          {w().findFacilities}
        </A>
        <A class="button button-secondary" href="/sign-in">
          {w().signIn}
        </A>
      </p>
      <section aria-labelledby="what">
        <h2 id="what">{w().whatTitle}</h2>
        <ul class="checklist">
          <li>{w().what1}</li>
          <li>{w().what2}</li>
          <li>{w().what3}</li>
        </ul>
      </section>
      <section aria-labelledby="types">
        <h2 id="types">{w().typesTitle}</h2>
        <dl class="service-types">
          <div>
            <dt>{label("serviceTypes", "stay")}</dt>
            <dd>{w().stayDesc}</dd>
          </div>
          <div>
            <dt>{label("serviceTypes", "day")}</dt>
            <dd>{w().dayDesc}</dd>
          </div>
          <div>
            <dt>{label("serviceTypes", "visit")}</dt>
            <dd>{w().visitDesc}</dd>
          </div>
        </dl>
      </section>
      <section aria-labelledby="voucher">
        <h2 id="voucher">{w().voucherTitle}</h2>
        <p>{w().voucherText}</p>
        <p>
          <A href="/apply">{t().apply.link}</A>
        </p>
      </section>
    </Page>
  );
}

function RoleHome(props: { me: Me }) {
  const h = () => t().home;
  const resident = () => props.me.role === "resident";
  return (
    <Page title={h().title}>
      <dl class="identity">
        <div>
          <dt>{h().name}</dt>
          <dd>{props.me.displayName}</dd>
        </div>
        {/* A resident is told where she lives, not her role and organisation. */}
        <Show when={!resident()}>
          <div>
            <dt>{h().role}</dt>
            <dd>{label("roles", props.me.role)}</dd>
          </div>
        </Show>
        <Show when={props.me.tenantName}>
          <div>
            <dt>{resident() ? h().residentMunicipality : h().tenant}</dt>
            <dd>{props.me.tenantName}</dd>
          </div>
        </Show>
      </dl>
      <Show when={props.me.role === "resident"}>
        <VacancyQuestions />
      </Show>
      <section aria-labelledby="can-do" class="panel">
        <h2 id="can-do">{h().canDoNow}</h2>
        <Switch>
          <Match when={props.me.role === "resident"}>
            <Actions text={h().resident.explain}>
              <A class="button" href="/vacancy">
                {h().resident.vacancy}
              </A>
              <A class="button button-secondary" href="/my/bookings">
                {h().resident.myBookings}
              </A>
              <A class="button button-secondary" href="/my/vouchers">
                {h().resident.vouchers}
              </A>
              <A class="button button-secondary" href="/facilities">
                {h().resident.search}
              </A>
              <A class="button button-secondary" href="/my/inquiries">
                {t().support.myLink}
              </A>
            </Actions>
          </Match>
          <Match when={props.me.role === "facility"}>
            <Actions text={h().facility.explain}>
              <A class="button" href="/facility/bookings">
                {h().facility.bookings}
              </A>
              <A class="button button-secondary" href="/facility/redeem">
                {h().facility.redeem}
              </A>
              <Show when={props.me.facilityId}>
                <A class="button button-secondary" href={`/facilities/${props.me.facilityId}/edit`}>
                  {h().facility.edit}
                </A>
                <A class="button button-secondary" href={`/facilities/${props.me.facilityId}`}>
                  {h().facility.view}
                </A>
              </Show>
            </Actions>
          </Match>
          <Match when={props.me.role === "municipality"}>
            <Actions text={h().municipality.explain}>
              <A class="button" href="/residents">
                {h().municipality.residents}
              </A>
              <A class="button button-secondary" href="/municipality/policies">
                {h().municipality.policies}
              </A>
              <A class="button button-secondary" href="/municipality/import">
                {h().municipality.import}
              </A>
              <A class="button button-secondary" href="/municipality/usage">
                {h().municipality.usage}
              </A>
              <A class="button button-secondary" href="/bookings">
                {h().municipality.bookings}
              </A>
              <A class="button button-secondary" href="/facilities">
                {h().municipality.facilities}
              </A>
            </Actions>
          </Match>
          <Match when={props.me.role === "association"}>
            <Actions text={h().association.explain}>
              <A class="button" href="/facilities">
                {h().association.facilities}
              </A>
            </Actions>
          </Match>
          <Match when={props.me.role === "prefecture"}>
            <Actions text={h().prefecture.explain}>
              <A class="button" href="/audit">
                {h().prefecture.audit}
              </A>
              <A class="button button-secondary" href="/residents">
                {h().prefecture.residents}
              </A>
              <A class="button button-secondary" href="/municipality/policies">
                {h().prefecture.policies}
              </A>
              <A class="button button-secondary" href="/prefecture/import/municipalities">
                {h().prefecture.importMunicipalities}
              </A>
              <A class="button button-secondary" href="/prefecture/import/facilities">
                {h().prefecture.importFacilities}
              </A>
              <A class="button button-secondary" href="/bookings">
                {h().prefecture.bookings}
              </A>
              <A class="button button-secondary" href="/facilities">
                {h().prefecture.facilities}
              </A>
              <A class="button button-secondary" href="/helpdesk">
                {t().support.deskNav}
              </A>
              <A class="button button-secondary" href="/announcements">
                {t().support.annNav}
              </A>
            </Actions>
          </Match>
          <Match when={props.me.role === "operator"}>
            <Actions text={h().operator.explain}>
              <a class="button" href="api/docs/" rel="external">
                {h().operator.apiDocs}
              </a>
              <a class="button button-secondary" href="readyz" rel="external">
                {h().operator.health}
              </a>
              <A class="button button-secondary" href="/helpdesk">
                {t().support.deskNav}
              </A>
              <A class="button button-secondary" href="/announcements">
                {t().support.annNav}
              </A>
            </Actions>
          </Match>
        </Switch>
        <Show when={props.me.role !== "resident"}>
          <p>
            <A href="/stats">{t().nav.stats}</A>
          </p>
        </Show>
      </section>
    </Page>
  );
}

function Actions(props: { text: string; children: JSX.Element }) {
  return (
    <>
      <p>{props.text}</p>
      <p class="actions">{props.children}</p>
    </>
  );
}
