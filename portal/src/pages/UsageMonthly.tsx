import { createAsync, query, revalidate, useSearchParams } from "@solidjs/router";
import { createSignal, For, type JSX, Show } from "solid-js";
import { ApiError, api, type Me, type MonthlyUsage, type UsageTotals } from "../api";
import { Button } from "../components/Button";
import { ErrorMessage } from "../components/ErrorMessage";
import { TextField } from "../components/Field";
import { FilterForm, MonthSelect } from "../components/Filters";
import { RequireRole } from "../components/Guard";
import { MunicipalitySelect } from "../components/MunicipalitySelect";
import { Page } from "../components/Page";
import { ScrollTable } from "../components/Table";
import { getMunicipalities } from "../data";
import { addDays, formatDate, formatDateTime, formatYen } from "../format";
import { label, t } from "../i18n";
import { lastMonth, MONTH, monthText } from "../months";
import { formText, one } from "../search";

/**
 * Monthly confirmation (確認・承認) of usage: municipality staff pick a month (last month by default), read its
 * uses (totals, per facility, item by item) and confirm it once it has ended; the prefecture reads any
 * municipality's months. The hub (GET api/usage/monthly, POST api/usage/monthly/{month}/confirm) keeps the
 * snapshot of what was confirmed and reports when the month has changed since.
 */

const isCode = (v: string | undefined) => !!v && /^[0-9]{6}$/.test(v);

const getMonthlyUsage = query(
  (month: string, municipalityCode: string | undefined) => api.getMonthlyUsage(month, municipalityCode),
  "monthlyUsage",
);

export function UsageMonthly() {
  return (
    <RequireRole roles={["municipality", "prefecture"]} title={t().usage.title}>
      {(me) => <UsageBrowser me={me} />}
    </RequireRole>
  );
}

function UsageBrowser(props: { me: Me }) {
  const [params, setParams] = useSearchParams();
  const municipalities = createAsync(() => getMunicipalities());
  const u = () => t().usage;
  const month = () => one(params.month) ?? lastMonth();
  const validMonth = () => MONTH.test(month());
  // Municipality staff see their own municipality; the prefecture chooses one.
  const code = () =>
    props.me.role === "municipality" ? (props.me.municipalityCode ?? undefined) : one(params.municipality);

  function choose(data: FormData) {
    const municipality = formText(data, "municipality");
    setParams({
      month: formText(data, "month"),
      ...(props.me.role === "prefecture" ? { municipality } : {}),
    });
  }

  return (
    <Page title={u().title}>
      <p>{u().intro}</p>
      <FilterForm label={u().filtersLabel} submit={u().show} onSubmit={choose}>
        <MonthSelect label={u().month} hint={u().monthHint} month={month()} />
        <Show when={props.me.role === "prefecture"}>
          <MunicipalitySelect
            label={u().municipality}
            empty={u().chooseMunicipality}
            municipalities={municipalities()}
            selected={code()}
          />
        </Show>
      </FilterForm>
      <Show
        when={validMonth()}
        fallback={
          <div class="alert alert-error" role="alert">
            <p>{u().monthInvalid}</p>
          </div>
        }
      >
        {/* Keyed by municipality and month: another month starts with no message or error of the last one. */}
        <Show
          when={isCode(code()) ? `${code()}/${month()}` : undefined}
          keyed
          fallback={<p>{u().chooseFirst}</p>}
        >
          {(key) => <MonthView code={key.slice(0, 6)} month={key.slice(7)} me={props.me} />}
        </Show>
      </Show>
    </Page>
  );
}

/** The hub's problem, headed by a sentence for its code when the portal knows one. */
function Problem(props: { error: unknown; id?: string }) {
  const messages = () => {
    const e = props.error;
    if (!(e instanceof ApiError)) return undefined;
    const text = t().usage.problems[e.code];
    return text ? { [e.status]: text } : undefined;
  };
  return <ErrorMessage error={props.error} messages={messages()} id={props.id} />;
}

function MonthView(props: { code: string; month: string; me: Me }) {
  const u = () => t().usage;
  // Staff of a municipality ask for their own one implicitly; the prefecture names it.
  const usage = createAsync(() =>
    getMonthlyUsage(props.month, props.me.role === "prefecture" ? props.code : undefined),
  );
  const [notice, setNotice] = createSignal("");
  const title = () => monthText(props.month);

  return (
    <Show when={usage()}>
      {(m) => (
        <section aria-labelledby="usage-heading">
          <h2 id="usage-heading">{u().heading(m().municipalityName, title())}</h2>
          <p class="meta">{u().period(formatDate(m().from), formatDate(m().to))}</p>
          <ConfirmationState usage={m()} />

          <Show when={m().unredeemed > 0}>
            <div class="alert" id="usage-unredeemed">
              <p class="alert-title">{u().unredeemedTitle}</p>
              <p>{u().unredeemed(m().unredeemed)}</p>
            </div>
          </Show>

          <section class="panel" aria-labelledby="usage-totals">
            <h3 id="usage-totals">{u().totalsTitle}</h3>
            <TotalsList totals={m().totals} id="usage-totals-list" />
          </section>

          <section aria-labelledby="usage-facilities-title">
            <h3 id="usage-facilities-title">{u().facilitiesTitle}</h3>
            <Show when={m().facilities.length > 0} fallback={<p>{u().noUses}</p>}>
              <ScrollTable id="usage-facilities" caption={u().facilitiesCaption(title())}>
                <thead>
                  <tr>
                    <th scope="col">{u().facility}</th>
                    <AmountHeadings />
                  </tr>
                </thead>
                <tbody>
                  <For each={m().facilities}>
                    {(f) => (
                      <tr>
                        <th scope="row" class="nowrap">
                          {f.facilityName}
                        </th>
                        <td class="nowrap">{u().usesN(f.uses)}</td>
                        <AmountCells amounts={f} />
                      </tr>
                    )}
                  </For>
                </tbody>
                <tfoot>
                  <tr>
                    <th scope="row">{u().total}</th>
                    <td class="nowrap">{u().usesN(m().totals.uses)}</td>
                    <AmountCells amounts={m().totals} />
                  </tr>
                </tfoot>
              </ScrollTable>
            </Show>
          </section>

          <section aria-labelledby="usage-items-title">
            <h3 id="usage-items-title">{u().itemsTitle}</h3>
            <Show when={m().items.length > 0} fallback={<p>{u().noUses}</p>}>
              <ScrollTable
                id="usage-items"
                caption={u().itemsCaption(title(), m().items.length)}
                columns={[
                  u().date,
                  u().resident,
                  u().service,
                  u().facility,
                  u().status,
                  u().units,
                  u().fee,
                  u().copay,
                  u().share,
                ]}
              >
                <tbody>
                  <For each={m().items}>
                    {(i) => (
                      <tr>
                        <td class="nowrap">
                          {formatDate(i.startDate)}
                          <Show when={i.endDate !== i.startDate}>
                            <span class="visually-hidden">{u().until}</span>
                            <span aria-hidden="true"> {u().rangeSign} </span>
                            <br />
                            {formatDate(i.endDate)}
                          </Show>
                        </td>
                        <th scope="row" class="nowrap">
                          {i.residentName}
                          <Show when={i.residentNumber}>
                            {(n) => <div class="meta">{u().residentNumber(n())}</div>}
                          </Show>
                        </th>
                        <td class="nowrap">{label("serviceTypes", i.serviceType)}</td>
                        <td class="nowrap">{i.facilityName}</td>
                        <td class="nowrap">{u().statuses[i.status] ?? i.status}</td>
                        <td class="nowrap">{u().unitsN(i.units)}</td>
                        <td class="nowrap">{formatYen(i.fee)}</td>
                        <td class="nowrap">{formatYen(i.residentCopay)}</td>
                        <td class="nowrap">{formatYen(i.municipalityShare)}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </ScrollTable>
            </Show>
          </section>

          <Show
            when={props.me.role === "municipality"}
            fallback={
              <p class="alert" id="usage-read-only">
                {u().readOnly}
              </p>
            }
          >
            <div tabindex="-1" id="usage-messages" class="messages">
              <div role="status" aria-live="polite" class="status-slot">
                <Show when={notice()}>
                  <p class="alert alert-success">{notice()}</p>
                </Show>
              </div>
            </div>
            <ConfirmForm usage={m()} onConfirmed={setNotice} />
          </Show>
        </section>
      )}
    </Show>
  );
}

function AmountHeadings() {
  const u = () => t().usage;
  return (
    <>
      <th scope="col">{u().uses}</th>
      <th scope="col">{u().units}</th>
      <th scope="col">{u().fee}</th>
      <th scope="col">{u().copay}</th>
      <th scope="col">{u().share}</th>
    </>
  );
}

function AmountCells(props: { amounts: Omit<UsageTotals, "uses"> }): JSX.Element {
  const u = () => t().usage;
  return (
    <>
      <td class="nowrap">{u().unitsN(props.amounts.units)}</td>
      <td class="nowrap">{formatYen(props.amounts.fee)}</td>
      <td class="nowrap">{formatYen(props.amounts.residentCopay)}</td>
      <td class="nowrap">{formatYen(props.amounts.municipalityShare)}</td>
    </>
  );
}

function TotalsList(props: { totals: UsageTotals; id: string }) {
  const u = () => t().usage;
  return (
    <dl class="details" id={props.id}>
      <div>
        <dt>{u().uses}</dt>
        <dd>{u().usesN(props.totals.uses)}</dd>
      </div>
      <div>
        <dt>{u().units}</dt>
        <dd>{u().unitsN(props.totals.units)}</dd>
      </div>
      <div>
        <dt>{u().fee}</dt>
        <dd>{formatYen(props.totals.fee)}</dd>
      </div>
      <div>
        <dt>{u().copay}</dt>
        <dd>{formatYen(props.totals.residentCopay)}</dd>
      </div>
      <div>
        <dt>{u().share}</dt>
        <dd>{formatYen(props.totals.municipalityShare)}</dd>
      </div>
    </dl>
  );
}

/** Confirmed (who, when, the snapshot) or 未確認, and a warning when the month has changed since. */
function ConfirmationState(props: { usage: MonthlyUsage }) {
  const u = () => t().usage;
  return (
    <section class="panel" aria-labelledby="usage-state-title" id="usage-state">
      <h3 id="usage-state-title">{u().stateTitle}</h3>
      <Show when={props.usage.confirmation} fallback={<p class="alert-title">{u().unconfirmed}</p>}>
        {(c) => (
          <>
            <p class="alert-title">{u().confirmed}</p>
            <dl class="details">
              <div>
                <dt>{u().confirmedAt}</dt>
                <dd>{formatDateTime(c().confirmedAt)}</dd>
              </div>
              <div>
                <dt>{u().confirmedBy}</dt>
                <dd>{c().confirmedByName ?? t().dash}</dd>
              </div>
              <Show when={c().note}>
                <div>
                  <dt>{u().note}</dt>
                  <dd class="description">{c().note}</dd>
                </div>
              </Show>
            </dl>
            <Show when={props.usage.differsFromConfirmation}>
              <div class="alert alert-error" id="usage-differs">
                <p class="alert-title">{u().differsTitle}</p>
                <p>{u().differs}</p>
                <h4>{u().snapshot}</h4>
                <TotalsList totals={c()} id="usage-snapshot" />
              </div>
            </Show>
          </>
        )}
      </Show>
    </section>
  );
}

function ConfirmForm(props: { usage: MonthlyUsage; onConfirmed: (text: string) => void }) {
  const u = () => t().usage;
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<unknown>();
  const [noteError, setNoteError] = createSignal<string>();
  const again = () => props.usage.confirmation !== null;
  const upToDate = () => again() && !props.usage.differsFromConfirmation;
  const opensOn = () => formatDate(addDays(props.usage.to, 1));

  async function submit(e: SubmitEvent) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const note = String(new FormData(form).get("note") ?? "").trim();
    setError(undefined);
    props.onConfirmed("");
    if ([...note].length > 500) {
      setNoteError(u().noteTooLong);
      document.getElementById("field-note")?.focus();
      return;
    }
    setNoteError(undefined);
    setBusy(true);
    try {
      const month = props.usage.month;
      await api.confirmMonthlyUsage(month, note);
      form.reset();
      await revalidate(getMonthlyUsage.key);
      props.onConfirmed(u().confirmedNotice(monthText(month)));
      document.getElementById("usage-messages")?.focus();
    } catch (err) {
      setError(err);
      const fields = err instanceof ApiError ? err.fieldErrors() : {};
      if (fields.note) setNoteError(fields.note);
      // Confirmed by someone else meanwhile: show the month as it is now.
      if (err instanceof ApiError && err.status === 409) await revalidate(getMonthlyUsage.key);
      setTimeout(() => document.getElementById("usage-confirm-error")?.focus(), 0);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="panel" aria-labelledby="usage-confirm-title">
      <h3 id="usage-confirm-title">
        {props.usage.differsFromConfirmation ? u().reconfirmTitle : u().confirmTitle}
      </h3>
      <Show when={error()}>
        {(err) => (
          <div tabindex="-1" id="usage-confirm-error">
            <Problem error={err()} />
          </div>
        )}
      </Show>
      <Show
        when={props.usage.ended}
        fallback={
          <p id="usage-not-ended">
            <strong>{u().notEnded(opensOn())}</strong>
          </p>
        }
      >
        <Show when={!upToDate()} fallback={<p id="usage-up-to-date">{u().upToDate}</p>}>
          <p>{again() ? u().reconfirmIntro : u().confirmIntro}</p>
          <Show when={props.usage.unredeemed > 0}>
            <p>
              <strong>{u().unredeemedBeforeConfirm(props.usage.unredeemed)}</strong>
            </p>
          </Show>
          <form onSubmit={submit} noValidate>
            <TextField
              name="note"
              label={u().noteLabel}
              hint={u().noteHint}
              error={noteError()}
              multiline
              maxLength={500}
            />
            <div class="form-actions">
              <Button type="submit" class="button" busy={busy()}>
                {busy() ? t().saving : again() ? u().reconfirm : u().confirm}
              </Button>
            </div>
          </form>
        </Show>
      </Show>
    </section>
  );
}
