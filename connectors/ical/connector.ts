/**
 * ical: a facility's calendar feed (Google Calendar, Outlook/Exchange, Apple Calendar, a booking tool's export),
 * polled with a conditional GET. A feed is a full snapshot of the facility's calendar, so a pull is `complete`
 * for its window: a booking that vanishes from the feed goes to review in the hub.
 *
 * The state handed back is { etag, lastModified, window, revisions }: the validators are sent only when the
 * window is the one they were saved for, so a window that moved on (a new day) reads the feed again even when it
 * has not changed, and events that came into the window are not missed; `revisions` holds the fingerprints of
 * events without LAST-MODIFIED (mapping.ts, assignRevisions).
 *
 * The export side (a feed of hub bookings for the facility to subscribe to) is hub/connections/ical-feed.ts.
 */
import type { AxiosResponse } from "axios";
import iconv from "iconv-lite";
import type { Connector, ConnectorContext, Result } from "../contract.js";
import { fail, ok } from "../contract.js";
import { transportFailure } from "../http-failures.js";
import manifest from "./manifest.json" with { type: "json" };
import {
  assignRevisions,
  externalIdOf,
  type IcalConfig,
  mapCalendar,
  parseCalendar,
  type SeenRevisions,
  type Window,
} from "./mapping.js";

/** The largest feed read (a busy facility's year is well under 1 MB). */
export const MAX_FEED_BYTES = 10_000_000;

type FeedState = { etag?: string; lastModified?: string; window?: Window; revisions?: SeenRevisions };

export const connector: Connector<IcalConfig> = {
  manifest: manifest as Connector["manifest"],

  async checkHealth(ctx) {
    const got = await fetchFeed(ctx, {});
    if (!got.ok) return got;
    if (got.value.notModified) return ok({ detail: "the feed answers (not modified)" });
    const cal = parseCalendar(got.value.text);
    if (!cal.ok) return cal;
    return ok({ detail: `the feed answers with ${cal.value.getAllSubcomponents("vevent").length} events` });
  },

  async pull(ctx, window) {
    const state = ctx.state as FeedState;
    const sameWindow = state.window?.from === window.from && state.window?.to === window.to;
    const got = await fetchFeed(ctx, sameWindow ? state : {});
    if (!got.ok) return got;
    if (got.value.notModified) {
      // Nothing to compare against: not complete, or every booking would look vanished.
      return ok({ changes: [], complete: false, notModified: true, state: ctx.state });
    }
    const mapped = mapCalendar(got.value.text, ctx.config, window);
    if (!mapped.ok) return mapped;
    const seen = state.revisions && typeof state.revisions === "object" ? state.revisions : {};
    const revisions = assignRevisions(mapped.value, seen, ctx.now().getTime() / 1000);
    const { changes, skipped, events, skippedEvents } = mapped.value;
    ctx.log.info("ical feed read", { events, bookings: changes.length, skipped });
    const next: FeedState = {
      ...(got.value.etag ? { etag: got.value.etag } : {}),
      ...(got.value.lastModified ? { lastModified: got.value.lastModified } : {}),
      window: { from: window.from, to: window.to },
      ...(Object.keys(revisions).length ? { revisions } : {}),
    };
    // Outside the window and the hub's own events are not "left out": they are not this pull's to import.
    const { outside_window: _w, hub_echo: _h, ...counts } = skipped;
    return ok({
      changes,
      complete: true,
      window,
      state: next,
      skipped: { read: events, counts: counts as Record<string, number>, items: skippedEvents },
      ...(mapped.value.unreadableUids.length
        ? { unreadable: mapped.value.unreadableUids.map(externalIdOf) }
        : {}),
    });
  },
};

type Fetched =
  | { notModified: true }
  | { notModified: false; text: string; etag?: string; lastModified?: string };

/** GETs the feed (conditionally when validators are given); every failure is a typed error value. */
export async function fetchFeed(
  ctx: ConnectorContext<IcalConfig>,
  validators: Pick<FeedState, "etag" | "lastModified">,
): Promise<Result<Fetched>> {
  const headers: Record<string, string> = { Accept: "text/calendar, text/plain;q=0.5, */*;q=0.1" };
  if (validators.etag) headers["If-None-Match"] = validators.etag;
  if (validators.lastModified) headers["If-Modified-Since"] = validators.lastModified;
  const auth = ctx.config.auth ?? "none";
  if (auth !== "none") {
    if (!ctx.secret) return fail("auth_expired", "the feed needs credentials and none are stored");
    headers.Authorization =
      auth === "bearer"
        ? `Bearer ${ctx.secret}`
        : `Basic ${Buffer.from(`${ctx.config.username ?? ""}:${ctx.secret}`).toString("base64")}`;
  }
  let res: AxiosResponse<ArrayBuffer>;
  try {
    res = await ctx.http.get<ArrayBuffer>(ctx.config.url.replace(/^webcal:/i, "https:"), {
      headers,
      responseType: "arraybuffer",
      validateStatus: () => true,
      maxContentLength: MAX_FEED_BYTES,
      signal: ctx.signal,
    });
  } catch (err) {
    return transportError(err, ctx.signal);
  }
  const status = res.status;
  if (status === 304) return ok({ notModified: true });
  if (status >= 200 && status < 300) {
    const header = (name: string) => {
      const v = res.headers[name];
      return typeof v === "string" && v !== "" ? v : undefined;
    };
    return ok({
      notModified: false,
      text: decode(Buffer.from(res.data ?? new ArrayBuffer(0))),
      etag: header("etag"),
      lastModified: header("last-modified"),
    });
  }
  if (status === 401 || status === 403) {
    return fail("auth_expired", `the feed refused our credentials (HTTP ${status})`, { status });
  }
  if (status === 408) return fail("timeout", "the feed's server timed out (HTTP 408)", { status });
  if (status === 429)
    return fail("rate_limited", "the feed's server asks us to slow down (HTTP 429)", { status });
  if (status >= 500) return fail("upstream_5xx", `the feed's server failed (HTTP ${status})`, { status });
  if (status === 404 || status === 410) {
    return fail("upstream_4xx", `the feed's address no longer exists (HTTP ${status})`, { status });
  }
  return fail("upstream_4xx", `the feed's server refused the request (HTTP ${status})`, { status });
}

/** UTF-8 (by RFC 5545), or Shift_JIS from older Japanese tools when the bytes are not UTF-8. */
function decode(bytes: Buffer): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return iconv.decode(bytes, "cp932");
  }
}

function transportError(err: unknown, signal: AbortSignal): Result<never> {
  if (/maxContentLength/i.test(String((err as Error)?.message ?? ""))) {
    return fail("too_large", `the feed is larger than ${MAX_FEED_BYTES} bytes`, { retryable: false });
  }
  return transportFailure(err, "the feed", signal);
}
