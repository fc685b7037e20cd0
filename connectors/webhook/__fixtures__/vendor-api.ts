/**
 * A facility booking system's REST API, simulated with nock, as the webhook connector talks to it: it checks
 * every request's Standard Webhooks signature (as a facility would, with an off-the-shelf library's signing),
 * keeps the reservations it was sent, answers GET /changes from a list of events and POST /ping (a test delivery),
 * and can be told to fail the next booking calls or ping (5xx, 429, 4xx, 410) or to answer them slowly (timeouts). Used by the contract fixtures and the
 * integration tests; nothing leaves the process.
 */
import nock from "nock";
import { Webhook } from "standardwebhooks";
import type { VendorAvailabilityPush, VendorEvent, VendorPush } from "../mapping.js";

export type VendorRequest = {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: VendorPush | undefined;
  /** The signature matched the body with the shared secret. */
  verified: boolean;
  at: number;
};

/** An availability message received (POST /availability), with its raw body for verifying it again. */
export type VendorAvailabilityRequest = {
  headers: Record<string, string>;
  raw: string;
  body: VendorAvailabilityPush;
  verified: boolean;
  /** Applied, or left out as not newer than the last revision applied (a late or repeated message). */
  applied: boolean;
};

/** What the next booking call (POST/PUT/DELETE) gets instead of a normal answer. */
export type Scripted = { status: number } | { delayMs: number };

export type VendorApi = {
  requests: VendorRequest[];
  /** Booking calls only. */
  bookingCalls(): VendorRequest[];
  /** Reservations the API holds, by reservation id. */
  reservations: Map<string, VendorPush["data"]>;
  /**
   * Queues answers for the next booking calls (first in, first out); then normal answers resume. A status also
   * answers the next availability message or test delivery.
   */
  script(...answers: Scripted[]): void;
  /** Availability messages received, in order. */
  availabilityCalls: VendorAvailabilityRequest[];
  /** The availability the API holds, by "service|date|slot", from the newest messages. */
  availability: Map<string, VendorAvailabilityPush["data"]["days"][number]>;
  /** What GET /changes answers from now on (one page, cursor "c_<n>" for n events). */
  setChanges(events: VendorEvent[]): void;
  stop(): void;
};

export function vendorApi(opts: { baseUrl: string; secret: string }): VendorApi {
  const base = new URL(opts.baseUrl);
  const prefix = base.pathname.replace(/\/+$/, "");
  const signer = new Webhook(opts.secret);
  const requests: VendorRequest[] = [];
  const reservations = new Map<string, VendorPush["data"]>();
  const queue: Scripted[] = [];
  let changes: VendorEvent[] = [];
  let seq = 0;
  const availabilityCalls: VendorAvailabilityRequest[] = [];
  const availability = new Map<string, VendorAvailabilityPush["data"]["days"][number]>();
  let availabilityRevision = 0;

  const verify = (headers: Record<string, string>, body: string) => {
    const id = headers["webhook-id"];
    const ts = Number(headers["webhook-timestamp"]);
    const sig = headers["webhook-signature"];
    if (!id || !Number.isFinite(ts) || !sig) return false;
    // The simulator trusts its caller's clock (tests inject one); a real facility also checks the tolerance.
    const expected = signer.sign(id, new Date(ts * 1000), body);
    return sig.split(" ").includes(expected);
  };

  const record = (method: string, uri: string, headers: Record<string, string>, raw: string) => {
    let body: VendorPush | undefined;
    try {
      body = raw ? (JSON.parse(raw) as VendorPush) : undefined;
    } catch {
      body = undefined;
    }
    const r = { method, path: uri, headers, body, verified: verify(headers, raw), at: Date.now() };
    requests.push(r);
    return r;
  };

  const headersOf = (req: nock.ReplyFnContext["req"]) => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) out[k.toLowerCase()] = String(v);
    return out;
  };
  const rawOf = (body: nock.Body) => (typeof body === "string" ? body : body ? JSON.stringify(body) : "");
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** A booking call: a scripted failure or delay first, else the normal answer. */
  const booking = (method: string) =>
    async function (this: nock.ReplyFnContext, uri: string, body: nock.Body): Promise<nock.ReplyFnResult> {
      const r = record(method, uri, headersOf(this.req), rawOf(body));
      if (!r.verified) return [401, { error: "bad signature" }];
      const next = queue.shift();
      if (next && "status" in next) return [next.status, { error: `scripted ${next.status}` }];
      if (next) await sleep(next.delayMs);
      const data = r.body?.data;
      if (!data) return [400, { error: "no body" }];
      if (method === "POST") {
        const id = `RSV-SIM-${String(++seq).padStart(4, "0")}`;
        reservations.set(id, { ...data, reservationId: id });
        return [201, { reservationId: id }];
      }
      const id = decodeURIComponent(uri.split("/").pop() ?? "");
      const have = reservations.get(id) ?? [...reservations.values()].find((x) => x.hubBookingId === id);
      if (!have) return [404, { error: "no such reservation" }];
      reservations.set(have.reservationId ?? id, { ...have, ...data });
      return method === "DELETE" ? [204] : [200, { reservationId: have.reservationId ?? id }];
    };

  const scope = nock(base.origin).persist();
  const interceptors = [
    scope.post(`${prefix}/bookings`),
    scope.put(new RegExp(`^${prefix}/bookings/[^/]+$`)),
    scope.delete(new RegExp(`^${prefix}/bookings/[^/]+$`)),
    scope.get(`${prefix}/changes`).query(true),
    scope.get(`${prefix}/health`),
    scope.post(`${prefix}/availability`),
    scope.post(`${prefix}/ping`),
  ];
  const [post, put, del, getChanges, health, postAvailability, ping] = interceptors;
  // As a receiver should: verify, then keep only what is newer than the revision it has.
  postAvailability?.reply(function (
    this: nock.ReplyFnContext,
    _uri: string,
    body: nock.Body,
  ): nock.ReplyFnResult {
    const headers = headersOf(this.req);
    const raw = rawOf(body);
    const verified = verify(headers, raw);
    const parsed = JSON.parse(raw) as VendorAvailabilityPush;
    // A scripted status (e.g. 410 for an API that is gone) answers instead, the message not applied.
    const scripted = verified && queue[0] && "status" in queue[0] ? queue.shift() : undefined;
    if (scripted && "status" in scripted) {
      availabilityCalls.push({ headers, raw, body: parsed, verified, applied: false });
      return [scripted.status, { error: `scripted ${scripted.status}` }];
    }
    const applied = verified && parsed.data.revision > availabilityRevision;
    availabilityCalls.push({ headers, raw, body: parsed, verified, applied });
    if (!verified) return [401, { error: "bad signature" }];
    if (applied) {
      availabilityRevision = parsed.data.revision;
      for (const d of parsed.data.days) availability.set(`${d.service}|${d.date}|${d.slot}`, d);
    }
    return [200, { applied }];
  });
  post?.reply(booking("POST"));
  put?.reply(booking("PUT"));
  del?.reply(booking("DELETE"));
  getChanges?.reply(function (this: nock.ReplyFnContext, uri: string): nock.ReplyFnResult {
    const r = record("GET", uri, headersOf(this.req), "");
    if (!r.verified) return [401, { error: "bad signature" }];
    return [200, { events: changes, nextCursor: `c_${changes.length}`, hasMore: false }];
  });
  health?.reply(function (this: nock.ReplyFnContext, uri: string): nock.ReplyFnResult {
    const r = record("GET", uri, headersOf(this.req), "");
    return r.verified ? [200, { status: "ok" }] : [401, { error: "bad signature" }];
  });

  // A test delivery: verified and answered (or the next scripted status, e.g. 410 for an API that is gone).
  ping?.reply(function (this: nock.ReplyFnContext, uri: string, body: nock.Body): nock.ReplyFnResult {
    const r = record("POST", uri, headersOf(this.req), rawOf(body));
    if (!r.verified) return [401, { error: "bad signature" }];
    const next = queue[0] && "status" in queue[0] ? queue.shift() : undefined;
    return next && "status" in next
      ? [next.status, { error: `scripted ${next.status}` }]
      : [200, { ok: true }];
  });

  return {
    requests,
    bookingCalls: () => requests.filter((r) => r.path.includes("/bookings")),
    reservations,
    availabilityCalls,
    availability,
    script: (...answers) => queue.push(...answers),
    setChanges: (events) => {
      changes = events;
    },
    stop: () => {
      for (const i of interceptors) nock.removeInterceptor(i);
    },
  };
}
