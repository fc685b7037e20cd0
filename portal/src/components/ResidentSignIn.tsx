import { A, action, redirect, reload, useSubmission } from "@solidjs/router";
import { createSignal, type JSX, Match, onMount, Show, Switch } from "solid-js";
import { api } from "../api";
import { getMe, mailboxEnabled } from "../data";
import { t } from "../i18n";
import { ErrorMessage } from "./ErrorMessage";
import { TextField } from "./Field";
import { afterSignIn } from "./Guard";

/** A form's field, trimmed. */
export const field = (form: URLSearchParams, name: string) => String(form.get(name) ?? "").trim();

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

/** The same, staying on the page: who is signed in is read again, and the page goes on from there. */
const verifyCodeHere = action(async (form: URLSearchParams) => {
  await api.verifyResidentCode(field(form, "destination"), field(form, "code"));
  savePendingCode(null);
  return reload({ revalidate: getMe.key });
}, "verifyResidentCodeHere");

/**
 * A resident's sign-in with a one-time code: on the sign-in page (then on to the `next` page it was asked for),
 * or with `here` in place on the booking page (she stays where she is, with everything she chose).
 */
export function ResidentSignIn(props: { intro: string; here?: boolean }) {
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
      <p>{props.intro}</p>
      <div role="status" aria-live="polite" class="status-slot">
        <Show when={sent.result}>
          {(r) => <p class="alert alert-success">{s().codeSent(r().minutes)}</p>}
        </Show>
      </div>
      <Switch>
        <Match when={destination()}>
          {(d) => <CodeStep destination={d()} onChange={changeDestination} here={props.here} />}
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

function CodeStep(props: { destination: string; onChange: () => void; here?: boolean }) {
  const verify = props.here ? verifyCodeHere : verifyCode;
  const sub = useSubmission(verify);
  const s = () => t().signIn;
  return (
    <form action={verify} method="post" class="stack">
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
export function CodeField(props: {
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
