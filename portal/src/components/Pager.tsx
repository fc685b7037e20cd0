import { A } from "@solidjs/router";
import { Show } from "solid-js";
import { t } from "../i18n";
import { wholeText } from "../whole-text";

/** Previous / next links for a limit-offset list, with the range shown (nothing until the total is known). */
export function Pager(props: {
  total: number | undefined;
  limit: number;
  offset: number;
  href: (offset: number) => string;
}) {
  const total = () => props.total ?? 0;
  const from = () => (total() === 0 ? 0 : props.offset + 1);
  const to = () => Math.min(props.offset + props.limit, total());
  return (
    <Show when={props.total !== undefined && (total() > props.limit || props.offset > 0)}>
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
        <p class="pager-range">{t().pager.range(from(), to(), total())}</p>
        <Show when={to() < total()} fallback={<span class="pager-spacer" />}>
          <A class="button button-secondary" href={props.href(props.offset + props.limit)} rel="next">
            {t().pager.next}
          </A>
        </Show>
      </nav>
    </Show>
  );
}

/**
 * The number of results, in a live region that is there before the first answer (so changes are read out). The
 * sentence is set whole (textContent), so it stays right under browser page translation, which wraps text nodes
 * in <font> elements that Solid would otherwise miss (solidjs/solid#1451).
 */
export function ResultCount(props: {
  total: number | undefined;
  results: (n: number) => string;
  none: string;
}) {
  const total = () => props.total ?? 0;
  return (
    <p
      role="status"
      class="result-count"
      ref={wholeText(() =>
        props.total === undefined ? "" : total() > 0 ? props.results(total()) : props.none,
      )}
    />
  );
}
