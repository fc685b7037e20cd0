import { A, createAsync } from "@solidjs/router";
import { type JSX, Match, Switch } from "solid-js";
import { hasRole, type Me, type Role } from "../api";
import { getMe } from "../data";
import { t } from "../i18n";
import { Page } from "./Page";

/** Renders children only for a signed-in user with one of the roles; otherwise says why not. */
export function RequireRole(props: { roles: Role[]; title: string; children: (me: Me) => JSX.Element }) {
  const me = createAsync(() => getMe());
  return (
    <Switch>
      <Match when={me() === null || me()?.verified === false}>
        <Page title={props.title}>
          <div class="alert alert-info" role="alert">
            <p>{t().guard.signInNeeded}</p>
          </div>
          <p>
            <A class="button" href="/sign-in">
              {t().nav.signIn}
            </A>
          </p>
        </Page>
      </Match>
      <Match when={me() && !hasRole(me(), props.roles)}>
        <Page title={props.title}>
          <div class="alert alert-error" role="alert">
            <p>{t().guard.forbidden}</p>
          </div>
        </Page>
      </Match>
      <Match when={me()}>{(m) => props.children(m())}</Match>
    </Switch>
  );
}
