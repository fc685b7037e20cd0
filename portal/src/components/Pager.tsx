import { A } from "@solidjs/router";
import { Show } from "solid-js";
import { t } from "../i18n";

/** Previous / next links for a limit-offset list, with the range shown. */
export function Pager(props: {
  total: number;
  limit: number;
  offset: number;
  href: (offset: number) => string;
}) {
  const from = () => (props.total === 0 ? 0 : props.offset + 1);
  const to = () => Math.min(props.offset + props.limit, props.total);
  return (
    <Show when={props.total > props.limit || props.offset > 0}>
      <nav class="pager" aria-label={t().pager.label}>
        <Show when={props.offset > 0} fallback={<span class="pager-spacer" />}>
          <A
            class="button button-secondary"
            href={props.href(Math.max(0, props.offset - props.limit))}
            rel="prev"
          >
            {t().pager.previous}
          </A>
        </Show>
        <p class="pager-range">{t().pager.range(from(), to(), props.total)}</p>
        <Show when={to() < props.total} fallback={<span class="pager-spacer" />}>
          <A class="button button-secondary" href={props.href(props.offset + props.limit)} rel="next">
            {t().pager.next}
          </A>
        </Show>
      </nav>
    </Show>
  );
}

/** A query string from the current filters plus an offset (empty values left out). */
export function searchHref(path: string, params: Record<string, string | undefined>, offset: number): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  if (offset > 0) q.set("offset", String(offset));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
