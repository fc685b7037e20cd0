/** Sign-in (/sign-in): residents with a one-time code, staff with e-mail, password and a second factor. */
import { A, action, createAsync, redirect, revalidate, useNavigate, useSubmission } from "@solidjs/router";
import { createSignal, type JSX, onMount, Show } from "solid-js";
import { api } from "../api";
import { ErrorMessage } from "../components/ErrorMessage";
import { TextField } from "../components/Field";
import { afterSignIn } from "../components/Guard";
import { Page } from "../components/Page";
import { CodeField, field, ResidentSignIn } from "../components/ResidentSignIn";
import { SecondFactorSetup } from "../components/SecondFactorSetup";
import { getMe } from "../data";
import { t } from "../i18n";

const staffSignIn = action(async (form: URLSearchParams) => {
  const me = await api.signIn(field(form, "email"), String(form.get("password") ?? ""));
  // A second factor is still needed: stay here, the page shows the code step (me.verified === false).
  return me.verified ? redirect(afterSignIn(window.location.search)) : { needsTotp: true };
}, "staffSignIn");

const verifyTotp = action(async (form: URLSearchParams) => {
  const recoveryCode = field(form, "recoveryCode");
  if (recoveryCode) await api.verifyRecoveryCode(recoveryCode);
  else await api.verifyTotp(field(form, "code"));
  return redirect(afterSignIn(window.location.search));
}, "verifyTotp");

export function SignIn() {
  const me = createAsync(() => getMe());
  const navigate = useNavigate();
  const s = () => t().signIn;
  return (
    <Page title={s().title}>
      <Show when={me()?.verified}>
        <div class="alert alert-info">
          <p>{s().already}</p>
          <p>
            <A href="/">{t().nav.home}</A>
          </p>
        </div>
      </Show>
      <div class="sign-in-grid">
        <section aria-labelledby="resident-title" class="panel">
          <h2 id="resident-title">{s().residentTitle}</h2>
          <ResidentSignIn intro={s().residentIntro} />
          <p>
            <A href="/apply">{t().apply.link}</A>
          </p>
        </section>
        <section aria-labelledby="staff-title" class="panel">
          <h2 id="staff-title">{s().staffTitle}</h2>
          <Show when={me()?.verified === false} fallback={<StaffSignIn />}>
            <Show
              when={me()?.totpEnabled}
              fallback={
                <SecondFactorSetup
                  onDone={() => {
                    void revalidate("me");
                    navigate(afterSignIn(window.location.search));
                  }}
                />
              }
            >
              <TotpStep />
            </Show>
          </Show>
        </section>
      </div>
    </Page>
  );
}

function StaffSignIn() {
  const sub = useSubmission(staffSignIn);
  const s = () => t().signIn;
  return (
    <form action={staffSignIn} method="post" class="stack">
      <TextField
        name="email"
        id="staff-email"
        label={s().email}
        type="email"
        autocomplete="username"
        required
        maxLength={254}
        describedBy={sub.error ? "staff-error" : undefined}
      />
      <TextField
        name="password"
        id="staff-password"
        label={s().password}
        type="password"
        autocomplete="current-password"
        required
        maxLength={200}
        describedBy={sub.error ? "staff-error" : undefined}
      />
      <Show when={sub.error}>
        <ErrorMessage id="staff-error" error={sub.error} messages={{ 401: s().badCredentials }} />
      </Show>
      <div class="form-actions">
        <button type="submit" class="button">
          {sub.pending ? t().saving : s().submit}
        </button>
      </div>
      <p>
        <A href="/forgot-password">{t().forgot.link}</A>
      </p>
    </form>
  );
}

function TotpStep() {
  const sub = useSubmission(verifyTotp);
  const s = () => t().signIn;
  const r = () => t().recovery;
  const [useRecovery, setUseRecovery] = createSignal(false);
  return (
    <form action={verifyTotp} method="post" class="stack">
      <h3>{s().totpTitle}</h3>
      <Show
        when={useRecovery()}
        fallback={
          <>
            <p>{s().totpIntro}</p>
            <CodeField
              id="totp-code"
              errorId="totp-error"
              label={s().totpCode}
              submit={s().totpSubmit}
              sub={sub}
            >
              <button type="button" class="button button-secondary" onClick={() => setUseRecovery(true)}>
                {r().useRecovery}
              </button>
            </CodeField>
          </>
        }
      >
        <RecoveryField sub={sub}>
          <button type="button" class="button button-secondary" onClick={() => setUseRecovery(false)}>
            {r().useApp}
          </button>
        </RecoveryField>
      </Show>
      <p class="meta">{r().lost}</p>
    </form>
  );
}

/** A recovery code instead of the app's code (focused on arrival). */
function RecoveryField(props: { sub: { error?: unknown; pending?: boolean }; children?: JSX.Element }) {
  const s = () => t().signIn;
  const r = () => t().recovery;
  onMount(() => document.getElementById("recovery-code")?.focus());
  return (
    <>
      <TextField
        name="recoveryCode"
        id="recovery-code"
        label={r().code}
        hint={r().hint}
        autocomplete="one-time-code"
        autocapitalize="none"
        required
        minLength={10}
        maxLength={30}
        describedBy={props.sub.error ? "recovery-error" : undefined}
      />
      <Show when={props.sub.error}>
        <ErrorMessage id="recovery-error" error={props.sub.error} messages={{ 401: s().badCode }} />
      </Show>
      <div class="form-actions">
        <button type="submit" class="button">
          {props.sub.pending ? t().saving : s().totpSubmit}
        </button>
        {props.children}
      </div>
    </>
  );
}
