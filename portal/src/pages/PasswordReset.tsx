import { A, action, useSubmission } from "@solidjs/router";
import { createSignal, onMount, Show } from "solid-js";
import { ApiError, api } from "../api";
import { Button } from "../components/Button";
import { ErrorMessage } from "../components/ErrorMessage";
import { TextField } from "../components/Field";
import { Page } from "../components/Page";
import { t } from "../i18n";

/**
 * Forgotten password (/forgot-password): staff ask for a link to their registered e-mail; the answer is the
 * same whether or not the address is known. Reset (/reset-password#token=…): the link from that e-mail, its
 * token in the fragment (never sent to the server with the page, never in a Referer), sets a new password.
 */
const requestReset = action(async (form: URLSearchParams) => {
  const sent = await api.requestPasswordReset(String(form.get("email") ?? "").trim());
  return { minutes: Math.max(1, Math.round(sent.expiresInSeconds / 60)) };
}, "requestPasswordReset");

export function ForgotPassword() {
  const f = () => t().forgot;
  const sub = useSubmission(requestReset);
  return (
    <Page title={f().title}>
      <p>{f().intro}</p>
      <div role="status" aria-live="polite" class="status-slot">
        <Show when={sub.result}>{(r) => <p class="alert alert-success">{f().sent(r().minutes)}</p>}</Show>
      </div>
      <form action={requestReset} method="post" class="stack panel">
        <TextField
          name="email"
          id="forgot-email"
          label={f().email}
          type="email"
          autocomplete="username"
          required
          maxLength={254}
          describedBy={sub.error ? "forgot-error" : undefined}
        />
        <Show when={sub.error}>
          <ErrorMessage id="forgot-error" error={sub.error} />
        </Show>
        <div class="form-actions">
          <button type="submit" class="button">
            {sub.pending ? t().saving : f().submit}
          </button>
        </div>
      </form>
      <p>
        <A href="/sign-in">{f().signIn}</A>
      </p>
    </Page>
  );
}

export function ResetPassword() {
  const f = () => t().forgot;
  const a = () => t().account;
  const [token, setToken] = createSignal("");
  const [error, setError] = createSignal<unknown>(null);
  const [pending, setPending] = createSignal(false);
  const [done, setDone] = createSignal(false);
  onMount(() => setToken(new URLSearchParams(window.location.hash.slice(1)).get("token") ?? ""));
  const messages = () => {
    const err = error();
    if (err instanceof ApiError && err.code === "invalid_token") return { 422: f().badToken };
    if (err instanceof ApiError && err.code === "weak_password") return { 422: a().weakPassword };
    return undefined;
  };
  let form!: HTMLFormElement;
  return (
    <Page title={f().resetTitle}>
      <Show
        when={!done()}
        fallback={
          <div role="status" class="alert alert-success">
            <p>{f().done}</p>
            <p>
              <A href="/sign-in">{f().signIn}</A>
            </p>
          </div>
        }
      >
        <Show when={token()} fallback={<p class="alert alert-error">{f().noToken}</p>}>
          <p>{f().resetIntro}</p>
          <form
            ref={form}
            class="stack panel"
            onSubmit={(ev) => {
              ev.preventDefault();
              const data = new FormData(form);
              const next = String(data.get("newPassword") ?? "");
              if (next !== String(data.get("confirmPassword") ?? "")) {
                setError(new ApiError(400, { code: "mismatch", detail: a().mismatch }));
                return;
              }
              setPending(true);
              setError(null);
              api
                .completePasswordReset(token(), next)
                .then(() => {
                  // The token is spent: take it out of the address bar and the history entry.
                  history.replaceState(null, "", window.location.pathname);
                  setDone(true);
                })
                .catch(setError)
                .finally(() => setPending(false));
            }}
          >
            <TextField
              name="newPassword"
              id="reset-password"
              label={a().newPassword}
              hint={a().newPasswordHint}
              type="password"
              autocomplete="new-password"
              required
              minLength={12}
              maxLength={128}
            />
            <TextField
              name="confirmPassword"
              id="reset-confirm"
              label={a().confirmPassword}
              type="password"
              autocomplete="new-password"
              required
              minLength={12}
              maxLength={128}
            />
            <Show when={error()}>
              <ErrorMessage id="reset-error" error={error()} messages={messages()} />
            </Show>
            <div class="form-actions">
              <Button type="submit" class="button" busy={pending()}>
                {pending() ? t().saving : f().submitReset}
              </Button>
            </div>
          </form>
        </Show>
      </Show>
    </Page>
  );
}
