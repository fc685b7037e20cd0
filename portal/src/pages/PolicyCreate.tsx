import { revalidate } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import {
  ApiError,
  api,
  INCOME_TIERS,
  type PolicyPreview,
  type PolicyRules,
  type PolicyServiceRule,
  type PolicyVersion,
  SERVICE_TYPES,
  type ServiceType,
} from "../api";
import { Button } from "../components/Button";
import { ErrorMessage } from "../components/ErrorMessage";
import { TextField } from "../components/Field";
import { ScrollTable } from "../components/Table";
import { getPolicyVersions } from "../data";
import { addDays, formatDate, formatYen, todayInJapan } from "../format";
import { label, t } from "../i18n";

/** The amounts and limits the form edits, per service type (paths as the hub reports field errors). */
const FIELDS = [
  "unitFee",
  ...INCOME_TIERS.map((tier) => `copayPerUnit.${tier}`),
  "maxUnits",
  "maxUnitsMultipleBirth",
] as const;

const inputId = (path: string) => `policy-${path.replace(/\./g, "-")}`;

/** The first day of next month (Japan time), or the day after the latest version's start if that is later. */
export function defaultEffectiveFrom(latest: string | undefined, today = todayInJapan()): string {
  const [y = 0, m = 1] = today.split("-").map(Number);
  const next = m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, "0")}-01`;
  if (latest && latest >= next) return addDays(latest, 1);
  return next;
}

function fieldValue(rule: PolicyServiceRule, field: string): number | undefined {
  if (field.startsWith("copayPerUnit.")) {
    return rule.copayPerUnit?.[field.slice("copayPerUnit.".length) as keyof typeof rule.copayPerUnit];
  }
  return rule[field as "unitFee" | "maxUnits" | "maxUnitsMultipleBirth"];
}

/** "32000" → 32000; "" → undefined (the hub reports it missing); anything else is sent as typed. */
function parseAmount(raw: string): number | string | undefined {
  const v = raw.trim().replace(/[,，]/g, "");
  if (v === "") return undefined;
  return /^-?[0-9]+$/.test(v) ? Number(v) : v;
}

/** The field's label, e.g. 「利用者負担（一般）」. */
function fieldLabel(field: string): string {
  const c = t().policies.create;
  if (field.startsWith("copayPerUnit.")) {
    const tier = field.slice("copayPerUnit.".length);
    return c.copay(t().policies.tiers[tier] ?? tier);
  }
  return (c as unknown as Record<string, string>)[field] ?? field;
}

/** A hub message ("must not exceed unitFee (32000)") in the user's words. */
function problemText(path: string, message: string): string {
  const c = t().policies.create;
  if (/must not exceed/.test(message)) return c.copayAboveFee;
  if (/must be at least maxUnits/.test(message)) return c.multipleBelowUnits;
  const after = /must be after (\d{4}-\d{2}-\d{2})/.exec(message);
  if (after?.[1]) return c.dateAfter(formatDate(after[1]));
  if (path === "effectiveFrom") return c.dateFormat;
  if (/\.(unitFee|copayPerUnit\.\w+)$/.test(path)) return c.wholeYen;
  if (/\.maxUnits(MultipleBirth)?$/.test(path)) return c.wholeUnits;
  return message;
}

/**
 * 新しい版の作成 (municipality staff): a form prefilled from the version in force, a preview of what would change
 * (residents affected, amounts before → after), then the new version, listed as 適用予定.
 */
export function PolicyCreate(props: { code: string; current: PolicyVersion; latest: string | undefined }) {
  const p = () => t().policies;
  const c = () => p().create;
  const [open, setOpen] = createSignal(false);
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<unknown>();
  const [preview, setPreview] = createSignal<PolicyPreview>();
  const [created, setCreated] = createSignal<PolicyVersion>();
  const offered = () => SERVICE_TYPES.filter((type) => props.current.services[type]);
  let form!: HTMLFormElement;
  let messages!: HTMLDivElement;
  let opener!: HTMLButtonElement;

  /** The inputs, by the path the hub reports their errors under. */
  const inputs = () =>
    new Set(["effectiveFrom", ...offered().flatMap((type) => FIELDS.map((f) => `services.${type}.${f}`))]);
  const problems = () => {
    const e = error();
    if (!(e instanceof ApiError) || e.status !== 422) return [];
    return e.errors.map((item) => {
      const path = (item.path ?? "").replace(/^[/.]+/, "").replace(/\//g, ".");
      return { path, text: problemText(path, item.message), input: inputs().has(path) };
    });
  };
  /** Field errors keyed by input path ("services.stay.unitFee", "effectiveFrom"). */
  const fieldErrors = () => {
    const out: Record<string, string> = {};
    for (const item of problems()) if (item.input && !out[item.path]) out[item.path] = item.text;
    return out;
  };
  const unmapped = () => problems().length === 0;

  function rules(): PolicyRules {
    const data = new FormData(form);
    const { municipalityCode: _m, version: _v, inUse: _i, createdAt: _c, ...rest } = props.current;
    const services: Partial<Record<ServiceType, PolicyServiceRule>> = {};
    for (const type of offered()) {
      const base = props.current.services[type] ?? {};
      const read = (field: string) => parseAmount(String(data.get(`services.${type}.${field}`) ?? ""));
      const copay: Record<string, unknown> = { ...base.copayPerUnit };
      for (const tier of INCOME_TIERS) copay[tier] = read(`copayPerUnit.${tier}`);
      services[type] = {
        ...base,
        unitFee: read("unitFee"),
        copayPerUnit: copay,
        maxUnits: read("maxUnits"),
        maxUnitsMultipleBirth: read("maxUnitsMultipleBirth"),
      } as PolicyServiceRule;
    }
    const cancellation = rest.cancellation as { cutoff?: Record<string, unknown> } | undefined;
    const chosen = {
      ...cancellation,
      cutoff: {
        ...cancellation?.cutoff,
        days: data.get("cutoffDays") === "business" ? ("business" as const) : ("calendar" as const),
        closuresMove: data.get("closuresMove") === "on",
      },
    };
    return {
      ...rest,
      effectiveFrom: String(data.get("effectiveFrom") ?? "").trim(),
      services,
      ...(cancellation ? { cancellation: chosen } : {}),
    };
  }

  function focusMessages() {
    setTimeout(() => messages?.focus(), 0);
  }

  async function run(kind: "preview" | "create") {
    if (busy()) return;
    setBusy(true);
    setError(undefined);
    if (kind === "create") setPreview(undefined);
    try {
      if (kind === "preview") {
        setPreview(await api.previewPolicyVersion(props.code, rules()));
      } else {
        const v = await api.createPolicyVersion(props.code, rules());
        setCreated(v);
        setOpen(false);
        await revalidate(getPolicyVersions.keyFor(props.code));
      }
    } catch (err) {
      setPreview(undefined);
      setError(err);
    } finally {
      setBusy(false);
      focusMessages();
    }
  }

  function close() {
    setOpen(false);
    setError(undefined);
    setPreview(undefined);
    setTimeout(() => opener?.focus(), 0);
  }

  const shownValue = (field: string, value: number | null) => {
    if (value === null) return c().notOffered;
    return /maxUnits/.test(field) ? c().units(value) : formatYen(value);
  };

  return (
    <div class="policy-create">
      <div ref={messages} tabindex="-1" class="messages">
        <div role="status" aria-live="polite" class="status-slot">
          <Show when={created()}>
            {(v) => (
              <p class="alert alert-success">{c().created(v().version, formatDate(v().effectiveFrom))}</p>
            )}
          </Show>
        </div>
        <Show when={open() && error()}>
          {(e) => (
            <Show when={!unmapped()} fallback={<ErrorMessage error={e()} id="policy-create-error" />}>
              <div class="alert alert-error" role="alert" id="policy-create-error">
                <p class="alert-title">{c().problems}</p>
                <ul>
                  <For each={problems()}>
                    {(item) => (
                      <li>
                        <Show
                          when={item.input}
                          fallback={t().edit.fieldProblem(summaryLabel(item.path), item.text)}
                        >
                          <a
                            href={`#${inputId(item.path)}`}
                            onClick={(ev) => {
                              ev.preventDefault();
                              document.getElementById(inputId(item.path))?.focus();
                            }}
                          >
                            {t().edit.fieldProblem(summaryLabel(item.path), item.text)}
                          </a>
                        </Show>
                      </li>
                    )}
                  </For>
                </ul>
              </div>
            </Show>
          )}
        </Show>
      </div>
      <Show
        when={open()}
        fallback={
          <p>
            <button
              ref={opener}
              type="button"
              class="button"
              onClick={() => {
                setCreated(undefined);
                setOpen(true);
                setTimeout(() => document.getElementById("policy-effectiveFrom")?.focus(), 0);
              }}
            >
              {c().open}
            </button>
          </p>
        }
      >
        <form
          ref={form}
          class="panel stack policy-form"
          aria-labelledby="policy-form-title"
          novalidate
          onSubmit={(e) => {
            e.preventDefault();
            void run("create");
          }}
        >
          <h3 id="policy-form-title">{c().title}</h3>
          <p>{c().intro(props.current.version)}</p>
          <TextField
            name="effectiveFrom"
            id="policy-effectiveFrom"
            type="date"
            label={c().effectiveFrom}
            hint={c().effectiveFromHint}
            value={defaultEffectiveFrom(props.latest)}
            error={fieldErrors().effectiveFrom}
            required
          />
          <For each={offered()}>
            {(type) => (
              <fieldset class="policy-service">
                <legend>{label("serviceTypes", type)}</legend>
                <div class="policy-fields">
                  <For each={FIELDS}>
                    {(field) => {
                      const path = `services.${type}.${field}`;
                      return (
                        <TextField
                          name={path}
                          id={inputId(path)}
                          type="text"
                          inputmode="numeric"
                          autocomplete="off"
                          label={fieldLabel(field)}
                          hint={field.startsWith("maxUnits") ? c().unitsHint : c().yenHint}
                          value={String(fieldValue(props.current.services[type] ?? {}, field) ?? "")}
                          error={fieldErrors()[path]}
                        />
                      );
                    }}
                  </For>
                </div>
              </fieldset>
            )}
          </For>
          <fieldset class="policy-cutoff" aria-describedby="policy-cutoff-hint">
            <legend>{c().cutoffLegend}</legend>
            <p class="hint" id="policy-cutoff-hint">
              {c().cutoffHint(cutoffChoice(props.current).time)}
            </p>
            <For each={["calendar", "business"] as const}>
              {(kind) => (
                <label class="checkbox">
                  <input
                    type="radio"
                    name="cutoffDays"
                    id={`policy-cutoff-${kind}`}
                    value={kind}
                    checked={cutoffChoice(props.current).days === kind}
                  />
                  {kind === "calendar" ? c().cutoffCalendar : c().cutoffBusiness}
                </label>
              )}
            </For>
            <label class="checkbox">
              <input
                type="checkbox"
                name="closuresMove"
                id="policy-closuresMove"
                checked={cutoffChoice(props.current).closuresMove}
              />
              {c().cutoffClosures}
            </label>
          </fieldset>
          <div class="form-actions">
            <Button
              type="button"
              class="button button-secondary"
              busy={busy()}
              onClick={() => void run("preview")}
            >
              {c().preview}
            </Button>
            <Button type="submit" class="button" busy={busy()}>
              {c().submit}
            </Button>
            <button type="button" class="button button-quiet" onClick={close}>
              {c().cancel}
            </button>
          </div>
          <div role="status" aria-live="polite" class="status-slot">
            <Show when={busy()}>
              <p>{c().checking}</p>
            </Show>
          </div>
          <Show when={preview()}>
            {(pv) => (
              <section aria-labelledby="policy-preview-title" class="policy-preview" id="policy-preview">
                <h4 id="policy-preview-title">{c().previewTitle}</h4>
                <p id="policy-affected">
                  {c().affected(pv().residentsAffected, pv().childrenAffected, pv().vouchersAffected)}
                </p>
                <Show when={pv().changes.length > 0} fallback={<p>{c().noChanges}</p>}>
                  <ScrollTable
                    id="policy-changes"
                    compact
                    caption={pv().replaces ? c().replaces(pv().replaces?.version ?? 0) : c().changesCaption}
                    columns={[c().field, c().from, c().to]}
                  >
                    <tbody>
                      <For each={pv().changes}>
                        {(ch) => (
                          <tr>
                            <th scope="row">{summaryLabel(ch.field)}</th>
                            <td>{shownValue(ch.field, ch.from)}</td>
                            <td>
                              <span aria-hidden="true">→ </span>
                              {shownValue(ch.field, ch.to)}
                            </td>
                          </tr>
                        )}
                      </For>
                    </tbody>
                  </ScrollTable>
                </Show>
              </section>
            )}
          </Show>
        </form>
      </Show>
    </div>
  );
}

/**
 * The cut-off choice the form starts from: the version in force's own, where it states one; otherwise the
 * specification's 「前日10時」 (calendar days, the facility's closures do not move it), the hub's default for a new
 * version that does not say.
 */
export function cutoffChoice(current: { cancellation?: unknown }): {
  days: "calendar" | "business";
  closuresMove: boolean;
  time: string;
} {
  const cutoff = (
    current.cancellation as { cutoff?: { days?: string; closuresMove?: boolean; time?: string } }
  )?.cutoff;
  const stated = cutoff?.days === "calendar" || cutoff?.days === "business";
  return {
    days: stated ? (cutoff?.days as "calendar" | "business") : "calendar",
    closuresMove: stated ? cutoff?.closuresMove === true : false,
    time: cutoff?.time ?? "10:00",
  };
}

/** "services.stay.copayPerUnit.general" → 「宿泊型 利用者負担（一般）」. */
function summaryLabel(path: string): string {
  if (path === "effectiveFrom") return t().policies.create.effectiveFrom;
  const m = /^services\.(\w+)\.(.+)$/.exec(path);
  if (!m?.[1] || !m[2]) return path;
  return `${label("serviceTypes", m[1])} ${fieldLabel(m[2])}`;
}
