import { A, createAsync, useParams } from "@solidjs/router";
import { ErrorBoundary, For, type JSX, Show, Suspense } from "solid-js";
import { ApiError, type Facility, type Municipality, SERVICE_TYPES, type Slot } from "../api";
import { ErrorMessage } from "../components/ErrorMessage";
import { Page } from "../components/Page";
import { ScrollTable } from "../components/Table";
import { WaitlistJoin } from "../components/WaitlistJoin";
import { getFacility, getMe, getMunicipalities, getRevisions, getSlots } from "../data";
import { addDays, formatDateTime, formatDay, formatTime, todayInJapan } from "../format";
import { label, t, untranslated } from "../i18n";
import { NotFound } from "./NotFound";

/** The facility, or null when there is no such facility (404, or an id that is not one). */
export async function facilityOrNull(id: string): Promise<Facility | null> {
  try {
    return await getFacility(id);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 400)) return null;
    throw err;
  }
}

export function FacilityProfile() {
  const params = useParams();
  const facility = createAsync(() => facilityOrNull(params.id ?? ""));
  const me = createAsync(() => getMe());
  const municipalities = createAsync(() => getMunicipalities());
  const isOwn = () => me()?.role === "facility" && me()?.facilityId === params.id;

  return (
    <Show when={facility() !== undefined}>
      <Show when={facility()} fallback={<NotFound />}>
        {(f) => (
          <Page title={f().name} lang={untranslated()}>
            <Show when={f().kana}>
              <p class="kana">{f().kana}</p>
            </Show>
            <Show when={isOwn()}>
              <p>
                <A class="button" href={`/facilities/${f().id}/edit`}>
                  {t().profile.edit}
                </A>
              </p>
            </Show>
            <Show when={!isOwn() && f().services.length > 0}>
              <p>
                <A class="button" href={`/book/${f().id}`}>
                  {f().bookingUrl ? t().vacancy.bookExternal : t().vacancy.book}
                </A>
              </p>
            </Show>
            <Basics facility={f()} municipalities={municipalities() ?? []} />
            <Services facility={f()} />
            <Section id="availability" title={t().profile.availability}>
              <Availability facility={f()} />
            </Section>
            <Show when={me()?.role === "resident" && me()?.verified && f().services.length > 0}>
              <WaitlistJoin facility={f()} />
            </Show>
            <Section id="history" title={t().profile.history}>
              <History facility={f()} municipalities={municipalities() ?? []} />
            </Section>
          </Page>
        )}
      </Show>
    </Show>
  );
}

/** A section that loads on its own: its failure does not take the page down. */
function Section(props: { id: string; title: string; children: JSX.Element }) {
  return (
    <section aria-labelledby={`${props.id}-title`}>
      <h2 id={`${props.id}-title`}>{props.title}</h2>
      <ErrorBoundary fallback={(err) => <ErrorMessage error={err} />}>
        <Suspense fallback={<p class="loading">{t().loading}</p>}>{props.children}</Suspense>
      </ErrorBoundary>
    </section>
  );
}

function Row(props: { term: string; children: JSX.Element; when?: unknown }) {
  return (
    <Show when={props.when ?? true}>
      <div>
        <dt>{props.term}</dt>
        <dd>{props.children}</dd>
      </div>
    </Show>
  );
}

function Basics(props: { facility: Facility; municipalities: Municipality[] }) {
  const f = () => props.facility;
  const fields = () => t().facilityFields;
  const names = (codes: string[]) =>
    codes.map((c) => props.municipalities.find((m) => m.code === c)?.name ?? c).join(t().listSeparator);
  return (
    <section aria-labelledby="basics-title">
      <h2 id="basics-title">{t().profile.basics}</h2>
      <dl class="details">
        <Row term={fields().kind}>{label("kinds", f().kind)}</Row>
        <Row term={fields().associationName} when={f().associationName}>
          {f().associationName}
        </Row>
        <Row term={fields().municipality}>{f().municipalityName ?? names([f().municipalityCode])}</Row>
        <Row term={fields().address}>
          <Show when={f().postalCode}>{t().profile.postal(f().postalCode ?? "")} </Show>
          <span lang={untranslated()}>{f().address}</span>
        </Row>
        <Row term={fields().access} when={f().access}>
          {f().access}
        </Row>
        <Row term={fields().phone} when={f().phone}>
          <a href={`tel:${f().phone?.replace(/[^0-9+]/g, "")}`}>{f().phone}</a>
        </Row>
        <Row term={fields().email} when={f().email}>
          <a href={`mailto:${f().email}`}>{f().email}</a>
        </Row>
        <Row term={fields().website} when={f().website}>
          <ExternalLink href={f().website ?? ""} />
        </Row>
        <Row term={fields().bookingUrl} when={f().bookingUrl}>
          <ExternalLink href={f().bookingUrl ?? ""} />
        </Row>
        <Row term={fields().languages} when={(f().languages?.length ?? 0) > 0}>
          {(f().languages ?? []).map((l) => label("languages", l)).join(t().listSeparator)}
        </Row>
        <Row term={fields().accessibility}>
          <Show when={(f().accessibility?.length ?? 0) > 0} fallback={t().notSet}>
            <ul class="tags">
              <For each={f().accessibility}>{(a) => <li>{label("accessibility", a)}</li>}</For>
            </ul>
          </Show>
        </Row>
        <Row term={fields().serviceArea} when={(f().serviceArea?.length ?? 0) > 0}>
          {names(f().serviceArea ?? [])}
        </Row>
        <Row term={t().profile.updatedAt}>{formatDateTime(f().updatedAt)}</Row>
      </dl>
      <Show when={f().description}>
        <h3>{fields().description}</h3>
        <p class="description" lang={untranslated()}>
          {f().description}
        </p>
      </Show>
    </section>
  );
}

function ExternalLink(props: { href: string }) {
  return (
    <a href={props.href} rel="external noopener noreferrer">
      {props.href}
      <span class="visually-hidden">{t().profile.externalNote}</span>
    </a>
  );
}

function Services(props: { facility: Facility }) {
  const p = () => t().profile;
  const services = () =>
    [...props.facility.services].sort(
      (a, b) => SERVICE_TYPES.indexOf(a.serviceType) - SERVICE_TYPES.indexOf(b.serviceType),
    );
  return (
    <section aria-labelledby="services-title">
      <h2 id="services-title">{p().services}</h2>
      <Show when={services().length > 0} fallback={<p>{p().noServices}</p>}>
        <ul class="service-list">
          <For each={services()}>
            {(s) => (
              <li>
                <strong>{label("serviceTypes", s.serviceType)}</strong>
                <span>{p().capacity(s.capacity)}</span>
                <Show when={s.timeBlocks.length > 0}>
                  <span>
                    {p().timesLine(
                      s.timeBlocks.map((b) => p().timeRange(b.start, b.end)).join(t().listSeparator),
                    )}
                  </span>
                </Show>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </section>
  );
}

type Column = { serviceType: string; timeBlock: string; label: string; time: string };

function columnsOf(facility: Facility, slots: Slot[]): Column[] {
  const seen = new Map<string, Column>();
  for (const s of slots) {
    const key = `${s.serviceType}|${s.timeBlock}`;
    if (seen.has(key)) continue;
    const block = facility.services
      .find((x) => x.serviceType === s.serviceType)
      ?.timeBlocks.find((b) => b.code === s.timeBlock);
    const time = block
      ? t().profile.timeRange(block.start, block.end)
      : s.serviceType === "stay"
        ? ""
        : s.timeBlock;
    seen.set(key, {
      serviceType: s.serviceType,
      timeBlock: s.timeBlock,
      label: label("serviceTypes", s.serviceType),
      time,
    });
  }
  return [...seen.values()].sort(
    (a, b) =>
      SERVICE_TYPES.indexOf(a.serviceType as never) - SERVICE_TYPES.indexOf(b.serviceType as never) ||
      a.time.localeCompare(b.time),
  );
}

function Availability(props: { facility: Facility }) {
  const from = todayInJapan();
  const to = addDays(from, 13);
  const slots = createAsync(() => getSlots(props.facility.id, from, to));
  const p = () => t().profile;
  const dates = Array.from({ length: 14 }, (_, i) => addDays(from, i));
  const cell = (s: Slot | undefined) => {
    if (!s) return p().noSlot;
    if (s.closed) return p().closed;
    return s.free > 0 ? p().free(s.free) : p().full;
  };
  return (
    <Show when={slots()}>
      {(data) => {
        const columns = () => columnsOf(props.facility, data().items);
        const find = (date: string, c: Column) =>
          data().items.find(
            (s) => s.date === date && s.serviceType === c.serviceType && s.timeBlock === c.timeBlock,
          );
        return (
          <>
            <p class="as-of">
              {p().asOf(formatTime(data().asOf))} {p().availabilityNote}
            </p>
            <Show when={columns().length > 0} fallback={<p>{p().noAvailability}</p>}>
              <ScrollTable id="availability-table" caption={p().availabilityCaption} compact>
                <thead>
                  <tr>
                    <th scope="col">{p().date}</th>
                    <For each={columns()}>
                      {(c) => (
                        <th scope="col">
                          {c.label}
                          <Show when={c.time}>
                            <span class="column-time">{c.time}</span>
                          </Show>
                        </th>
                      )}
                    </For>
                  </tr>
                </thead>
                <tbody>
                  <For each={dates}>
                    {(date) => (
                      <tr>
                        <th scope="row">{formatDay(date)}</th>
                        <For each={columns()}>
                          {(c) => {
                            const slot = () => find(date, c);
                            const free = () => {
                              const x = slot();
                              return !!x && !x.closed && x.free > 0;
                            };
                            return <td class={free() ? "slot-free" : "slot-none"}>{cell(slot())}</td>;
                          }}
                        </For>
                      </tr>
                    )}
                  </For>
                </tbody>
              </ScrollTable>
            </Show>
          </>
        );
      }}
    </Show>
  );
}

function History(props: { facility: Facility; municipalities: Municipality[] }) {
  const revisions = createAsync(() => getRevisions(props.facility.id));
  const p = () => t().profile;
  const show = (field: string, value: unknown): string => {
    if (value === null || value === undefined || value === "") return p().empty;
    if (Array.isArray(value)) {
      if (value.length === 0) return p().empty;
      const map = (v: string) =>
        field === "accessibility"
          ? label("accessibility", v)
          : field === "languages"
            ? label("languages", v)
            : field === "serviceArea"
              ? (props.municipalities.find((m) => m.code === v)?.name ?? v)
              : v;
      return value.map((v) => map(String(v))).join(t().listSeparator);
    }
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  };
  return (
    <Show when={(revisions()?.length ?? 0) > 0} fallback={<p>{p().noHistory}</p>}>
      <ol class="history">
        <For each={revisions()}>
          {(r) => (
            <li>
              <p class="history-when">{p().versionAt(r.version, formatDateTime(r.changedAt))}</p>
              <ul>
                <For each={Object.entries(r.changes)}>
                  {([field, change]) => (
                    <li>
                      {p().changedTo(
                        label("facilityFields", field),
                        show(field, change.from),
                        show(field, change.to),
                      )}
                    </li>
                  )}
                </For>
              </ul>
            </li>
          )}
        </For>
      </ol>
    </Show>
  );
}
