import { A, createAsync, query, revalidate } from "@solidjs/router";
import { createMemo, createSignal, For, Show } from "solid-js";
import { ApiError, INQUIRY_CATEGORIES, type Inquiry, type InquiryInput, type Me, supportApi } from "../api";
import { Button } from "../components/Button";
import { ErrorMessage } from "../components/ErrorMessage";
import { TextField } from "../components/Field";
import { RequireRole } from "../components/Guard";
import { Page } from "../components/Page";
import { getMe } from "../data";
import { formatDateTime } from "../format";
import { label, locale, t, untranslated } from "../i18n";
import { wholeText } from "../whole-text";

/**
 * Help (/help, public): the published FAQ grouped by category with a search box that filters it as one types,
 * and the inquiry form (anyone; prefilled for a signed-in user). My inquiries (/my/inquiries): a signed-in
 * sender's inquiries with the help desk's answers and a follow-up form. The hub: GET api/faq, POST api/inquiries,
 * GET api/me/inquiries, POST api/me/inquiries/{id}/follow-ups.
 */

export const getFaq = query(() => supportApi.getFaq(), "supportFaq");
export const getMyInquiries = query(async () => (await supportApi.listMyInquiries()).items, "myInquiries");

/** The hub's problem, headed by a sentence for its code when the portal knows one. */
export function SupportProblem(props: { error: unknown }) {
  const messages = () => {
    const e = props.error;
    if (!(e instanceof ApiError)) return undefined;
    const text = t().support.problems[e.code];
    return text ? { [e.status]: text } : undefined;
  };
  return <ErrorMessage error={props.error} messages={messages()} />;
}

export function Help() {
  const s = () => t().support;
  const me = createAsync(() => getMe().catch(() => null));
  return (
    <Page title={s().helpTitle}>
      <p>{s().helpIntro}</p>
      <Show when={me()}>
        <p>
          <A href="/my/inquiries">{s().myLink}</A>
        </p>
      </Show>
      <Faq />
      <InquiryForm me={me() ?? null} />
    </Page>
  );
}

function Faq() {
  const s = () => t().support;
  const faq = createAsync(() => getFaq());
  const [q, setQ] = createSignal("");
  const en = () => locale() === "en";
  const question = (e: { questionJa: string; questionEn: string }) =>
    en() && e.questionEn ? e.questionEn : e.questionJa;
  const answer = (e: { answerJa: string; answerEn: string; questionEn: string }) =>
    en() && e.questionEn ? e.answerEn : e.answerJa;
  const groups = createMemo(() => {
    const words = q().trim().toLowerCase().split(/\s+/).filter(Boolean);
    return (faq()?.categories ?? [])
      .map((g) => ({
        category: g.category,
        items: g.items.filter((e) => {
          const hay = [e.questionJa, e.answerJa, e.questionEn, e.answerEn].join(" ").toLowerCase();
          return words.every((w) => hay.includes(w));
        }),
      }))
      .filter((g) => g.items.length > 0);
  });
  const count = () => groups().reduce((n, g) => n + g.items.length, 0);
  return (
    <section aria-labelledby="faq-heading">
      <h2 id="faq-heading">{s().faqHeading}</h2>
      <search>
        <div class="field">
          <label for="faq-search">{s().searchLabel}</label>
          <p class="hint" id="faq-search-hint">
            {s().searchHint}
          </p>
          <input
            type="search"
            id="faq-search"
            aria-describedby="faq-search-hint faq-count"
            value={q()}
            onInput={(e) => setQ(e.currentTarget.value)}
          />
        </div>
      </search>
      <p
        id="faq-count"
        role="status"
        aria-live="polite"
        ref={wholeText(() => (q().trim() ? (count() > 0 ? s().matches(count()) : s().noMatches) : ""))}
      />
      <Show when={faq()}>
        <Show when={(faq()?.categories.length ?? 0) > 0} fallback={<p>{s().faqEmpty}</p>}>
          <For each={groups()}>
            {(g) => (
              <section aria-labelledby={`faq-${g.category}`} class="faq-group">
                <h3 id={`faq-${g.category}`}>{s().categories[g.category] ?? g.category}</h3>
                <For each={g.items}>
                  {(e) => (
                    <details class="panel" id={`faq-entry-${e.id}`}>
                      <summary lang={untranslated(!(en() && e.questionEn))}>{question(e)}</summary>
                      <p class="description" lang={untranslated(!(en() && e.questionEn))}>
                        {answer(e)}
                      </p>
                    </details>
                  )}
                </For>
              </section>
            )}
          </For>
        </Show>
      </Show>
    </section>
  );
}

type Errors = Partial<
  Record<"category" | "subject" | "text" | "contactName" | "contactEmail" | "contactPhone", string>
>;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[0-9][0-9 ()-]{5,28}$/;
const ORDER = ["category", "subject", "text", "contactName", "contactEmail", "contactPhone"] as const;

function InquiryForm(props: { me: Me | null }) {
  const s = () => t().support;
  const [errors, setErrors] = createSignal<Errors>({});
  const [error, setError] = createSignal<unknown>();
  const [sent, setSent] = createSignal<Inquiry>();
  const [busy, setBusy] = createSignal(false);

  function check(d: FormData): { body?: InquiryInput; errs: Errors } {
    const v = (k: string) => String(d.get(k) ?? "").trim();
    const errs: Errors = {};
    const body: InquiryInput = {
      category: v("category"),
      subject: v("subject"),
      text: v("text"),
      contactName: v("contactName"),
      contactEmail: v("contactEmail") || null,
      contactPhone: v("contactPhone") || null,
      locale: locale(),
    };
    if (!body.category) errs.category = s().categoryRequired;
    if (!body.subject) errs.subject = s().required;
    else if ([...body.subject].length > 200) errs.subject = s().tooLong(200);
    if (!body.text) errs.text = s().required;
    else if ([...body.text].length > 4000) errs.text = s().tooLong(4000);
    if (!body.contactName) errs.contactName = s().required;
    if (body.contactEmail && !EMAIL.test(body.contactEmail)) errs.contactEmail = s().emailInvalid;
    if (body.contactPhone && !PHONE.test(body.contactPhone)) errs.contactPhone = s().phoneInvalid;
    if (!body.contactEmail && !body.contactPhone) errs.contactEmail = s().contactRequired;
    return Object.keys(errs).length ? { errs } : { body, errs };
  }

  function focusFirst(errs: Errors) {
    const first = ORDER.find((k) => errs[k]);
    if (first) setTimeout(() => document.getElementById(`inquiry-${first}`)?.focus(), 0);
  }

  async function submit(e: SubmitEvent) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    setError(undefined);
    const { body, errs } = check(new FormData(form));
    setErrors(errs);
    if (!body) return focusFirst(errs);
    setBusy(true);
    try {
      const res = await supportApi.createInquiry(body);
      setSent(res);
      form.reset();
      await revalidate(getMyInquiries.key);
      setTimeout(() => document.getElementById("inquiry-sent")?.focus(), 0);
    } catch (err) {
      setError(err);
      const fields = err instanceof ApiError ? (err.fieldErrors() as Errors) : {};
      setErrors(fields);
      if (Object.keys(fields).length) focusFirst(fields);
      else setTimeout(() => document.getElementById("inquiry-error")?.focus(), 0);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="inquiry-heading">
      <h2 id="inquiry-heading">{s().formHeading}</h2>
      <p>{s().formIntro}</p>
      <div role="status" aria-live="polite" class="status-slot">
        <Show when={sent()}>
          {(i) => (
            <div class="alert alert-success" id="inquiry-sent" tabindex="-1">
              <p class="alert-title">{s().sent(i().reference)}</p>
              <Show when={i().contactEmail}>
                <p>{s().sentByEmail}</p>
              </Show>
              <Show when={props.me}>
                <p>
                  <A href="/my/inquiries">{s().sentSignedIn}</A>
                </p>
              </Show>
            </div>
          )}
        </Show>
      </div>
      <Show when={error()}>
        {(err) => (
          <div tabindex="-1" id="inquiry-error">
            <SupportProblem error={err()} />
          </div>
        )}
      </Show>
      <form onSubmit={submit} noValidate class="stack panel" aria-labelledby="inquiry-heading">
        <div class="field" classList={{ "field-invalid": !!errors().category }}>
          <label for="inquiry-category">{s().category}</label>
          <Show when={errors().category}>
            <p class="field-error" id="inquiry-category-error">
              {errors().category}
            </p>
          </Show>
          <select
            id="inquiry-category"
            name="category"
            aria-invalid={errors().category ? "true" : undefined}
            aria-describedby={errors().category ? "inquiry-category-error" : undefined}
          >
            <option value="">{s().chooseCategory}</option>
            <For each={INQUIRY_CATEGORIES}>{(c) => <option value={c}>{s().categories[c]}</option>}</For>
          </select>
        </div>
        <TextField
          id="inquiry-subject"
          name="subject"
          label={s().subject}
          error={errors().subject}
          maxLength={200}
          autocomplete="off"
        />
        <TextField
          id="inquiry-text"
          name="text"
          label={s().text}
          hint={s().textHint}
          error={errors().text}
          multiline
          maxLength={4000}
        />
        <TextField
          id="inquiry-contactName"
          name="contactName"
          label={s().contactName}
          error={errors().contactName}
          autocomplete="name"
          value={props.me?.displayName ?? ""}
        />
        <p class="hint" id="inquiry-contact-hint">
          {s().contactHint}
        </p>
        <TextField
          id="inquiry-contactEmail"
          name="contactEmail"
          type="email"
          label={s().contactEmail}
          error={errors().contactEmail}
          autocomplete="email"
          describedBy="inquiry-contact-hint"
          value={props.me?.email ?? ""}
        />
        <TextField
          id="inquiry-contactPhone"
          name="contactPhone"
          type="tel"
          label={s().contactPhone}
          error={errors().contactPhone}
          autocomplete="tel"
          describedBy="inquiry-contact-hint"
        />
        <div class="form-actions">
          <Button type="submit" class="button" busy={busy()}>
            {busy() ? t().saving : s().send}
          </Button>
        </div>
      </form>
    </section>
  );
}

/** One inquiry's messages, oldest first. */
export function InquiryHistory(props: { inquiry: Inquiry }) {
  const s = () => t().support;
  const who = (role: string) => s().by[role] ?? label("roles", role);
  return (
    <ol class="stack inquiry-history" aria-label={s().history}>
      <For each={props.inquiry.messages}>
        {(m) => (
          <li class="panel" data-kind={m.kind}>
            <p class="meta">
              <strong>{s().kinds[m.kind] ?? m.kind}</strong>
              {t().dotSeparator}
              {who(m.authorRole)}
              {t().dotSeparator}
              {formatDateTime(m.at)}
              {t().dotSeparator}
              {s().statuses[m.status]}
            </p>
            <Show when={m.body}>
              <p class="description">{m.body}</p>
            </Show>
          </li>
        )}
      </For>
    </ol>
  );
}

export function MyInquiries() {
  return (
    <RequireRole
      roles={["resident", "facility", "municipality", "association", "prefecture", "operator"]}
      title={t().support.myTitle}
    >
      {() => <MyInquiryList />}
    </RequireRole>
  );
}

function MyInquiryList() {
  const s = () => t().support;
  const list = createAsync(() => getMyInquiries());
  const [notice, setNotice] = createSignal("");
  return (
    <Page title={s().myTitle}>
      <p>{s().myIntro}</p>
      <p>
        <A href="/help">{s().newInquiry}</A>
      </p>
      <div id="my-inquiries-messages" tabindex="-1" class="messages">
        <div role="status" aria-live="polite" class="status-slot">
          <Show when={notice()}>
            <p class="alert alert-success">{notice()}</p>
          </Show>
        </div>
      </div>
      <Show when={list()}>
        {(items) => (
          <Show when={items().length > 0} fallback={<p>{s().myEmpty}</p>}>
            <ul class="stack">
              <For each={items()}>
                {(i) => (
                  <li>
                    <MyInquiry inquiry={i} onSent={setNotice} />
                  </li>
                )}
              </For>
            </ul>
          </Show>
        )}
      </Show>
    </Page>
  );
}

function MyInquiry(props: { inquiry: Inquiry; onSent: (text: string) => void }) {
  const s = () => t().support;
  const i = () => props.inquiry;
  const [error, setError] = createSignal<unknown>();
  const [fieldError, setFieldError] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const fieldId = () => `follow-up-${i().id}`;

  async function submit(e: SubmitEvent) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const text = String(new FormData(form).get("text") ?? "").trim();
    setError(undefined);
    setFieldError(text ? "" : s().required);
    if (!text) return setTimeout(() => document.getElementById(fieldId())?.focus(), 0);
    setBusy(true);
    try {
      await supportApi.followUp(i().id, text);
      form.reset();
      await revalidate(getMyInquiries.key);
      props.onSent(s().followUpSent(i().reference));
      setTimeout(() => document.getElementById("my-inquiries-messages")?.focus(), 0);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <article class="panel" aria-labelledby={`inquiry-${i().id}-title`} id={`inquiry-${i().id}`}>
      <h2 id={`inquiry-${i().id}-title`}>
        {i().subject}
        <span class="meta"> — {i().reference}</span>
      </h2>
      <p>
        <strong id={`inquiry-state-${i().id}`}>{s().statuses[i().status]}</strong>
        {t().dotSeparator}
        {s().categories[i().category]}
        {t().dotSeparator}
        {s().receivedAt} {formatDateTime(i().createdAt)}
      </p>
      <InquiryHistory inquiry={i()} />
      <Show when={i().status !== "closed"} fallback={<p>{s().closedNote}</p>}>
        <form onSubmit={submit} noValidate class="stack">
          <Show when={error()}>{(err) => <SupportProblem error={err()} />}</Show>
          <TextField
            id={fieldId()}
            name="text"
            label={s().followUpLabel}
            error={fieldError() || undefined}
            multiline
            maxLength={4000}
          />
          <div class="form-actions">
            <Button type="submit" class="button button-secondary" busy={busy()}>
              {s().followUpSend}
            </Button>
          </div>
        </form>
      </Show>
    </article>
  );
}
