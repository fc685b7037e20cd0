/**
 * Online application for a voucher, for a mother not yet registered (no sign-in): /apply (municipality, her
 * details, the baby, her e-mail proved by a one-time code, consent; then the reference and what happens next) and
 * /apply/status#<token> (the link in her e-mails: the state, the municipality's question and the form to answer
 * and send again). The token stays in the fragment, which the browser never sends; the page posts it to the hub.
 */
import { A, createAsync } from "@solidjs/router";
import { createResource, createSignal, For, type JSX, onMount, Show } from "solid-js";
import { type ApiError, type ApplicantFields, type ApplicationStatus, api } from "../api";
import { Button } from "../components/Button";
import { ErrorMessage } from "../components/ErrorMessage";
import { TextField } from "../components/Field";
import { Page } from "../components/Page";
import { byRegion, getMunicipalities } from "../data";
import { formatDate, formatDateTime } from "../format";
import { locale, t } from "../i18n";

type Errors = Record<string, string>;
const a = () => t().apply;

/** Field errors keyed by field, in plain words (the hub's codes), else the hub's own message. */
function fieldErrors(err: unknown): Errors {
  const out: Errors = {};
  for (const e of (err as ApiError | undefined)?.errors ?? []) {
    const field = (e.path ?? "").replace(/^\/+/, "").split("/")[0] ?? "";
    if (field && !out[field]) out[field] = a().errors[e.code ?? ""] ?? e.message;
  }
  return out;
}

const text = (form: FormData, name: string) => String(form.get(name) ?? "").trim();

/** Text the municipality wrote (a question, a reason) is marked Japanese when it is, for English pages (WCAG 3.1.2). */
export const langOf = (value: string | null | undefined) =>
  value && /[\u3040-\u30ff\u4e00-\u9fff]/.test(value) ? "ja" : undefined;

/** What the applicant typed into the shared fields (her details and the baby's). */
function readApplicant(form: FormData): ApplicantFields {
  const born = form.get("born") !== "no";
  return {
    familyName: text(form, "familyName"),
    givenName: text(form, "givenName"),
    kana: text(form, "kana"),
    birthDate: text(form, "birthDate"),
    postalCode: text(form, "postalCode"),
    address: text(form, "address"),
    phone: text(form, "phone") || null,
    preferredLanguage: locale(),
    childName: text(form, "childName"),
    childBirthDate: born ? text(form, "childBirthDate") || null : null,
    childDueDate: text(form, "childDueDate") || null,
    multipleBirth: Number(form.get("multipleBirth") ?? 1),
  };
}

/** The errors that came back, listed at the top (focused) so that a screen reader hears them first. */
function ErrorSummary(props: { errors: Errors; labels: Record<string, string>; error: unknown }) {
  let box!: HTMLDivElement;
  onMount(() => box.focus());
  return (
    <div class="alert alert-error" role="alert" tabindex="-1" ref={box} id="apply-errors">
      <Show when={Object.keys(props.errors).length > 0} fallback={<ErrorMessage error={props.error} />}>
        <p class="alert-title">{a().summary}</p>
        <ul>
          <For each={Object.entries(props.errors)}>
            {([field, message]) => (
              <li>
                {props.labels[field] ?? field}: {message}
              </li>
            )}
          </For>
        </ul>
      </Show>
    </div>
  );
}

const labels = (): Record<string, string> => ({
  municipalityCode: a().municipality,
  familyName: a().familyName,
  givenName: a().givenName,
  kana: a().kana,
  birthDate: a().birthDate,
  postalCode: a().postalCode,
  address: a().address,
  phone: a().phone,
  childName: a().childName,
  childBirthDate: a().childBirthDate,
  childDueDate: a().childDueDate,
  multipleBirth: a().multipleBirth,
  email: a().email,
  code: a().code,
  consent: a().consentTitle,
  answer: a().answer,
});

/** Her details and the baby's, filled in from `initial` when she amends. */
type Initial = Omit<ApplicantFields, "preferredLanguage">;

function ApplicantFieldset(props: { initial?: Initial; errors: Errors }) {
  const [born, setBorn] = createSignal(props.initial ? props.initial.childBirthDate !== null : true);
  const v = (k: keyof Initial) => {
    const value = props.initial?.[k];
    return value === null || value === undefined ? "" : String(value);
  };
  return (
    <>
      <fieldset class="panel stack">
        <legend>{a().youTitle}</legend>
        <TextField
          name="familyName"
          label={a().familyName}
          value={v("familyName")}
          error={props.errors.familyName}
          autocomplete="family-name"
          required
          maxLength={50}
        />
        <TextField
          name="givenName"
          label={a().givenName}
          value={v("givenName")}
          error={props.errors.givenName}
          autocomplete="given-name"
          required
          maxLength={50}
        />
        <TextField
          name="kana"
          label={a().kana}
          hint={a().kanaHint}
          value={v("kana")}
          error={props.errors.kana}
          required
          maxLength={100}
        />
        <TextField
          name="birthDate"
          type="date"
          label={a().birthDate}
          value={v("birthDate")}
          error={props.errors.birthDate}
          autocomplete="bday"
          required
        />
        <TextField
          name="postalCode"
          label={a().postalCode}
          hint={a().postalHint}
          value={v("postalCode")}
          error={props.errors.postalCode}
          autocomplete="postal-code"
          inputmode="numeric"
          required
          maxLength={8}
        />
        <TextField
          name="address"
          label={a().address}
          hint={a().addressHint}
          value={v("address")}
          error={props.errors.address}
          autocomplete="street-address"
          required
          maxLength={200}
        />
        <TextField
          name="phone"
          type="tel"
          label={a().phone}
          hint={a().phoneHint}
          value={v("phone")}
          error={props.errors.phone}
          autocomplete="tel"
          maxLength={20}
        />
      </fieldset>
      <fieldset class="panel stack">
        <legend>{a().childTitle}</legend>
        <TextField
          name="childName"
          label={a().childName}
          hint={a().childNameHint}
          value={v("childName")}
          error={props.errors.childName}
          maxLength={100}
        />
        <fieldset>
          <legend>{a().born}</legend>
          <div class="choice-list">
            <label class="choice">
              <input type="radio" name="born" value="yes" checked={born()} onChange={() => setBorn(true)} />
              {a().bornYes}
            </label>
            <label class="choice">
              <input type="radio" name="born" value="no" checked={!born()} onChange={() => setBorn(false)} />
              {a().bornNo}
            </label>
          </div>
        </fieldset>
        <Show when={born()}>
          <TextField
            name="childBirthDate"
            type="date"
            label={a().childBirthDate}
            value={v("childBirthDate")}
            error={props.errors.childBirthDate}
            required
          />
        </Show>
        <TextField
          name="childDueDate"
          type="date"
          label={a().childDueDate}
          hint={born() ? a().childDueDateBornHint : undefined}
          value={v("childDueDate")}
          error={props.errors.childDueDate ?? (born() ? undefined : props.errors.childBirthDate)}
          required={!born()}
        />
        <TextField
          name="multipleBirth"
          type="number"
          label={a().multipleBirth}
          hint={a().multipleHint}
          value={v("multipleBirth") || "1"}
          error={props.errors.multipleBirth}
          min={1}
          max={5}
          inputmode="numeric"
          required
        />
      </fieldset>
    </>
  );
}

export function Apply() {
  const municipalities = createAsync(() => getMunicipalities());
  const [error, setError] = createSignal<unknown>();
  const [pending, setPending] = createSignal(false);
  const [codeSent, setCodeSent] = createSignal<number>();
  const [codeError, setCodeError] = createSignal<unknown>();
  const [receipt, setReceipt] = createSignal<{ reference: string; municipalityName: string }>();
  const errors = () => fieldErrors(error());

  async function sendCode() {
    setCodeError(undefined);
    setCodeSent(undefined);
    try {
      const sent = await api.requestApplicationCode(
        (document.getElementById("field-email") as HTMLInputElement | null)?.value ?? "",
        locale(),
      );
      setCodeSent(Math.max(1, Math.round((sent?.expiresInSeconds ?? 600) / 60)));
      document.getElementById("field-code")?.focus();
    } catch (err) {
      setCodeError(err);
    }
  }

  async function submit(e: SubmitEvent) {
    e.preventDefault();
    if (pending()) return;
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setPending(true);
    setError(undefined);
    try {
      const r = await api.submitApplication({
        ...readApplicant(form),
        municipalityCode: text(form, "municipalityCode"),
        email: text(form, "email"),
        code: text(form, "code"),
        consent: form.get("consent") === "yes",
      });
      setReceipt(r);
      document.getElementById("received-title")?.focus();
    } catch (err) {
      setError(err);
    } finally {
      setPending(false);
    }
  }

  return (
    <Show
      when={receipt()}
      fallback={
        <Page title={a().title}>
          <p class="lead">{a().lead}</p>
          <p>{a().before}</p>
          <Show when={error()}>
            <ErrorSummary errors={errors()} labels={labels()} error={error()} />
          </Show>
          <form class="stack" onSubmit={submit} novalidate>
            <fieldset class="panel stack">
              <legend>{a().municipalityTitle}</legend>
              <div class="field" classList={{ "field-invalid": !!errors().municipalityCode }}>
                <label for="field-municipalityCode">{a().municipality}</label>
                <Show when={errors().municipalityCode}>
                  <p class="field-error" id="field-municipalityCode-error">
                    {errors().municipalityCode}
                  </p>
                </Show>
                <select
                  id="field-municipalityCode"
                  name="municipalityCode"
                  required
                  aria-invalid={errors().municipalityCode ? "true" : undefined}
                  aria-describedby={errors().municipalityCode ? "field-municipalityCode-error" : undefined}
                >
                  <option value="">{a().choose}</option>
                  <For each={byRegion(municipalities() ?? [])}>
                    {([region, items]) => (
                      <optgroup label={region}>
                        <For each={items}>{(m) => <option value={m.code}>{m.name}</option>}</For>
                      </optgroup>
                    )}
                  </For>
                </select>
              </div>
            </fieldset>
            <ApplicantFieldset errors={errors()} />
            <fieldset class="panel stack">
              <legend>{a().contactTitle}</legend>
              <p>{a().contactIntro}</p>
              <TextField
                name="email"
                type="email"
                label={a().email}
                error={errors().email ?? fieldErrors(codeError()).email}
                autocomplete="email"
                required
                maxLength={254}
              />
              <div class="form-actions">
                <button type="button" class="button button-secondary" onClick={() => void sendCode()}>
                  {a().sendCode}
                </button>
              </div>
              <div role="status" aria-live="polite" class="status-slot">
                <Show when={codeSent()}>{(m) => <p class="alert alert-success">{a().codeSent(m())}</p>}</Show>
              </div>
              <Show when={codeError() && !fieldErrors(codeError()).email}>
                <ErrorMessage error={codeError()} />
              </Show>
              <TextField
                name="code"
                label={a().code}
                error={errors().code}
                autocomplete="one-time-code"
                inputmode="numeric"
                pattern="[0-9]{6}"
                required
                maxLength={6}
              />
            </fieldset>
            <fieldset class="panel stack">
              <legend>{a().consentTitle}</legend>
              <p id="consent-text">{a().consentText}</p>
              <Show when={errors().consent}>
                <p class="field-error" id="consent-error">
                  {errors().consent}
                </p>
              </Show>
              <label class="checkbox">
                <input
                  type="checkbox"
                  name="consent"
                  value="yes"
                  required
                  aria-describedby={errors().consent ? "consent-text consent-error" : "consent-text"}
                  aria-invalid={errors().consent ? "true" : undefined}
                />
                {a().consent}
              </label>
            </fieldset>
            <div class="form-actions">
              <Button type="submit" class="button" busy={pending()}>
                {pending() ? t().saving : a().submit}
              </Button>
            </div>
          </form>
        </Page>
      }
    >
      {(r) => <Received reference={r().reference} municipalityName={r().municipalityName} />}
    </Show>
  );
}

function Received(props: { reference: string; municipalityName: string }) {
  let heading!: HTMLHeadingElement;
  onMount(() => {
    document.title = `${a().receivedTitle} | ${t().siteName}`;
    heading.focus();
  });
  return (
    <>
      <h1 tabindex="-1" ref={heading} id="received-title">
        {a().receivedTitle}
      </h1>
      <div class="alert alert-success">
        <p>
          {a().reference}: <strong class="reference">{props.reference}</strong>
        </p>
        <p>{a().referenceHint}</p>
      </div>
      <p>{a().receivedMail}</p>
      <h2>{a().next}</h2>
      <ol>
        <li>{a().next1(props.municipalityName)}</li>
        <li>{a().next2}</li>
        <li>{a().next3}</li>
      </ol>
      <p>
        <A href="/">{t().nav.home}</A>
      </p>
    </>
  );
}

/** /apply/status#<token>: her application, and the answer form when the municipality asked for more. */
export function ApplyStatus() {
  const token = window.location.hash.replace(/^#/, "");
  const [status, { mutate }] = createResource(
    () => token || undefined,
    (tok) => api.getApplicationStatus(tok).catch(() => null),
  );
  return (
    <Page title={a().statusTitle}>
      <Show
        when={status() !== undefined || !token}
        fallback={
          <p class="loading" role="status">
            {t().loading}
          </p>
        }
      >
        <Show
          when={status()}
          fallback={
            <div class="alert alert-error" role="alert">
              <p>{a().statusMissing}</p>
            </div>
          }
        >
          {(s) => <StatusView status={s()} token={token} onChange={mutate} />}
        </Show>
      </Show>
    </Page>
  );
}

function StatusView(props: {
  status: ApplicationStatus;
  token: string;
  onChange: (s: ApplicationStatus) => void;
}) {
  const s = () => props.status;
  const [error, setError] = createSignal<unknown>();
  const [pending, setPending] = createSignal(false);
  const [sent, setSent] = createSignal(false);
  const errors = () => fieldErrors(error());

  async function resubmit(e: SubmitEvent) {
    e.preventDefault();
    if (pending()) return;
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setPending(true);
    setError(undefined);
    try {
      props.onChange(await api.amendApplication(props.token, readApplicant(form), text(form, "answer")));
      setSent(true);
    } catch (err) {
      setError(err);
    } finally {
      setPending(false);
    }
  }

  const row = (term: string, value: JSX.Element) => (
    <div>
      <dt>{term}</dt>
      <dd>{value}</dd>
    </div>
  );

  return (
    <>
      <div role="status" aria-live="polite" class="status-slot">
        <Show when={sent()}>
          <p class="alert alert-success">{a().resubmitted}</p>
        </Show>
      </div>
      <dl class="details">
        {row(a().reference, <strong class="reference">{s().reference}</strong>)}
        {row(a().state, <strong>{a().states[s().state]}</strong>)}
        {row(a().to, <span lang={langOf(s().municipalityName)}>{s().municipalityName}</span>)}
        {row(a().submittedAt, formatDateTime(s().submittedAt))}
      </dl>
      <Show when={s().state === "approved"}>
        <p>{a().approvedNext}</p>
        <p>
          <A class="button" href="/sign-in">
            {a().signIn}
          </A>
        </p>
      </Show>
      <Show when={s().state === "declined"}>
        <dl class="details">
          {row(a().declineReason, <span lang={langOf(s().declineReason)}>{s().declineReason}</span>)}
        </dl>
        <p>{a().declinedNext}</p>
      </Show>
      <Show when={s().state === "needs_info"}>
        <section aria-labelledby="question-title" class="panel">
          <h2 id="question-title">{a().question}</h2>
          <p class="description" lang={langOf(s().question)}>
            {s().question}
          </p>
        </section>
        <Show when={error()}>
          <ErrorSummary errors={errors()} labels={labels()} error={error()} />
        </Show>
        <form class="stack" onSubmit={resubmit} novalidate>
          <TextField
            name="answer"
            label={a().answer}
            hint={a().answerHint}
            multiline
            maxLength={2000}
            error={errors().answer}
          />
          <ApplicantFieldset initial={s()} errors={errors()} />
          <div class="form-actions">
            <Button type="submit" class="button" busy={pending()}>
              {pending() ? t().saving : a().resubmit}
            </Button>
          </div>
        </form>
      </Show>
      <Show when={s().state !== "needs_info"}>
        <h2>{a().yourDetails}</h2>
        <dl class="details">
          {row(a().familyName, `${s().familyName} ${s().givenName}（${s().kana}）`)}
          {row(a().birthDate, formatDate(s().birthDate))}
          {row(a().address, `〒${s().postalCode} ${s().address}`)}
          {row(a().email, s().email)}
          {row(
            a().childTitle,
            `${s().childName} ${s().childBirthDate ? a().childBorn(formatDate(s().childBirthDate)) : a().childDue(formatDate(s().childDueDate))}`.trim(),
          )}
        </dl>
      </Show>
    </>
  );
}
