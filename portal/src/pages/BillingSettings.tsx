import { createAsync, query, revalidate, useSearchParams } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import { api, type BillingIssuer, billingApi, type Me, type MunicipalityBillingSettings } from "../api";
import { ErrorMessage } from "../components/ErrorMessage";
import { SelectField, TextField } from "../components/Field";
import { FilterForm } from "../components/Filters";
import { RequireRole } from "../components/Guard";
import { Page } from "../components/Page";
import { t } from "../i18n";
import { formText, one } from "../search";

/**
 * Invoice settings (請求書の設定, issue 15 part 2): an association edits its issuer block and bank account; a
 * municipality (or the prefecture for any municipality) edits 支払期限, the seal, how residents are named and its
 * 債権者コード. Every change is audited by the hub; finalized invoices keep what they were made with.
 */

const getIssuer = query(() => billingApi.getIssuer(), "billingIssuer");
const getSettings = query(
  (code: string) => billingApi.getMunicipalitySettings(code),
  "billingMunicipalitySettings",
);
const getMunicipalities = query(() => api.listMunicipalities(), "billingSettingsMunicipalities");

const ISSUER_FIELDS = [
  "postalCode",
  "address",
  "presidentTitle",
  "presidentName",
  "responsibleName",
  "contactName",
  "phone",
  "bankName",
  "branchName",
  "accountNumber",
  "accountHolderKana",
] as const;

export function BillingSettings() {
  return (
    <RequireRole roles={["association", "municipality", "prefecture"]} title={t().billingSettings.title}>
      {(me) => (
        <Page title={t().billingSettings.title}>
          <p>{t().billingSettings.intro}</p>
          <Show when={me.role === "association"}>
            <IssuerForm />
          </Show>
          <Show when={me.role !== "association"}>
            <MunicipalityPicker me={me} />
          </Show>
        </Page>
      )}
    </RequireRole>
  );
}

function IssuerForm() {
  const s = () => t().billingSettings;
  const issuer = createAsync(() => getIssuer());
  const [notice, setNotice] = createSignal("");
  const [error, setError] = createSignal<unknown>();
  async function save(e: SubmitEvent) {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    const body = Object.fromEntries(
      [...ISSUER_FIELDS, "accountType"].map((k) => [k, String(data.get(k) ?? "")]),
    ) as Omit<BillingIssuer, "associationId" | "missing">;
    setError(undefined);
    try {
      await billingApi.setIssuer(body);
      setNotice(s().saved);
      await revalidate(getIssuer.key);
    } catch (err) {
      setNotice("");
      setError(err);
    }
  }
  return (
    <Show when={issuer()}>
      {(i) => (
        <section aria-labelledby="issuer-heading">
          <h2 id="issuer-heading">{s().issuerHeading}</h2>
          <Show when={i().missing.length > 0}>
            <p role="alert">
              {s().missing(
                i()
                  .missing.map((k) => s().fields[k] ?? k)
                  .join("、"),
              )}
            </p>
          </Show>
          <form class="panel" onSubmit={save}>
            <For each={ISSUER_FIELDS}>
              {(k) => (
                <TextField
                  name={k}
                  label={s().fields[k] ?? k}
                  hint={s().hints[k]}
                  value={i()[k]}
                  maxLength={200}
                />
              )}
            </For>
            <SelectField name="accountType" label={s().fields.accountType ?? ""}>
              <For each={["普通", "当座"]}>
                {(v) => (
                  <option value={v} selected={i().accountType === v}>
                    {v}
                  </option>
                )}
              </For>
            </SelectField>
            <Show when={error()}>{(e) => <ErrorMessage error={e()} />}</Show>
            <p role="status">{notice()}</p>
            <div class="form-actions">
              <button type="submit" class="button">
                {s().save}
              </button>
            </div>
          </form>
        </section>
      )}
    </Show>
  );
}

function MunicipalityPicker(props: { me: Me }) {
  const s = () => t().billingSettings;
  const [params, setParams] = useSearchParams();
  const code = () =>
    props.me.role === "municipality" ? (props.me.municipalityCode ?? "") : (one(params.code) ?? "");
  const municipalities = createAsync(async () =>
    props.me.role === "prefecture" ? (await getMunicipalities()).items : [],
  );
  return (
    <>
      <Show when={props.me.role === "prefecture"}>
        <FilterForm
          label={s().municipality}
          submit={s().show}
          onSubmit={(data) => setParams({ code: formText(data, "code") })}
        >
          <SelectField name="code" label={s().municipality}>
            <option value="">—</option>
            <For each={municipalities() ?? []}>
              {(m) => (
                <option value={m.code} selected={m.code === code()}>
                  {m.name}
                </option>
              )}
            </For>
          </SelectField>
        </FilterForm>
      </Show>
      <Show when={code()} keyed>
        {(c) => <MunicipalityForm code={c} />}
      </Show>
    </>
  );
}

function MunicipalityForm(props: { code: string }) {
  const s = () => t().billingSettings;
  const settings = createAsync(() => getSettings(props.code));
  const [notice, setNotice] = createSignal("");
  const [error, setError] = createSignal<unknown>();
  async function save(e: SubmitEvent) {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    const body: Omit<MunicipalityBillingSettings, "municipalityCode"> = {
      paymentDue: String(data.get("paymentDue")) as MunicipalityBillingSettings["paymentDue"],
      paymentDays: Number(data.get("paymentDays") || 30),
      sealRequired: data.get("sealRequired") === "on",
      residentDisplay: String(data.get("residentDisplay")) as MunicipalityBillingSettings["residentDisplay"],
      creditorCodes: {
        medical: String(data.get("creditor-medical") ?? ""),
        midwife: String(data.get("creditor-midwife") ?? ""),
      },
    };
    setError(undefined);
    try {
      await billingApi.setMunicipalitySettings(props.code, body);
      setNotice(s().saved);
      await revalidate(getSettings.keyFor(props.code));
    } catch (err) {
      setNotice("");
      setError(err);
    }
  }
  return (
    <Show when={settings()}>
      {(v) => (
        <section aria-labelledby="municipality-settings-heading">
          <h2 id="municipality-settings-heading">{s().municipalityHeading}</h2>
          <form class="panel" onSubmit={save}>
            <SelectField name="paymentDue" label={s().paymentDue}>
              <For each={["end_of_next_month", "days_after_issue"] as const}>
                {(o) => (
                  <option value={o} selected={v().paymentDue === o}>
                    {s().paymentDues[o]}
                  </option>
                )}
              </For>
            </SelectField>
            <TextField
              name="paymentDays"
              type="number"
              min={1}
              max={120}
              label={s().paymentDays}
              value={String(v().paymentDays)}
            />
            <div class="field">
              <label class="checkbox">
                <input type="checkbox" name="sealRequired" checked={v().sealRequired} />
                <span>{s().sealRequired}</span>
              </label>
            </div>
            <SelectField name="residentDisplay" label={s().residentDisplay}>
              <For each={["external_id", "voucher_number", "name"] as const}>
                {(o) => (
                  <option value={o} selected={v().residentDisplay === o}>
                    {s().residentDisplays[o]}
                  </option>
                )}
              </For>
            </SelectField>
            <For each={["medical", "midwife"] as const}>
              {(a) => (
                <TextField
                  name={`creditor-${a}`}
                  label={s().creditorCode(s().associations[a] ?? a)}
                  value={v().creditorCodes[a] ?? ""}
                  maxLength={40}
                />
              )}
            </For>
            <Show when={error()}>{(e) => <ErrorMessage error={e()} />}</Show>
            <p role="status">{notice()}</p>
            <div class="form-actions">
              <button type="submit" class="button">
                {s().save}
              </button>
            </div>
          </form>
        </section>
      )}
    </Show>
  );
}
