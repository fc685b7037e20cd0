import { For, type JSX, Show } from "solid-js";
import { SERVICE_TYPES, type Voucher } from "../api";
import { formatDate } from "../format";
import { label, t } from "../i18n";

/** Balances by service type, in the fixed order 宿泊型 / デイサービス型 / アウトリーチ型. */
function ordered(v: Voucher) {
  return SERVICE_TYPES.flatMap((type) => v.balances.filter((b) => b.serviceType === type));
}

/**
 * One voucher: its number (large), status, validity and what is left of each service type; `qr` adds the
 * QR code, `children` the actions below it. Parts marked .no-print are left out when printing.
 */
export function VoucherCard(props: {
  voucher: Voucher;
  qr?: JSX.Element;
  children?: JSX.Element;
  level?: 2 | 3;
}) {
  const v = () => props.voucher;
  const vt = () => t().vouchers;
  const headingId = () => `voucher-${v().id}`;
  const heading = () => vt().cardTitle(v().number);
  /** A stay's balance is counted the municipality's way (days or nights), as on the booking page. */
  const counting = (type: string) => (type === "stay" ? v().stayCounting : null);
  return (
    <article
      class="voucher"
      classList={{ "voucher-revoked": v().status !== "active" }}
      aria-labelledby={headingId()}
    >
      <Show
        when={(props.level ?? 2) === 2}
        fallback={
          <h3 id={headingId()} class="visually-hidden">
            {heading()}
          </h3>
        }
      >
        <h2 id={headingId()} class="visually-hidden">
          {heading()}
        </h2>
      </Show>
      <p class="voucher-label">{vt().number}</p>
      <p class="voucher-number" translate="no">
        {v().number}
      </p>
      <dl class="details voucher-facts">
        <div class="no-print">
          <dt>{vt().status}</dt>
          <dd>
            <span class="voucher-status" classList={{ "status-active": v().status === "active" }}>
              {vt().statuses[v().status] ?? v().status}
            </span>
          </dd>
        </div>
        <div>
          <dt>{vt().validity}</dt>
          <dd>{vt().validRange(formatDate(v().validFrom), formatDate(v().validUntil))}</dd>
        </div>
        <Show when={v().revokedReason}>
          <div class="no-print">
            <dt>{vt().revokedReason}</dt>
            <dd>{v().revokedReason}</dd>
          </div>
        </Show>
      </dl>
      <Show when={ordered(v()).length > 0}>
        <section class="no-print" aria-labelledby={`${headingId()}-balances`}>
          <p class="voucher-label" id={`${headingId()}-balances`}>
            {vt().balances}
          </p>
          <ul class="balances">
            <For each={ordered(v())}>
              {(b) => (
                <li>
                  <span class="balance-type">{label("serviceTypes", b.serviceType)}</span>
                  <span class="balance-left">
                    {vt().remaining(b.remaining, b.cap, counting(b.serviceType))}
                  </span>
                  <span class="balance-meta">
                    {vt().reservedUsed(b.reserved, b.used, counting(b.serviceType))}
                  </span>
                </li>
              )}
            </For>
          </ul>
          <Show when={v().balances.some((b) => b.serviceType === "stay") && v().stayCounting}>
            {(c) => <p class="meta">{t().book.counting[c()]}</p>}
          </Show>
        </section>
      </Show>
      {props.qr}
      {props.children}
    </article>
  );
}
