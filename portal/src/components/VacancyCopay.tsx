import { createAsync } from "@solidjs/router";
import { For, Show, Suspense } from "solid-js";
import { api, hasRole, SERVICE_TYPES, type ServiceType, type Vacancy } from "../api";
import { getMe } from "../data";
import { formatYen } from "../format";
import { label, t } from "../i18n";

/**
 * What a signed-in resident would pay for one use of each service shown (a night's stay, a day, a visit): the
 * hub's quote under her voucher and her municipality's rules on the first day shown. Her copay does not depend
 * on the facility (the entitlement engine has no facility in its input), so one quote per service, at the first
 * facility listed that offers it, stands for all of them. Services her voucher does not cover are left out (the
 * booking page says why).
 */
export function VacancyCopay(props: { vacancy: Vacancy }) {
  const v = () => t().vacancy;
  const me = createAsync(() => getMe());
  const copays = createAsync(async () => {
    if (!hasRole(me(), ["resident"])) return [];
    const asked = SERVICE_TYPES.flatMap((serviceType) => {
      const at = props.vacancy.items.find((f) => f.services.some((s) => s.serviceType === serviceType));
      const block = at?.services.find((s) => s.serviceType === serviceType)?.blocks[0]?.timeBlock;
      return at ? [{ facilityId: at.facilityId, serviceType, block }] : [];
    });
    const answers = await Promise.allSettled(
      asked.map((a) =>
        api.quoteBooking({
          facilityId: a.facilityId,
          serviceType: a.serviceType,
          startDate: props.vacancy.from,
          ...(a.serviceType === "stay" ? { nights: 1 } : a.block ? { timeBlock: a.block } : {}),
        }),
      ),
    );
    return answers.flatMap((r, i) =>
      r.status === "fulfilled"
        ? [{ serviceType: asked[i]?.serviceType as ServiceType, copay: r.value.residentCopay }]
        : [],
    );
  });
  // Its own boundary: the results never wait for the quotes.
  return (
    <Suspense>
      <Show when={(copays() ?? []).length > 0}>
        <div class="copay-hint" id="vacancy-copay">
          <p class="copay-hint-title">{v().copayTitle}</p>
          <ul>
            <For each={copays()}>
              {(c) => (
                <li>
                  {v().copayOne(
                    label("serviceTypes", c.serviceType),
                    c.serviceType === "stay",
                    formatYen(c.copay),
                  )}
                </li>
              )}
            </For>
          </ul>
        </div>
      </Show>
    </Suspense>
  );
}
