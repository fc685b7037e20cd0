import { createAsync } from "@solidjs/router";
import { For, onCleanup, Show } from "solid-js";
import { type Voucher, voucherQrUrl } from "../api";
import { LoadedBookingList } from "../components/BookingList";
import { RequireRole } from "../components/Guard";
import { Page } from "../components/Page";
import { VoucherCard } from "../components/VoucherCard";
import { getBookings, getMyVouchers } from "../data";
import { t } from "../i18n";

/**
 * The signed-in resident's vouchers (電子利用券): number, balances, the QR code, and printing one of them; below
 * them every reservation and use with its status.
 */
export function MyVouchers() {
  return (
    <RequireRole roles={["resident"]} title={t().vouchers.title}>
      {() => <VoucherList />}
    </RequireRole>
  );
}

/** Prints only this voucher: the card is marked for the print stylesheet until printing is over. */
function printVoucher(id: string) {
  const card = document.querySelector(`[aria-labelledby="voucher-${id}"]`);
  document.body.classList.add("printing-voucher");
  card?.classList.add("voucher-printing");
  const done = () => {
    document.body.classList.remove("printing-voucher");
    card?.classList.remove("voucher-printing");
    window.removeEventListener("afterprint", done);
  };
  window.addEventListener("afterprint", done);
  window.print();
}

function VoucherList() {
  const vouchers = createAsync(() => getMyVouchers());
  const vt = () => t().vouchers;
  onCleanup(() => document.body.classList.remove("printing-voucher"));
  return (
    <Page title={vt().title}>
      <p class="no-print">{vt().intro}</p>
      <Show when={vouchers()}>
        {(items) => (
          <Show when={items().length > 0} fallback={<p>{vt().none}</p>}>
            <div class="voucher-list">
              <For each={items()}>{(v) => <MyVoucher voucher={v} />}</For>
            </div>
          </Show>
        )}
      </Show>
      <MyBookings />
    </Page>
  );
}

/** The most bookings shown at once: a resident has a few a year. */
const MY_BOOKINGS_LIMIT = 100;

/** Every booking of the resident's (their own, across vouchers and facilities), newest first. */
function MyBookings() {
  const bookings = createAsync(() => getBookings({ limit: MY_BOOKINGS_LIMIT }));
  const vt = () => t().vouchers;
  return (
    <section class="no-print" aria-labelledby="my-bookings">
      <h2 id="my-bookings">{vt().bookingsTitle}</h2>
      <p>{vt().bookingsIntro}</p>
      <LoadedBookingList
        id="my-bookings-table"
        caption={vt().bookingsCaption}
        empty={vt().noBookings}
        bookings={bookings}
      />
    </section>
  );
}

function MyVoucher(props: { voucher: Voucher }) {
  const vt = () => t().vouchers;
  return (
    <VoucherCard
      voucher={props.voucher}
      qr={
        <Show when={props.voucher.status === "active"}>
          <p class="voucher-qr">
            <img
              src={voucherQrUrl(props.voucher.id)}
              alt={vt().qrAlt(props.voucher.number)}
              width="288"
              height="288"
            />
          </p>
        </Show>
      }
    >
      <Show when={props.voucher.status === "active"}>
        <p class="actions no-print">
          <button
            type="button"
            class="button button-secondary"
            onClick={() => printVoucher(props.voucher.id)}
          >
            {vt().print}
          </button>
        </p>
      </Show>
    </VoucherCard>
  );
}
