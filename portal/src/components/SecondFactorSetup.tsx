import { createSignal, For, Match, onMount, Show, Switch } from "solid-js";
import { ApiError, api } from "../api";
import { t } from "../i18n";
import { Button } from "./Button";
import { ErrorMessage } from "./ErrorMessage";
import { TextField } from "./Field";

/**
 * Enrolling an authenticator app, in three steps the hub enforces: a code e-mailed to the registered address
 * (so a password alone cannot enrol), then the QR code and key with a first code from the app, then the
 * recovery codes, shown once. Used at sign-in (a role that must use TOTP) and on the account page (a new app).
 */
export function SecondFactorSetup(props: { replacing?: boolean; onDone: () => void }) {
  const e = () => t().enrol;
  const [step, setStep] = createSignal<"send" | "email" | "app" | "codes">("send");
  const [minutes, setMinutes] = createSignal(15);
  const [setup, setSetup] = createSignal<{ secret: string; qrSvg: string } | null>(null);
  const [codes, setCodes] = createSignal<string[]>([]);
  const [error, setError] = createSignal<unknown>(null);
  const [pending, setPending] = createSignal(false);

  async function run(fn: () => Promise<void>) {
    setPending(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(err);
    } finally {
      setPending(false);
    }
  }
  const value = (ev: SubmitEvent, name: string) =>
    String(new FormData(ev.currentTarget as HTMLFormElement).get(name) ?? "").trim();

  const sendCode = () =>
    run(async () => {
      const sent = await api.sendTotpEmailCode();
      setMinutes(Math.max(1, Math.round(sent.expiresInSeconds / 60)));
      setStep("email");
    });
  const errorBox = (id: string, messages?: Record<number, string>) => (
    <Show when={error()}>
      <ErrorMessage id={id} error={error()} messages={messages} />
    </Show>
  );

  return (
    <section aria-labelledby="enrol-title" class="stack">
      <h3 id="enrol-title">{e().title}</h3>
      <Switch>
        <Match when={step() === "send"}>
          <p>{props.replacing ? e().replaceIntro : e().intro}</p>
          {errorBox("enrol-send-error")}
          <div class="form-actions">
            <Button type="button" class="button" onClick={sendCode} busy={pending()}>
              {pending() ? t().saving : e().sendCode}
            </Button>
          </div>
        </Match>
        <Match when={step() === "email"}>
          <p role="status" class="alert alert-success">
            {e().codeSent(minutes())}
          </p>
          <form
            class="stack"
            onSubmit={(ev) => {
              ev.preventDefault();
              const emailCode = value(ev, "emailCode");
              void run(async () => {
                const s = await api.startTotpSetup(emailCode);
                setSetup({ secret: s.secret, qrSvg: s.qrSvg });
                setStep("app");
              });
            }}
          >
            <CodeInput
              id="enrol-email-code"
              name="emailCode"
              label={e().emailCode}
              errorId="enrol-email-error"
            />
            {errorBox("enrol-email-error", { 422: e().badEmailCode })}
            <div class="form-actions">
              <Button type="submit" class="button" busy={pending()}>
                {pending() ? t().saving : e().next}
              </Button>
              <Button type="button" class="button button-secondary" onClick={sendCode} busy={pending()}>
                {e().sendCode}
              </Button>
            </div>
          </form>
        </Match>
        <Match when={step() === "app" && setup()}>
          {(s) => (
            <form
              class="stack"
              onSubmit={(ev) => {
                ev.preventDefault();
                const code = value(ev, "code");
                void run(async () => {
                  const done = await api.confirmTotpSetup(code);
                  setCodes(done.recoveryCodes);
                  setStep("codes");
                });
              }}
            >
              <p>{e().scan}</p>
              <img
                class="totp-qr"
                alt={e().qrAlt}
                width="200"
                height="200"
                src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(s().qrSvg)}`}
              />
              <p>
                {e().secret}: <code class="totp-secret">{s().secret}</code>
              </p>
              <CodeInput id="enrol-app-code" name="code" label={e().appCode} errorId="enrol-app-error" />
              {errorBox("enrol-app-error", { 422: t().signIn.badCode })}
              <div class="form-actions">
                <Button type="submit" class="button" busy={pending()}>
                  {pending() ? t().saving : e().confirm}
                </Button>
              </div>
            </form>
          )}
        </Match>
        <Match when={step() === "codes"}>
          <RecoveryCodes codes={codes()} onDone={props.onDone} />
        </Match>
      </Switch>
    </section>
  );
}

/** Recovery codes, shown once, with the focus on them so a screen reader reads them first. */
export function RecoveryCodes(props: { codes: string[]; onDone: () => void }) {
  const e = () => t().enrol;
  let heading!: HTMLHeadingElement;
  onMount(() => heading.focus());
  return (
    <div class="stack recovery-codes">
      <h4 ref={heading} tabindex="-1">
        {e().recoveryTitle}
      </h4>
      <p>{e().recoveryIntro}</p>
      <ul aria-label={e().recoveryCaption} class="code-list">
        <For each={props.codes}>
          {(c) => (
            <li>
              <code>{c}</code>
            </li>
          )}
        </For>
      </ul>
      <div class="form-actions">
        <button type="button" class="button" onClick={() => props.onDone()}>
          {e().saved}
        </button>
      </div>
    </div>
  );
}

function CodeInput(props: { id: string; name: string; label: string; errorId: string }) {
  onMount(() => document.getElementById(props.id)?.focus());
  return (
    <TextField
      name={props.name}
      id={props.id}
      label={props.label}
      hint={t().signIn.codeFormat}
      inputmode="numeric"
      autocomplete="one-time-code"
      pattern="[0-9]{6}"
      maxLength={6}
      required
    />
  );
}

/** Whether an error is the hub saying the second factor must wait (for the sign-in page's wording). */
export const isRateLimited = (err: unknown) => err instanceof ApiError && err.status === 429;
