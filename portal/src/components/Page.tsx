import { createEffect, type JSX, onMount } from "solid-js";
import { t } from "../i18n";

let navigated = false;

/** Called by the layout when the route changes: from then on each new page moves focus to its h1. */
export function markNavigated() {
  navigated = true;
  setTimeout(() => document.querySelector<HTMLElement>("main h1")?.focus(), 0);
}

/**
 * A page: sets document.title and renders the page's one h1 (focused after client-side navigation). `lang` marks a
 * title in another language than the page (a facility's Japanese name in English mode).
 */
export function Page(props: { title: string; lang?: string | undefined; children?: JSX.Element }) {
  let heading!: HTMLHeadingElement;
  createEffect(() => {
    document.title = `${props.title} | ${t().siteName}`;
  });
  onMount(() => {
    if (navigated) heading.focus();
  });
  return (
    <>
      <h1 ref={heading} tabindex="-1" lang={props.lang}>
        {props.title}
      </h1>
      {props.children}
    </>
  );
}
