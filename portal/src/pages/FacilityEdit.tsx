import { A, type Action, action, createAsync, useParams, useSubmission } from "@solidjs/router";
import { createEffect, createSignal, For, Match, on, Show, Switch } from "solid-js";
import {
  ACCESSIBILITY_TAGS,
  ApiError,
  api,
  type Facility,
  type FacilityPatch,
  KNOWN_LANGUAGES,
} from "../api";
import { ErrorMessage } from "../components/ErrorMessage";
import { TextField } from "../components/Field";
import { RequireRole } from "../components/Guard";
import { Page } from "../components/Page";
import { byRegion, getMunicipalities } from "../data";
import { label, t } from "../i18n";
import { facilityOrNull } from "./FacilityProfile";
import { NotFound } from "./NotFound";

const TEXT_FIELDS = [
  "name",
  "kana",
  "postalCode",
  "address",
  "access",
  "phone",
  "email",
  "website",
  "bookingUrl",
  "description",
] as const;
const LIST_FIELDS = ["languages", "accessibility", "serviceArea"] as const;

/** Only what changed, plus the version being edited (the hub answers 409 if it is stale). */
export function buildPatch(base: Facility, form: URLSearchParams | FormData): FacilityPatch {
  const patch: Record<string, unknown> = { version: base.version };
  for (const k of TEXT_FIELDS) {
    const next = String(form.get(k) ?? "").trim();
    if (next !== (base[k] ?? "")) patch[k] = next;
  }
  for (const k of LIST_FIELDS) {
    const next = form.getAll(k).map(String);
    const old = base[k] ?? [];
    if (next.length !== old.length || next.some((v) => !old.includes(v))) patch[k] = next;
  }
  return patch as FacilityPatch;
}

type SaveResult = { saved: boolean; version?: number };

export function FacilityEdit() {
  const params = useParams();
  return (
    <RequireRole roles={["facility"]} title={t().edit.titleShort}>
      {(me) => (
        <Show
          when={me.facilityId === params.id}
          fallback={
            <Page title={t().edit.titleShort}>
              <div class="alert alert-error" role="alert">
                <p>{t().edit.notOwn}</p>
              </div>
            </Page>
          }
        >
          <EditFacility id={params.id ?? ""} />
        </Show>
      )}
    </RequireRole>
  );
}

function EditFacility(props: { id: string }) {
  const facility = createAsync(() => facilityOrNull(props.id));
  // The form edits a snapshot: background refreshes never overwrite what the user is typing.
  const [snapshot, setSnapshot] = createSignal<Facility>();
  const [formKey, setFormKey] = createSignal(0);
  createEffect(() => {
    const f = facility();
    if (f && !snapshot()) setSnapshot(f);
  });

  const save = action(async (form: URLSearchParams): Promise<SaveResult> => {
    const base = snapshot();
    if (!base) return { saved: false };
    const patch = buildPatch(base, form);
    if (Object.keys(patch).length === 1) return { saved: false };
    const updated = await api.updateFacility(base.id, patch);
    setSnapshot(updated);
    return { saved: true, version: updated.version };
  }, "saveFacility");
  const submission = useSubmission(save);
  const result = () => submission.result as SaveResult | undefined;
  const error = () => (submission.error instanceof ApiError ? submission.error : undefined);
  const conflict = () => error()?.status === 409;
  const fieldErrors = () =>
    error()?.status === 422 || error()?.status === 400 ? (error()?.fieldErrors() ?? {}) : {};

  // The outcome of a save is shown above the form: take the user (and their screen reader) there.
  let messages!: HTMLDivElement;
  createEffect(
    on(
      () => submission.result ?? submission.error,
      (outcome) => outcome && setTimeout(() => messages?.focus(), 0),
      { defer: true },
    ),
  );

  async function reloadLatest() {
    const latest = await api.getFacility(props.id);
    setSnapshot(latest);
    setFormKey((k) => k + 1);
    submission.clear();
    // After the form has been rebuilt from the latest version.
    setTimeout(() => document.getElementById("field-name")?.focus(), 0);
  }

  return (
    <Show when={facility() !== undefined}>
      <Show when={snapshot()} fallback={<NotFound />}>
        {(f) => (
          <Page title={t().edit.title(f().name)}>
            <p>{t().edit.intro}</p>
            <p>
              <A href={`/facilities/${f().id}`}>{t().edit.backToProfile}</A>
            </p>
            <div ref={messages} tabindex="-1" class="messages">
              <div aria-live="polite" role="status" class="status-slot">
                <Show when={result()}>
                  {(r) => (
                    <p class={r().saved ? "alert alert-success" : "alert alert-info"}>
                      {r().saved ? t().edit.saved(r().version ?? 0) : t().edit.noChanges}
                    </p>
                  )}
                </Show>
              </div>
              <Switch>
                <Match when={conflict()}>
                  <div class="alert alert-error" role="alert">
                    <h2 class="alert-title">{t().edit.conflictTitle}</h2>
                    <p>{t().edit.conflictText}</p>
                    <Show when={error()?.detail}>
                      <p>{error()?.detail}</p>
                    </Show>
                    <button type="button" class="button" onClick={reloadLatest}>
                      {t().edit.reloadLatest}
                    </button>
                  </div>
                </Match>
                <Match when={error()}>{(e) => <ErrorSummary error={e()} fields={fieldErrors()} />}</Match>
              </Switch>
            </div>
            {/* Rebuilt (keyed) only when the user asks for the latest version after a conflict. */}
            <Show when={formKey() + 1} keyed>
              <FacilityForm
                facility={f()}
                action={save}
                pending={submission.pending === true}
                errors={fieldErrors()}
              />
            </Show>
          </Page>
        )}
      </Show>
    </Show>
  );
}

/** Problems with the form: what is wrong, each a link to its field. */
function ErrorSummary(props: { error: ApiError; fields: Record<string, string> }) {
  const entries = () => Object.keys(props.fields);
  return (
    <Show when={entries().length > 0} fallback={<ErrorMessage error={props.error} />}>
      <div class="alert alert-error" role="alert">
        <p class="alert-title">{t().errors.validation}</p>
        <ul>
          <For each={entries()}>
            {(field) => (
              <li>
                <a
                  href={`#field-${field}`}
                  onClick={(e) => {
                    e.preventDefault();
                    document.querySelector<HTMLElement>(`#field-${field}, [name="${field}"]`)?.focus();
                  }}
                >
                  {t().edit.fieldProblem(
                    label("facilityFields", field),
                    invalidText(field, props.fields[field] ?? ""),
                  )}
                </a>
              </li>
            )}
          </For>
        </ul>
      </div>
    </Show>
  );
}

function invalidText(field: string, fallback: string): string {
  return t().edit.invalid[field] ?? fallback;
}

function FacilityForm(props: {
  facility: Facility;
  action: Action<[URLSearchParams], unknown>;
  pending: boolean;
  errors: Record<string, string>;
}) {
  const f = () => props.facility;
  const fields = () => t().facilityFields;
  const e = () => t().edit;
  const err = (k: string) => (props.errors[k] ? invalidText(k, props.errors[k] ?? "") : undefined);
  const municipalities = createAsync(() => getMunicipalities());
  const languages = () => [...new Set([...KNOWN_LANGUAGES, ...(f().languages ?? [])])];

  return (
    <form action={props.action} method="post" class="stack" novalidate>
      <p class="meta">{e().editingVersion(f().version)}</p>
      <TextField
        name="name"
        label={fields().name}
        value={f().name}
        required
        maxLength={100}
        autocomplete="organization"
        error={err("name")}
      />
      <TextField name="kana" label={fields().kana} value={f().kana} maxLength={100} error={err("kana")} />
      <TextField
        name="postalCode"
        label={fields().postalCode}
        hint={e().postalCodeHint}
        value={f().postalCode}
        maxLength={8}
        autocomplete="postal-code"
        inputmode="numeric"
        error={err("postalCode")}
      />
      <TextField
        name="address"
        label={fields().address}
        value={f().address}
        required
        maxLength={200}
        error={err("address")}
      />
      <TextField
        name="access"
        label={fields().access}
        value={f().access}
        maxLength={500}
        error={err("access")}
      />
      <TextField
        name="phone"
        label={fields().phone}
        hint={e().phoneHint}
        type="tel"
        value={f().phone}
        maxLength={20}
        autocomplete="tel"
        error={err("phone")}
      />
      <TextField
        name="email"
        label={fields().email}
        type="email"
        value={f().email}
        maxLength={254}
        autocomplete="email"
        error={err("email")}
      />
      <TextField
        name="website"
        label={fields().website}
        hint={e().urlHint}
        type="url"
        value={f().website}
        maxLength={300}
        autocomplete="url"
        error={err("website")}
      />
      <TextField
        name="bookingUrl"
        label={fields().bookingUrl}
        hint={e().urlHint}
        type="url"
        value={f().bookingUrl}
        maxLength={300}
        error={err("bookingUrl")}
      />
      <Checkboxes
        name="languages"
        legend={fields().languages}
        hint={e().languagesHint}
        error={err("languages")}
        options={languages().map((l) => ({ value: l, label: label("languages", l) }))}
        checked={f().languages ?? []}
      />
      <Checkboxes
        name="accessibility"
        legend={fields().accessibility}
        error={err("accessibility")}
        options={ACCESSIBILITY_TAGS.map((a) => ({ value: a, label: label("accessibility", a) }))}
        checked={f().accessibility ?? []}
      />
      <fieldset
        class="checkbox-group"
        aria-describedby={`serviceArea-hint${err("serviceArea") ? " serviceArea-error" : ""}`}
      >
        <legend>{fields().serviceArea}</legend>
        <p class="hint" id="serviceArea-hint">
          {e().serviceAreaHint}
        </p>
        <Show when={err("serviceArea")}>
          <p class="field-error" id="serviceArea-error">
            {err("serviceArea")}
          </p>
        </Show>
        <For each={byRegion(municipalities() ?? [])}>
          {([region, items]) => (
            <fieldset class="checkbox-subgroup">
              <legend>{region}</legend>
              <div class="checkbox-grid">
                <For each={items}>
                  {(m) => (
                    <label class="checkbox">
                      <input
                        type="checkbox"
                        name="serviceArea"
                        value={m.code}
                        checked={(f().serviceArea ?? []).includes(m.code)}
                      />
                      <span>{m.name}</span>
                    </label>
                  )}
                </For>
              </div>
            </fieldset>
          )}
        </For>
      </fieldset>
      <TextField
        name="description"
        label={fields().description}
        value={f().description}
        multiline
        maxLength={2000}
        error={err("description")}
      />
      <div class="form-actions">
        <button type="submit" class="button">
          {props.pending ? t().saving : e().save}
        </button>
      </div>
    </form>
  );
}

function Checkboxes(props: {
  name: string;
  legend: string;
  hint?: string;
  error?: string;
  options: { value: string; label: string }[];
  checked: string[];
}) {
  const describedBy = () =>
    [props.hint ? `${props.name}-hint` : "", props.error ? `${props.name}-error` : ""]
      .filter(Boolean)
      .join(" ") || undefined;
  return (
    <fieldset class="checkbox-group" aria-describedby={describedBy()}>
      <legend>{props.legend}</legend>
      <Show when={props.hint}>
        <p class="hint" id={`${props.name}-hint`}>
          {props.hint}
        </p>
      </Show>
      <Show when={props.error}>
        <p class="field-error" id={`${props.name}-error`}>
          {props.error}
        </p>
      </Show>
      <div class="checkbox-grid">
        <For each={props.options}>
          {(o) => (
            <label class="checkbox">
              <input
                type="checkbox"
                name={props.name}
                value={o.value}
                checked={props.checked.includes(o.value)}
              />
              <span>{o.label}</span>
            </label>
          )}
        </For>
      </div>
    </fieldset>
  );
}
