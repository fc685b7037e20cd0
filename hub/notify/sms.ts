import axios, { AxiosError, type AxiosInstance, type AxiosResponse } from "axios";
import { DeliveryError, NETWORK_ERROR_CODES } from "./errors.js";
import { redact } from "./mask.js";
import type { SendContext, SendResult } from "./transport.js";

/** One SMS provider. Another provider is another implementation of this, chosen in `createSmsProvider`. */
export interface SmsProvider {
  readonly name: string;
  /**
   * Sends one SMS. Resolves with the provider's id of it; rejects with a DeliveryError that says whether
   * trying again can help.
   */
  send(sms: { to: string; text: string }, ctx?: SendContext): Promise<SendResult>;
}

/** A send must end well within the outbox claim (see OUTBOX_LEASE_MS), whatever the provider does. */
export const SMS_TIMEOUT_MS = 15_000;

/**
 * The generic HTTP provider (SMS_API_URL, SMS_API_TOKEN): POST `{to, text}` as JSON with
 * `Authorization: Bearer <token>` and `Idempotency-Key: outbox-<id>`. 2xx: sent, the answer's `id` (or
 * `messageId`, `message_id`, `sid`) is kept as the provider's reference. 4xx: refused for good (bad number,
 * bad request, bad token), except 408 and 429 which are retried. 5xx, timeouts and network errors: retried.
 */
export class HttpSmsProvider implements SmsProvider {
  readonly name = "http";
  private readonly http: AxiosInstance;
  constructor(opts: { url: string; token?: string; timeoutMs?: number }) {
    this.http = axios.create({
      timeout: opts.timeoutMs ?? SMS_TIMEOUT_MS,
      maxRedirects: 0,
      // Every status is classified here, not thrown by axios.
      validateStatus: () => true,
      headers: {
        "content-type": "application/json",
        accept: "application/json",
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      },
    });
    this.url = opts.url;
  }
  private readonly url: string;

  async send(sms: { to: string; text: string }, ctx?: SendContext): Promise<SendResult> {
    let res: AxiosResponse<unknown>;
    try {
      res = await this.http.post(
        this.url,
        { to: sms.to, text: sms.text },
        { headers: ctx ? { "idempotency-key": ctx.key } : {} },
      );
    } catch (err) {
      const code = err instanceof AxiosError ? (err.code ?? "") : "";
      const timedOut = code === "ECONNABORTED" || code === "ETIMEDOUT";
      const what = timedOut ? "timed out" : code || "request failed";
      throw new DeliveryError(
        `SMS provider ${what}: ${redact((err as Error).message, sms.to)}`.slice(0, 500),
        {
          unavailable: timedOut || NETWORK_ERROR_CODES.has(code) || !code,
        },
      );
    }
    const status = res.status;
    if (status >= 200 && status < 300) return { providerRef: providerRef(res.data) };
    const detail = providerDetail(res.data, sms.to);
    const message = `SMS provider answered HTTP ${status}${detail ? `: ${detail}` : ""}`;
    if (status === 408 || status === 429) {
      throw new DeliveryError(message, {
        unavailable: true,
        retryAfterMs: retryAfterMs(res.headers["retry-after"]),
      });
    }
    if (status >= 400 && status < 500) throw new DeliveryError(message, { permanent: true });
    throw new DeliveryError(message, {
      unavailable: status >= 500,
      retryAfterMs: retryAfterMs(res.headers["retry-after"]),
    });
  }
}

/** The provider's id of the message, from the usual field names; undefined when it gives none. */
export function providerRef(data: unknown): string | undefined {
  if (!data || typeof data !== "object") return undefined;
  const d = data as Record<string, unknown>;
  for (const key of ["id", "messageId", "message_id", "sid", "ref"]) {
    const v = d[key];
    if ((typeof v === "string" && v) || typeof v === "number") return String(v).slice(0, 200);
  }
  return undefined;
}

/** A short reason from a provider's error answer ({error}, {message}, {code}), with any number masked. */
function providerDetail(data: unknown, to: string): string {
  let v: unknown = data;
  if (data && typeof data === "object") {
    const d = data as Record<string, unknown>;
    v = d.error ?? d.message ?? d.code ?? d.detail;
    if (v && typeof v === "object")
      v = (v as Record<string, unknown>).message ?? (v as Record<string, unknown>).code;
  }
  return typeof v === "string" ? redact(v.slice(0, 200), to) : "";
}

/** Retry-After in seconds or as an HTTP date, in milliseconds. */
export function retryAfterMs(header: unknown, now = Date.now()): number | undefined {
  if (typeof header !== "string" || !header.trim()) return undefined;
  const s = Number(header);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The configured SMS provider, or none (SMS then go to the local mailbox). */
export function createSmsProvider(cfg: {
  SMS_API_URL?: string;
  SMS_API_TOKEN?: string;
}): SmsProvider | undefined {
  if (!cfg.SMS_API_URL) return undefined;
  return new HttpSmsProvider({ url: cfg.SMS_API_URL, token: cfg.SMS_API_TOKEN });
}
