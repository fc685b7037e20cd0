import { A, action, createAsync, redirect, revalidate, useNavigate, useSubmission } from "@solidjs/router";
import { createSignal, type JSX, Match, onMount, Show, Switch } from "solid-js";
import { api } from "../api";
import { ErrorMessage } from "../components/ErrorMessage";
import { TextField } from "../components/Field";
import { afterSignIn } from "../components/Guard";
import { Page } from "../components/Page";
import { SecondFactorSetup } from "../components/SecondFactorSetup";
import { getMe, mailboxEnabled } from "../data";
import { t } from "../i18n";

const field = (form: URLSearchParams, name: string) => String(form.get(name) ?? "").trim();

/**
 * A code sent to a resident, remembered for this tab until it expires: the router forgets submissions on
 * navigation, and a resident may leave to read the code (e.g. in the demo mailbox) and come back.
 */
type PendingCode = { destination: string; expiresAt: number };
const PENDING_KEY = "sango-care.residentCode";

function loadPendingCode(): PendingCode | null {
  try {
    const v = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? "null") as Partial<PendingCode> | null;
    if (
      v &&
      typeof v.destination === "string" &&
      typeof v.expiresAt === "number" &&
      v.expiresAt > Date.now()
    ) {
      return { destination: v.destination, expiresAt: v.expiresAt };
    }
    sessionStorage.removeItem(PENDING_KEY);
  } catch {
    // no storage (private mode): the code step lasts while the page stays open
  }
  return null;
}

function savePendingCode(p: PendingCode | null) {
  try {
    if (p) sessionStorage.setItem(PENDING_KEY, JSON.stringify(p));
    else sessionStorage.removeItem(PENDING_KEY);
  } catch {
    // see loadPendingCode
  }
}

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

const requestCode = action(async (form: URLSearchParams) => {
  const destination = field(form, "destination");
  const sent = await api.requestResidentCode(destination);
  const seconds = sent?.expiresInSeconds ?? 600;
  savePendingCode({ destination, expiresAt: Date.now() + seconds * 1000 });
  return { destination, minutes: Math.max(1, Math.round(seconds / 60)) };
}, "requestResidentCode");

const verifyCode = action(async (form: URLSearchParams) => {
  await api.verifyResidentCode(field(form, "destination"), field(form, "code"));
  savePendingCode(null);
  return redirect(afterSignIn(window.location.search));
}, "verifyResidentCode");

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
          <ResidentSignIn />
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

function ResidentSignIn() {
  const sent = useSubmission(requestCode);
  const s = () => t().signIn;
  // A code sent before leaving this page (still valid) brings back the code step.
  const [restored, setRestored] = createSignal(loadPendingCode());
  const destination = () => sent.result?.destination ?? restored()?.destination;
  const [mailbox, setMailbox] = createSignal(false);
  onMount(() => void mailboxEnabled().then(setMailbox));
  function changeDestination() {
    sent.clear();
    setRestored(null);
    savePendingCode(null);
  }
  return (
    <>
      <p>{s().residentIntro}</p>
      <div role="status" aria-live="polite" class="status-slot">
        <Show when={sent.result}>
          {(r) => <p class="alert alert-success">{s().codeSent(r().minutes)}</p>}
        </Show>
      </div>
      <Switch>
        <Match when={destination()}>
          {(d) => <CodeStep destination={d()} onChange={changeDestination} />}
        </Match>
        <Match when={!destination()}>
          <form action={requestCode} method="post" class="stack">
            <TextField
              name="destination"
              id="resident-destination"
              label={s().destination}
              autocomplete="email"
              required
              minLength={3}
              maxLength={254}
              describedBy={sent.error ? "destination-error" : undefined}
            />
            <Show when={sent.error}>
              <ErrorMessage id="destination-error" error={sent.error} />
            </Show>
            <div class="form-actions">
              <button type="submit" class="button">
                {sent.pending ? t().saving : s().sendCode}
              </button>
            </div>
          </form>
        </Match>
      </Switch>
      <Show when={mailbox()}>
        <p class="demo-note">
          <A href="/mailbox">{s().mailboxLink}</A>
        </p>
      </Show>
    </>
  );
}

function CodeStep(props: { destination: string; onChange: () => void }) {
  const sub = useSubmission(verifyCode);
  const s = () => t().signIn;
  return (
    <form action={verifyCode} method="post" class="stack">
      <input type="hidden" name="destination" value={props.destination} />
      <p class="meta">{props.destination}</p>
      <CodeField id="resident-code" errorId="code-error" label={s().code} submit={s().verify} sub={sub}>
        <button type="button" class="button button-secondary" onClick={() => props.onChange()}>
          {s().changeDestination}
        </button>
      </CodeField>
    </form>
  );
}

/**
 * The 6-digit code input (focused on arrival), the submission's error tied to it by aria-describedby, and
 * the form's actions: submit, then any others given as children.
 */
function CodeField(props: {
  id: string;
  errorId: string;
  label: string;
  submit: string;
  sub: { error?: unknown; pending?: boolean };
  children?: JSX.Element;
}) {
  const s = () => t().signIn;
  onMount(() => document.getElementById(props.id)?.focus());
  return (
    <>
      <TextField
        name="code"
        id={props.id}
        label={props.label}
        hint={s().codeFormat}
        inputmode="numeric"
        autocomplete="one-time-code"
        pattern="[0-9]{6}"
        maxLength={6}
        required
        describedBy={props.sub.error ? props.errorId : undefined}
      />
      <Show when={props.sub.error}>
        <ErrorMessage id={props.errorId} error={props.sub.error} messages={{ 401: s().badCode }} />
      </Show>
      <div class="form-actions">
        <button type="submit" class="button">
          {props.sub.pending ? t().saving : props.submit}
        </button>
        {props.children}
      </div>
    </>
  );
}
