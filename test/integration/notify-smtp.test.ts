/**
 * E-mail through a real SMTP server (smtp-server, on this machine) that goes down and comes back: messages
 * queued during the outage are delivered once it is back, none lost and none twice, counted on the server.
 * Also: a permanent refusal is given up at once, parallel dispatchers never send a message twice, a lapsed
 * claim taken over by another dispatcher is skipped by the first, and the outbox job and cadence.
 */
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { dispatchOutbox, enqueueMessage, OUTBOX_CLAIM_MS, OUTBOX_LEASE_MS } from "../../hub/notify/outbox.js";
import type { Message, Transport } from "../../hub/notify/transport.js";
import { SCHEDULES } from "../../jobs/cron.js";
import { startTestHub, type TestHub } from "../support/hub.js";

type Received = { messageId: string; subject: string; to: string[] };

/** A local SMTP server that records what it accepts; it can be stopped and started again on the same port. */
class MailSink {
  received: Received[] = [];
  port = 0;
  private server?: SMTPServer;

  async start() {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS", "AUTH"],
      logger: false,
      onRcptTo: (address, _session, cb) => {
        // A mailbox that does not exist, refused for good.
        if (address.address.startsWith("nobody@")) {
          const err = Object.assign(new Error(`<${address.address}>: Recipient address rejected`), {
            responseCode: 550,
          });
          return cb(err);
        }
        cb();
      },
      onData: (stream, session, cb) => {
        let raw = "";
        stream.setEncoding("utf8");
        stream.on("data", (chunk: string) => {
          raw += chunk;
        });
        stream.on("end", () => {
          const header = (name: string) =>
            new RegExp(`^${name}:\\s*(.*)$`, "im").exec(raw.split(/\r?\n\r?\n/)[0] ?? "")?.[1]?.trim() ?? "";
          this.received.push({
            messageId: header("Message-ID"),
            subject: header("Subject"),
            to: session.envelope.rcptTo.map((r) => r.address),
          });
          cb(null, `Ok: queued as Q${this.received.length}`);
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop() {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  count(subject: string) {
    return this.received.filter((m) => m.subject === subject).length;
  }
}

const mail = (subject: string, to = "taro@example.jp"): Message => ({
  channel: "email",
  to,
  subject,
  text: `本文 ${subject}`,
});

describe("e-mail over SMTP", () => {
  const sink = new MailSink();
  let t: TestHub;
  const later = (ms: number) => new Date(Date.now() + ms);

  async function enqueue(messages: Message[]) {
    await t.hub.prisma.$transaction(async (tx) => {
      for (const m of messages) await enqueueMessage(tx, m);
    });
  }
  async function row(subject: string) {
    const rows = await t.hub.prisma.outboxMessage.findMany({ orderBy: { id: "asc" } });
    const r = rows.find((x) => (x.payload as Message).subject === subject);
    if (!r) throw new Error(`no outbox row for ${subject}`);
    return r;
  }

  beforeAll(async () => {
    await sink.start();
    t = await startTestHub({ env: { SMTP_URL: `smtp://127.0.0.1:${sink.port}` } });
  });
  afterAll(async () => {
    await t?.close();
    await sink.stop();
  });
  beforeEach(async () => {
    // Each test starts with an empty outbox; what earlier tests left behind must not be sent here.
    await t.hub.prisma.outboxMessage.deleteMany();
    sink.received = [];
  });

  it("delivers what was queued during an outage once the server is back: none lost, none twice", async () => {
    const before = ["before-1", "before-2", "before-3"];
    await enqueue(before.map((s) => mail(s)));
    const first = await dispatchOutbox(t.hub.prisma, t.hub.transport);
    expect(first).toMatchObject({ sent: 3, failed: 0 });
    for (const s of before) expect(sink.count(s)).toBe(1);

    // The server goes down; more messages are written.
    await sink.stop();
    const during = ["during-1", "during-2", "during-3", "during-4", "during-5"];
    await enqueue(during.map((s) => mail(s, `${s}@example.jp`)));

    const down = await dispatchOutbox(t.hub.prisma, t.hub.transport);
    // One attempt finds the server down; the rest of the batch waits with it. An outage spends no tries.
    expect(down).toMatchObject({ sent: 0, failed: 1, retrying: 1, gaveUp: 0, deferred: 4 });
    const tried = await row("during-1");
    expect(tried.attempts).toBe(0);
    expect(tried.dispatchedAt).toBeNull();
    expect(tried.failedAt).toBeNull();
    expect(tried.claimedUntil).toBeNull();
    expect(tried.lastError).toMatch(/SMTP/);
    expect(tried.availableAt.getTime()).toBeGreaterThan(Date.now());
    for (const s of during.slice(1)) {
      const r = await row(s);
      expect(r.attempts).toBe(0);
      expect(r.availableAt.getTime()).toBe(tried.availableAt.getTime());
    }
    // Nothing is due before its backoff has passed.
    expect((await dispatchOutbox(t.hub.prisma, t.hub.transport)).claimed).toBe(0);
    // Still down later on: another try, a longer wait, and still no try spent.
    const stillDown = await dispatchOutbox(t.hub.prisma, t.hub.transport, later(2 * 3600_000));
    expect(stillDown).toMatchObject({ sent: 0, failed: 1, deferred: 4 });
    expect((await row("during-1")).attempts).toBe(0);

    const failures = await t.hub.prisma.delivery.findMany({
      where: { status: "failed" },
      orderBy: { id: "asc" },
    });
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatchObject({
      channel: "email",
      toMasked: "du****@example.jp",
      subject: "during-1",
    });
    expect(failures[0]?.error).toMatch(/SMTP/);

    // The server is back on the same address.
    await sink.start();
    const back = await dispatchOutbox(t.hub.prisma, t.hub.transport, later(5 * 3600_000));
    expect(back).toMatchObject({ sent: 5, failed: 0 });
    expect((await dispatchOutbox(t.hub.prisma, t.hub.transport, later(10 * 3600_000))).claimed).toBe(0);

    for (const s of [...before, ...during]) expect(sink.count(s), s).toBe(1);
    expect(sink.received).toHaveLength(8);
    // One Message-ID per outbox row, so a receiving server could even drop a duplicate by itself.
    expect(new Set(sink.received.map((m) => m.messageId)).size).toBe(8);
    expect(sink.received.every((m) => /^<outbox-\d+-\d+@/.test(m.messageId))).toBe(true);
    expect(sink.received.find((m) => m.subject === "during-3")?.to).toEqual(["during-3@example.jp"]);

    const pending = await t.hub.prisma.outboxMessage.count({ where: { dispatchedAt: null } });
    expect(pending).toBe(0);
    const sent = await t.hub.prisma.delivery.findMany({ where: { status: "sent" } });
    expect(sent).toHaveLength(8);
    // The server's queue id is kept as the provider's reference.
    expect(sent.every((d) => /^Q\d+$/.test(d.providerRef ?? ""))).toBe(true);
    // Nothing went to the local mailbox: SMTP is configured.
    expect(await t.hub.prisma.mailboxMessage.count({ where: { channel: "email" } })).toBe(0);
  });

  it("gives up at once on a permanent refusal, and masks the address in the error", async () => {
    await enqueue([mail("refused", "nobody@example.jp"), mail("fine")]);
    const r = await dispatchOutbox(t.hub.prisma, t.hub.transport);
    expect(r).toMatchObject({ sent: 1, failed: 1, gaveUp: 1, retrying: 0, deferred: 0 });
    const refused = await row("refused");
    expect(refused.failedAt).not.toBeNull();
    expect(refused.dispatchedAt).toBeNull();
    expect(refused.attempts).toBe(1);
    expect(refused.lastError).toContain("550");
    expect(refused.lastError).not.toContain("nobody@example.jp");
    const log = await t.hub.prisma.delivery.findFirstOrThrow({ where: { outboxId: refused.id } });
    expect(log).toMatchObject({ status: "failed", toMasked: "no****@example.jp" });
    expect(log.error).toContain("no****@example.jp");
    expect(log.error).not.toContain("nobody@");
    // Never tried again, however much later.
    expect((await dispatchOutbox(t.hub.prisma, t.hub.transport, later(48 * 3600_000))).claimed).toBe(0);
    expect(sink.count("refused")).toBe(0);
    expect(sink.count("fine")).toBe(1);
  });

  it("never sends a message twice with several dispatchers at once", async () => {
    const subjects = Array.from({ length: 40 }, (_, i) => `parallel-${i}`);
    await enqueue(subjects.map((s) => mail(s)));
    const totals = { sent: 0, skipped: 0 };
    // Small batches and four dispatchers, round after round, until nothing is left.
    for (let round = 0; round < 20; round++) {
      const results = await Promise.all(
        Array.from({ length: 4 }, () =>
          dispatchOutbox(t.hub.prisma, t.hub.transport, new Date(), { batch: 3 }),
        ),
      );
      for (const r of results) {
        totals.sent += r.sent;
        totals.skipped += r.skipped;
      }
      if (results.every((r) => r.claimed === 0)) break;
    }
    expect(totals.sent).toBe(40);
    expect(sink.received).toHaveLength(40);
    for (const s of subjects) expect(sink.count(s), s).toBe(1);
    expect(await t.hub.prisma.delivery.count({ where: { status: "sent" } })).toBe(40);
    expect(await t.hub.prisma.outboxMessage.count({ where: { dispatchedAt: null } })).toBe(0);
  });

  it("skips a row whose claim lapsed and was taken over by another dispatcher", async () => {
    await enqueue([mail("slow-1"), mail("slow-2"), mail("slow-3")]);
    // Dispatcher A claims the three rows and hangs on its first send.
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let started!: () => void;
    const hanging = new Promise<void>((r) => {
      started = r;
    });
    const slow: Transport = {
      send: async (m, ctx) => {
        if (m.subject === "slow-1") {
          started();
          await gate;
        }
        return t.hub.transport.send(m, ctx);
      },
    };
    const a = dispatchOutbox(t.hub.prisma, slow, new Date());
    await hanging;
    // Meanwhile A's claim on slow-2 lapses (as if A had been stuck far longer than its lease)...
    const two = await row("slow-2");
    await t.hub.prisma.outboxMessage.update({
      where: { id: two.id },
      data: { claimedUntil: new Date(Date.now() - 1000) },
    });
    // ...and dispatcher B takes it over and sends it.
    const b = await dispatchOutbox(t.hub.prisma, t.hub.transport, new Date());
    expect(b).toMatchObject({ claimed: 1, sent: 1 });
    release();
    // A finds slow-2 no longer its own and leaves it alone.
    expect(await a).toMatchObject({ claimed: 3, sent: 2, skipped: 1 });
    for (const s of ["slow-1", "slow-2", "slow-3"]) expect(sink.count(s), s).toBe(1);
    expect(await t.hub.prisma.delivery.count({ where: { outboxId: two.id } })).toBe(1);
  });

  it("sends within seconds what a dispatcher that died had claimed, without spending a try on it", async () => {
    await enqueue([mail("dead-1"), mail("dead-2"), mail("dead-3")]);
    // Dispatcher A claims the three rows, starts sending the first and dies there (it never comes back).
    let started!: () => void;
    const sending = new Promise<void>((r) => {
      started = r;
    });
    const dying: Transport = {
      send: () => {
        started();
        return new Promise(() => {});
      },
    };
    void dispatchOutbox(t.hub.prisma, dying, new Date());
    await sending;
    expect((await row("dead-1")).attempts).toBe(1);
    expect((await row("dead-2")).attempts).toBe(0);
    // Before the batch's claim lapses, nobody else takes the rows.
    expect((await dispatchOutbox(t.hub.prisma, t.hub.transport, later(5_000))).claimed).toBe(0);
    // Once it has (OUTBOX_CLAIM_MS, not the send's lease), the two rows A never started are sent, with one try each.
    const b = await dispatchOutbox(t.hub.prisma, t.hub.transport, later(OUTBOX_CLAIM_MS + 1_000));
    expect(b).toMatchObject({ claimed: 2, sent: 2 });
    for (const s of ["dead-2", "dead-3"]) {
      expect(sink.count(s), s).toBe(1);
      expect((await row(s)).attempts).toBe(1);
    }
    // The one A was sending may have gone out: it is sent again only after the send's lease, as a second try.
    const c = await dispatchOutbox(t.hub.prisma, t.hub.transport, later(OUTBOX_LEASE_MS + 1_000));
    expect(c).toMatchObject({ claimed: 1, sent: 1 });
    expect((await row("dead-1")).attempts).toBe(2);
  });

  it("does not send a sign-in code past its validity", async () => {
    const past = new Date(Date.now() - 60_000).toISOString();
    await enqueue([{ ...mail("late-code"), expiresAt: past }, mail("on-time")]);
    const r = await dispatchOutbox(t.hub.prisma, t.hub.transport);
    expect(r).toMatchObject({ claimed: 2, sent: 1, gaveUp: 1 });
    expect(sink.count("late-code")).toBe(0);
    expect(sink.count("on-time")).toBe(1);
    const late = await row("late-code");
    expect(late.failedAt).not.toBeNull();
    expect(late.attempts).toBe(0);
    expect(late.lastError).toBe("expired before it could be sent");
  });

  it("sends SMS to the local mailbox when no SMS provider is configured", async () => {
    await enqueue([{ channel: "sms", to: "090-5550-1234", text: "SMS本文" }]);
    expect(await dispatchOutbox(t.hub.prisma, t.hub.transport)).toMatchObject({ sent: 1 });
    const box = await t.hub.prisma.mailboxMessage.findFirstOrThrow({ where: { to: "090-5550-1234" } });
    expect(box).toMatchObject({ channel: "sms", body: "SMS本文" });
    const log = await t.hub.prisma.delivery.findFirstOrThrow({ where: { channel: "sms" } });
    expect(log).toMatchObject({ status: "sent", toMasked: "090-****-1234", subject: "" });
    expect(log.providerRef).toBe(`mailbox:${box.id}`);
    expect(sink.received).toHaveLength(0);
  });
});

describe("the outbox job", () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ workers: true });
  });
  afterAll(() => t?.close());

  it("is scheduled every few seconds, so a message goes out within seconds", () => {
    const s = SCHEDULES.find((x) => x.name === "outbox.dispatch");
    expect(s?.cron).toBe("*/5 * * * * *");
    // A send ends well within a claim, so a claim never lapses while its message is being sent.
    expect(OUTBOX_LEASE_MS).toBeGreaterThanOrEqual(60_000);
  });

  it("sends what is due when the job runs, on either queue", async () => {
    await t.hub.prisma.$transaction((tx) =>
      enqueueMessage(tx, { channel: "email", to: "job@example.jp", subject: "job", text: "x" }),
    );
    await t.hub.queue.add("outbox.dispatch", {});
    let row = await t.hub.prisma.outboxMessage.findFirstOrThrow();
    // The worker runs on its own: wait for it (bounded), asserting only the outcome.
    for (let i = 0; i < 200 && !row.dispatchedAt; i++) {
      await new Promise((r) => setTimeout(r, 50));
      row = await t.hub.prisma.outboxMessage.findFirstOrThrow();
    }
    expect(row.dispatchedAt).not.toBeNull();
    expect(await t.hub.prisma.mailboxMessage.count({ where: { to: "job@example.jp" } })).toBe(1);
  });
});
