import { A, createAsync, query, revalidate, useSearchParams } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import {
  ApiError,
  type FaqEntry,
  type FaqEntryInput,
  type FaqFinding,
  type FaqTextField,
  INQUIRY_CATEGORIES,
  INQUIRY_STATUSES,
  type Inquiry,
  type Me,
  supportApi,
} from "../api";
import { Button } from "../components/Button";
import { SelectField, TextField } from "../components/Field";
import { FilterSelect } from "../components/FilterSelect";
import { FilterForm } from "../components/Filters";
import { RequireRole } from "../components/Guard";
import { Page } from "../components/Page";
import { formatDateTime } from "../format";
import { t } from "../i18n";
import { formText, one } from "../search";
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

  function choose(d: FormData) {
    setParams({
      status: formText(d, "status"),
      category: formText(d, "category"),
      q: formText(d, "q"),
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
            <FilterForm label={s().filtersLabel} submit={s().show} onSubmit={choose}>
              <FilterSelect
                id="desk-status"
                name="status"
                label={s().status}
                empty={s().all}
                values={INQUIRY_STATUSES}
                labels={(v) => s().statuses[v]}
                selected={status()}
              />
              <FilterSelect
                id="desk-category"
                name="category"
                label={s().category}
                empty={s().all}
                values={INQUIRY_CATEGORIES}
                labels={(v) => s().categories[v]}
                selected={category()}
              />
              <TextField id="desk-q" name="q" type="search" label={s().search} value={q()} />
            </FilterForm>
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
                  <Button type="submit" class="button" busy={busy()}>
                    {s().answerSend}
                  </Button>
                </div>
              </form>
            </Show>
            <div class="panel stack">
              <TextField id="desk-note" name="note" label={s().noteLabel} multiline maxLength={4000} />
              <div class="form-actions">
                <Show when={i().status !== "closed"}>
                  <Button
                    type="button"
                    class="button button-secondary"
                    busy={busy()}
                    onClick={() => step("close")}
                  >
                    {s().close}
                  </Button>
                </Show>
                <Show when={i().status !== "open"}>
                  <Button
                    type="button"
                    class="button button-secondary"
                    busy={busy()}
                    onClick={() => step("reopen")}
                  >
                    {s().reopen}
                  </Button>
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

/**
 * Create (or, with `entryId`, edit) an FAQ entry. The hub checks the texts for personal data on every save: a
 * draft is saved with its findings (the form stays open and shows them), publishing is refused until each is
 * rewritten or confirmed here, one checkbox per finding.
 */
function FaqForm(props: {
  initial: FaqEntryInput;
  entryId?: string;
  findings?: FaqFinding[];
  intro?: string;
  onCancel: () => void;
  onSaved: () => void | Promise<void>;
}) {
  const s = () => t().support;
  const [errors, setErrors] = createSignal<FaqErrors>({});
  const [error, setError] = createSignal<unknown>();
  const [busy, setBusy] = createSignal(false);
  const [entryId, setEntryId] = createSignal(props.entryId);
  const [findings, setFindings] = createSignal<FaqFinding[]>(props.findings ?? []);
  /** The texts the findings' positions refer to (as last saved or checked). */
  const [checked, setChecked] = createSignal<FaqEntryInput>(props.initial);
  const [confirmed, setConfirmed] = createSignal<string[]>([]);
  const [notice, setNotice] = createSignal("");
  const fieldFindings = (f: FaqTextField) => findings().filter((x) => x.field === f);
  const findingsId = (f: FaqTextField) => (fieldFindings(f).length > 0 ? `faq-${f}-findings` : undefined);

  function showFindings(list: FaqFinding[], texts: FaqEntryInput) {
    setFindings(list);
    setChecked(texts);
    setConfirmed((c) => c.filter((id) => list.some((f) => f.id === id)));
  }

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
      confirmFindings: confirmed(),
    };
    const errs: FaqErrors = {};
    if (!body.questionJa) errs.questionJa = s().required;
    if (!body.answerJa) errs.answerJa = s().required;
    if (!body.questionEn !== !body.answerEn)
      errs[body.questionEn ? "answerEn" : "questionEn"] = s().enTogether;
    setErrors(errs);
    setError(undefined);
    setNotice("");
    const first = (["questionJa", "answerJa", "questionEn", "answerEn"] as const).find((k) => errs[k]);
    if (first) return setTimeout(() => document.getElementById(`faq-${first}`)?.focus(), 0);
    setBusy(true);
    try {
      const id = entryId();
      const saved = id
        ? await supportApi.updateFaqEntry(id, body)
        : await supportApi.createFaqEntry({ ...body, sourceInquiryId: props.initial.sourceInquiryId });
      await Promise.all([revalidate(getFaqEntries.key), revalidate(getFaq.key)]);
      if (!saved.published && (saved.findings ?? []).length > 0) {
        // a draft with findings: stay, show them
        setEntryId(saved.id);
        showFindings(saved.findings ?? [], body);
        setNotice(s().faqSavedWithFindings);
        setTimeout(() => document.getElementById("faq-form-notice")?.focus(), 0);
        return;
      }
      await props.onSaved();
    } catch (err) {
      setError(err);
      if (err instanceof ApiError && err.code === "personal_data_suspected") showFindings(err.findings, body);
      else if (err instanceof ApiError) setErrors(err.fieldErrors() as FaqErrors);
    } finally {
      setBusy(false);
    }
  }

  const fieldFindingsBlock = (f: FaqTextField) => (
    <FieldFindings
      field={f}
      text={checked()[f] ?? ""}
      findings={fieldFindings(f)}
      confirmed={confirmed()}
      onToggle={(id, on) => setConfirmed((c) => (on ? [...c, id] : c.filter((x) => x !== id)))}
    />
  );

  return (
    <section class="panel" aria-labelledby="faq-form-heading" id="faq-form">
      <h3 id="faq-form-heading">{entryId() ? s().faqEditHeading : s().faqFormHeading}</h3>
      <Show when={props.intro}>
        <p>{props.intro}</p>
      </Show>
      <Show when={error()}>{(err) => <SupportProblem error={err()} />}</Show>
      <Show when={notice()}>
        <p class="alert" id="faq-form-notice" role="status" tabindex="-1">
          {notice()}
        </p>
      </Show>
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
          describedBy={findingsId("questionJa")}
          value={props.initial.questionJa}
          maxLength={500}
        />
        {fieldFindingsBlock("questionJa")}
        <TextField
          id="faq-answerJa"
          name="answerJa"
          label={s().answerJa}
          error={errors().answerJa}
          describedBy={findingsId("answerJa")}
          value={props.initial.answerJa}
          multiline
          maxLength={4000}
        />
        {fieldFindingsBlock("answerJa")}
        <TextField
          id="faq-questionEn"
          name="questionEn"
          label={s().questionEn}
          error={errors().questionEn}
          describedBy={findingsId("questionEn")}
          value={props.initial.questionEn}
          maxLength={500}
        />
        {fieldFindingsBlock("questionEn")}
        <TextField
          id="faq-answerEn"
          name="answerEn"
          label={s().answerEn}
          error={errors().answerEn}
          describedBy={findingsId("answerEn")}
          value={props.initial.answerEn}
          multiline
          maxLength={4000}
        />
        {fieldFindingsBlock("answerEn")}
        <label class="checkbox">
          <input type="checkbox" name="published" checked={props.initial.published ?? false} />
          <span>{s().publishNow}</span>
        </label>
        <div class="form-actions">
          <Button type="submit" class="button" busy={busy()}>
            {s().saveFaq}
          </Button>
          <button type="button" class="button button-secondary" onClick={() => props.onCancel()}>
            {s().cancel}
          </button>
        </div>
      </form>
    </section>
  );
}

/**
 * The findings in one field, beside it: the text as checked with each finding marked, and a checkbox per finding
 * to confirm it is not personal data.
 */
function FieldFindings(props: {
  field: FaqTextField;
  text: string;
  findings: FaqFinding[];
  confirmed: string[];
  onToggle: (id: string, on: boolean) => void;
}) {
  const s = () => t().support;
  const pieces = () => {
    const out: { text: string; mark: boolean }[] = [];
    let at = 0;
    for (const f of [...props.findings].sort((a, b) => a.start - b.start)) {
      if (f.start < at || f.end > props.text.length) continue;
      if (f.start > at) out.push({ text: props.text.slice(at, f.start), mark: false });
      out.push({ text: props.text.slice(f.start, f.end), mark: true });
      at = f.end;
    }
    out.push({ text: props.text.slice(at), mark: false });
    return out;
  };
  const className = (c: string) => s().findingClasses[c] ?? c;
  return (
    <Show when={props.findings.length > 0}>
      <div class="findings" id={`faq-${props.field}-findings`}>
        <p class="findings-title">{s().findingsTitle(props.findings.length)}</p>
        <p class="hint">{s().findingsHelp}</p>
        <p class="findings-text">
          <For each={pieces()}>{(p) => (p.mark ? <mark>{p.text}</mark> : p.text)}</For>
        </p>
        <ul class="findings-list">
          <For each={props.findings}>
            {(f) => (
              <li>
                <label class="checkbox">
                  <input
                    type="checkbox"
                    id={`confirm-${f.id}`}
                    checked={props.confirmed.includes(f.id)}
                    onChange={(e) => props.onToggle(f.id, e.currentTarget.checked)}
                  />
                  <span>{s().confirmNotPersonal(className(f.class), f.text)}</span>
                </label>
              </li>
            )}
          </For>
        </ul>
      </div>
    </Show>
  );
}

function FaqManager(props: { onDone: (text: string) => void }) {
  const s = () => t().support;
  const entries = createAsync(() => getFaqEntries());
  const [editing, setEditing] = createSignal<{
    id?: string;
    input: FaqEntryInput;
    findings?: FaqFinding[];
  }>();
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
            findings={ed.findings}
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
                  <Show when={(e.findings ?? []).length > 0}>
                    <p class="findings-count">{s().findingsCount(e.findings?.length ?? 0)}</p>
                  </Show>
                  <div class="form-actions">
                    <button
                      type="button"
                      class="button button-secondary"
                      aria-label={s().actionLabel(e.published ? s().unpublish : s().publish, e.questionJa)}
                      onClick={() =>
                        // with findings, publishing goes through the editor, where each is confirmed or rewritten
                        !e.published && (e.findings ?? []).length > 0
                          ? setEditing({
                              id: e.id,
                              input: { ...toInput(e), published: true },
                              findings: e.findings,
                            })
                          : act(
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
                      onClick={() => setEditing({ id: e.id, input: toInput(e), findings: e.findings })}
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
