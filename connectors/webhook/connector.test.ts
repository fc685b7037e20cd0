import axios from "axios";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import type { ConnectorContext, PushBooking } from "../contract.js";
import { API_BASE_URL, SECRET, sample, signed } from "./__fixtures__/contract.js";
import { vendorApi } from "./__fixtures__/vendor-api.js";
import { connector, signHeaders, TOLERANCE_SECONDS, verifySignature } from "./connector.js";
import { pushRequest, readChangesPage, readPayload, toVendorPush } from "./mapping.js";

const NOW = new Date("2026-12-01T01:00:00Z");
const ctx = (over: Partial<ConnectorContext> = {}): ConnectorContext => ({
  config: { apiBaseUrl: API_BASE_URL, pullChanges: true },
  secret: SECRET,
  state: {},
  http: axios.create({ timeout: 2_000 }),
  log: { info() {}, warn() {} },
  now: () => NOW,
  signal: new AbortController().signal,
  ...over,
});
const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

const push = (over: Partial<PushBooking> = {}): PushBooking => ({
  action: "create",
  bookingId: "5f0c1b2a-3d4e-4f50-8a6b-7c8d9e0f1a2b",
  revision: 1,
  status: "requested",
  serviceType: "stay",
  startDate: "2026-12-10",
  endDate: "2026-12-11",
  timeBlock: "",
  ...over,
});

describe("webhook payload mapping", () => {
  it("reads a reservation as a confirmed booking with its version as the revision", () => {
    const r = readPayload(sample("booking-upserted.json"));
    expect(r).toEqual({
      ok: true,
      value: {
        events: 1,
        changes: [
          {
            kind: "booking",
            externalId: "RSV-20261201-0042",
            revision: 1,
            status: "confirmed",
            serviceType: "stay",
            startDate: "2026-12-10",
            endDate: "2026-12-11",
          },
        ],
      },
    });
  });

  it("reads booking.cancelled as cancelled whatever its state says", () => {
    const r = readPayload(sample("booking-cancelled.json"));
    expect(r.ok && r.value.changes[0]).toMatchObject({ status: "cancelled", revision: 2 });
  });

  it("reads a batch in order: availability with its slot, day care on one day, a cancelled stay", () => {
    const r = readPayload(sample("batch-mixed.json"));
    expect(r.ok && r.value.changes).toEqual([
      { kind: "availability", serviceType: "stay", date: "2026-12-20", capacity: 3 },
      {
        kind: "booking",
        externalId: "D-7781",
        revision: 4,
        status: "confirmed",
        serviceType: "day",
        startDate: "2026-12-14",
        endDate: "2026-12-14",
        timeBlock: "am",
      },
      {
        kind: "booking",
        externalId: "RSV-20261201-0050",
        revision: 2,
        status: "cancelled",
        serviceType: "stay",
        startDate: "2026-12-20",
        endDate: "2026-12-22",
      },
    ]);
    const a = readPayload(sample("availability-updated.json"));
    expect(a.ok && a.value.changes[0]).toEqual({
      kind: "availability",
      serviceType: "day",
      date: "2026-12-14",
      timeBlock: "am",
      capacity: 4,
      taken: 1,
      // The event's time orders the updates of one day and block (no revision given).
      occurredAt: "2026-12-01T08:00:00+09:00",
    });
    const versioned = JSON.parse(sample("availability-updated.json"));
    versioned.data.revision = 7;
    const v = readPayload(JSON.stringify(versioned));
    expect(v.ok && v.value.changes[0]).toMatchObject({ revision: 7 });
    versioned.data.revision = -1;
    expect(readPayload(JSON.stringify(versioned))).toMatchObject({
      ok: false,
      error: { code: "invalid_payload" },
    });
  });

  it("carries the hub's booking id of an echoed reservation", () => {
    const r = readPayload(sample("echo-confirmed.json"));
    expect(r.ok && r.value.changes[0]).toMatchObject({
      hubBookingId: "5f0c1b2a-3d4e-4f50-8a6b-7c8d9e0f1a2b",
      status: "confirmed",
    });
  });

  it("refuses what is not the documented payload, saying where", () => {
    expect(readPayload("{")).toMatchObject({
      ok: false,
      error: { code: "invalid_payload", retryable: false },
    });
    expect(readPayload(sample("invalid-missing-version.json"))).toMatchObject({
      ok: false,
      error: { code: "invalid_payload" },
    });
    const badDate = sample("booking-upserted.json").replace("2026-12-10", "2026-13-40");
    expect(readPayload(badDate)).toMatchObject({ ok: false, error: { code: "invalid_payload" } });
    const unknownType = JSON.stringify({ type: "booking.deleted", data: {} });
    expect(readPayload(unknownType).ok).toBe(false);
    const tooMany = JSON.stringify({
      type: "batch",
      events: Array.from({ length: 501 }, () => JSON.parse(sample("availability-updated.json"))),
    });
    expect(readPayload(tooMany).ok).toBe(false);
    expect(readPayload(JSON.stringify({ type: "batch", events: [] })).ok).toBe(false);
  });

  it("maps our bookings to the facility API's requests", () => {
    expect(pushRequest(`${API_BASE_URL}/`, push())).toMatchObject({
      method: "POST",
      url: `${API_BASE_URL}/bookings`,
    });
    expect(pushRequest(API_BASE_URL, push({ action: "change", externalId: "RSV 1/2" })).url).toBe(
      `${API_BASE_URL}/bookings/RSV%201%2F2`,
    );
    const cancel = pushRequest(API_BASE_URL, push({ action: "cancel", status: "cancelled" }));
    expect(cancel).toMatchObject({ method: "DELETE", url: `${API_BASE_URL}/bookings/${push().bookingId}` });
    expect(toVendorPush(push({ serviceType: "day", timeBlock: "am", endDate: "2026-12-10" }))).toEqual({
      type: "booking.created",
      data: {
        hubBookingId: push().bookingId,
        revision: 1,
        status: "requested",
        service: "day",
        checkIn: "2026-12-10",
        checkOut: "2026-12-10",
        slot: "am",
      },
    });
  });

  it("reads a page of the facility's change feed, and refuses a page that is not one", () => {
    const page = readChangesPage(JSON.parse(sample("changes-page.json")));
    expect(page.ok && page.value).toMatchObject({ nextCursor: "c_000000000213", hasMore: false });
    expect(page.ok && page.value.changes).toHaveLength(2);
    expect(readChangesPage({ events: "nope" })).toMatchObject({
      ok: false,
      error: { code: "invalid_payload" },
    });
  });
});

describe("Standard Webhooks signatures", () => {
  const body = sample("booking-upserted.json");

  it("accepts a signature made by the official library, within the tolerance either way", () => {
    for (const skew of [0, -TOLERANCE_SECONDS, TOLERANCE_SECONDS]) {
      const req = signed(body, at(skew));
      expect(verifySignature(SECRET, req, NOW)).toMatchObject({
        ok: true,
        value: { id: "msg_2b8fTqYbQxM3kE" },
      });
    }
  });

  it("accepts any one of several signatures (a key rotation)", () => {
    const other = `whsec_${Buffer.from("another-secret-of-thirty-two-by!").toString("base64")}`;
    const req = signed(body, NOW);
    const old = new Webhook(other).sign("msg_2b8fTqYbQxM3kE", NOW, body);
    req.headers["webhook-signature"] = `${old} ${req.headers["webhook-signature"]}`;
    expect(verifySignature(SECRET, req, NOW).ok).toBe(true);
  });

  it("refuses a stale or future timestamp, naming the header", () => {
    for (const skew of [-TOLERANCE_SECONDS - 1, TOLERANCE_SECONDS + 1, -86_400]) {
      expect(verifySignature(SECRET, signed(body, at(skew)), NOW)).toMatchObject({
        ok: false,
        error: { code: "invalid_signature", at: { field: "webhook-timestamp" } },
      });
    }
  });

  it("refuses a changed body, another secret, another id, missing headers and garbage", () => {
    const req = signed(body, NOW);
    const fails = (r: { headers: Record<string, string | undefined>; body: string }, secret = SECRET) =>
      expect(verifySignature(secret, r, NOW)).toMatchObject({
        ok: false,
        error: { code: "invalid_signature" },
      });
    fails({ ...req, body: body.replace("RSV-20261201-0042", "RSV-20261201-0043") });
    fails(req, `whsec_${Buffer.from("x".repeat(32)).toString("base64")}`);
    fails({ ...req, headers: { ...req.headers, "webhook-id": "msg_other" } });
    for (const h of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
      fails({ ...req, headers: { ...req.headers, [h]: undefined } });
    }
    fails({ ...req, headers: { ...req.headers, "webhook-signature": "v1,AAAA" } });
    fails({ ...req, headers: { ...req.headers, "webhook-signature": "v2,xyz garbage" } });
    fails({ ...req, headers: { ...req.headers, "webhook-timestamp": "soon" } });
    fails({ ...req, headers: { ...req.headers, "webhook-id": "m".repeat(201) } });
    expect(verifySignature(null, req, NOW)).toMatchObject({
      ok: false,
      error: { code: "invalid_signature" },
    });
    expect(verifySignature("not-a-secret!!", req, NOW).ok).toBe(false);
  });

  it("reads headers in any case", () => {
    const req = signed(body, NOW);
    const upper = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verifySignature(SECRET, { headers: upper, body }, NOW).ok).toBe(true);
  });

  it("parseWebhook never throws: a signed bad payload is invalid_payload, garbage is an error value", () => {
    const c = connector.parseWebhook;
    if (!c) throw new Error("parseWebhook");
    expect(c(ctx(), signed(sample("invalid-missing-version.json"), NOW))).toMatchObject({
      ok: false,
      error: { code: "invalid_payload" },
    });
    expect(c(ctx(), signed("\u0000{", NOW))).toMatchObject({ ok: false, error: { code: "invalid_payload" } });
    expect(c(ctx({ secret: null }), signed(body, NOW))).toMatchObject({
      ok: false,
      error: { code: "invalid_signature" },
    });
    expect(connector.readWebhook?.(ctx(), body)).toMatchObject({ ok: true });
  });

  it("signs what we send so the official library verifies it", () => {
    const now = new Date();
    const headers = signHeaders(SECRET, "msg_x", now, '{"a":1}');
    expect(new Webhook(SECRET).verify('{"a":1}', headers)).toEqual({ a: 1 });
  });
});

describe("the facility's REST API (simulated)", () => {
  let api: ReturnType<typeof vendorApi> | undefined;
  afterEach(() => api?.stop());

  it("creates, changes and cancels a reservation, signed; the reservation id comes back", async () => {
    api = vendorApi({ baseUrl: API_BASE_URL, secret: SECRET });
    const created = await connector.push?.(ctx(), push());
    expect(created).toEqual({ ok: true, value: { externalId: "RSV-SIM-0001", status: 201 } });
    const changed = await connector.push?.(
      ctx(),
      push({ action: "change", revision: 2, status: "confirmed", externalId: "RSV-SIM-0001" }),
    );
    expect(changed).toEqual({ ok: true, value: { externalId: "RSV-SIM-0001", status: 200 } });
    const cancelled = await connector.push?.(
      ctx(),
      push({ action: "cancel", revision: 3, status: "cancelled", externalId: "RSV-SIM-0001" }),
    );
    expect(cancelled?.ok).toBe(true);
    expect(api.bookingCalls().map((r) => [r.method, r.verified, r.body?.type])).toEqual([
      ["POST", true, "booking.created"],
      ["PUT", true, "booking.changed"],
      ["DELETE", true, "booking.cancelled"],
    ]);
    expect(api.bookingCalls()[0]?.headers["webhook-id"]).toBe(`msg_${push().bookingId}_1`);
    // A cancellation of what the facility does not have (any more) is done, not an error.
    expect((await connector.push?.(ctx(), push({ action: "cancel", externalId: "RSV-GONE" })))?.ok).toBe(
      true,
    );
  });

  it("turns HTTP failures into typed error values", async () => {
    api = vendorApi({ baseUrl: API_BASE_URL, secret: SECRET });
    const cases: [number, string, boolean][] = [
      [503, "upstream_5xx", true],
      [500, "upstream_5xx", true],
      [429, "rate_limited", true],
      [401, "auth_expired", false],
      [403, "auth_expired", false],
      [422, "upstream_4xx", false],
      [410, "upstream_4xx", false],
    ];
    for (const [status, code, retryable] of cases) {
      api.script({ status });
      // The status comes with the error: 410 Gone pauses the connection (hub/connections/push.ts).
      expect(await connector.push?.(ctx(), push())).toMatchObject({
        ok: false,
        error: { code, retryable, status },
      });
    }
    api.script({ delayMs: 500 });
    const slow = await connector.push?.(ctx({ http: axios.create({ timeout: 100 }) }), push());
    expect(slow).toMatchObject({ ok: false, error: { code: "timeout", retryable: true } });
    const unreachable = await connector.push?.(
      ctx({ config: { apiBaseUrl: "http://127.0.0.1:9/api" } }),
      push(),
    );
    expect(unreachable).toMatchObject({ ok: false, error: { code: "network", retryable: true } });
    // Signed with another secret: the facility refuses it.
    const other = `whsec_${Buffer.from("x".repeat(32)).toString("base64")}`;
    expect(await connector.push?.(ctx({ secret: other }), push())).toMatchObject({
      ok: false,
      error: { code: "auth_expired" },
    });
    expect(await connector.push?.(ctx({ config: {} }), push())).toMatchObject({
      ok: false,
      error: { code: "unsupported", retryable: false },
    });
  });

  it("sends a signed test delivery (ping) and reports the answer", async () => {
    api = vendorApi({ baseUrl: API_BASE_URL, secret: SECRET });
    expect(await connector.ping?.(ctx())).toEqual({ ok: true, value: { status: 200 } });
    const sent = api.requests.find((r) => r.path.endsWith("/ping"));
    expect(sent?.verified).toBe(true);
    expect(sent?.body).toMatchObject({ type: "ping" });
    api.script({ status: 410 });
    expect(await connector.ping?.(ctx())).toMatchObject({ ok: false, error: { status: 410 } });
    expect(await connector.ping?.(ctx({ config: {} }))).toMatchObject({
      ok: false,
      error: { code: "unsupported" },
    });
  });

  it("pulls the change feed incrementally, keeping the rest of the state", async () => {
    api = vendorApi({ baseUrl: API_BASE_URL, secret: SECRET });
    api.setChanges(JSON.parse(sample("changes-page.json")).events);
    const pulled = await connector.pull?.(ctx({ state: { pushCursor: "12" } }), {
      from: "2026-12-01",
      to: "2026-12-31",
    });
    expect(pulled).toMatchObject({
      ok: true,
      value: { complete: false, state: { pushCursor: "12", pullCursor: "c_2" } },
    });
    expect(pulled?.ok && pulled.value.changes).toHaveLength(2);
    expect(api.requests.at(-1)).toMatchObject({ method: "GET", verified: true });
    // Without pullChanges (or an API), there is nothing to pull.
    const none = await connector.pull?.(ctx({ config: { apiBaseUrl: API_BASE_URL } }), {
      from: "2026-12-01",
      to: "2026-12-31",
    });
    expect(none).toMatchObject({ ok: true, value: { changes: [] } });
  });

  it("checks its health against the API, or needs none", async () => {
    api = vendorApi({ baseUrl: API_BASE_URL, secret: SECRET });
    expect((await connector.checkHealth?.(ctx()))?.ok).toBe(true);
    expect(await connector.checkHealth?.(ctx({ config: {} }))).toMatchObject({ ok: true });
  });
});
