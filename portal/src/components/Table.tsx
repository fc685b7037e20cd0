import { For, type JSX, Show } from "solid-js";

/**
 * A table that may be wider than a phone: it scrolls inside its own focusable region (labelled by the
 * caption) instead of making the page scroll sideways. `columns`: the column headings of a plain head row (a table
 * whose head has more than plain headings writes its own `<thead>` among the children).
 */
export function ScrollTable(props: {
  id: string;
  caption: JSX.Element;
  compact?: boolean;
  columns?: JSX.Element[];
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
        <Show when={props.columns}>
          {(columns) => (
            <thead>
              <tr>
                <For each={columns()}>{(c) => <th scope="col">{c}</th>}</For>
              </tr>
            </thead>
          )}
        </Show>
        {props.children}
      </table>
    </section>
  );
}
