import { type JSX, splitProps } from "solid-js";

type ButtonProps = JSX.ButtonHTMLAttributes<HTMLButtonElement> & {
  /** The action is running (or another one that rules it out): the button says so and ignores presses. */
  busy?: boolean;
};

/**
 * An action button that keeps the focus while its action runs. A `disabled` button loses the focus (it falls to the
 * page, and a screen reader or keyboard user is lost), so a busy button stays enabled and focusable: it is marked
 * aria-disabled and aria-busy, looks disabled (styles.css), and ignores clicks and form submission until done.
 * `disabled` remains for a button that does not apply at all (nothing chosen yet), where no one has just pressed it.
 */
export function Button(props: ButtonProps) {
  const [own, rest] = splitProps(props, ["busy", "onClick", "class", "type"]);
  const click: JSX.EventHandler<HTMLButtonElement, MouseEvent> = (e) => {
    if (own.busy) {
      // Also stops the submission of a form by its submit button (a click's default action).
      e.preventDefault();
      return;
    }
    const handler = own.onClick;
    if (typeof handler === "function") handler(e);
    else if (handler) handler[0](handler[1], e);
  };
  return (
    <button
      {...rest}
      type={own.type ?? "button"}
      class={own.class ?? "button"}
      aria-disabled={own.busy ? "true" : undefined}
      aria-busy={own.busy ? "true" : undefined}
      onClick={click}
    />
  );
}
