import { A, action, createAsync, type RouteSectionProps, redirect, useLocation } from "@solidjs/router";
import { createEffect, createSignal, ErrorBoundary, on, Show, Suspense } from "solid-js";
import { api, hasRole, type Role } from "../api";
import { getMe } from "../data";
import { locale, setLocale, t } from "../i18n";
import { AnnouncementBanner } from "./AnnouncementBanner";
import { ErrorMessage } from "./ErrorMessage";
import { signInHref } from "./Guard";
import { markNavigated, Page } from "./Page";

const signOut = action(async () => {
  await api.signOut();
  return redirect("/");
}, "signOut");

const RESIDENT_READERS: Role[] = ["municipality", "prefecture"];
const STAFF: Role[] = ["facility", "municipality", "association", "prefecture", "operator"];

/** Skip link, header (site name, language, sign-in/out, menu), main, footer. */
export function Layout(props: RouteSectionProps) {
  const me = createAsync(() => getMe());
  const location = useLocation();
  let main!: HTMLElement;

  createEffect(on(() => location.pathname, markNavigated, { defer: true }));

  // Staff navigation is long: on a phone it folds behind a 「メニュー」 button (the DADS mobile header pattern);
  // on a wider screen the button is hidden and the navigation always shown (styles.css).
  const staff = () => hasRole(me(), STAFF);
  const [menuOpen, setMenuOpen] = createSignal(false);
  let menuButton: HTMLButtonElement | undefined;
  createEffect(
    on(
      () => location.pathname,
      () => setMenuOpen(false),
      { defer: true },
    ),
  );
  const closeOnEscape = (e: KeyboardEvent) => {
    if (e.key !== "Escape" || !menuOpen()) return;
    setMenuOpen(false);
    menuButton?.focus();
  };

  return (
    <>
      {/* biome-ignore lint/a11y/useValidAnchor: a skip link is a link; with <base> in the document "#main" would resolve to another page, so it moves focus itself */}
      <a
        class="skip-link"
        href="#main"
        onClick={(e) => {
          // The document has a <base>, so "#main" would resolve to another page: move focus ourselves.
          e.preventDefault();
          main.focus();
          main.scrollIntoView();
        }}
      >
        {t().skipToMain}
      </a>
      <header class="site-header">
        <div class="container header-bar">
          <A href="/" class="site-name" end>
            {t().siteName}
          </A>
          <div class="header-tools">
            <Show when={staff()}>
              <button
                ref={menuButton}
                type="button"
                class="button button-quiet menu-button"
                aria-expanded={menuOpen() ? "true" : "false"}
                aria-controls="site-nav"
                onClick={() => setMenuOpen(!menuOpen())}
                onKeyDown={closeOnEscape}
              >
                {t().nav.menu}
              </button>
            </Show>
            <button
              type="button"
              class="button button-quiet"
              lang={t().switchLanguageLocale}
              aria-label={t().switchLanguageLabel}
              onClick={() => void setLocale(locale() === "ja" ? "en" : "ja")}
            >
              {t().switchLanguage}
            </button>
            <Show
              when={me()}
              fallback={
                <A href={signInHref(location.pathname + location.search)} class="button button-quiet" end>
                  {t().nav.signIn}
                </A>
              }
            >
              <A href="/account" class="button button-quiet" end>
                {t().account.nav}
              </A>
              <form action={signOut} method="post">
                <button type="submit" class="button button-quiet">
                  {t().nav.signOut}
                </button>
              </form>
            </Show>
          </div>
        </div>
        <nav
          id="site-nav"
          class="site-nav"
          classList={{ "site-nav-folded": staff() && !menuOpen() }}
          aria-label={t().nav.label}
          onKeyDown={closeOnEscape}
        >
          <ul class="container">
            <li>
              <A href="/" end>
                {t().nav.home}
              </A>
            </li>
            <li>
              <A href="/vacancy" end>
                {t().nav.vacancy}
              </A>
            </li>
            <li>
              <A href="/facilities" end>
                {t().nav.facilities}
              </A>
            </li>
            <li>
              <A href="/help" end>
                {t().support.navHelp}
              </A>
            </li>
            <Show when={hasRole(me(), ["resident"])}>
              <li>
                <A href="/my/bookings" end>
                  {t().nav.myBookings}
                </A>
              </li>
              <li>
                <A href="/my/waitlist" end>
                  {t().nav.waitlist}
                </A>
              </li>
            </Show>
            <Show when={hasRole(me(), ["facility"])}>
              <li>
                <A href="/facility/bookings" end>
                  {t().nav.facilityBookings}
                </A>
              </li>
            </Show>
            <Show when={hasRole(me(), ["municipality", "prefecture"])}>
              <li>
                <A href="/bookings" end>
                  {t().nav.bookings}
                </A>
              </li>
            </Show>
            <Show when={hasRole(me(), ["municipality", "facility", "prefecture"])}>
              <li>
                <A href="/waitlist" end>
                  {t().nav.waitlist}
                </A>
              </li>
            </Show>
            <Show when={hasRole(me(), RESIDENT_READERS)}>
              <li>
                <A href="/residents" end>
                  {t().nav.residents}
                </A>
              </li>
              <li>
                <A href="/municipality/applications">{t().nav.applications}</A>
              </li>
            </Show>
            <Show when={hasRole(me(), ["municipality", "prefecture"])}>
              <li>
                <A href="/municipality/usage" end>
                  {t().nav.usage}
                </A>
              </li>
              <li>
                <A href="/municipality/reports" end>
                  {t().nav.usageReportsMunicipality}
                </A>
              </li>
            </Show>
            <Show when={hasRole(me(), ["facility"])}>
              <li>
                <A href="/facility/redeem" end>
                  {t().nav.redeem}
                </A>
              </li>
              <li>
                <A href="/facility/reports" end>
                  {t().nav.usageReportsFacility}
                </A>
              </li>
            </Show>
            <Show when={hasRole(me(), ["association", "prefecture"])}>
              <li>
                <A href="/association/billing" end>
                  {t().nav.billing}
                </A>
              </li>
            </Show>
            <Show when={hasRole(me(), ["association", "municipality", "prefecture"])}>
              <li>
                <A href="/billing/settings" end>
                  {t().nav.billingSettings}
                </A>
              </li>
            </Show>
            <Show when={hasRole(me(), ["prefecture"])}>
              <li>
                <A href="/audit" end>
                  {t().nav.audit}
                </A>
              </li>
            </Show>
            <Show when={hasRole(me(), ["facility", "municipality", "prefecture"])}>
              <li>
                <A href="/deliveries" end>
                  {t().nav.deliveries}
                </A>
              </li>
            </Show>
            <Show when={hasRole(me(), ["facility", "operator"])}>
              <li>
                <A href={me()?.role === "operator" ? "/connections" : "/facility/connection"} end>
                  {t().nav.connections}
                </A>
              </li>
            </Show>
            <Show when={hasRole(me(), ["facility", "municipality", "association", "prefecture", "operator"])}>
              <li>
                <A href="/stats">{t().nav.stats}</A>
              </li>
            </Show>
            <Show when={hasRole(me(), ["operator", "prefecture"])}>
              <li>
                <A href="/staff-accounts" end>
                  {t().nav.staffAccounts}
                </A>
              </li>
            </Show>
          </ul>
        </nav>
      </header>
      <AnnouncementBanner me={me()} />
      <main id="main" tabindex="-1" ref={main} class="container">
        <ErrorBoundary fallback={(err, reset) => <RouteError error={err} reset={reset} />}>
          <Suspense
            fallback={
              <p class="loading" role="status">
                {t().loading}
              </p>
            }
          >
            {props.children}
          </Suspense>
        </ErrorBoundary>
      </main>
      <footer class="site-footer">
        <div class="container">
          <p>{t().footer.about}</p>
          <p>{t().footer.contact}</p>
        </div>
      </footer>
    </>
  );
}

function RouteError(props: { error: unknown; reset: () => void }) {
  const location = useLocation();
  // Leaving the page clears the error.
  createEffect(
    on(
      () => location.pathname,
      () => props.reset(),
      { defer: true },
    ),
  );
  return (
    <Page title={t().errors.title}>
      <ErrorMessage error={props.error} />
      <p>
        <button type="button" class="button" onClick={() => props.reset()}>
          {t().errors.retry}
        </button>
      </p>
    </Page>
  );
}
