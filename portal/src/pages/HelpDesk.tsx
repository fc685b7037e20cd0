import { A, createAsync, query, revalidate, useSearchParams } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import {
  ApiError,
  type FaqEntry,
  type FaqEntryInput,
  INQUIRY_CATEGORIES,
  INQUIRY_STATUSES,
  type Inquiry,
  type Me,
  supportApi,
} from "../api";
import { SelectField, TextField } from "../components/Field";
import { RequireRole } from "../components/Guard";
import { Page } from "../components/Page";
import { formatDateTime } from "../format";
import { t } from "../i18n";
import { one } from "../search";
import { getFaq, InquiryHistory, SupportProblem } from "./Help";

/**
 * The help desk (/helpdesk). The operator lists inquiries (status, category, search), opens one (?id=) with its
 * whole history, answers it (e-mailed to the sender), closes or reopens it, turns an answered one into an FAQ
 * entry (prefilled from the inquiry, editable) and manages the FAQ (publish, unpublish, edit, delete). The
 * prefecture reads everything, read-only. Every read is audited by the hub.
 */

const getInquiries = query(
  (status: string, category: string, q: string) =>
    supportApi.listInquiries({ status, category, q, limit: 100 }),
  "inquiries",
);
const getInquiry = query((id: string) => supportApi.getInquiry(id), "inquiry");
const getFaqEntries = query(async () => (await supportApi.listFaqEntries()).items, "faqEntries");

export function HelpDesk() {
  return (
    <RequireRole roles={["operator", "prefecture"]} title={t().support.deskTitle}>
      {(me) => <Desk me={me} />}
    </RequireRole>
  );
}

function Desk(props: { me: Me }) {
  const s = () => t().support;
  const [params, setParams] = useSearchParams();
  const operator = () => props.me.role === "operator";
  const status = () => one(params.status) ?? "";
  const category = () => one(params.category) ?? "";
  const q = () => one(params.q) ?? "";
  const id = () => one(params.id);
  const [notice, setNotice] = createSignal("");

  function announce(text: string) {
    setNotice(text);
    setTimeout(() => document.getElementById("desk-messages")?.focus(), 0);
  }

  function choose(e: SubmitEvent) {
    e.preventDefault();
    const d = new FormData(e.currentTarget as HTMLFormElement);
    setParams({
      status: String(d.get("status") ?? "") || undefined,
      category: String(d.get("category") ?? "") || undefined,
      q: String(d.get("q") ?? "").trim() || undefined,
      id: undefined,
    });
  }

  return (
    <Page title={s().deskTitle}>
      <p>{operator() ? s().deskIntroOperator : s().deskIntroPrefecture}</p>
      <Show when={!operator()}>
        <p class="alert">{s().readOnly}</p>
      </Show>
      <div id="desk-messages" tabindex="-1" class="messages">
        <div role="status" aria-live="polite" class="status-slot">
          <Show when={notice()}>
            <p class="alert alert-success">{notice()}</p>
          </Show>
        </div>
      </div>
      <Show
        when={id()}
        keyed
        fallback={
          <>
            <search aria-label={s().filtersLabel}>
              <form class="filters panel" onSubmit={choose}>
                <SelectField id="desk-status" name="status" label={s().status}>
                  <option value="" selected={!status()}>
                    {s().all}
                  </option>
                  <For each={INQUIRY_STATUSES}>
                    {(v) => (
                      <option value={v} selected={v === status()}>
                        {s().statuses[v]}
                      </option>
                    )}
                  </For>
                </SelectField>
                <SelectField id="desk-category" name="category" label={s().category}>
                  <option value="" selected={!category()}>
                    {s().all}
                  </option>
                  <For each={INQUIRY_CATEGORIES}>
                    {(v) => (
                      <option value={v} selected={v === category()}>
                        {s().categories[v]}
                      </option>
                    )}
                  </For>
                </SelectField>
                <TextField id="desk-q" name="q" type="search" label={s().search} value={q()} />
                <div class="form-actions">
                  <button type="submit" class="button">
                    {s().show}
                  </button>
                </div>
              </form>
            </search>
            <InquiryList status={status()} category={category()} q={q()} />
            <Show when={operator()}>
              <FaqManager onDone={announce} />
            </Show>
          </>
        }
      >
        {(inquiryId) => <InquiryDetail id={inquiryId} me={props.me} onDone={announce} />}
      </Show>
    </Page>
  );
}

function InquiryList(props: { status: string; category: string; q: string }) {
  const s = () => t().support;
  const list = createAsync(() => getInquiries(props.status, props.category, props.q));
  return (
    <section aria-labelledby="desk-list-heading">
      <h2 id="desk-list-heading">{s().listHeading}</h2>
      <Show when={list()}>
        {(l) => (
          <>
            <p id="desk-counts">{s().counts(l().counts.open, l().counts.answered, l().counts.closed)}</p>
            <Show when={l().items.length > 0} fallback={<p>{s().noInquiries}</p>}>
              <ul class="stack" id="desk-list">
                <For each={l().items}>
                  {(i) => (
                    <li class="panel" id={`desk-row-${i.id}`}>
                      <p>
                        <strong>{i.reference}</strong>
                        {t().dotSeparator}
                        <span id={`desk-state-${i.id}`}>{s().statuses[i.status]}</span>
                        {t().dotSeparator}
                        {s().categories[i.category]}
                      </p>
                      <p>{i.subject}</p>
                      <p class="meta">
                        {i.contactName}
                        {t().dotSeparator}
                        {formatDateTime(i.createdAt)}
                      </p>
                      <A
                        class="button button-secondary"
                        href={`/helpdesk?id=${encodeURIComponent(i.id)}`}
                        aria-label={s().openLabel(i.reference)}
                      >
                        {s().open}
                      </A>
                    </li>
                  )}
                </For>
              </ul>
            </Show>
          </>
        )}
      </Show>
    </section>
  );
}

function InquiryDetail(props: { id: string; me: Me; onDone: (text: string) => void }) {
  const s = () => t().support;
  const inquiry = createAsync(() => getInquiry(props.id));
  const operator = () => props.me.role === "operator";
  const [error, setError] = createSignal<unknown>();
  const [answerError, setAnswerError] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const [draft, setDraft] = createSignal<FaqEntryInput>();

  async function run(
    action: () => Promise<Inquiry>,
    message: (ref: string) => string,
    form?: HTMLFormElement,
  ) {
    setError(undefined);
    setBusy(true);
    try {
      const res = await action();
      form?.reset();
      await Promise.all([revalidate(getInquiry.key), revalidate(getInquiries.key)]);
      props.onDone(message(res.reference));
    } catch (err) {
      setError(err);
      setTimeout(() => document.getElementById("desk-error")?.focus(), 0);
    } finally {
      setBusy(false);
    }
  }

  function answer(e: SubmitEvent) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const text = String(new FormData(form).get("text") ?? "").trim();
    setAnswerError(text ? "" : s().required);
    if (!text) return setTimeout(() => document.getElementById("desk-answer")?.focus(), 0);
    void run(() => supportApi.answerInquiry(props.id, text), s().answered, form);
  }

  function step(kind: "close" | "reopen") {
    const note = (document.getElementById("desk-note") as HTMLTextAreaElement | null)?.value.trim() ?? "";
    void run(
      () =>
        kind === "close" ? supportApi.closeInquiry(props.id, note) : supportApi.reopenInquiry(props.id, note),
      kind === "close" ? s().closed : s().reopened,
    );
  }

  async function makeFaq() {
    setError(undefined);
    try {
      const d = await supportApi.getFaqDraft(props.id);
      setDraft({ ...d, sourceInquiryId: d.inquiryId, published: true });
      setTimeout(() => document.getElementById("faq-questionJa")?.focus(), 0);
    } catch (err) {
      setError(err);
    }
  }

  return (
    <Show when={inquiry()}>
      {(i) => (
        <article aria-labelledby="desk-detail-heading" id="desk-detail">
          <p>
            <A href="/helpdesk">{s().backToList}</A>
          </p>
          <h2 id="desk-detail-heading">
            {i().reference}：{i().subject}
          </h2>
          <dl class="details">
            <div>
              <dt>{s().status}</dt>
              <dd id="desk-detail-status">{s().statuses[i().status]}</dd>
            </div>
            <div>
              <dt>{s().category}</dt>
              <dd>{s().categories[i().category]}</dd>
            </div>
            <div>
              <dt>{s().contact}</dt>
              <dd>{[i().contactName, i().contactEmail, i().contactPhone].filter(Boolean).join(" / ")}</dd>
            </div>
            <div>
              <dt>{s().receivedAt}</dt>
              <dd>{formatDateTime(i().createdAt)}</dd>
            </div>
          </dl>
          <h3>{s().history}</h3>
          <InquiryHistory inquiry={i()} />
          <Show when={error()}>
            {(err) => (
              <div tabindex="-1" id="desk-error">
                <SupportProblem error={err()} />
              </div>
            )}
          </Show>
          <Show when={i().faqEntryId}>
            <p class="alert">{s().faqLinked}</p>
          </Show>
          <Show when={operator()}>
            <Show when={i().status !== "closed"}>
              <form onSubmit={answer} noValidate class="stack panel">
                <TextField
                  id="desk-answer"
                  name="text"
                  label={s().answerLabel}
                  hint={s().answerHint}
                  error={answerError() || undefined}
                  multiline
                  maxLength={4000}
                />
                <div class="form-actions">
                  <button type="submit" class="button" disabled={busy()}>
                    {s().answerSend}
                  </button>
                </div>
              </form>
            </Show>
            <div class="panel stack">
              <TextField id="desk-note" name="note" label={s().noteLabel} multiline maxLength={4000} />
              <div class="form-actions">
                <Show when={i().status !== "closed"}>
                  <button
                    type="button"
                    class="button button-secondary"
                    disabled={busy()}
                    onClick={() => step("close")}
                  >
                    {s().close}
                  </button>
                </Show>
                <Show when={i().status !== "open"}>
                  <button
                    type="button"
                    class="button button-secondary"
                    disabled={busy()}
                    onClick={() => step("reopen")}
                  >
                    {s().reopen}
                  </button>
                </Show>
                <Show when={!i().faqEntryId && i().messages.some((m) => m.kind === "answer") && !draft()}>
                  <button type="button" class="button button-secondary" onClick={makeFaq}>
                    {s().makeFaq}
                  </button>
                </Show>
              </div>
            </div>
            <Show when={draft()} keyed>
              {(d) => (
                <FaqForm
                  initial={d}
                  intro={s().faqFromInquiry(i().reference)}
                  onCancel={() => setDraft(undefined)}
                  onSaved={async () => {
                    setDraft(undefined);
                    await revalidate(getInquiry.key);
                    props.onDone(s().faqSaved);
                  }}
                />
              )}
            </Show>
          </Show>
        </article>
      )}
    </Show>
  );
}

type FaqErrors = Partial<Record<"category" | "questionJa" | "answerJa" | "questionEn" | "answerEn", string>>;

/** Create (or, with `entryId`, edit) an FAQ entry. */
function FaqForm(props: {
  initial: FaqEntryInput;
  entryId?: string;
  intro?: string;
  onCancel: () => void;
  onSaved: () => void | Promise<void>;
}) {
  const s = () => t().support;
  const [errors, setErrors] = createSignal<FaqErrors>({});
  const [error, setError] = createSignal<unknown>();
  const [busy, setBusy] = createSignal(false);

  async function submit(e: SubmitEvent) {
    e.preventDefault();
    const d = new FormData(e.currentTarget as HTMLFormElement);
    const v = (k: string) => String(d.get(k) ?? "").trim();
    const body: FaqEntryInput = {
      category: v("category"),
      questionJa: v("questionJa"),
      answerJa: v("answerJa"),
      questionEn: v("questionEn"),
      answerEn: v("answerEn"),
      published: d.get("published") === "on",
    };
    const errs: FaqErrors = {};
    if (!body.questionJa) errs.questionJa = s().required;
    if (!body.answerJa) errs.answerJa = s().required;
    if (!body.questionEn !== !body.answerEn)
      errs[body.questionEn ? "answerEn" : "questionEn"] = s().enTogether;
    setErrors(errs);
    setError(undefined);
    const first = (["questionJa", "answerJa", "questionEn", "answerEn"] as const).find((k) => errs[k]);
    if (first) return setTimeout(() => document.getElementById(`faq-${first}`)?.focus(), 0);
    setBusy(true);
    try {
      if (props.entryId) await supportApi.updateFaqEntry(props.entryId, body);
      else await supportApi.createFaqEntry({ ...body, sourceInquiryId: props.initial.sourceInquiryId });
      await Promise.all([revalidate(getFaqEntries.key), revalidate(getFaq.key)]);
      await props.onSaved();
    } catch (err) {
      setError(err);
      if (err instanceof ApiError) setErrors(err.fieldErrors() as FaqErrors);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="panel" aria-labelledby="faq-form-heading" id="faq-form">
      <h3 id="faq-form-heading">{props.entryId ? s().faqEditHeading : s().faqFormHeading}</h3>
      <Show when={props.intro}>
        <p>{props.intro}</p>
      </Show>
      <Show when={error()}>{(err) => <SupportProblem error={err()} />}</Show>
      <form onSubmit={submit} noValidate class="stack">
        <SelectField id="faq-category" name="category" label={s().category}>
          <For each={INQUIRY_CATEGORIES}>
            {(c) => (
              <option value={c} selected={c === props.initial.category}>
                {s().categories[c]}
              </option>
            )}
          </For>
        </SelectField>
        <TextField
          id="faq-questionJa"
          name="questionJa"
          label={s().questionJa}
          error={errors().questionJa}
          value={props.initial.questionJa}
          maxLength={500}
        />
        <TextField
          id="faq-answerJa"
          name="answerJa"
          label={s().answerJa}
          error={errors().answerJa}
          value={props.initial.answerJa}
          multiline
          maxLength={4000}
        />
        <TextField
          id="faq-questionEn"
          name="questionEn"
          label={s().questionEn}
          error={errors().questionEn}
          value={props.initial.questionEn}
          maxLength={500}
        />
        <TextField
          id="faq-answerEn"
          name="answerEn"
          label={s().answerEn}
          error={errors().answerEn}
          value={props.initial.answerEn}
          multiline
          maxLength={4000}
        />
        <label class="checkbox">
          <input type="checkbox" name="published" checked={props.initial.published ?? false} />
          <span>{s().publishNow}</span>
        </label>
        <div class="form-actions">
          <button type="submit" class="button" disabled={busy()}>
            {s().saveFaq}
          </button>
          <button type="button" class="button button-secondary" onClick={() => props.onCancel()}>
            {s().cancel}
          </button>
        </div>
      </form>
    </section>
  );
}

function FaqManager(props: { onDone: (text: string) => void }) {
  const s = () => t().support;
  const entries = createAsync(() => getFaqEntries());
  const [editing, setEditing] = createSignal<{ id?: string; input: FaqEntryInput }>();
  const [error, setError] = createSignal<unknown>();

  async function act(action: () => Promise<unknown>, message: string) {
    setError(undefined);
    try {
      await action();
      await Promise.all([revalidate(getFaqEntries.key), revalidate(getFaq.key)]);
      props.onDone(message);
    } catch (err) {
      setError(err);
    }
  }

  const toInput = (e: FaqEntry): FaqEntryInput => ({
    category: e.category,
    questionJa: e.questionJa,
    answerJa: e.answerJa,
    questionEn: e.questionEn,
    answerEn: e.answerEn,
    published: e.published,
  });

  return (
    <section aria-labelledby="faq-manage-heading">
      <h2 id="faq-manage-heading">{s().faqManage}</h2>
      <Show when={error()}>{(err) => <SupportProblem error={err()} />}</Show>
      <Show
        when={editing()}
        keyed
        fallback={
          <div class="form-actions">
            <button
              type="button"
              class="button button-secondary"
              onClick={() =>
                setEditing({
                  input: { category: "other", questionJa: "", answerJa: "", questionEn: "", answerEn: "" },
                })
              }
            >
              {s().newFaq}
            </button>
          </div>
        }
      >
        {(ed) => (
          <FaqForm
            initial={ed.input}
            entryId={ed.id}
            onCancel={() => setEditing(undefined)}
            onSaved={() => {
              setEditing(undefined);
              props.onDone(s().faqSaved);
            }}
          />
        )}
      </Show>
      <Show when={entries()}>
        {(list) => (
          <ul class="stack" id="faq-entries">
            <For each={list()}>
              {(e) => (
                <li class="panel" id={`faq-row-${e.id}`}>
                  <p>
                    <strong>{e.published ? s().published : s().unpublished}</strong>
                    {t().dotSeparator}
                    {s().categories[e.category] ?? e.category}
                  </p>
                  <p>{e.questionJa}</p>
                  <div class="form-actions">
                    <button
                      type="button"
                      class="button button-secondary"
                      aria-label={s().actionLabel(e.published ? s().unpublish : s().publish, e.questionJa)}
                      onClick={() =>
                        act(
                          () => supportApi.updateFaqEntry(e.id, { published: !e.published }),
                          e.published ? s().faqUnpublished : s().faqPublished,
                        )
                      }
                    >
                      {e.published ? s().unpublish : s().publish}
                    </button>
                    <button
                      type="button"
                      class="button button-secondary"
                      aria-label={s().actionLabel(s().edit, e.questionJa)}
                      onClick={() => setEditing({ id: e.id, input: toInput(e) })}
                    >
                      {s().edit}
                    </button>
                    <button
                      type="button"
                      class="button button-secondary"
                      aria-label={s().actionLabel(s().remove, e.questionJa)}
                      onClick={() => act(() => supportApi.deleteFaqEntry(e.id), s().faqDeleted)}
                    >
                      {s().remove}
                    </button>
                  </div>
                </li>
              )}
            </For>
          </ul>
        )}
      </Show>
    </section>
  );
}
