import { createRenderEffect } from "solid-js";

/**
 * A ref that keeps an element's text set whole (textContent), for text that changes in place. Browser page
 * translation (Chrome's) replaces each text node with <font><font>…</font></font>; Solid then updates the text node
 * it made, no longer in the page, and the old words stay (solidjs/solid#1451). Solid's own `textContent={…}` does
 * the same (it updates the first child's data), so it is no way out. Setting textContent replaces whatever the
 * translator put there, and the translator translates the new sentence, one node, as a whole.
 *
 *   <p role="status" ref={wholeText(() => t().vacancy.results(n()))} />
 */
export function wholeText(text: () => string): (el: HTMLElement) => void {
  return (el) =>
    createRenderEffect(() => {
      el.textContent = text();
    });
}
