/**
 * webhook: a facility's own booking system and the hub talking over HTTP, both ways.
 *
 * - Inbound: the system posts its changes to the connection's URL (POST /api/connections/{id}/webhook), signed
 *   with the Standard Webhooks scheme: headers webhook-id, webhook-timestamp (Unix seconds) and
 *   webhook-signature ("v1,<base64 HMAC-SHA256 of `${id}.${timestamp}.${body}`>", several space-separated
 *   allowed during a key rotation), with the connection's `whsec_` secret. A timestamp more than 5 minutes from
 *   the hub's clock is refused (stale or replayed); the hub stores each webhook-id once (retries of one message
 *   are acknowledged without being applied twice). The body is documented in
 *   schemas/connectors/webhook-event.schema.json.
 * - Outbound: with `apiBaseUrl` configured, our bookings go to the facility's REST API (mapping.pushRequest),
 *   and so does the facility's availability after hub-side changes (POST {apiBaseUrl}/availability,
 *   mapping.availabilityRequest), signed the same way with the same secret, so the facility verifies them with any Standard Webhooks library
 *   and needs no other credential for us. The facility's API can also be read as a change feed (`pullChanges`).
 *
 * HTTP failures are values: 401/403 auth_expired, 429 rate_limited, other 4xx upstream_4xx (not retried), 5xx
 * upstream_5xx, timeouts and network errors (retried by the hub).
 */
import { timingSafeEqual } from "node:crypto";
import { AxiosError, type AxiosResponse } from "axios";
import { Webhook } from "standardwebhooks";
import type { Connector, ConnectorContext, ExternalChange, InboundRequest, Result } from "../contract.js";
import { fail, ok } from "../contract.js";
import { transportFailure } from "../http-failures.js";
import manifest from "./manifest.json" with { type: "json" };
import {
  availabilityMessageId,
  availabilityRequest,
  createdReservationId,
  pingRequest,
  pushMessageId,
  pushRequest,
  readChangesPage,
  readPayload,
  type WebhookConfig,
} from "./mapping.js";

/** Standard Webhooks' tolerance between the sender's clock and ours. */
export const TOLERANCE_SECONDS = 5 * 60;
/** Pages of the facility's change feed read in one pull (the rest waits for the next run). */
export const MAX_PAGES = 20;
const MAX_ID_LENGTH = 200;

/** Signers by secret (a Webhook decodes its key once). */
const signers = new Map<string, Webhook>();
function signer(secret: string): Webhook | null {
  let w = signers.get(secret);
  if (!w) {
    try {
      w = new Webhook(secret);
    } catch {
      return null;
    }
    if (signers.size > 1000) signers.clear();
    signers.set(secret, w);
  }
  return w;
}

const lower = (headers: InboundRequest["headers"]) => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (typeof v === "string") out[k.toLowerCase()] = v;
  return out;
};

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Checks a Standard Webhooks signature against the hub's clock (ctx.now, so tests and replays are deterministic;
 * the library's own verify reads the wall clock): the message id, or an invalid_signature error value naming the
 * header at fault (`webhook-timestamp` when the timestamp is outside the tolerance).
 */
export function verifySignature(
  secret: string | null,
  request: InboundRequest,
  now: Date,
): Result<{ id: string; timestamp: number }> {
  const h = lower(request.headers);
  const id = h["webhook-id"];
  const ts = h["webhook-timestamp"];
  const signatures = h["webhook-signature"];
  const missing = !id ? "webhook-id" : !ts ? "webhook-timestamp" : !signatures ? "webhook-signature" : null;
  if (missing || !id || !ts || !signatures) {
    return fail("invalid_signature", `the ${missing} header is missing`, { at: { field: missing ?? "" } });
  }
  if (id.length > MAX_ID_LENGTH) {
    return fail("invalid_signature", `webhook-id is longer than ${MAX_ID_LENGTH} characters`, {
      at: { field: "webhook-id" },
    });
  }
  if (!/^\d{1,12}$/.test(ts)) {
    return fail("invalid_signature", "webhook-timestamp is not a number of seconds", {
      at: { field: "webhook-timestamp" },
    });
  }
  const timestamp = Number(ts);
  const skew = Math.floor(now.getTime() / 1000) - timestamp;
  if (Math.abs(skew) > TOLERANCE_SECONDS) {
    return fail(
      "invalid_signature",
      `webhook-timestamp is ${Math.abs(skew)} s ${skew > 0 ? "old" : "ahead"}; at most ${TOLERANCE_SECONDS} s is accepted (check the sending system's clock)`,
      { at: { field: "webhook-timestamp" } },
    );
  }
  const w = secret ? signer(secret) : null;
  if (!w) return fail("invalid_signature", "the connection has no usable signing secret");
  const expected = w.sign(id, new Date(timestamp * 1000), request.body).split(",")[1] ?? "";
  for (const versioned of signatures.split(" ")) {
    const [version, signature] = versioned.split(",");
    if (version === "v1" && signature && sameText(signature, expected)) return ok({ id, timestamp });
  }
  return fail("invalid_signature", "no signature matches the body with this connection's secret", {
    at: { field: "webhook-signature" },
  });
}

/** The three Standard Webhooks headers for a message we send. */
export function signHeaders(secret: string, id: string, now: Date, body: string): Record<string, string> {
  const w = signer(secret);
  if (!w) throw new Error("the connection's secret is not a Standard Webhooks secret");
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
    "webhook-signature": w.sign(id, now, body),
  };
}

/** An axios failure as the contract's error value: the HTTP status's meaning, or the kind of transport failure. */
export function httpError(err: unknown, what: string): Result<never> {
  if (err instanceof AxiosError) {
    const status = err.response?.status;
    if (status !== undefined) {
      const msg = `${what}: HTTP ${status}`;
      if (status === 401 || status === 403)
        return fail("auth_expired", `${msg} (does the facility's API know this connection's secret?)`, {
          status,
        });
      if (status === 429) return fail("rate_limited", msg, { status });
      if (status >= 500) return fail("upstream_5xx", msg, { status });
      return fail("upstream_4xx", msg, { status });
    }
  }
  return transportFailure(err, what);
}

type Ctx = ConnectorContext<WebhookConfig>;

/** A signed request to the facility's API (GET bodies are signed as the empty string). */
async function call(
  ctx: Ctx,
  method: "GET" | "POST" | "PUT" | "DELETE",
  url: string,
  body: string,
  messageId: string,
): Promise<AxiosResponse> {
  if (!ctx.secret) throw new Error("no secret");
  return ctx.http.request({
    method,
    url,
    data: method === "GET" ? undefined : body,
    headers: {
      ...(method === "GET" ? {} : { "content-type": "application/json" }),
      accept: "application/json",
      "user-agent": "sango-care-miyagi-hub",
      ...signHeaders(ctx.secret, messageId, ctx.now(), body),
    },
    signal: ctx.signal,
    // Every status is a value here; the mapping below decides.
    validateStatus: () => true,
    responseType: "json",
  });
}

/** A response as success (2xx, and the statuses `alsoFine` lists) or the contract's error value. */
function statusResult(res: AxiosResponse, what: string, alsoFine: number[] = []): Result<AxiosResponse> {
  if ((res.status >= 200 && res.status < 300) || alsoFine.includes(res.status)) return ok(res);
  return httpError(
    new AxiosError(`HTTP ${res.status}`, String(res.status), res.config, res.request, res),
    what,
  );
}

const noSecret = (): Result<never> =>
  fail("auth_expired", "the connection has no secret to sign requests with", { retryable: false });

export const connector: Connector<WebhookConfig> = {
  manifest: manifest as Connector["manifest"],

  async checkHealth(ctx) {
    if (!ctx.config.apiBaseUrl) return ok({ detail: "receives webhooks; no API of the facility to call" });
    if (!ctx.secret) return noSecret();
    const url = `${ctx.config.apiBaseUrl.replace(/\/+$/, "")}/health`;
    try {
      const res = statusResult(
        await call(ctx, "GET", url, "", `msg_health_${ctx.now().getTime()}`),
        "health",
      );
      return res.ok ? ok({ detail: `the facility's API answers (HTTP ${res.value.status})` }) : res;
    } catch (err) {
      return httpError(err, "health");
    }
  },

  parseWebhook(ctx, request) {
    const verified = verifySignature(ctx.secret, request, ctx.now());
    if (!verified.ok) return verified;
    const read = readPayload(request.body);
    if (!read.ok) return read;
    return ok({ id: verified.value.id, changes: read.value.changes });
  },

  readWebhook(_ctx, body) {
    const read = readPayload(body);
    return read.ok ? ok({ changes: read.value.changes }) : read;
  },

  async push(ctx, booking) {
    const base = ctx.config.apiBaseUrl;
    if (!base)
      return fail("unsupported", "no apiBaseUrl configured: this connection only receives", {
        retryable: false,
      });
    if (!ctx.secret) return noSecret();
    const req = pushRequest(base, booking);
    const what = `${req.method} bookings`;
    try {
      const res = await call(ctx, req.method, req.url, req.body, pushMessageId(booking));
      // A create the facility already has (409), a cancellation of what it no longer has (404): done.
      const fine = booking.action === "create" ? [409] : booking.action === "cancel" ? [404, 410] : [];
      const checked = statusResult(res, what, fine);
      if (!checked.ok) return checked;
      const externalId = createdReservationId(res.data) ?? booking.externalId;
      return ok(externalId ? { externalId, status: res.status } : { status: res.status });
    } catch (err) {
      return httpError(err, what);
    }
  },

  async pushAvailability(ctx, message) {
    const base = ctx.config.apiBaseUrl;
    if (!base)
      return fail("unsupported", "no apiBaseUrl configured: this connection only receives", {
        retryable: false,
      });
    if (!ctx.secret) return noSecret();
    const req = availabilityRequest(base, message);
    try {
      const res = await call(ctx, req.method, req.url, req.body, availabilityMessageId(message));
      const checked = statusResult(res, "POST availability");
      return checked.ok ? ok({}) : checked;
    } catch (err) {
      return httpError(err, "POST availability");
    }
  },

  async ping(ctx) {
    const base = ctx.config.apiBaseUrl;
    if (!base)
      return fail("unsupported", "no apiBaseUrl configured: this connection only receives", {
        retryable: false,
      });
    if (!ctx.secret) return noSecret();
    const at = ctx.now();
    const req = pingRequest(base, at);
    try {
      const res = await call(ctx, "POST", req.url, req.body, `msg_ping_${at.getTime()}`);
      const checked = statusResult(res, "POST ping");
      return checked.ok ? ok({ status: res.status }) : checked;
    } catch (err) {
      return httpError(err, "POST ping");
    }
  },

  // Pulled on a schedule only when it names an API with a change feed; otherwise the facility posts webhooks.
  scheduled: (config) => !!config.apiBaseUrl && config.pullChanges === true,

  async pull(ctx) {
    const base = ctx.config.apiBaseUrl;
    if (!base || !ctx.config.pullChanges) {
      // Webhooks only: nothing to read, and nothing lost.
      return ok({ changes: [], complete: false, state: ctx.state });
    }
    if (!ctx.secret) return noSecret();
    let cursor = typeof ctx.state.pullCursor === "string" ? ctx.state.pullCursor : "";
    const changes: ExternalChange[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const url = `${base.replace(/\/+$/, "")}/changes?cursor=${encodeURIComponent(cursor)}`;
      let res: AxiosResponse;
      try {
        res = await call(ctx, "GET", url, "", `msg_changes_${ctx.now().getTime()}_${page}`);
      } catch (err) {
        return httpError(err, "GET changes");
      }
      const checked = statusResult(res, "GET changes");
      if (!checked.ok) return checked;
      const read = readChangesPage(res.data);
      if (!read.ok) return read;
      changes.push(...read.value.changes);
      cursor = read.value.nextCursor;
      if (!read.value.hasMore) break;
    }
    // The rest of the connection's state (the hub's push and feed positions) is handed back as it came.
    return ok({ changes, complete: false, state: { ...ctx.state, pullCursor: cursor } });
  },
};
