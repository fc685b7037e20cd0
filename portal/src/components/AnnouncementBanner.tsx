import { createEffect, createSignal, For, on, Show } from "solid-js";
import { type CurrentAnnouncement, type Me, supportApi } from "../api";
import { locale, t, untranslated } from "../i18n";

const STORAGE_KEY = "sango.dismissedAnnouncements";

function loadDismissed(): string[] {
  try {
    const v = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? "[]");
    return Array.isArray(v) ? v.filter((x) => typeof x === "string") : [];
  } catch {
    return [];
  }
}

/**
 * The announcements (お知らせ) in force for the current user, at the top of every page: everyone sees the public
 * ones, signed-in users also their role's. Each can be dismissed for the rest of the session (sessionStorage).
 */
export function AnnouncementBanner(props: { me: Me | null | undefined }) {
  // Fetched by hand (not a resource), so the banner never suspends the page around it.
  const [items, setItems] = createSignal<CurrentAnnouncement[]>([]);
  createEffect(
    on(
      () => (props.me === undefined ? undefined : (props.me?.role ?? "anonymous")),
      (who) => {
        if (who === undefined) return;
        supportApi.currentAnnouncements().then(
          (res) => setItems(res.items),
          () => setItems([]), // a banner never breaks the page
        );
      },
    ),
  );
  const [dismissed, setDismissed] = createSignal<string[]>(loadDismissed());
  const shown = () => items().filter((a) => !dismissed().includes(a.id));
  const s = () => t().support;
  const title = (a: CurrentAnnouncement) => (locale() === "en" && a.titleEn ? a.titleEn : a.titleJa);
  const body = (a: CurrentAnnouncement) => (locale() === "en" && a.titleEn ? a.bodyEn || a.bodyJa : a.bodyJa);

  function dismiss(id: string) {
    const next = [...dismissed(), id];
    setDismissed(next);
    try {
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    } catch {
      // private mode: dismissed for this page only
    }
    setTimeout(() => document.getElementById("main")?.focus(), 0);
  }

  return (
    <Show when={shown().length > 0}>
      <section class="container announcements" aria-label={s().bannerLabel} id="announcements">
        <For each={shown()}>
          {(a) => (
            <div
              class="alert"
              classList={{
                "alert-error": a.kind === "important",
                "alert-maintenance": a.kind === "maintenance",
              }}
              data-kind={a.kind}
              id={`announcement-${a.id}`}
            >
              <div class="announcement">
                <div class="announcement-text">
                  <p class="alert-title">
                    <span>{s().announcementKinds[a.kind] ?? a.kind}</span>
                    {"："}
                    <span lang={untranslated(!(locale() === "en" && a.titleEn))}>{title(a)}</span>
                  </p>
                  <Show when={body(a)}>
                    <p class="description" lang={untranslated(!(locale() === "en" && a.titleEn && a.bodyEn))}>
                      {body(a)}
                    </p>
                  </Show>
                </div>
                <button
                  type="button"
                  class="button button-quiet"
                  aria-label={s().dismiss(title(a))}
                  onClick={() => dismiss(a.id)}
                >
                  {s().dismissShort}
                </button>
              </div>
            </div>
          )}
        </For>
      </section>
    </Show>
  );
}
