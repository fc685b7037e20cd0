import { For, Show } from "solid-js";
import { ApiError } from "../api";
import { type Dict, t } from "../i18n";

/** A sentence for the user, in their language, for any error (problem JSON or not). */
export function errorText(err: unknown, dict: Dict = t()): string {
  const e = dict.errors;
  if (!(err instanceof ApiError)) return e.server;
  if (err.status === 0) return e.network;
  if (err.status === 401) return e.unauthorized;
  if (err.status === 403) return e.forbidden;
  if (err.status === 404) return e.notFound;
  if (err.status === 409) return e.conflict;
  if (err.status === 400 || err.status === 422) return e.validation;
  if (err.status === 423) return e.locked;
  if (err.status === 429) return e.rateLimited;
  return e.server;
}

/** An error, announced to screen readers (role="alert"), with the hub's detail and field messages. */
export function ErrorMessage(props: { error: unknown; id?: string; messages?: Record<number, string> }) {
  const api = () => (props.error instanceof ApiError ? props.error : undefined);
  const headline = () => props.messages?.[api()?.status ?? -1] ?? errorText(props.error);
  return (
    <div class="alert alert-error" role="alert" id={props.id}>
      <p class="alert-title">{headline()}</p>
      <Show when={api()?.detail}>
        <p>{api()?.detail}</p>
      </Show>
      <Show when={(api()?.errors.length ?? 0) > 0}>
        <p>{t().errors.fieldErrorsIntro}</p>
        <ul>
          <For each={api()?.errors}>
            {(e) => (
              <li>
                <Show when={e.path}>
                  <code>{e.path}</code>:{" "}
                </Show>
                {e.message}
              </li>
            )}
          </For>
        </ul>
      </Show>
    </div>
  );
}
