import { createAsync, query, revalidate } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import { api, type StaffAccount } from "../api";
import { Button } from "../components/Button";
import { ErrorMessage } from "../components/ErrorMessage";
import { TextField } from "../components/Field";
import { RequireRole } from "../components/Guard";
import { Page } from "../components/Page";
import { ScrollTable } from "../components/Table";
import { label, t } from "../i18n";

/**
 * Resetting a person's second factor (/staff-accounts): the operator for any staff account, the prefecture
 * for municipal staff. Each row has a reset action that asks for a reason first; the hub audits it, ends the
 * person's sessions and e-mails them. The hub: GET api/staff-accounts, POST api/staff-accounts/{id}/second-factor/reset.
 */
const getStaffAccounts = query(
  async () => (await api.listStaffAccounts({ limit: 200 })).items,
  "staffAccounts",
);

export function StaffAccounts() {
  const s = () => t().staffAccounts;
  return (
    <RequireRole roles={["operator", "prefecture"]} title={s().title}>
      {(me) => (
        <Page title={s().title}>
          <p>{s().intro}</p>
          <Show when={me.role === "prefecture"}>
            <p>{s().introPrefecture}</p>
          </Show>
          <AccountTable />
        </Page>
      )}
    </RequireRole>
  );
}

function AccountTable() {
  const s = () => t().staffAccounts;
  const accounts = createAsync(() => getStaffAccounts());
  const [resetting, setResetting] = createSignal<StaffAccount | null>(null);
  const [done, setDone] = createSignal("");
  return (
    <>
      <div role="status" aria-live="polite" class="status-slot">
        <Show when={done()}>
          <p class="alert alert-success">{done()}</p>
        </Show>
      </div>
      <Show when={resetting()}>
        {(u) => (
          <ResetForm
            account={u()}
            onCancel={() => setResetting(null)}
            onDone={() => {
              setDone(s().done(u().displayName));
              setResetting(null);
              void revalidate(getStaffAccounts.key);
            }}
          />
        )}
      </Show>
      <ScrollTable
        id="staff-accounts"
        caption={s().caption}
        columns={[s().name, s().email, s().role, s().tenant, s().totp, s().action]}
      >
        <tbody>
          <For each={accounts()}>
            {(u) => (
              <tr>
                <td>{u.displayName}</td>
                <td>{u.email ?? t().dash}</td>
                <td>{label("roles", u.role)}</td>
                <td>{u.tenantName ?? t().dash}</td>
                <td>{u.totpEnabled ? s().on(u.recoveryCodesRemaining) : s().off}</td>
                <td>
                  <button
                    type="button"
                    class="button button-secondary"
                    aria-label={s().resetLabel(u.displayName)}
                    onClick={() => {
                      setDone("");
                      setResetting(u);
                    }}
                  >
                    {s().reset}
                  </button>
                </td>
              </tr>
            )}
          </For>
        </tbody>
      </ScrollTable>
    </>
  );
}

function ResetForm(props: { account: StaffAccount; onCancel: () => void; onDone: () => void }) {
  const s = () => t().staffAccounts;
  const [error, setError] = createSignal<unknown>(null);
  const [pending, setPending] = createSignal(false);
  let form!: HTMLFormElement;
  return (
    <form
      ref={form}
      class="panel stack"
      aria-labelledby="reset-title"
      onSubmit={(ev) => {
        ev.preventDefault();
        const reason = String(new FormData(form).get("reason") ?? "").trim();
        setPending(true);
        setError(null);
        api
          .resetSecondFactor(props.account.id, reason)
          .then(props.onDone)
          .catch(setError)
          .finally(() => setPending(false));
      }}
    >
      <h2 id="reset-title">{s().resetLabel(props.account.displayName)}</h2>
      <TextField name="reason" id="reset-reason" label={s().reason} required maxLength={500} autofocus />
      <Show when={error()}>
        <ErrorMessage id="reset-error" error={error()} />
      </Show>
      <div class="form-actions">
        <Button type="submit" class="button" busy={pending()}>
          {pending() ? t().saving : s().confirm}
        </Button>
        <button type="button" class="button button-secondary" onClick={() => props.onCancel()}>
          {s().cancel}
        </button>
      </div>
    </form>
  );
}
