/** An action button's outcome: one action at a time, its result announced in a status region or the hub's problem. */
import { createSignal, type JSX, Show } from "solid-js";
import { ErrorMessage } from "./ErrorMessage";

export type ActionOptions = {
  /** How the hub's problem is shown (default ErrorMessage). */
  problem?: (props: { error: unknown }) => JSX.Element;
  /** Refresh after a failure too: the action may have failed because what is shown is out of date. */
  refreshOnError?: boolean;
};

/** What `useAction` gives a page's buttons: runs an action that answers its notice; resolves to whether it worked. */
export type RunAction = (action: () => Promise<string>) => Promise<boolean>;

/**
 * Runs one action at a time; announces its outcome in a status region, or shows the hub's problem. `run` answers
 * whether the action worked.
 */
export function useAction(refresh: () => Promise<void>, opts: ActionOptions = {}) {
  const Problem = opts.problem ?? ErrorMessage;
  const [notice, setNotice] = createSignal("");
  const [error, setError] = createSignal<unknown>();
  const [busy, setBusy] = createSignal(false);
  let status: HTMLParagraphElement | undefined;
  const run: RunAction = async (action) => {
    setBusy(true);
    setError(undefined);
    setNotice("");
    try {
      const text = await action();
      await refresh();
      setNotice(text);
      status?.focus();
      return true;
    } catch (err) {
      setError(err);
      if (opts.refreshOnError) await refresh().catch(() => undefined);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const Outcome = () => (
    <>
      <p
        role="status"
        tabindex="-1"
        class="result-count"
        ref={(el) => {
          status = el;
        }}
      >
        {notice()}
      </p>
      <Show when={error()}>{(err) => <Problem error={err()} />}</Show>
    </>
  );
  return { run, busy, Outcome };
}
