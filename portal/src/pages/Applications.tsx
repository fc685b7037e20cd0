/**
 * Municipality staff's online voucher applications: /municipality/applications (their municipality's, the
 * prefecture all; by state, paged) and /municipality/applications/:id (the application; ask the applicant for
 * more, decline with a reason, or approve, which registers her and issues the voucher). Every read and action is
 * audited by the hub; only a municipality's own staff act.
 */
import { A, createAsync, useParams } from "@solidjs/router";
import { createResource, createSignal, For, type JSX, Show } from "solid-js";
import { APPLICATION_STATES, ApiError, type Application, api, type Me } from "../api";
import { Button } from "../components/Button";
import { ErrorMessage } from "../components/ErrorMessage";
import { SelectField, TextField } from "../components/Field";
import { FilterForm } from "../components/Filters";
import { RequireRole } from "../components/Guard";
import { Page } from "../components/Page";
import { Pager, ResultCount } from "../components/Pager";
import { ScrollTable } from "../components/Table";
import { getMunicipalities } from "../data";
import { formatDate, formatDateTime } from "../format";
import { t } from "../i18n";
import { useListSearch } from "../search";

const LIMIT = 50;
const p = () => t().applications;

export function Applications() {
  return (
    <RequireRole roles={["municipality", "prefecture"]} title={p().title}>
      {() => <ApplicationList />}
    </RequireRole>
  );
}

const childText = (a: Pick<Application, "childName" | "childBirthDate" | "childDueDate">) =>
  `${a.childName} ${
    a.childBirthDate
      ? t().apply.childBorn(formatDate(a.childBirthDate))
      : t().apply.childDue(formatDate(a.childDueDate))
  }`.trim();

function ApplicationList() {
  const { filters, offset, setFilters, href } = useListSearch("/municipality/applications", ["state"]);
  const [result] = createResource(
    () => ({ ...filters(), limit: LIMIT, offset: offset() }),
    (q) => api.listApplications(q),
  );
  const municipalities = createAsync(() => getMunicipalities());
  const municipalityName = (code: string) => municipalities()?.find((m) => m.code === code)?.name ?? code;

  return (
    <Page title={p().title}>
      <p>{p().intro}</p>
      <FilterForm label={p().title} submit={p().filter} onSubmit={setFilters}>
        <SelectField name="state" label={p().state}>
          <option value="">{p().all}</option>
          <For each={APPLICATION_STATES}>
            {(s) => (
              <option value={s} selected={filters().state === s}>
                {t().apply.states[s]}
              </option>
            )}
          </For>
        </SelectField>
      </FilterForm>
      <Show when={result.error}>
        <ErrorMessage error={result.error} />
      </Show>
      <ResultCount total={result()?.total} results={p().results} none={p().noResults} />
      <Show when={(result()?.items.length ?? 0) > 0}>
        <ScrollTable
          id="applications-table"
          caption={p().caption}
          columns={[p().reference, p().name, p().child, p().municipality, p().submittedAt, p().state]}
        >
          <tbody>
            <For each={result()?.items}>
              {(a) => (
                <tr>
                  <th scope="row">
                    <A href={`/municipality/applications/${a.id}`}>{a.reference}</A>
                  </th>
                  <td>
                    {a.familyName} {a.givenName}
                  </td>
                  <td>{childText(a)}</td>
                  <td>{municipalityName(a.municipalityCode)}</td>
                  <td>{formatDateTime(a.submittedAt)}</td>
                  <td>{t().apply.states[a.state]}</td>
                </tr>
              )}
            </For>
          </tbody>
        </ScrollTable>
      </Show>
      <Pager total={result()?.total} limit={LIMIT} offset={offset()} href={href} />
    </Page>
  );
}

export function ApplicationDetail() {
  return (
    <RequireRole roles={["municipality", "prefecture"]} title={p().title}>
      {(me) => <Detail me={me} />}
    </RequireRole>
  );
}

/** The hub's refusal, headed by a sentence for its code (409s) when there is one. */
function Problem(props: { error: unknown }) {
  const messages = () => {
    const e = props.error;
    if (!(e instanceof ApiError)) return undefined;
    const text = p().conflicts[e.code];
    return text ? { [e.status]: text } : undefined;
  };
  return <ErrorMessage error={props.error} messages={messages()} />;
}

function Detail(props: { me: Me }) {
  const params = useParams();
  const [application, { mutate }] = createResource(
    () => params.id,
    (id) => api.getApplication(id),
  );
  const [notice, setNotice] = createSignal("");
  const [error, setError] = createSignal<unknown>();
  const [busy, setBusy] = createSignal(false);
  const canAct = () =>
    props.me.role === "municipality" &&
    (application()?.state === "submitted" || application()?.state === "needs_info");
  let status!: HTMLParagraphElement;

  async function act(
    kind: "request_info" | "decline" | "approve",
    run: (a: Application) => Promise<Application>,
  ) {
    const current = application();
    if (!current || busy()) return;
    setBusy(true);
    setError(undefined);
    setNotice("");
    try {
      mutate(await run(current));
      setNotice(p().done[kind] ?? "");
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      status.focus();
    }
  }

  const row = (term: string, value: JSX.Element) => (
    <div>
      <dt>{term}</dt>
      <dd>{value}</dd>
    </div>
  );

  return (
    <Show
      when={application()}
      fallback={
        <Page title={p().title}>
          <Show when={application.error}>
            <ErrorMessage error={application.error} />
          </Show>
        </Page>
      }
    >
      {(a) => (
        <Page title={p().detailTitle(a().reference)}>
          <p>
            <A href="/municipality/applications">{p().back}</A>
          </p>
          <p role="status" tabindex="-1" ref={status} class="result-count">
            {notice()}
          </p>
          <Show when={error()}>
            <Problem error={error()} />
          </Show>
          <section class="panel" aria-labelledby="application-profile">
            <h2 id="application-profile">{p().applicant}</h2>
            <dl class="details">
              {row(p().state, <strong>{t().apply.states[a().state]}</strong>)}
              {row(p().name, `${a().familyName} ${a().givenName}`)}
              {row(p().kana, a().kana)}
              {row(p().birthDate, formatDate(a().birthDate))}
              {row(p().address, `〒${a().postalCode} ${a().address}`)}
              {row(p().phone, a().phone ?? t().notSet)}
              {row(p().email, a().email)}
              {row(p().child, childText(a()))}
              {row(t().apply.multipleBirth, p().multiple(a().multipleBirth))}
              {row(p().language, t().languages[a().preferredLanguage] ?? a().preferredLanguage)}
              {row(p().submittedAt, formatDateTime(a().submittedAt))}
              {row(p().consent, p().consentAt(formatDateTime(a().consentAt), a().consentVersion))}
              <Show when={a().question}>
                {row(p().question, <span class="description">{a().question}</span>)}
              </Show>
              <Show when={a().answer}>{row(p().answer, <span class="description">{a().answer}</span>)}</Show>
              <Show when={a().declineReason}>{row(p().declineReason, a().declineReason)}</Show>
              <Show when={a().decidedAt}>{(d) => row(p().decided, formatDateTime(d()))}</Show>
              <Show when={a().residentId}>
                {(id) =>
                  row(p().resident, <A href={`/residents/${id()}`}>{`${a().familyName} ${a().givenName}`}</A>)
                }
              </Show>
            </dl>
          </section>
          <Show when={canAct()}>
            <h2>{p().actions}</h2>
            <section class="panel stack" aria-labelledby="approve-title">
              <h3 id="approve-title">{p().approveTitle}</h3>
              <p>{p().approveText}</p>
              <div class="form-actions">
                <Button
                  type="button"
                  class="button"
                  busy={busy()}
                  onClick={() => void act("approve", (x) => api.approveApplication(x.id, x.revision))}
                >
                  {p().approve}
                </Button>
              </div>
            </section>
            <section class="panel" aria-labelledby="ask-title">
              <h3 id="ask-title">{p().askTitle}</h3>
              <form
                class="stack"
                onSubmit={(e) => {
                  e.preventDefault();
                  const message = String(new FormData(e.currentTarget).get("message") ?? "");
                  void act("request_info", (x) => api.requestApplicationInfo(x.id, message, x.revision));
                }}
              >
                <TextField
                  name="message"
                  id="ask-message"
                  label={p().askLabel}
                  multiline
                  maxLength={2000}
                  required
                />
                <div class="form-actions">
                  <Button type="submit" class="button button-secondary" busy={busy()}>
                    {p().ask}
                  </Button>
                </div>
              </form>
            </section>
            <section class="panel" aria-labelledby="decline-title">
              <h3 id="decline-title">{p().declineTitle}</h3>
              <form
                class="stack"
                onSubmit={(e) => {
                  e.preventDefault();
                  const reason = String(new FormData(e.currentTarget).get("reason") ?? "");
                  void act("decline", (x) => api.declineApplication(x.id, reason, x.revision));
                }}
              >
                <TextField
                  name="reason"
                  id="decline-reason"
                  label={p().declineLabel}
                  multiline
                  maxLength={2000}
                  required
                />
                <div class="form-actions">
                  <Button type="submit" class="button button-secondary" busy={busy()}>
                    {p().decline}
                  </Button>
                </div>
              </form>
            </section>
          </Show>
        </Page>
      )}
    </Show>
  );
}
