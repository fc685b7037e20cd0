import type { JSX } from "solid-js";

/**
 * A table that may be wider than a phone: it scrolls inside its own focusable region (labelled by the
 * caption) instead of making the page scroll sideways.
 */
export function ScrollTable(props: {
  id: string;
  caption: JSX.Element;
  compact?: boolean;
  children: JSX.Element;
}) {
  return (
    <section
      class="table-wrap"
      classList={{ compact: props.compact }}
      aria-labelledby={`${props.id}-caption`}
      tabindex="0"
    >
      <table id={props.id}>
        <caption id={`${props.id}-caption`}>{props.caption}</caption>
        {props.children}
      </table>
    </section>
  );
}
