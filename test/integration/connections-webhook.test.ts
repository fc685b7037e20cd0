/**
 * The two-way HTTP connector end to end: signed webhooks from a facility's system received durably and merged into
 * the ledger (duplicates, shuffled order, a killed worker, a queue that is down), our bookings pushed to the
 * facility's REST API (simulated with nock) with retries, backoff, a circuit breaker and an alert, the facility's
 * decisions echoed back, and the change feed a facility can pull instead. Jobs are run by calling their functions
 * (no workers), with the hub's clock injected.
 */
import { randomUUID } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { API_BASE_URL } from "../../connectors/webhook/__fixtures__/contract.js";
import { type VendorApi, vendorApi } from "../../connectors/webhook/__fixtures__/vendor-api.js";
import type { VendorEvent } from "../../connectors/webhook/mapping.js";
import { AVAILABILITY_COALESCE_MS } from "../../hub/connections/availability-push.js";
import {
  DEFAULT_PUSH_POLICY,
  type PushPolicyOptions,
  pushCircuit,
  resetPushPolicies,
  runPushJob,
} from "../../hub/connections/push.js";
import { newWebhookSecret, sealSecret } from "../../hub/connections/store.js";
import { processWebhooks, replayWebhooks } from "../../hub/connections/webhooks.js";
import type { Prisma } from "../../hub/db/client.js";
import { formatDate, parseDate } from "../../hub/inventory/dates.js";
import { dispatchOutbox } from "../../hub/notify/outbox.js";
import { TestClient } from "../support/client.js";
import { expectContract, expectProblem } from "../support/contract.js";
import { tokyoDay as day } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { bookableResidents } from "../support/residents.js";
import { clientFor } from "../support/sessions.js";

type Conn = { id: string; facilityId: string; secret: string };

/** The hub's clock: real time (or the moment a test stopped it at) plus what the tests move it on by. */
let offsetMs = 0;
let stoppedAt: number | null = null;
const clock = () => new Date((stoppedAt ?? Date.now()) + offsetMs);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A small deterministic PRNG (mulberry32), so the shuffled run is the same every time. */
function prng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function shuffle<T>(list: T[], random: () => number): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const stay = (
  reservationId: string,
  version: number,
  start: number,
  nights = 1,
  state: "booked" | "cancelled" = "booked",
  extra: Record<string, unknown> = {},
): VendorEvent => ({
  type: "booking.upserted",
  data: {
    reservationId,
    version,
    state,
    service: "stay",
    checkIn: day(start),
    checkOut: day(start + nights),
    ...extra,
  },
});

/**
 * 100 reservations with 5 versions each, as a facility's system would send them (each version its whole state:
 * booked somewhere, moved, cancelled, booked again), and 20 days' occupancy: 520 events in the order they happened.
 */
function vendorHistory(): VendorEvent[] {
  const random = prng(20261201);
  const events: VendorEvent[] = [];
  for (let r = 0; r < 100; r++) {
    const id = `RSV-${String(r).padStart(4, "0")}`;
    let start = 5 + Math.floor(random() * 50);
    let nights = 1 + Math.floor(random() * 3);
    let booked = true;
    events.push(stay(id, 1, start, nights));
    for (let v = 2; v <= 5; v++) {
      const x = random();
      if (booked && x < 0.3) {
        start = 5 + Math.floor(random() * 50);
        nights = 1 + Math.floor(random() * 3);
      } else if (booked && x < 0.6) booked = false;
      else if (!booked && x < 0.8) {
        booked = true;
        start = 5 + Math.floor(random() * 50);
      }
      events.push(stay(id, v, start, nights, booked ? "booked" : "cancelled"));
    }
  }
  for (let d = 0; d < 20; d++) {
    events.push({
      type: "availability.updated",
      data: { service: "stay", date: day(61 + d), occupied: d % 3 },
    });
  }
  return events;
}

describe("the webhook connector (two-way HTTP)", () => {
  let t: TestHub;
  let anon: TestClient;
  let operator: TestClient;
  const prisma = () => t.hub.prisma;
  /** A facility's connection log as its staff or an operator reads it (newest first). */
  const logOf = async (client: TestClient, facilityId: string, query = "") => {
    const res = await client.get(`api/facilities/${facilityId}/connection/log${query}`);
    expect(res.status, res.text).toBe(200);
    return res.json.items as Record<string, any>[];
  };
  /** Facilities offering stays, other than the demo facility account's own (used for pushes). */
  let stayFacilities: string[] = [];

  async function connect(facilityId: string, config: Record<string, unknown> = {}): Promise<Conn> {
    const secret = newWebhookSecret();
    const data = {
      connector: "webhook",
      config: config as Prisma.InputJsonValue,
      secretSealed: sealSecret(t.hub, secret),
      enabled: true,
      state: {},
    };
    const c = await prisma().connection.upsert({
      where: { facilityId },
      create: { facilityId, ...data },
      update: data,
    });
    // Room for every booking the tests make: what is compared is the ledger, not who got the last place.
    await prisma().facilityService.update({
      where: { facilityId_serviceType: { facilityId, serviceType: "stay" } },
      data: { capacity: 50 },
    });
    await prisma().slot.updateMany({ where: { facilityId, serviceType: "stay" }, data: { capacity: 50 } });
    return { id: c.id, facilityId, secret };
  }

  /** Posts a body to the connection's webhook URL, signed as the facility's system would (or not). */
  async function deliver(
    conn: Conn,
    body: unknown,
    opts: { id?: string; at?: Date; secret?: string; contentType?: string; signature?: string } = {},
  ) {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    const id = opts.id ?? `msg_${randomUUID()}`;
    const at = opts.at ?? clock();
    return anon.request("POST", `api/connections/${conn.id}/webhook`, text, {
      "content-type": opts.contentType ?? "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": opts.signature ?? new Webhook(opts.secret ?? conn.secret).sign(id, at, text),
    });
  }

  /** Deliveries a few at a time (as a busy system sends them); every one must be acknowledged. */
  async function deliverAll(conn: Conn, items: { body: unknown; id?: string }[], parallel = 8) {
    const answers: { status: number; duplicate: boolean }[] = [];
    for (let i = 0; i < items.length; i += parallel) {
      const res = await Promise.all(
        items.slice(i, i + parallel).map((x) => deliver(conn, x.body, x.id ? { id: x.id } : {})),
      );
      for (const r of res) {
        expect(r.status, r.text).toBe(202);
        answers.push({ status: r.status, duplicate: r.json.duplicate });
      }
    }
    return answers;
  }

  /** What a facility's ledger holds from its system: bookings (dates included) and the places they take. */
  async function ledger(facilityId: string) {
    const bookings = await prisma().booking.findMany({
      where: { facilityId, source: "connector" },
      orderBy: { externalRef: "asc" },
      include: { slots: { include: { slot: true } } },
    });
    const slots = await prisma().slot.findMany({
      where: { facilityId, serviceType: "stay", OR: [{ booked: { gt: 0 } }, { external: { gt: 0 } }] },
      orderBy: [{ date: "asc" }],
    });
    return {
      bookings: bookings.map((b) => ({
        ref: b.externalRef,
        status: b.status,
        serviceType: b.serviceType,
        start: formatDate(b.startDate),
        end: formatDate(b.endDate),
        block: b.timeBlock,
        places: b.slots.map((s) => formatDate(s.slot.date)).sort(),
      })),
      slots: slots.map((s) => ({ date: formatDate(s.date), booked: s.booked, external: s.external })),
    };
  }

  const rows = (conn: Conn) => prisma().inboundWebhook.count({ where: { connectionId: conn.id } });
  const freeStay = async (facilityId: string, date: string) => {
    const res = await anon.get(`api/vacancy?from=${date}&to=${date}&serviceType=stay&limit=200`);
    expect(res.status, res.text).toBe(200);
    const f = (res.json.items as { facilityId: string; services: { blocks: { free: number[] }[] }[] }[]).find(
      (x) => x.facilityId === facilityId,
    );
    return f?.services[0]?.blocks[0]?.free[0];
  };

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 20, now: clock });
    anon = new TestClient(t.url);
    operator = await clientFor(t, "operator@demo.example.jp");
    const own = await prisma().user.findUniqueOrThrow({ where: { email: "facility@demo.example.jp" } });
    const withStay = await prisma().facility.findMany({
      where: {
        published: true,
        services: { some: { serviceType: "stay" } },
        id: { not: own.facilityId ?? "" },
      },
      orderBy: { name: "asc" },
      select: { id: true },
    });
    stayFacilities = withStay.map((f) => f.id);
    expect(stayFacilities.length).toBeGreaterThanOrEqual(6);
  }, 240_000);
  afterAll(() => t?.close());

  describe("receiving", () => {
    let conn: Conn;
    beforeAll(async () => {
      conn = await connect(stayFacilities[0] as string);
    });

    it("applies a signed delivery: a booking in the ledger with its source, reference and revision, in the vacancy", async () => {
      const date = day(21);
      const before = await freeStay(conn.facilityId, date);
      const res = await deliver(conn, stay("RSV-A1", 3, 21, 1), { id: "msg_first" });
      expect(res.status, res.text).toBe(202);
      expect(res.json).toEqual({ received: true, duplicate: false });
      await expectContract("receiveConnectionWebhook", res);
      // Stored before it was acknowledged; applied by the job.
      expect(await prisma().inboundWebhook.findFirst({ where: { connectionId: conn.id } })).toMatchObject({
        webhookId: "msg_first",
        status: "pending",
      });
      const done = await processWebhooks(t.hub, conn.id);
      expect(done).toMatchObject({ webhooks: 1, applied: 1 });
      const b = await prisma().booking.findUniqueOrThrow({
        where: { facilityId_externalRef: { facilityId: conn.facilityId, externalRef: "RSV-A1" } },
        include: { events: true },
      });
      expect(b).toMatchObject({ source: "connector", status: "confirmed", serviceType: "stay" });
      expect(formatDate(b.startDate)).toBe(date);
      expect(b.events).toEqual([
        expect.objectContaining({ source: "connector", externalRef: "RSV-A1", externalRevision: 3 }),
      ]);
      expect(await freeStay(conn.facilityId, date)).toBe((before as number) - 1);
      expect(await prisma().inboundWebhook.findFirst({ where: { connectionId: conn.id } })).toMatchObject({
        status: "applied",
        attempts: 1,
      });
    });

    it("acknowledges a retry of the same webhook-id without a second row or a second change", async () => {
      const body = stay("RSV-A2", 1, 22);
      const first = await deliver(conn, body, { id: "msg_retry" });
      const again = await deliver(conn, body, { id: "msg_retry" });
      expect(first.json).toEqual({ received: true, duplicate: false });
      expect(again.status).toBe(202);
      expect(again.json).toEqual({ received: true, duplicate: true });
      expect(
        await prisma().inboundWebhook.count({ where: { connectionId: conn.id, webhookId: "msg_retry" } }),
      ).toBe(1);
      // The same change under another webhook-id (the system re-sent it): stored, applied once.
      await deliver(conn, body);
      const done = await processWebhooks(t.hub, conn.id);
      expect(done).toMatchObject({ webhooks: 2, applied: 1, ignored: 1 });
      const events = await prisma().bookingEvent.count({ where: { externalRef: "RSV-A2" } });
      expect(events).toBe(1);
    });

    it("refuses what it cannot trust or read with a clear problem, and changes nothing", async () => {
      const body = stay("RSV-BAD", 1, 23);
      const count = await rows(conn);
      const bookings = await prisma().booking.count({ where: { facilityId: conn.facilityId } });
      const bad = await deliver(conn, body, { secret: newWebhookSecret() });
      expectProblem(bad, 401, "invalid_signature");
      expect(bad.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expectProblem(await deliver(conn, body, { signature: "v1,AAAA" }), 401, "invalid_signature");
      const old = await deliver(conn, body, { at: new Date(clock().getTime() - 6 * 60_000) });
      expectProblem(old, 401, "stale_timestamp");
      expect(old.json.detail).toMatch(/clock/);
      expectProblem(
        await deliver(conn, body, { at: new Date(clock().getTime() + 6 * 60_000) }),
        401,
        "stale_timestamp",
      );
      expectProblem(await deliver(conn, body, { contentType: "text/plain" }), 415, "unsupported_media_type");
      expectProblem(await deliver(conn, '{"type": "booking.upserted", "data": {'), 400, "malformed_json");
      const invalid = await deliver(conn, { type: "booking.upserted", data: { reservationId: "X" } });
      expectProblem(invalid, 422, "invalid_payload");
      const noHeaders = await anon.request(
        "POST",
        `api/connections/${conn.id}/webhook`,
        JSON.stringify(body),
      );
      expectProblem(noHeaders, 401, "invalid_signature");
      // Each refusal at the door is in the connection's log, in plain words.
      const refused = await logOf(operator, conn.facilityId, "?kind=webhook&result=failed");
      expect(refused.filter((e) => e.code === "signature").length).toBeGreaterThanOrEqual(5);
      expect(refused.filter((e) => e.code === "parse_error").length).toBeGreaterThanOrEqual(1);
      expect(refused.every((e) => !e.replayable && !/whsec_|stack|\/srv\//.test(JSON.stringify(e)))).toBe(
        true,
      );
      expectProblem(await deliver({ ...conn, id: randomUUID() }, body), 404, "not_found");
      expectProblem(
        await anon.request("POST", "api/connections/not-a-uuid/webhook", "{}", {
          "content-type": "application/json",
        }),
        400,
        "validation_failed",
      );
      const huge = await deliver(conn, { type: "batch", events: Array.from({ length: 20_000 }, () => body) });
      expect(huge.status).toBe(413);
      expect(await rows(conn)).toBe(count);
      expect(await prisma().booking.count({ where: { facilityId: conn.facilityId } })).toBe(bookings);

      await prisma().connection.update({ where: { id: conn.id }, data: { enabled: false } });
      expectProblem(await deliver(conn, body), 404, "not_found");
      await prisma().connection.update({ where: { id: conn.id }, data: { enabled: true } });
    });

    it("records a booking on places already full and opens an oversold conflict for review", async () => {
      const date = 40;
      await deliver(conn, {
        type: "availability.updated",
        data: { service: "stay", date: day(date), capacity: 1 },
      });
      await deliver(conn, stay("RSV-FULL-1", 1, date));
      await deliver(conn, stay("RSV-FULL-2", 1, date));
      const done = await processWebhooks(t.hub, conn.id);
      expect(done).toMatchObject({ webhooks: 3, applied: 3, conflicts: 1 });
      const second = await prisma().booking.findUniqueOrThrow({
        where: { facilityId_externalRef: { facilityId: conn.facilityId, externalRef: "RSV-FULL-2" } },
      });
      expect(second.status).toBe("confirmed");
      const slot = await prisma().slot.findFirstOrThrow({
        where: { facilityId: conn.facilityId, serviceType: "stay", date: parseDate(day(date)) as Date },
      });
      expect(slot).toMatchObject({ capacity: 1, booked: 2 });
      const conflicts = await prisma().syncConflict.findMany({
        where: { connectionId: conn.id, kind: "oversold" },
      });
      expect(conflicts).toEqual([
        expect.objectContaining({ status: "open", externalRef: "RSV-FULL-2", bookingId: second.id }),
      ]);
      expect(await freeStay(conn.facilityId, day(date))).toBe(0);
    });

    it("orders availability updates of a day by revision, else occurredAt; a late older one is left out and listed", async () => {
      const update = (date: string, occupied: number, order: { revision?: number; occurredAt?: string }) => ({
        type: "availability.updated",
        ...(order.occurredAt ? { occurredAt: order.occurredAt } : {}),
        data: {
          service: "stay",
          date,
          occupied,
          ...(order.revision !== undefined ? { revision: order.revision } : {}),
        },
      });
      const [byRevision, byTime, unordered] = [day(36), day(37), day(38)];
      const at = (minute: number) => `2026-12-01T09:${String(minute).padStart(2, "0")}:00+09:00`;
      // Six revisions of one day and five times of another, each its own delivery, shuffled; then two without
      // either.
      const shuffled = shuffle(
        [
          ...[1, 2, 3, 4, 5, 6].map((r) => update(byRevision, r, { revision: r })),
          ...[1, 2, 3, 4, 5].map((m) => update(byTime, m, { occurredAt: at(m) })),
        ],
        prng(14),
      );
      // Arrival order does not matter for those (several at a time); it does for the two without.
      await deliverAll(
        conn,
        shuffled.map((body) => ({ body })),
        8,
      );
      for (const occupied of [2, 1]) await deliver(conn, update(unordered, occupied, {}));
      await processWebhooks(t.hub, conn.id);
      const external = async (date: string) =>
        (
          await prisma().slot.findFirstOrThrow({
            where: { facilityId: conn.facilityId, serviceType: "stay", date: parseDate(date) as Date },
          })
        ).external;
      expect(await external(byRevision)).toBe(6);
      expect(await external(byTime)).toBe(5);
      expect(await external(unordered)).toBe(1);

      // An older one arriving late changes nothing, and the connection lists it with its skipped items.
      await deliver(conn, {
        type: "batch",
        events: [update(byRevision, 2, { revision: 2 }), update(byTime, 1, { occurredAt: at(0) })],
      });
      expect(await processWebhooks(t.hub, conn.id)).toMatchObject({ webhooks: 1, applied: 0 });
      expect(await external(byRevision)).toBe(6);
      expect(await external(byTime)).toBe(5);
      const operator = await clientFor(t, "operator@demo.example.jp");
      const health = await operator.get(`api/facilities/${conn.facilityId}/connection`);
      expect(health.status, health.text).toBe(200);
      // Late deliveries are the ordering at work, not a connection that imports nothing.
      expect(health.json.connection.state).not.toBe("skipping");
      expect(health.json.connection.skipped).toMatchObject({
        total: 2,
        read: 2,
        imported: 0,
        counts: { stale: 2 },
        items: [
          { reason: "stale", date: byRevision, property: "stay", problem: "older_revision" },
          { reason: "stale", date: byTime, property: "stay", problem: "older_time" },
        ],
      });
    });

    it("keeps a delivery it cannot apply as a dead letter after repeated failures, and replays it", async () => {
      // A body the connector reads (it was verified when it arrived) but the ledger refuses: an unknown
      // hub booking id goes to review, not to the dead letters; a row that fails to apply at all (here: its
      // connection now has a connector that reads no webhooks) is given up at once, then replayed.
      await deliver(conn, stay("RSV-DEAD", 1, 24));
      await prisma().connection.update({ where: { id: conn.id }, data: { connector: "native" } });
      const failed = await processWebhooks(t.hub, conn.id);
      expect(failed.deadLettered).toBe(1);
      const dead = await prisma().inboundWebhook.findFirstOrThrow({
        where: { connectionId: conn.id, status: "failed" },
      });
      expect(dead.error).toMatch(/does not read webhooks/);
      expect((await prisma().connection.findUniqueOrThrow({ where: { id: conn.id } })).lastError).toMatch(
        /^invalid_payload: /,
      );
      await prisma().connection.update({ where: { id: conn.id }, data: { connector: "webhook" } });
      // Replayed on its own from the connection's log (not "replay all"), once.
      const [entry] = await logOf(operator, conn.facilityId, "?kind=webhook&result=failed&limit=1");
      expect(entry).toMatchObject({ code: "parse_error", replayable: true });
      const replay = `api/facilities/${conn.facilityId}/connection/log/${entry?.id}/replay`;
      const replayed = await operator.post(replay, {});
      expect(replayed.status, replayed.text).toBe(200);
      expect(replayed.json).toEqual({ replayed: 1, kind: "webhook" });
      expectProblem(await operator.post(replay, {}), 409, "not_replayable");
      expect(await processWebhooks(t.hub, conn.id)).toMatchObject({ webhooks: 1, applied: 1 });
      expect(await prisma().booking.count({ where: { externalRef: "RSV-DEAD" } })).toBe(1);
      const [applied] = await logOf(operator, conn.facilityId, "?kind=webhook&result=ok&limit=1");
      expect(applied).toMatchObject({ counts: { bookings: 1 }, refs: { externalIds: ["RSV-DEAD"] } });
      // The delivery that failed set the connection's last error; the good one cleared it.
      expect(
        await prisma().connection.findUniqueOrThrow({
          where: { id: conn.id },
          select: { lastError: true, consecutiveFailures: true },
        }),
      ).toEqual({ lastError: null, consecutiveFailures: 0 });
      // Replaying all dead letters still works.
      expect(await replayWebhooks(t.hub, conn.id)).toBe(0);
    });
  });

  describe("reliability", () => {
    const history = vendorHistory();
    let inOrder: Conn;
    let reference: Awaited<ReturnType<typeof ledger>>;

    beforeAll(async () => {
      inOrder = await connect(stayFacilities[1] as string);
      await deliverAll(
        inOrder,
        history.map((body) => ({ body })),
        1,
      );
      await processWebhooks(t.hub, inOrder.id);
      reference = await ledger(inOrder.facilityId);
      expect(reference.bookings).toHaveLength(100);
      expect(reference.bookings.some((b) => b.status === "cancelled")).toBe(true);
      expect(reference.bookings.some((b) => b.status === "confirmed")).toBe(true);
    }, 300_000);

    it("1,000 deliveries with duplicates and shuffled order give exactly the ledger of one in-order delivery", async () => {
      const conn = await connect(stayFacilities[2] as string);
      const random = prng(7);
      const unique = history.map((body) => ({ body, id: `msg_${randomUUID()}` }));
      // 280 retries of a message (same webhook-id), 200 re-sends of a change under a new webhook-id.
      const replays = Array.from(
        { length: 280 },
        () => unique[Math.floor(random() * unique.length)] as (typeof unique)[0],
      );
      const resends = Array.from({ length: 200 }, () => ({
        body: (unique[Math.floor(random() * unique.length)] as (typeof unique)[0]).body,
        id: `msg_${randomUUID()}`,
      }));
      const deliveries = shuffle([...unique, ...replays, ...resends], random);
      expect(deliveries).toHaveLength(1000);
      const answers = await deliverAll(conn, deliveries);
      expect(answers).toHaveLength(1000);
      const stored = await rows(conn);
      expect(stored).toBe(unique.length + resends.length);
      expect(answers.filter((a) => a.duplicate).length).toBe(1000 - stored);
      const done = await processWebhooks(t.hub, conn.id);
      expect(done.webhooks).toBe(stored);
      expect(
        await prisma().inboundWebhook.count({ where: { connectionId: conn.id, status: { not: "applied" } } }),
      ).toBe(0);
      expect(await ledger(conn.facilityId)).toEqual(reference);
    }, 300_000);

    it("killing a worker in the middle of processing loses and duplicates nothing once it restarts", async () => {
      const conn = await connect(stayFacilities[3] as string);
      await deliverAll(
        conn,
        history.map((body) => ({ body })),
        1,
      );
      const stop = new AbortController();
      let batches = 0;
      const killed = processWebhooks(t.hub, conn.id, {
        batchSize: 50,
        signal: stop.signal,
        onBatch: () => {
          // The third batch has applied its changes and is about to commit when the worker dies.
          if (++batches === 3) stop.abort(new Error("worker killed"));
        },
      });
      await expect(killed).rejects.toThrow();
      expect(
        await prisma().inboundWebhook.count({ where: { connectionId: conn.id, status: "applied" } }),
      ).toBe(100);
      expect(
        await prisma().inboundWebhook.count({ where: { connectionId: conn.id, status: "pending" } }),
      ).toBe(history.length - 100);
      // Restarted: the rest is applied once.
      await processWebhooks(t.hub, conn.id);
      expect(
        await prisma().inboundWebhook.count({ where: { connectionId: conn.id, status: "applied" } }),
      ).toBe(history.length);
      expect(await ledger(conn.facilityId)).toEqual(reference);
      // Every revision recorded once: as many events as the in-order run.
      const events = (facilityId: string) =>
        prisma().bookingEvent.count({ where: { booking: { facilityId }, source: "connector" } });
      expect(await events(conn.facilityId)).toBe(await events(inOrder.facilityId));
    }, 300_000);

    it("with the job queue down, inbound webhooks are still accepted, and processed once it is back", async () => {
      const conn = await connect(stayFacilities[4] as string);
      const queue = t.hub.queue;
      const add = queue.add.bind(queue);
      let tried = 0;
      try {
        // Redis down: every add fails (or never answers, as an ioredis client waiting to reconnect does).
        queue.add = async (name) => {
          if (name === "connections.webhooks") tried++;
          if (tried % 2) throw new Error("connect ECONNREFUSED 127.0.0.1:6379");
          return new Promise<void>(() => {});
        };
        const answers = await deliverAll(
          conn,
          Array.from({ length: 10 }, (_, i) => ({ body: stay(`RSV-Q${i}`, 1, 30 + i) })),
          5,
        );
        expect(answers.every((a) => a.status === 202)).toBe(true);
        expect(tried).toBe(10);
        expect(
          await prisma().inboundWebhook.count({ where: { connectionId: conn.id, status: "pending" } }),
        ).toBe(10);
      } finally {
        queue.add = add;
      }
      // Back: the sweep (no connection named) finds and applies them.
      const swept = await processWebhooks(t.hub);
      expect(swept.webhooks).toBeGreaterThanOrEqual(10);
      expect(
        await prisma().booking.count({ where: { facilityId: conn.facilityId, source: "connector" } }),
      ).toBe(10);
    });
  });

  describe("pushing our bookings to the facility's API", () => {
    let conn: Conn;
    let api: VendorApi;
    let facility: TestClient;
    let residents: string[];
    let n = 0;
    const fast: PushPolicyOptions = {
      ...DEFAULT_PUSH_POLICY,
      retries: 2,
      initialDelayMs: 50,
      maxDelayMs: 200,
    };

    const hold = async (date = 45 + n) => {
      const res = await facility.post("api/bookings", {
        facilityId: conn.facilityId,
        serviceType: "stay",
        startDate: day(date),
        nights: 1,
        residentId: residents[n++ % residents.length],
      });
      expect(res.status, res.text).toBe(201);
      return res.json.id as string;
    };
    const pushes = (bookingId: string) =>
      prisma().connectorPush.findMany({ where: { bookingId }, orderBy: { id: "asc" } });
    const callsFor = (bookingId: string) =>
      api.bookingCalls().filter((r) => r.body?.data.hubBookingId === bookingId);

    beforeAll(async () => {
      facility = await clientFor(t, "facility@demo.example.jp");
      const own = await prisma().user.findUniqueOrThrow({ where: { email: "facility@demo.example.jp" } });
      conn = await connect(own.facilityId as string, { apiBaseUrl: API_BASE_URL });
      await prisma().facility.update({
        where: { id: conn.facilityId },
        data: { email: "aoba-yoyaku@demo.example.jp" },
      });
      api = vendorApi({ baseUrl: API_BASE_URL, secret: conn.secret });
      residents = await bookableResidents(prisma(), "041009", 12);
      // The first run sends what the facility already has open, and starts the cursor.
      await runPushJob(t.hub, { connectionId: conn.id }, fast);
    }, 120_000);
    afterAll(() => api?.stop());

    it("sends a new booking, signed; the facility's reservation id is kept", async () => {
      const id = await hold();
      const run = await runPushJob(t.hub, { connectionId: conn.id }, fast);
      expect(run).toMatchObject({ collected: 1, sent: 1 });
      const [call] = callsFor(id);
      expect(call).toMatchObject({ method: "POST", verified: true });
      expect(call?.body).toMatchObject({
        type: "booking.created",
        data: { hubBookingId: id, status: "requested", service: "stay", revision: 1 },
      });
      // Verifiable with the official library too (its own clock: the hub's is the real one here).
      const raw = JSON.stringify(call?.body);
      expect(() => new Webhook(conn.secret).verify(raw, call?.headers ?? {})).not.toThrow();
      const [row] = await pushes(id);
      expect(row).toMatchObject({ status: "acknowledged", action: "create", attempts: 1 });
      expect(row?.externalId).toMatch(/^RSV-SIM-/);
      // Nothing new: nothing sent again.
      expect(await runPushJob(t.hub, { connectionId: conn.id }, fast)).toMatchObject({
        collected: 0,
        sent: 0,
      });
    });

    it("sends the facility's availability after hub bookings and a closure: one signed message per burst, in order", async () => {
      // Time moves only when the test says: on a loaded machine the steps between two messages could otherwise
      // outlast the one-second window they are meant to fall in.
      stoppedAt = Date.now();
      onTestFinished(() => {
        stoppedAt = null;
      });
      await runPushJob(t.hub, { connectionId: conn.id }, fast);
      const before = api.availabilityCalls.length;
      const [busy, closed] = [day(80), day(81)];
      const first = await hold(80);
      await hold(80);
      const closure = await facility.post(`api/facilities/${conn.facilityId}/closures`, {
        date: closed,
        reason: "設備点検",
      });
      expect(closure.status, closure.text).toBe(201);
      // Three changes, two days: one message with the state of both (the last message is older than the window).
      offsetMs += AVAILABILITY_COALESCE_MS;
      const run = await runPushJob(t.hub, { connectionId: conn.id }, fast);
      expect(run).toMatchObject({ sent: 2, availability: 1 });
      const calls = api.availabilityCalls.slice(before);
      expect(calls).toHaveLength(1);
      const [call] = calls;
      if (!call) throw new Error("no availability message");
      expect(call.verified).toBe(true);
      expect(() => new Webhook(conn.secret).verify(call.raw, call.headers)).not.toThrow();
      expect(call.headers["webhook-id"]).toBe(`msg_availability_${call.body.data.revision}`);
      const slot = await prisma().slot.findFirstOrThrow({
        where: { facilityId: conn.facilityId, serviceType: "stay", date: parseDate(busy) as Date },
      });
      expect(slot.booked).toBeGreaterThanOrEqual(2);
      const stays = call.body.data.days.filter((d) => d.service === "stay");
      expect(stays).toEqual([
        {
          service: "stay",
          date: busy,
          slot: "",
          capacity: slot.capacity,
          booked: slot.booked,
          occupied: slot.external,
          free: slot.capacity - slot.booked - slot.external,
          closed: false,
        },
        expect.objectContaining({ service: "stay", date: closed, free: 0, closed: true }),
      ]);
      // The closure covers every service the facility offers that day.
      const offered = await prisma().facilityService.count({ where: { facilityId: conn.facilityId } });
      expect(new Set(call.body.data.days.filter((d) => d.date === closed).map((d) => d.service)).size).toBe(
        offered,
      );
      expect((await runPushJob(t.hub, { connectionId: conn.id }, fast)).availability).toBe(0);

      // A cancellation frees a place: within the window of the last message it waits for the window's end (a
      // delayed job), then goes as the next message, the next revision, with only the day it changed.
      const cancelled = await facility.post(`api/bookings/${first}/cancel`, { reason: "施設の都合" });
      expect(cancelled.status, cancelled.text).toBe(200);
      expect(await runPushJob(t.hub, { connectionId: conn.id }, fast)).toMatchObject({
        sent: 1,
        availability: 0,
      });
      expect(api.availabilityCalls.length).toBe(before + 1);
      offsetMs += AVAILABILITY_COALESCE_MS;
      expect((await runPushJob(t.hub, { connectionId: conn.id }, fast)).availability).toBe(1);
      const next = api.availabilityCalls.at(-1);
      expect(next?.body.data.revision).toBe(call.body.data.revision + 1);
      expect(next?.body.data.days.map((d) => d.date)).toEqual([busy]);
      expect(next?.applied).toBe(true);
      expect(api.availability.get(`stay|${busy}|`)).toMatchObject({ booked: slot.booked - 1 });

      // A capacity change in the hub too.
      const widened = await facility.put(`api/facilities/${conn.facilityId}/slots`, {
        serviceType: "stay",
        from: busy,
        to: busy,
        capacity: slot.capacity + 1,
      });
      expect(widened.status, widened.text).toBe(200);
      offsetMs += AVAILABILITY_COALESCE_MS;
      expect((await runPushJob(t.hub, { connectionId: conn.id }, fast)).availability).toBe(1);
      expect(api.availability.get(`stay|${busy}|`)).toMatchObject({
        capacity: slot.capacity + 1,
        free: slot.capacity + 1 - (slot.booked - 1) - slot.external,
      });
      // Each message is in the connection's log; a 410 Gone to one pauses the connection like a booking push's.
      const [sentEntry] = await logOf(facility, conn.facilityId, "?kind=push&limit=1");
      expect(sentEntry).toMatchObject({
        result: "ok",
        refs: { availabilityRevision: next!.body.data.revision + 1 },
      });
      expect(sentEntry?.request).toMatch(/^availability, revision/);
      await facility.put(`api/facilities/${conn.facilityId}/slots`, {
        serviceType: "stay",
        from: busy,
        to: busy,
        capacity: slot.capacity,
      });
      offsetMs += AVAILABILITY_COALESCE_MS;
      api.script({ status: 410 });
      expect(await runPushJob(t.hub, { connectionId: conn.id }, fast)).toMatchObject({
        availability: 0,
        paused: true,
      });
      expect((await logOf(facility, conn.facilityId, "?kind=push&limit=1"))[0]).toMatchObject({
        result: "failed",
        code: "gone",
      });
      const health = (await facility.get(`api/facilities/${conn.facilityId}/connection`)).json.connection;
      expect(health).toMatchObject({ enabled: false, disabledCode: "gone" });
      // Enabled again: the waiting days go.
      await prisma().connection.update({
        where: { id: conn.id },
        data: { enabled: true, disabledReason: null },
      });
      offsetMs += AVAILABILITY_COALESCE_MS * 60;
      expect((await runPushJob(t.hub, { connectionId: conn.id }, fast)).availability).toBe(1);

      // A new default capacity of the service shapes every day without a slot of its own: the days ahead go.
      const service = await prisma().facilityService.findFirstOrThrow({
        where: { facilityId: conn.facilityId, serviceType: "stay" },
      });
      const defaults = await facility.put(`api/facilities/${conn.facilityId}/services/stay`, {
        capacity: service.capacity + 1,
      });
      expect(defaults.status, defaults.text).toBe(200);
      offsetMs += AVAILABILITY_COALESCE_MS;
      expect((await runPushJob(t.hub, { connectionId: conn.id }, fast)).availability).toBe(1);
      const ahead = api.availabilityCalls.at(-1)?.body.data.days.filter((d) => d.service === "stay") ?? [];
      expect(ahead.length).toBeGreaterThan(100);
      expect(ahead.find((d) => d.date === day(100))).toMatchObject({ capacity: service.capacity + 1 });
    });

    it("hears of every change to a hub booking through the outbox, queued as a push job once it commits", async () => {
      const announced = () =>
        prisma().outboxMessage.findMany({
          where: {
            topic: "connections.push",
            dispatchedAt: null,
            payload: { equals: { connectionId: conn.id } },
          },
          select: { id: true, createdAt: true },
        });
      const before = (await announced()).length;
      const id = await hold();
      expect((await announced()).length).toBe(before + 1);
      await runPushJob(t.hub, { connectionId: conn.id }, fast);
      const cancelled = await facility.post(`api/bookings/${id}/cancel`, { reason: "施設の都合" });
      expect(cancelled.status, cancelled.text).toBe(200);
      const rows = await announced();
      expect(rows.length).toBe(before + 2);
      // The dispatcher hands each row to the job queue, named by the row so a row queued twice runs once.
      const queued: { name: string; payload: unknown; jobId?: string }[] = [];
      const jobs = {
        add: async (name: string, payload: unknown, opts?: { jobId?: string }) => {
          queued.push({ name, payload, jobId: opts?.jobId });
        },
      };
      const r = await dispatchOutbox(prisma(), t.hub.transport, clock(), { jobs, batch: 500 });
      expect(r.queued).toBeGreaterThanOrEqual(2);
      for (const row of rows) {
        expect(queued).toContainEqual({
          name: "connections.push",
          payload: { connectionId: conn.id },
          jobId: `outbox-${row.id}-${row.createdAt.getTime()}`,
        });
      }
      expect((await announced()).length).toBe(0);
      await runPushJob(t.hub, { connectionId: conn.id }, fast);
      expect(callsFor(id).map((c) => c.body?.data.status)).toEqual(["requested", "cancelled"]);
    });

    it("queues a row under a job id of its own when its id was used before (a restore, another database)", async () => {
      // The queue keeps the ids of jobs it has run and drops a new job with one of them as already done: a row that
      // gets an id again (the database restored from a backup, a second instance on the same Redis) must not.
      const queued: string[] = [];
      const jobs = {
        add: async (_name: string, _payload: unknown, opts?: { jobId?: string }) => {
          queued.push(opts?.jobId ?? "");
        },
      };
      const push = () =>
        prisma().outboxMessage.create({
          data: { topic: "connections.push", payload: { connectionId: conn.id } },
        });
      const first = await push();
      await dispatchOutbox(prisma(), t.hub.transport, clock(), { jobs, batch: 500 });
      // As after a restore of a backup taken before `first`: its row gone, the sequence back before its id.
      await prisma().outboxMessage.delete({ where: { id: first.id } });
      await prisma().$executeRawUnsafe(
        "SELECT setval(pg_get_serial_sequence('outbox', 'id'), $1::bigint, false)",
        first.id,
      );
      await new Promise((r) => setTimeout(r, 5));
      const again = await push();
      expect(again.id).toBe(first.id);
      await dispatchOutbox(prisma(), t.hub.transport, clock(), { jobs, batch: 500 });
      const mine = queued.filter((j) => j.startsWith(`outbox-${first.id}-`));
      expect(mine).toHaveLength(2);
      expect(new Set(mine).size).toBe(2);
      await runPushJob(t.hub, { connectionId: conn.id }, fast);
    });

    it("retries a 5xx with backoff, then succeeds", async () => {
      const id = await hold();
      api.script({ status: 503 }, { status: 502 });
      const run = await runPushJob(t.hub, { connectionId: conn.id }, fast);
      expect(run).toMatchObject({ sent: 1, retrying: 0 });
      const calls = callsFor(id);
      expect(calls.map((c) => c.method)).toEqual(["POST", "POST", "POST"]);
      // 50 ms, then 100 ms between tries.
      expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(45);
      expect((calls[2]?.at ?? 0) - (calls[1]?.at ?? 0)).toBeGreaterThanOrEqual(95);
      expect((await pushes(id))[0]).toMatchObject({ status: "acknowledged", lastError: null });
      expect(pushCircuit(t.hub, conn.id)).toBe("closed");
    });

    it("records timeouts, opens the circuit, alerts after 30 minutes, and recovers; the hub keeps serving", async () => {
      resetPushPolicies(t.hub, conn.id);
      const slow: PushPolicyOptions = {
        ...fast,
        retries: 1,
        initialDelayMs: 20,
        breakerThreshold: 3,
        halfOpenAfterMs: 300,
        httpTimeoutMs: 150,
      };
      const ids = [await hold(), await hold(), await hold()];
      api.script({ delayMs: 1_000 }, { delayMs: 1_000 }, { delayMs: 1_000 });
      const started = performance.now();
      const running = runPushJob(t.hub, { connectionId: conn.id }, slow);
      // Meanwhile the hub answers as usual.
      const search = performance.now();
      const vacancy = await anon.get(`api/vacancy?from=${day(1)}&to=${day(14)}`);
      expect(vacancy.status).toBe(200);
      expect(performance.now() - search).toBeLessThan(2_000);
      const run = await running;
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(run).toMatchObject({ sent: 0, retrying: 1, circuitOpen: true });
      expect(pushCircuit(t.hub, conn.id)).toBe("open");
      const [first, second, third] = await Promise.all(ids.map(async (id) => (await pushes(id))[0]));
      expect(first).toMatchObject({ status: "pending", attempts: 1 });
      expect(first?.lastError).toMatch(/^timeout: /);
      expect(first?.availableAt.getTime()).toBeGreaterThan(clock().getTime() + 20_000);
      for (const r of [second, third]) {
        expect(r).toMatchObject({ status: "pending" });
        expect(r?.lastError).toMatch(/^circuit_open/);
      }
      // Three calls failed (two for the first booking, one for the second), then the circuit stopped them.
      expect(callsFor(ids[0] as string)).toHaveLength(2);
      expect(callsFor(ids[1] as string)).toHaveLength(1);
      expect(callsFor(ids[2] as string)).toHaveLength(0);

      // 30 minutes on, still not acknowledged: one alert per push, once.
      const outbox = () =>
        prisma().outboxMessage.findMany({
          where: { payload: { path: ["to"], equals: "aoba-yoyaku@demo.example.jp" } },
          orderBy: { id: "asc" },
        });
      const mails = (await outbox()).length;
      offsetMs += 31 * 60_000;
      const { alertStalePushes } = await import("../../hub/connections/push.js");
      expect(await alertStalePushes(t.hub, conn.id)).toBe(3);
      expect(await alertStalePushes(t.hub, conn.id)).toBe(0);
      const sent = await outbox();
      expect(sent).toHaveLength(mails + 1);
      expect((sent.at(-1)?.payload as { subject?: string } | undefined)?.subject).toMatch(
        /送信が完了していません/,
      );
      const health = await prisma().connection.findUniqueOrThrow({ where: { id: conn.id } });
      expect(health.consecutiveFailures).toBeGreaterThanOrEqual(1);
      expect(health.lastError).toMatch(/not acknowledged/);
      for (const id of ids) expect((await pushes(id))[0]?.alertedAt).not.toBeNull();

      // The facility's API is back: after the half-open wait one call goes through and closes the circuit.
      await sleep(350);
      const recovered = await runPushJob(t.hub, { connectionId: conn.id }, slow);
      expect(recovered).toMatchObject({ sent: 3, circuitOpen: false });
      expect(pushCircuit(t.hub, conn.id)).toBe("closed");
      for (const id of ids) expect((await pushes(id))[0]?.status).toBe("acknowledged");
      expect(
        (await prisma().connection.findUniqueOrThrow({ where: { id: conn.id } })).consecutiveFailures,
      ).toBe(0);
    });

    it("gives up a push the facility refuses (4xx) at once, as a dead letter", async () => {
      const id = await hold();
      api.script({ status: 422 });
      const run = await runPushJob(t.hub, { connectionId: conn.id }, fast);
      expect(run).toMatchObject({ failed: 1 });
      expect(callsFor(id)).toHaveLength(1);
      expect((await pushes(id))[0]).toMatchObject({ status: "failed" });
      expect((await pushes(id))[0]?.lastError).toMatch(/^upstream_4xx/);

      // The facility's staff see it in their log, with the request and the answer, and replay it alone.
      const failedNow = await logOf(facility, conn.facilityId, "?kind=push&result=failed&limit=20");
      const entry = failedNow.find((e) => e.refs?.bookingId === id);
      expect(entry).toMatchObject({
        code: "http_status",
        message: "The facility's system answered with HTTP 422.",
        httpStatus: 422,
        request: "create booking, revision 1",
        refs: { bookingId: id },
        replayable: true,
      });
      const replayed = await facility.post(
        `api/facilities/${conn.facilityId}/connection/log/${entry?.id}/replay`,
        {},
      );
      expect(replayed.status, replayed.text).toBe(200);
      expect(replayed.json).toEqual({ replayed: 1, kind: "push" });
      expect(await runPushJob(t.hub, { connectionId: conn.id }, fast)).toMatchObject({ sent: 1 });
      expect((await pushes(id))[0]).toMatchObject({ status: "acknowledged" });
      // The hold also sent the facility its availability (coalesced, so it may be logged after the replay).
      const sentNow = await logOf(facility, conn.facilityId, "?kind=push&result=ok&limit=20");
      const sent = sentNow.find((e) => e.refs?.bookingId === id);
      expect(sent).toMatchObject({ httpStatus: 201, refs: { bookingId: id }, code: null });
      // Another facility's log is not theirs to read or replay.
      const other = stayFacilities[0] as string;
      expectProblem(await facility.get(`api/facilities/${other}/connection/log`), 403, "forbidden");
      expectProblem(
        await facility.post(`api/facilities/${other}/connection/log/${entry?.id}/replay`, {}),
        403,
        "forbidden",
      );
      // …nor is an entry of another connection reachable through their own.
      const [foreign] = await logOf(operator, other, "?limit=1");
      expectProblem(
        await facility.post(`api/facilities/${conn.facilityId}/connection/log/${foreign?.id}/replay`, {}),
        404,
        "not_found",
      );
    });

    it("sends a signed test delivery; an API that answers 410 Gone pauses the connection until it is enabled", async () => {
      const test = await facility.post(`api/facilities/${conn.facilityId}/connection/test-delivery`, {});
      expect(test.status, test.text).toBe(200);
      expect(test.json).toMatchObject({ ok: true, httpStatus: 200, code: null, paused: false });
      const ping = api.requests.filter((r) => r.path.endsWith("/ping")).at(-1);
      expect(ping).toMatchObject({ method: "POST", verified: true });
      // Signed like a booking push (the simulator checks it with the standardwebhooks library's signing).
      expect(ping?.headers["webhook-id"]).toMatch(/^msg_ping_/);
      expect(ping?.body).toMatchObject({ type: "ping" });
      expect((await logOf(facility, conn.facilityId, "?kind=test&limit=1"))[0]).toMatchObject({
        result: "ok",
        httpStatus: 200,
      });
      // Not for a connection without an API to send to.
      expectProblem(
        await operator.post(`api/facilities/${stayFacilities[0]}/connection/test-delivery`, {}),
        409,
        "no_endpoint",
      );

      const id = await hold();
      api.script({ status: 410 });
      const run = await runPushJob(t.hub, { connectionId: conn.id }, fast);
      expect(run).toMatchObject({ sent: 0, failed: 0, paused: true });
      let health = (await facility.get(`api/facilities/${conn.facilityId}/connection`)).json.connection;
      expect(health).toMatchObject({ enabled: false, state: "disabled", disabledCode: "gone" });
      expect(health.lastError).toMatch(/HTTP 410/);
      expect((await logOf(facility, conn.facilityId, "?kind=push&limit=1"))[0]).toMatchObject({
        result: "failed",
        code: "gone",
        httpStatus: 410,
        replayable: false,
      });
      // Paused: nothing more is sent; the booking waits (not a dead letter).
      const calls = callsFor(id).length;
      expect(await runPushJob(t.hub, { connectionId: conn.id }, fast)).toMatchObject({ connections: 0 });
      expect(callsFor(id)).toHaveLength(calls);
      expect((await pushes(id))[0]).toMatchObject({ status: "pending" });
      // A test delivery still checks the API while paused.
      api.script({ status: 410 });
      const stillGone = await facility.post(`api/facilities/${conn.facilityId}/connection/test-delivery`, {});
      expect(stillGone.json).toMatchObject({ ok: false, httpStatus: 410, code: "gone", paused: false });

      // Enabled again once the API is back: the booking goes, and the error clears with the success.
      await prisma().connection.update({
        where: { id: conn.id },
        data: { enabled: true, disabledReason: null },
      });
      expect(await runPushJob(t.hub, { connectionId: conn.id }, fast)).toMatchObject({ sent: 1 });
      expect((await pushes(id))[0]).toMatchObject({ status: "acknowledged" });
      health = (await facility.get(`api/facilities/${conn.facilityId}/connection`)).json.connection;
      expect(health).toMatchObject({ enabled: true, lastError: null, disabledCode: null });
    });

    it("applies the facility's decisions echoed back, and never pushes them back", async () => {
      const confirmMe = await hold();
      const turnDown = await hold();
      await runPushJob(t.hub, { connectionId: conn.id }, fast);
      const ext = async (id: string) => (await pushes(id))[0]?.externalId as string;
      const echo = async (bookingId: string, version: number, state: "booked" | "cancelled") => {
        const b = await prisma().booking.findUniqueOrThrow({ where: { id: bookingId } });
        return deliver(conn, {
          type: "booking.upserted",
          data: {
            reservationId: await ext(bookingId),
            version,
            state,
            service: "stay",
            checkIn: formatDate(b.startDate),
            checkOut: formatDate(b.endDate),
            hubBookingId: bookingId,
          },
        });
      };
      const pushRows = await prisma().connectorPush.count({ where: { connectionId: conn.id } });

      await echo(confirmMe, 2, "booked");
      await echo(turnDown, 2, "cancelled");
      await echo(confirmMe, 2, "booked"); // the same decision re-sent
      await deliver(conn, stay("RSV-STRANGER", 1, 50, 1, "booked", { hubBookingId: randomUUID() }));
      const done = await processWebhooks(t.hub, conn.id);
      expect(done).toMatchObject({ webhooks: 4, applied: 2, ignored: 1, conflicts: 1 });
      const confirmed = await prisma().booking.findUniqueOrThrow({
        where: { id: confirmMe },
        include: { events: { orderBy: { seq: "asc" } } },
      });
      expect(confirmed.status).toBe("confirmed");
      expect(confirmed.events.at(-1)).toMatchObject({
        type: "confirmed",
        source: "connector",
        externalRevision: 2,
      });
      expect((await prisma().booking.findUniqueOrThrow({ where: { id: turnDown } })).status).toBe("rejected");
      expect(await prisma().booking.count({ where: { externalRef: "RSV-STRANGER" } })).toBe(0);
      expect(
        await prisma().syncConflict.count({
          where: { connectionId: conn.id, kind: "invalid_change", externalRef: "RSV-STRANGER" },
        }),
      ).toBe(1);

      // Later the facility cancels the confirmed one in its system: cancelled by the facility, free of charge.
      await echo(confirmMe, 3, "cancelled");
      await echo(confirmMe, 1, "booked"); // an old version arriving late
      await processWebhooks(t.hub, conn.id);
      const cancelled = await prisma().booking.findUniqueOrThrow({ where: { id: confirmMe } });
      expect(cancelled).toMatchObject({
        status: "cancelled",
        cancelReason: "facility_caused",
        cancellationFee: 0,
      });

      // None of this goes back to the facility's system.
      await runPushJob(t.hub, { connectionId: conn.id }, fast);
      expect(await prisma().connectorPush.count({ where: { connectionId: conn.id } })).toBe(pushRows);
    });
  });

  describe("the change feed", () => {
    let conn: Conn;
    let facility: TestClient;
    const bookings: string[] = [];
    const feed = (query: string, token?: string) =>
      anon.get(
        `api/connections/${conn.id}/changes${query}`,
        token ? { authorization: `Bearer ${token}` } : {},
      );

    beforeAll(async () => {
      const own = await prisma().user.findUniqueOrThrow({ where: { email: "facility@demo.example.jp" } });
      conn = await prisma()
        .connection.findUniqueOrThrow({ where: { facilityId: own.facilityId as string } })
        .then(async (c) => {
          // A fresh secret, as rotating the credentials would give.
          const secret = newWebhookSecret();
          await prisma().connection.update({
            where: { id: c.id },
            data: { secretSealed: sealSecret(t.hub, secret) },
          });
          return { id: c.id, facilityId: c.facilityId, secret };
        });
      facility = await clientFor(t, "facility@demo.example.jp");
      const residents = await bookableResidents(prisma(), "041009", 3);
      for (const [i, residentId] of residents.entries()) {
        const res = await facility.post("api/bookings", {
          facilityId: conn.facilityId,
          serviceType: "stay",
          startDate: day(70 + i),
          nights: 1,
          residentId,
        });
        expect(res.status, res.text).toBe(201);
        bookings.push(res.json.id);
      }
      const cancelled = await facility.post(`api/bookings/${bookings[0]}/cancel`, { reason: "テスト" });
      expect(cancelled.status, cancelled.text).toBe(200);
      // Changes are listed once nothing can commit behind them (about 20 s on a PostgreSQL server).
      offsetMs += 30_000;
    });

    it("lists our changes of the facility's bookings after a cursor, with the connection's secret only", async () => {
      expectProblem(await feed(""), 401, "invalid_credentials");
      expectProblem(await feed("", newWebhookSecret()), 401, "invalid_credentials");
      expectProblem(
        await anon.get(`api/connections/${randomUUID()}/changes`, { authorization: `Bearer ${conn.secret}` }),
        404,
        "not_found",
      );
      const all = await feed("?limit=500", conn.secret);
      expect(all.status, all.text).toBe(200);
      await expectContract("listConnectionChanges", all);
      const items = all.json.items as { bookingId: string; type: string; cursor: string }[];
      const mine = items.filter((i) => bookings.includes(i.bookingId));
      expect(mine.map((i) => [bookings.indexOf(i.bookingId), i.type])).toEqual([
        [0, "requested"],
        [1, "requested"],
        [2, "requested"],
        [0, "cancelled"],
      ]);
      // What the facility's system itself did (its echoes, its own bookings) is not in it.
      const connectorEvents = await prisma().bookingEvent.findMany({
        where: { booking: { facilityId: conn.facilityId }, source: "connector" },
        select: { id: true },
      });
      expect(connectorEvents.length).toBeGreaterThan(0);
      const listed = new Set(items.map((i) => i.cursor));
      for (const e of connectorEvents) expect(listed.has(e.id.toString())).toBe(false);
      // Other facilities' bookings are not in it either.
      const others = await prisma().bookingEvent.count({
        where: {
          id: { in: items.map((i) => BigInt(i.cursor)) },
          booking: { facilityId: { not: conn.facilityId } },
        },
      });
      expect(others).toBe(0);
    });

    it("pages with a cursor and goes on from what the facility acknowledged", async () => {
      const first = await feed("?limit=2", conn.secret);
      expect(first.json.items).toHaveLength(2);
      expect(first.json.hasMore).toBe(true);
      expect(first.json.ackedCursor).toBeNull();
      const next = await feed(`?limit=2&cursor=${first.json.nextCursor}`, conn.secret);
      expect(BigInt(next.json.items[0].cursor)).toBeGreaterThan(BigInt(first.json.nextCursor));
      const ack = await anon.post(
        `api/connections/${conn.id}/changes/ack`,
        { cursor: next.json.nextCursor },
        { authorization: `Bearer ${conn.secret}` },
      );
      expect(ack.status, ack.text).toBe(200);
      await expectContract("ackConnectionChanges", ack);
      expect(ack.json.ackedCursor).toBe(next.json.nextCursor);
      const after = await feed("?limit=2", conn.secret);
      expect(after.json.ackedCursor).toBe(next.json.nextCursor);
      expect(BigInt(after.json.items[0].cursor)).toBeGreaterThan(BigInt(next.json.nextCursor));
      expectProblem(
        await anon.post(
          `api/connections/${conn.id}/changes/ack`,
          { cursor: "9999999999999" },
          { authorization: `Bearer ${conn.secret}` },
        ),
        422,
        "invalid_cursor",
      );
      expectProblem(
        await anon.post(
          `api/connections/${conn.id}/changes/ack`,
          { cursor: "1" },
          { authorization: "Bearer nope" },
        ),
        401,
        "invalid_credentials",
      );
      // The end of the feed: nothing more, the cursor stays.
      const last = await feed(`?limit=500&cursor=${first.json.nextCursor}`, conn.secret);
      const end = await feed(`?cursor=${last.json.nextCursor}`, conn.secret);
      expect(end.json).toMatchObject({ items: [], hasMore: false, nextCursor: last.json.nextCursor });
    });
  });
});
