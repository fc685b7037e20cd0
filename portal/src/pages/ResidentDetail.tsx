import { A, createAsync, revalidate, useParams } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import { ApiError, api, type Me, type Resident, type Voucher } from "../api";
import { type RunAction, useAction } from "../components/ActionOutcome";
import { LoadedBookingList } from "../components/BookingList";
import { Button } from "../components/Button";
import { ErrorMessage } from "../components/ErrorMessage";
import { TextField } from "../components/Field";
import { RequireRole } from "../components/Guard";
import { Page } from "../components/Page";
import { VoucherCard } from "../components/VoucherCard";
import { getBookings, getMunicipalities, getResident, getVouchers } from "../data";
import { formatDate } from "../format";
import { t } from "../i18n";

/**
 * One resident (staff view) with their vouchers: issue, revoke or reissue (municipality staff only); and their
 * bookings at every facility, from every source.
 */
export function ResidentDetail() {
  return (
    <RequireRole roles={["municipality", "prefecture"]} title={t().residentDetail.title}>
      {(me) => <Detail me={me} />}
    </RequireRole>
  );
}

/** The hub's problem, headed by a sentence for its code when the portal knows one. */
function Problem(props: { error: unknown }) {
  const messages = () => {
    const e = props.error;
    if (!(e instanceof ApiError)) return undefined;
    const text = t().residentDetail.problems[e.code];
    return text ? { [e.status]: text } : undefined;
  };
  return <ErrorMessage error={props.error} messages={messages()} />;
}

function Detail(props: { me: Me }) {
  const params = useParams();
  const id = () => params.id ?? "";
  const resident = createAsync(() => getResident(id()));
  const vouchers = createAsync(() => getVouchers({ residentId: id(), limit: 100 }));
  const municipalities = createAsync(() => getMunicipalities());
  const d = () => t().residentDetail;
  const canEdit = () => props.me.role === "municipality";
  const name = (r: Resident) => `${r.familyName} ${r.givenName}`;
  const municipalityName = (code: string) => municipalities()?.find((m) => m.code === code)?.name ?? code;
  // A change reloads the vouchers and announces its outcome.
  const { run: change, busy, Outcome } = useAction(() => revalidate(getVouchers.key), { problem: Problem });

  const issue = () =>
    change(async () => {
      const v = await api.issueVoucher(id());
      return d().issued(v.number);
    });

  return (
    <Show when={resident()} fallback={<Page title={d().title} />}>
      {(r) => (
        <Page title={name(r())}>
          <p>
            <A href="/residents">{d().back}</A>
          </p>
          <section class="panel" aria-labelledby="resident-profile">
            <h2 id="resident-profile">{d().profile}</h2>
            <dl class="details">
              <div>
                <dt>{d().kana}</dt>
                <dd>{r().kana || t().notSet}</dd>
              </div>
              <div>
                <dt>{t().residents.municipality}</dt>
                <dd>{municipalityName(r().municipalityCode)}</dd>
              </div>
              <div>
                <dt>{d().birthDate}</dt>
                <dd>{formatDate(r().birthDate) || t().notSet}</dd>
              </div>
              <div>
                <dt>{d().contact}</dt>
                <dd>
                  <For each={[r().email, r().phone].filter(Boolean)} fallback={t().notSet}>
                    {(c) => <div>{c}</div>}
                  </For>
                </dd>
              </div>
              <Show when={r().address}>
                <div>
                  <dt>{d().address}</dt>
                  <dd>
                    {r().postalCode ? `〒${r().postalCode} ` : ""}
                    {r().address}
                  </dd>
                </div>
              </Show>
              <Show when={r().incomeTier}>
                {(tier) => (
                  <div>
                    <dt>{d().incomeTier}</dt>
                    <dd>
                      {t().policies.tiers[tier() as keyof ReturnType<typeof t>["policies"]["tiers"]] ??
                        tier()}
                    </dd>
                  </div>
                )}
              </Show>
              <div>
                <dt>{d().children}</dt>
                <dd>
                  <For each={r().children ?? []} fallback={t().none}>
                    {(c) => <div>{t().residents.childBorn(c.name ?? "", formatDate(c.birthDate))}</div>}
                  </For>
                </dd>
              </div>
            </dl>
          </section>

          <section aria-labelledby="resident-vouchers">
            <h2 id="resident-vouchers">{d().vouchersTitle}</h2>
            <Outcome />
            <Show when={canEdit()}>
              <p class="actions">
                <Button type="button" class="button" busy={busy()} onClick={issue}>
                  {d().issue}
                </Button>
              </p>
            </Show>
            <Show when={vouchers()}>
              {(page) => (
                <Show when={page().items.length > 0} fallback={<p>{d().noVouchers}</p>}>
                  <div class="voucher-list">
                    <For each={page().items}>
                      {(v) => (
                        <VoucherCard voucher={v} level={3}>
                          <Show when={canEdit() && v.status === "active"}>
                            <VoucherActions voucher={v} busy={busy()} change={change} />
                          </Show>
                        </VoucherCard>
                      )}
                    </For>
                  </div>
                </Show>
              )}
            </Show>
          </section>

          <ResidentBookings residentId={id()} />
        </Page>
      )}
    </Show>
  );
}

/** The most bookings shown at once. */
const BOOKINGS_LIMIT = 100;

/** The resident's bookings and uses across every facility and source, newest first. */
function ResidentBookings(props: { residentId: string }) {
  const bookings = createAsync(() => getBookings({ residentId: props.residentId, limit: BOOKINGS_LIMIT }));
  const d = () => t().residentDetail;
  return (
    <section aria-labelledby="resident-bookings">
      <h2 id="resident-bookings">{d().bookingsTitle}</h2>
      <p>{d().bookingsIntro}</p>
      <LoadedBookingList
        id="resident-bookings-table"
        caption={d().bookingsCaption}
        empty={d().noBookings}
        bookings={bookings}
      />
    </section>
  );
}

type Mode = "revoke" | "reissue";

/** 無効にする / 再発行する, each opening a small inline form that asks for the reason. */
function VoucherActions(props: { voucher: Voucher; busy: boolean; change: RunAction }) {
  const d = () => t().residentDetail;
  const [mode, setMode] = createSignal<Mode>();
  const [reasonError, setReasonError] = createSignal<string>();
  const fieldId = () => `reason-${props.voucher.id}`;
  let opener: HTMLButtonElement | undefined;

  function open(next: Mode, button: HTMLButtonElement) {
    opener = button;
    setReasonError(undefined);
    setMode(next);
    document.getElementById(fieldId())?.focus();
  }

  function close() {
    setMode(undefined);
    opener?.focus();
  }

  async function submit(e: SubmitEvent) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const reason = String(new FormData(form).get("reason") ?? "").trim();
    if (!reason) {
      setReasonError(d().reasonRequired);
      document.getElementById(fieldId())?.focus();
      return;
    }
    setReasonError(undefined);
    const v = props.voucher;
    const m = mode();
    await props.change(async () => {
      if (m === "reissue") {
        const next = await api.reissueVoucher(v.id, reason);
        return d().reissued(v.number, next.number);
      }
      await api.revokeVoucher(v.id, reason);
      return d().revoked(v.number);
    });
  }

  return (
    <div class="voucher-actions">
      <Show
        when={mode()}
        fallback={
          <p class="actions">
            <button
              type="button"
              class="button button-secondary"
              onClick={(e) => open("revoke", e.currentTarget)}
              aria-label={d().revokeTitle(props.voucher.number)}
            >
              {d().revoke}
            </button>
            <button
              type="button"
              class="button button-secondary"
              onClick={(e) => open("reissue", e.currentTarget)}
              aria-label={d().reissueTitle(props.voucher.number)}
            >
              {d().reissue}
            </button>
          </p>
        }
      >
        {(m) => (
          <form class="panel inline-form" onSubmit={submit} noValidate aria-labelledby={`${fieldId()}-title`}>
            <p class="form-title" id={`${fieldId()}-title`}>
              {m() === "revoke"
                ? d().revokeTitle(props.voucher.number)
                : d().reissueTitle(props.voucher.number)}
            </p>
            <Show when={m() === "reissue"}>
              <p>{d().reissueNote}</p>
            </Show>
            <TextField
              id={fieldId()}
              name="reason"
              label={d().reason}
              hint={d().reasonHint}
              error={reasonError()}
              maxLength={500}
              aria-required="true"
              ref={(el) => queueMicrotask(() => el.focus())}
            />
            <div class="form-actions">
              <Button type="submit" class="button" busy={props.busy}>
                {m() === "revoke" ? d().revoke : d().reissue}
              </Button>
              <button type="button" class="button button-quiet" onClick={close}>
                {d().cancel}
              </button>
            </div>
          </form>
        )}
      </Show>
    </div>
  );
}
