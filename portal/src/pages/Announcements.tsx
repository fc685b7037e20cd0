import { createAsync, query, revalidate } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import {
  ANNOUNCEMENT_KINDS,
  type Announcement,
  type AnnouncementInput,
  ApiError,
  AUDIENCES,
  supportApi,
} from "../api";
import { Button } from "../components/Button";
import { SelectField, TextField } from "../components/Field";
import { RequireRole } from "../components/Guard";
import { Page } from "../components/Page";
import { formatDateTime } from "../format";
import { t, untranslated } from "../i18n";
import { SupportProblem } from "./Help";

/**
 * Announcements (/announcements) for the prefecture and the operator: the list with each one's period and e-mail
 * state, a form to create or edit one (kind, titles and texts in Japanese and English, audiences, period in
 * Japan time, e-mail), and deletion. The hub: GET/POST api/announcements, PATCH/DELETE api/announcements/{id}.
 */

const getAnnouncements = query(async () => (await supportApi.listAnnouncements()).items, "announcements");

/** "2026-12-01T02:00" in Japan time ⇄ an instant. */
const toLocal = (iso: string) => new Date(new Date(iso).getTime() + 9 * 3600_000).toISOString().slice(0, 16);
const fromLocal = (local: string) => (local ? new Date(`${local}:00+09:00`).toISOString() : "");

export function Announcements() {
  return (
    <RequireRole roles={["prefecture", "operator"]} title={t().support.annTitle}>
      {() => <Manage />}
    </RequireRole>
  );
}

function blank(): AnnouncementInput {
  const start = new Date(Math.ceil(Date.now() / 3600_000) * 3600_000);
  return {
    kind: "info",
    titleJa: "",
    bodyJa: "",
    titleEn: "",
    bodyEn: "",
    audiences: ["public"],
    startsAt: start.toISOString(),
    endsAt: new Date(start.getTime() + 7 * 86_400_000).toISOString(),
    sendEmail: false,
  };
}

function Manage() {
  const s = () => t().support;
  const list = createAsync(() => getAnnouncements());
  const [notice, setNotice] = createSignal("");
  const [editing, setEditing] = createSignal<{ id?: string; input: AnnouncementInput } | undefined>({
    input: blank(),
  });
  const [error, setError] = createSignal<unknown>();

  function announce(text: string) {
    setNotice(text);
    setTimeout(() => document.getElementById("ann-messages")?.focus(), 0);
  }

  async function remove(a: Announcement) {
    setError(undefined);
    try {
      await supportApi.deleteAnnouncement(a.id);
      await revalidate(getAnnouncements.key);
      announce(s().annDeleted);
    } catch (err) {
      setError(err);
    }
  }

  const state = (a: Announcement) => {
    const now = Date.now();
    if (new Date(a.startsAt).getTime() > now) return s().scheduled;
    if (new Date(a.endsAt).getTime() <= now) return s().ended;
    return s().inForce;
  };

  return (
    <Page title={s().annTitle}>
      <p>{s().annIntro}</p>
      <div id="ann-messages" tabindex="-1" class="messages">
        <div role="status" aria-live="polite" class="status-slot">
          <Show when={notice()}>
            <p class="alert alert-success">{notice()}</p>
          </Show>
        </div>
        <Show when={error()}>{(err) => <SupportProblem error={err()} />}</Show>
      </div>
      <Show
        when={editing()}
        keyed
        fallback={
          <div class="form-actions">
            <button type="button" class="button" onClick={() => setEditing({ input: blank() })}>
              {s().annNew}
            </button>
          </div>
        }
      >
        {(ed) => (
          <AnnouncementForm
            id={ed.id}
            initial={ed.input}
            onCancel={ed.id ? () => setEditing(undefined) : undefined}
            onSaved={async () => {
              await revalidate(getAnnouncements.key);
              setEditing({ input: blank() });
              announce(s().annSaved);
            }}
          />
        )}
      </Show>
      <section aria-labelledby="ann-list-heading">
        <h2 id="ann-list-heading">{s().annListHeading}</h2>
        <Show when={list()}>
          {(items) => (
            <Show when={items().length > 0} fallback={<p>{s().annEmpty}</p>}>
              <ul class="stack" id="ann-list">
                <For each={items()}>
                  {(a) => (
                    <li class="panel" id={`ann-${a.id}`}>
                      <p>
                        <strong>{s().announcementKinds[a.kind]}</strong>
                        {t().dotSeparator}
                        {state(a)}
                      </p>
                      <p>
                        <strong lang={untranslated()}>{a.titleJa}</strong>
                      </p>
                      <Show when={a.bodyJa}>
                        <p class="description" lang={untranslated()}>
                          {a.bodyJa}
                        </p>
                      </Show>
                      <p class="meta">
                        {s().period}: {formatDateTime(a.startsAt)} – {formatDateTime(a.endsAt)}
                        {t().dotSeparator}
                        {a.audiences.map((x) => s().audienceLabels[x] ?? x).join(t().listSeparator)}
                        <Show when={a.sendEmail}>
                          {t().dotSeparator}
                          {a.emailedAt ? s().emailedAt(formatDateTime(a.emailedAt)) : s().emailPending}
                        </Show>
                      </p>
                      <div class="form-actions">
                        <button
                          type="button"
                          class="button button-secondary"
                          aria-label={s().actionLabel(s().edit, a.titleJa)}
                          onClick={() => {
                            setEditing({ id: a.id, input: { ...a } });
                            setTimeout(() => document.getElementById("ann-titleJa")?.focus(), 0);
                          }}
                        >
                          {s().edit}
                        </button>
                        <button
                          type="button"
                          class="button button-secondary"
                          aria-label={s().actionLabel(s().remove, a.titleJa)}
                          onClick={() => remove(a)}
                        >
                          {s().remove}
                        </button>
                      </div>
                    </li>
                  )}
                </For>
              </ul>
            </Show>
          )}
        </Show>
      </section>
    </Page>
  );
}

type Errors = Partial<Record<"titleJa" | "audiences" | "startsAt" | "endsAt" | "kind", string>>;

function AnnouncementForm(props: {
  id?: string;
  initial: AnnouncementInput;
  onCancel?: () => void;
  onSaved: () => Promise<void>;
}) {
  const s = () => t().support;
  const [errors, setErrors] = createSignal<Errors>({});
  const [error, setError] = createSignal<unknown>();
  const [busy, setBusy] = createSignal(false);

  async function submit(e: SubmitEvent) {
    e.preventDefault();
    const d = new FormData(e.currentTarget as HTMLFormElement);
    const v = (k: string) => String(d.get(k) ?? "").trim();
    const body: AnnouncementInput = {
      kind: v("kind") as AnnouncementInput["kind"],
      titleJa: v("titleJa"),
      bodyJa: v("bodyJa"),
      titleEn: v("titleEn"),
      bodyEn: v("bodyEn"),
      audiences: d.getAll("audiences").map(String),
      startsAt: fromLocal(v("startsAt")),
      endsAt: fromLocal(v("endsAt")),
      sendEmail: d.get("sendEmail") === "on",
    };
    const errs: Errors = {};
    if (!body.titleJa) errs.titleJa = s().required;
    if (body.audiences.length === 0) errs.audiences = s().audiencesRequired;
    if (!body.startsAt) errs.startsAt = s().dateInvalid;
    if (!body.endsAt) errs.endsAt = s().dateInvalid;
    else if (body.startsAt && body.endsAt <= body.startsAt) errs.endsAt = s().endBeforeStart;
    setErrors(errs);
    setError(undefined);
    const first = (["titleJa", "audiences", "startsAt", "endsAt"] as const).find((k) => errs[k]);
    if (first) {
      const target =
        first === "audiences"
          ? document.querySelector<HTMLInputElement>("#ann-audiences input")
          : document.getElementById(`ann-${first}`);
      return setTimeout(() => target?.focus(), 0);
    }
    setBusy(true);
    try {
      if (props.id) await supportApi.updateAnnouncement(props.id, body);
      else await supportApi.createAnnouncement(body);
      await props.onSaved();
    } catch (err) {
      setError(err);
      if (err instanceof ApiError) setErrors(err.fieldErrors() as Errors);
    } finally {
      setBusy(false);
    }
  }

  const audError = () => errors().audiences;
  return (
    <section class="panel" aria-labelledby="ann-form-heading">
      <h2 id="ann-form-heading">{props.id ? s().annEdit : s().annNew}</h2>
      <Show when={error()}>{(err) => <SupportProblem error={err()} />}</Show>
      <form onSubmit={submit} noValidate class="stack">
        <SelectField id="ann-kind" name="kind" label={s().kind}>
          <For each={ANNOUNCEMENT_KINDS}>
            {(k) => (
              <option value={k} selected={k === props.initial.kind}>
                {s().announcementKinds[k]}
              </option>
            )}
          </For>
        </SelectField>
        <TextField
          id="ann-titleJa"
          name="titleJa"
          label={s().titleJa}
          error={errors().titleJa}
          value={props.initial.titleJa}
          maxLength={200}
        />
        <TextField
          id="ann-bodyJa"
          name="bodyJa"
          label={s().bodyJa}
          value={props.initial.bodyJa}
          multiline
          maxLength={2000}
        />
        <TextField
          id="ann-titleEn"
          name="titleEn"
          label={s().titleEn}
          value={props.initial.titleEn}
          maxLength={200}
        />
        <TextField
          id="ann-bodyEn"
          name="bodyEn"
          label={s().bodyEn}
          value={props.initial.bodyEn}
          multiline
          maxLength={2000}
        />
        <fieldset
          class="checkbox-group"
          classList={{ "field-invalid": !!audError() }}
          id="ann-audiences"
          aria-describedby={audError() ? "ann-audiences-error" : undefined}
        >
          <legend>{s().audiences}</legend>
          <Show when={audError()}>
            <p class="field-error" id="ann-audiences-error">
              {audError()}
            </p>
          </Show>
          <div class="checkbox-grid">
            <For each={AUDIENCES}>
              {(a) => (
                <label class="checkbox">
                  <input
                    type="checkbox"
                    name="audiences"
                    value={a}
                    checked={props.initial.audiences.includes(a)}
                    aria-invalid={audError() ? "true" : undefined}
                  />
                  <span>{s().audienceLabels[a]}</span>
                </label>
              )}
            </For>
          </div>
        </fieldset>
        <TextField
          type="datetime-local"
          id="ann-startsAt"
          name="startsAt"
          label={s().startsAt}
          error={errors().startsAt}
          value={toLocal(props.initial.startsAt)}
        />
        <TextField
          type="datetime-local"
          id="ann-endsAt"
          name="endsAt"
          label={s().endsAt}
          error={errors().endsAt}
          value={toLocal(props.initial.endsAt)}
        />
        <label class="checkbox">
          <input type="checkbox" name="sendEmail" checked={props.initial.sendEmail} />
          <span>{s().sendEmail}</span>
        </label>
        <div class="form-actions">
          <Button type="submit" class="button" busy={busy()}>
            {busy() ? t().saving : s().save}
          </Button>
          <Show when={props.onCancel}>
            {(cancel) => (
              <button type="button" class="button button-secondary" onClick={() => cancel()()}>
                {s().cancel}
              </button>
            )}
          </Show>
        </div>
      </form>
    </section>
  );
}
