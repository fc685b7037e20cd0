/** An action button's outcome: one action at a time, its result announced in a status region or the hub's problem. */
import { createSignal, Show } from "solid-js";
import { ErrorMessage } from "./ErrorMessage";

/** Runs one action at a time; announces its outcome in a status region, or shows the hub's problem. */
export function useAction(refresh: () => Promise<void>) {
  const [notice, setNotice] = createSignal("");
  const [error, setError] = createSignal<unknown>();
  const [busy, setBusy] = createSignal(false);
  let status: HTMLParagraphElement | undefined;
  async function run(action: () => Promise<string>) {
    setBusy(true);
    setError(undefined);
    setNotice("");
    try {
      const text = await action();
      await refresh();
      setNotice(text);
      status?.focus();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
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
      <Show when={error()}>{(err) => <ErrorMessage error={err()} />}</Show>
    </>
  );
  return { run, busy, Outcome };
}
