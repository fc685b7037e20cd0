import { createAsync, query, revalidate } from "@solidjs/router";
import { createSignal, For, type JSX, Show } from "solid-js";
import { ApiError, api, type Me } from "../api";
import { Button } from "../components/Button";
import { ErrorMessage } from "../components/ErrorMessage";
import { TextField } from "../components/Field";
import { RequireRole } from "../components/Guard";
import { Page } from "../components/Page";
import { RecoveryCodes, SecondFactorSetup } from "../components/SecondFactorSetup";
import { ScrollTable } from "../components/Table";
import { browserName, formatDateTime } from "../format";
import { t } from "../i18n";

/**
 * The signed-in person's account (/account): change the password and manage the authenticator app and its
 * recovery codes (staff), and see and end their sessions (everyone). The hub: PUT api/me/password,
 * api/me/totp…, POST api/me/recovery-codes, GET api/me/sessions, DELETE api/me/sessions/{id},
 * POST api/me/sessions/end-others. Each change is announced to the person's registered e-mail by the hub.
 */
const getSessions = query(async () => (await api.listMySessions()).items, "mySessions");

const ALL_ROLES = ["resident", "facility", "municipality", "association", "prefecture", "operator"] as const;

export function Account() {
  const a = () => t().account;
  return (
    <RequireRole roles={[...ALL_ROLES]} title={a().title}>
      {(me) => (
        <Page title={a().title}>
          <p>{a().intro}</p>
          <Show when={me.role !== "resident"}>
            <PasswordSection />
            <SecondFactorSection me={me} />
          </Show>
          <SessionsSection />
        </Page>
      )}
    </RequireRole>
  );
}

/** A submit handler that keeps its own pending state, error and success message. */
function useForm() {
  const [pending, setPending] = createSignal(false);
  const [error, setError] = createSignal<unknown>(null);
  const [done, setDone] = createSignal("");
  async function run(fn: () => Promise<string>) {
    setPending(true);
    setError(null);
    setDone("");
    try {
      setDone(await fn());
    } catch (err) {
      setError(err);
    } finally {
      setPending(false);
    }
  }
  return { pending, error, done, run, setError };
}

function PasswordSection() {
  const a = () => t().account;
  const f = useForm();
  let form!: HTMLFormElement;
  const messages = () => {
    const err = f.error();
    if (err instanceof ApiError && err.code === "wrong_password") return { 422: a().wrongPassword };
    if (err instanceof ApiError && err.code === "weak_password") return { 422: a().weakPassword };
    return undefined;
  };
  return (
    <section aria-labelledby="password-title" class="panel">
      <h2 id="password-title">{a().passwordTitle}</h2>
      <form
        ref={form}
        class="stack"
        onSubmit={(ev) => {
          ev.preventDefault();
          const data = new FormData(form);
          const current = String(data.get("currentPassword") ?? "");
          const next = String(data.get("newPassword") ?? "");
          if (next !== String(data.get("confirmPassword") ?? "")) {
            f.setError(new ApiError(400, { code: "mismatch", detail: a().mismatch }));
            return;
          }
          void f.run(async () => {
            await api.changePassword(current, next);
            form.reset();
            void revalidate(getSessions.key);
            return a().passwordChanged;
          });
        }}
      >
        <TextField
          name="currentPassword"
          id="current-password"
          label={a().currentPassword}
          type="password"
          autocomplete="current-password"
          required
          maxLength={200}
        />
        <TextField
          name="newPassword"
          id="new-password"
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
          id="confirm-password"
          label={a().confirmPassword}
          type="password"
          autocomplete="new-password"
          required
          minLength={12}
          maxLength={128}
        />
        <Status form={f} errorId="password-error" messages={messages()} />
        <div class="form-actions">
          <Button type="submit" class="button" busy={f.pending()}>
            {f.pending() ? t().saving : a().changePassword}
          </Button>
        </div>
      </form>
    </section>
  );
}

function SecondFactorSection(props: { me: Me }) {
  const a = () => t().account;
  const [replacing, setReplacing] = createSignal(false);
  const [codes, setCodes] = createSignal<string[]>([]);
  const f = useForm();
  const refresh = () => {
    setReplacing(false);
    setCodes([]);
    void revalidate(["me", getSessions.key]);
  };
  return (
    <section aria-labelledby="totp-title" class="panel stack">
      <h2 id="totp-title">{a().totpTitle}</h2>
      <p>{props.me.totpEnabled ? a().totpOn(props.me.recoveryCodesRemaining ?? 0) : a().totpOff}</p>
      <Show
        when={!replacing() && codes().length === 0}
        fallback={
          <Show when={codes().length > 0} fallback={<SecondFactorSetup replacing onDone={refresh} />}>
            <RecoveryCodes codes={codes()} onDone={refresh} />
          </Show>
        }
      >
        <Status form={f} errorId="totp-error" />
        <div class="form-actions">
          <button type="button" class="button" onClick={() => setReplacing(true)}>
            {a().replaceApp}
          </button>
          <Show when={props.me.totpEnabled}>
            <Button
              type="button"
              class="button button-secondary"
              busy={f.pending()}
              onClick={() =>
                void f.run(async () => {
                  setCodes((await api.regenerateRecoveryCodes()).recoveryCodes);
                  return "";
                })
              }
            >
              {a().newRecoveryCodes}
            </Button>
          </Show>
        </div>
      </Show>
    </section>
  );
}

function SessionsSection() {
  const a = () => t().account;
  const sessions = createAsync(() => getSessions());
  const f = useForm();
  const end = (id: string) =>
    f.run(async () => {
      await api.endMySession(id);
      await revalidate(getSessions.key);
      return "";
    });
  return (
    <section aria-labelledby="sessions-title" class="panel stack">
      <h2 id="sessions-title">{a().sessionsTitle}</h2>
      <ScrollTable id="sessions" caption={a().sessionsCaption}>
        <thead>
          <tr>
            <th scope="col">{a().started}</th>
            <th scope="col">{a().from}</th>
            <th scope="col">{a().browser}</th>
            <th scope="col">{a().expires}</th>
            <th scope="col">
              <span class="visually-hidden">{t().staffAccounts.action}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          <For each={sessions()}>
            {(s) => (
              <tr>
                <td>{formatDateTime(s.createdAt)}</td>
                <td>{s.ip}</td>
                <td>
                  <span title={s.userAgent}>{browserName(s.userAgent) || t().dash}</span>
                </td>
                <td>{formatDateTime(s.expiresAt)}</td>
                <td>
                  <Show when={!s.current} fallback={<strong>{a().thisSession}</strong>}>
                    <button
                      type="button"
                      class="button button-secondary"
                      aria-label={a().endLabel(formatDateTime(s.createdAt))}
                      onClick={() => void end(s.id)}
                    >
                      {a().end}
                    </button>
                  </Show>
                </td>
              </tr>
            )}
          </For>
        </tbody>
      </ScrollTable>
      <Status form={f} errorId="sessions-error" />
      <div class="form-actions">
        <Button
          type="button"
          class="button"
          busy={f.pending()}
          onClick={() =>
            void f.run(async () => {
              const { ended } = await api.endMyOtherSessions();
              await revalidate(getSessions.key);
              return ended > 0 ? a().endedOthers(ended) : a().noOthers;
            })
          }
        >
          {a().endOthers}
        </Button>
      </div>
    </section>
  );
}

/** The outcome of a form: its success message (announced) or its error. */
function Status(props: {
  form: ReturnType<typeof useForm>;
  errorId: string;
  messages?: Record<number, string>;
}): JSX.Element {
  return (
    <>
      <div role="status" aria-live="polite" class="status-slot">
        <Show when={props.form.done()}>
          <p class="alert alert-success">{props.form.done()}</p>
        </Show>
      </div>
      <Show when={props.form.error()}>
        <ErrorMessage id={props.errorId} error={props.form.error()} messages={props.messages} />
      </Show>
    </>
  );
}
