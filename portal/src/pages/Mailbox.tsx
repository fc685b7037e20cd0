import { A, createAsync, revalidate, useSearchParams } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import { TextField } from "../components/Field";
import { FilterForm } from "../components/Filters";
import { Page } from "../components/Page";
import { getMailbox } from "../data";
import { formatDateTime } from "../format";
import { t } from "../i18n";
import { formText, one } from "../search";

const LIMIT = 50;

/**
 * The demo mailbox: what the hub would have sent by e-mail or SMS (so someone trying the demo can read a
 * sign-in code). The hub answers 404 unless it runs with DEMO_MAILBOX=true; then the page says so.
 */
export function Mailbox() {
  const [params, setParams] = useSearchParams();
  const [refreshing, setRefreshing] = createSignal(false);
  const to = () => one(params.to);
  const messages = createAsync(() => getMailbox({ to: to(), limit: LIMIT }));
  const m = () => t().mailbox;

  async function refresh() {
    setRefreshing(true);
    try {
      await revalidate(getMailbox.key);
    } finally {
      setRefreshing(false);
    }
  }

  return (
    <Page title={m().title}>
      <Show
        when={messages() !== null}
        fallback={
          <div class="alert alert-info">
            <p class="alert-title">{m().off}</p>
            <p>{m().offDetail}</p>
          </div>
        }
      >
        <p>{m().intro}</p>
        <FilterForm
          label={m().filterLabel}
          submit={m().search}
          onSubmit={(data) => setParams({ to: formText(data, "to") })}
          extra={
            <Show when={to()}>
              <A class="button button-secondary" href="/mailbox">
                {m().clear}
              </A>
            </Show>
          }
        >
          <TextField
            name="to"
            label={m().to}
            hint={m().toHint}
            value={to()}
            autocomplete="off"
            maxLength={254}
          />
        </FilterForm>
        <div class="actions">
          <button
            type="button"
            class="button button-secondary"
            aria-disabled={refreshing() ? "true" : undefined}
            onClick={() => !refreshing() && void refresh()}
          >
            {refreshing() ? t().loading : m().refresh}
          </button>
          <A class="button button-secondary" href="/sign-in">
            {m().backToSignIn}
          </A>
        </div>
        <p role="status" class="result-count">
          <Show when={messages()}>
            {(items) =>
              items().length > 0 ? m().results(items().length) : to() ? m().noMatch : m().noResults
            }
          </Show>
        </p>
        <Show when={(messages()?.length ?? 0) > 0}>
          <ol class="messages" aria-label={m().listLabel}>
            <For each={messages()}>
              {(msg) => (
                <li>
                  <article class="message" aria-labelledby={`message-${msg.id}`}>
                    <h2 id={`message-${msg.id}`}>{msg.subject || m().noSubject}</h2>
                    <dl class="message-meta">
                      <div>
                        <dt>{m().channel}</dt>
                        <dd>{m().channels[msg.channel] ?? msg.channel}</dd>
                      </div>
                      <div>
                        <dt>{m().recipient}</dt>
                        <dd>{msg.to}</dd>
                      </div>
                      <div>
                        <dt>{m().at}</dt>
                        <dd>
                          <time datetime={msg.createdAt}>{formatDateTime(msg.createdAt)}</time>
                        </dd>
                      </div>
                    </dl>
                    <pre class="message-body">{msg.body}</pre>
                  </article>
                </li>
              )}
            </For>
          </ol>
        </Show>
      </Show>
    </Page>
  );
}
