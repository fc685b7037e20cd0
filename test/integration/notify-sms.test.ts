/**
 * SMS through the generic HTTP provider (SMS_API_URL, SMS_API_TOKEN), with the provider played by nock:
 * success keeps the provider's id, 4xx is given up at once, 5xx is retried with backoff until it goes through
 * or the attempts run out. E-mail still goes to the local mailbox (no SMTP_URL). /metrics counts it all.
 */
import nock from "nock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { dispatchOutbox, enqueueMessage, OUTBOX_MAX_AGE_MS } from "../../hub/notify/outbox.js";
import type { Message } from "../../hub/notify/transport.js";
import { TestClient } from "../support/client.js";
import { startTestHub, type TestHub } from "../support/hub.js";

const API = "https://sms-provider.example.test";
const PATH = "/v1/messages";
const TOKEN = "sms-secret-token";

const sms = (to: string, text: string): Message => ({ channel: "sms", to, text });

/** A counter's value in the /metrics text (0 when absent). */
function counter(metrics: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of metrics.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const inside = line.slice(name.length + 1, line.indexOf("}"));
    const have = inside.split(",");
    if (want.every((w) => have.includes(w)) && have.length === want.length)
      return Number(line.split(" ").pop());
  }
  return 0;
}

describe("SMS through the HTTP provider", () => {
  let t: TestHub;
  const later = (ms: number) => new Date(Date.now() + ms);

  async function enqueue(messages: Message[]) {
    await t.hub.prisma.$transaction(async (tx) => {
      for (const m of messages) await enqueueMessage(tx, m);
    });
  }
  async function rowFor(to: string) {
    const rows = await t.hub.prisma.outboxMessage.findMany({ orderBy: { id: "asc" } });
    const r = rows.find((x) => (x.payload as Message).to === to);
    if (!r) throw new Error(`no outbox row for ${to}`);
    return r;
  }
  const metrics = async () => (await new TestClient(t.url).get("metrics")).text;

  beforeAll(async () => {
    t = await startTestHub({ env: { SMS_API_URL: `${API}${PATH}`, SMS_API_TOKEN: TOKEN } });
    // Only the provider is played by nock; the hub, PostgreSQL and Redis on this machine are reached as usual.
    nock.disableNetConnect();
    nock.enableNetConnect((host) => host.startsWith("127.0.0.1") || host.startsWith("localhost"));
  });
  afterAll(async () => {
    nock.cleanAll();
    nock.enableNetConnect();
    await t?.close();
  });
  beforeEach(async () => {
    await t.hub.prisma.outboxMessage.deleteMany();
  });
  afterEach(() => {
    expect(nock.pendingMocks()).toEqual([]);
    nock.cleanAll();
  });

  it("sends an SMS, keeps the provider's id, and counts it on /metrics", async () => {
    const before = await metrics();
    const provider = nock(API, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
      .post(PATH, { to: "090-1234-5678", text: "予約が確定しました" })
      .reply(200, { id: "prov-123" });
    await enqueue([sms("090-1234-5678", "予約が確定しました")]);
    expect(await dispatchOutbox(t.hub.prisma, t.hub.transport)).toMatchObject({ sent: 1, failed: 0 });
    provider.done();

    const row = await rowFor("090-1234-5678");
    expect(row.dispatchedAt).not.toBeNull();
    const log = await t.hub.prisma.delivery.findFirstOrThrow({ where: { outboxId: row.id } });
    expect(log).toMatchObject({
      channel: "sms",
      status: "sent",
      providerRef: "prov-123",
      toMasked: "090-****-5678",
      subject: "",
      error: null,
    });
    // Nothing in the local mailbox: the provider has it.
    expect(await t.hub.prisma.mailboxMessage.count({ where: { to: "090-1234-5678" } })).toBe(0);
    const after = await metrics();
    expect(counter(after, "notify_messages_sent_total", { channel: "sms" })).toBe(
      counter(before, "notify_messages_sent_total", { channel: "sms" }) + 1,
    );
  });

  it("gives up at once when the provider refuses the message (4xx)", async () => {
    const before = await metrics();
    nock(API).post(PATH).reply(422, { error: "invalid number 080-0000-1111" });
    await enqueue([sms("080-0000-1111", "x")]);
    expect(await dispatchOutbox(t.hub.prisma, t.hub.transport)).toMatchObject({ failed: 1, gaveUp: 1 });
    const row = await rowFor("080-0000-1111");
    expect(row.failedAt).not.toBeNull();
    expect(row.attempts).toBe(1);
    const log = await t.hub.prisma.delivery.findFirstOrThrow({ where: { outboxId: row.id } });
    expect(log.status).toBe("failed");
    expect(log.error).toContain("HTTP 422");
    expect(log.error).not.toContain("0000-1111");
    // Not tried again: nock would fail the test on an unexpected request.
    expect((await dispatchOutbox(t.hub.prisma, t.hub.transport, later(48 * 3600_000))).claimed).toBe(0);
    expect(
      counter(await metrics(), "notify_messages_failed_total", { channel: "sms", reason: "permanent" }),
    ).toBe(counter(before, "notify_messages_failed_total", { channel: "sms", reason: "permanent" }) + 1);
  });

  it("retries a 5xx after a backoff, and sends once the provider recovers", async () => {
    const before = await metrics();
    nock(API).post(PATH).reply(503, { message: "maintenance" });
    await enqueue([sms("070-5550-2222", "retry me")]);
    expect(await dispatchOutbox(t.hub.prisma, t.hub.transport)).toMatchObject({ failed: 1, retrying: 1 });
    const failed = await rowFor("070-5550-2222");
    // A 5xx is the provider being down: the try is given back (an outage uses up no tries).
    expect(failed).toMatchObject({ attempts: 0, dispatchedAt: null, failedAt: null });
    expect(failed.lastError).toContain("HTTP 503");
    // Backoff after the first failure: between 15 and 30 s from the attempt.
    const attempt = await t.hub.prisma.delivery.findFirstOrThrow({ where: { outboxId: failed.id } });
    const wait = failed.availableAt.getTime() - attempt.attemptedAt.getTime();
    expect(wait).toBeGreaterThanOrEqual(15_000);
    expect(wait).toBeLessThanOrEqual(30_000);
    // Not due yet: no request (nock would fail on one).
    expect((await dispatchOutbox(t.hub.prisma, t.hub.transport)).claimed).toBe(0);

    nock(API)
      .post(PATH, { to: "070-5550-2222", text: "retry me" })
      .matchHeader("idempotency-key", `outbox-${failed.id}-${failed.createdAt.getTime()}`)
      .reply(201, { messageId: "prov-456" });
    expect(await dispatchOutbox(t.hub.prisma, t.hub.transport, later(60_000))).toMatchObject({ sent: 1 });
    const done = await rowFor("070-5550-2222");
    expect(done.dispatchedAt).not.toBeNull();
    expect(done.attempts).toBe(1);
    const logs = await t.hub.prisma.delivery.findMany({
      where: { outboxId: done.id },
      orderBy: { id: "asc" },
    });
    expect(logs.map((l) => [l.status, l.providerRef])).toEqual([
      ["failed", null],
      ["sent", "prov-456"],
    ]);
    const after = await metrics();
    expect(counter(after, "notify_messages_retried_total", { channel: "sms" })).toBe(
      counter(before, "notify_messages_retried_total", { channel: "sms" }) + 1,
    );
  });

  it("keeps a message through a long provider outage without spending its tries, and gives it up after 3 days", async () => {
    const before = await metrics();
    nock(API).post(PATH).times(4).reply(500, "oops");
    await enqueue([sms("090-5550-3333", "never")]);
    let at = Date.now();
    // Down for more tries than maxAttempts allows: none of them is spent.
    for (let i = 0; i < 3; i++) {
      const r = await dispatchOutbox(t.hub.prisma, t.hub.transport, new Date(at), { maxAttempts: 2 });
      expect(r).toMatchObject({ failed: 1, retrying: 1, gaveUp: 0 });
      at += 2 * 3600_000;
    }
    const waiting = await rowFor("090-5550-3333");
    expect(waiting).toMatchObject({ attempts: 0, failedAt: null, dispatchedAt: null });
    // Still down three days after it was written: given up.
    at = waiting.createdAt.getTime() + OUTBOX_MAX_AGE_MS + 60_000;
    expect(
      await dispatchOutbox(t.hub.prisma, t.hub.transport, new Date(at), { maxAttempts: 2 }),
    ).toMatchObject({
      failed: 1,
      gaveUp: 1,
    });
    const row = await rowFor("090-5550-3333");
    expect(row.failedAt).not.toBeNull();
    expect(await t.hub.prisma.delivery.count({ where: { outboxId: row.id, status: "failed" } })).toBe(4);
    expect((await dispatchOutbox(t.hub.prisma, t.hub.transport, new Date(at + 86_400_000))).claimed).toBe(0);
    expect(
      counter(await metrics(), "notify_messages_failed_total", { channel: "sms", reason: "too_old" }),
    ).toBe(counter(before, "notify_messages_failed_total", { channel: "sms", reason: "too_old" }) + 1);
  });

  it("keeps SMS waiting while the provider is down without holding up e-mail", async () => {
    nock(API).post(PATH).reply(502);
    await enqueue([
      sms("090-5550-4444", "a"),
      { channel: "email", to: "hanako@example.jp", subject: "mail", text: "body" },
      sms("090-5550-5555", "b"),
    ]);
    const r = await dispatchOutbox(t.hub.prisma, t.hub.transport);
    expect(r).toMatchObject({ sent: 1, failed: 1, deferred: 1 });
    // E-mail has no SMTP server configured here: it went to the local mailbox.
    expect(await t.hub.prisma.mailboxMessage.count({ where: { to: "hanako@example.jp" } })).toBe(1);
    const waiting = await rowFor("090-5550-5555");
    expect(waiting.attempts).toBe(0);
    expect(waiting.availableAt.getTime()).toBe((await rowFor("090-5550-4444")).availableAt.getTime());
    nock(API).post(PATH).times(2).reply(200, { id: "ok" });
    expect(await dispatchOutbox(t.hub.prisma, t.hub.transport, later(3600_000))).toMatchObject({ sent: 2 });
  });
});
