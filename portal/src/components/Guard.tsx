import { A, createAsync, useLocation } from "@solidjs/router";
import { type JSX, Match, Switch } from "solid-js";
import { hasRole, type Me, type Role } from "../api";
import { getMe } from "../data";
import { t } from "../i18n";
import { Page } from "./Page";

/** Renders children only for a signed-in user with one of the roles; otherwise says why not. */
export function RequireRole(props: { roles: Role[]; title: string; children: (me: Me) => JSX.Element }) {
  const me = createAsync(() => getMe());
  const location = useLocation();
  return (
    <Switch>
      <Match when={me() === null || me()?.verified === false}>
        <Page title={props.title}>
          <div class="alert alert-info" role="alert">
            <p>{t().guard.signInNeeded}</p>
          </div>
          <p>
            <A class="button" href={signInHref(location.pathname + location.search)}>
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

/** The sign-in page, asked to come back to `path` afterwards. */
export function signInHref(path: string): string {
  return path === "/" || path.startsWith("/sign-in")
    ? "/sign-in"
    : `/sign-in?next=${encodeURIComponent(path)}`;
}

/**
 * Where to go once signed in: the `next` page the sign-in link named, if it is a page of this portal (a path
 * starting with one "/"; anything else could send the user to another site), else home.
 */
export function afterSignIn(search: string): string {
  const next = new URLSearchParams(search).get("next") ?? "";
  return /^\/(?![/\\])/.test(next) ? next : "/";
}
