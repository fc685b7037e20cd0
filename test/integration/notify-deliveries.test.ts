/**
 * The delivery log (GET /api/deliveries): every attempt, destination masked, no body; a facility sees the
 * messages about its bookings, a municipality those about its residents, the prefecture all, nobody else any;
 * filters by status, channel and time; paging; the contract; audited reads.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeliveryError } from "../../hub/notify/errors.js";
import { dispatchOutbox, enqueueMessage } from "../../hub/notify/outbox.js";
import type { Message, Transport } from "../../hub/notify/transport.js";
import { expectContract, expectProblem } from "../support/contract.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { bookableResidents } from "../support/residents.js";
import { clientFor, DEMO_USERS } from "../support/sessions.js";

const SENDAI = "041009";
const NATORI = "042072";
const DAY = 86_400_000;

describe("the delivery log", () => {
  let t: TestHub;
  let f1: string;
  let f2: string;
  let sendaiResident: string;
  let natoriResident: string;
  const early = new Date(Date.now() + DAY);
  const late = new Date(Date.now() + 3 * DAY);

  const subjects = (res: { json: { items: { subject: string }[] } }) =>
    res.json.items.map((i) => i.subject).sort();

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 20 });
    const p = t.hub.prisma;
    const user = (email: string) => p.user.findUniqueOrThrow({ where: { email } });
    f1 = (await user(DEMO_USERS.facility.own)).facilityId as string;
    f2 = (await user(DEMO_USERS.facility.other as string)).facilityId as string;
    sendaiResident = (await user(DEMO_USERS.resident.own)).residentId as string;
    [natoriResident] = (await bookableResidents(p, NATORI, 1)) as [string];

    const first: Message[] = [
      {
        channel: "email",
        to: "sendai.mother@example.jp",
        subject: "sendai-at-f1",
        text: "本文: 予約が確定しました",
        about: { residentId: sendaiResident, facilityId: f1, municipalityCode: SENDAI },
      },
      {
        channel: "email",
        to: "info@f1.example.jp",
        subject: "f1-only",
        text: "本文",
        about: { facilityId: f1 },
      },
      // The municipality is found from the resident when the message does not say it.
      { channel: "sms", to: "090-5550-7777", text: "本文 SMS", about: { residentId: natoriResident } },
      // Refused: shows up as failed.
      {
        channel: "email",
        to: "bounce@example.jp",
        subject: "sendai-refused",
        text: "本文",
        about: { residentId: sendaiResident, municipalityCode: SENDAI },
      },
    ];
    const second: Message[] = [
      {
        channel: "email",
        to: "natori.mother@example.jp",
        subject: "natori-at-f2",
        text: "本文",
        about: { residentId: natoriResident, facilityId: f2, municipalityCode: NATORI },
        language: "en",
      },
      { channel: "email", to: "someone@example.jp", subject: "about-nobody", text: "本文" },
      // Malformed ids are dropped rather than trusted (or crashing the insert).
      {
        channel: "email",
        to: "odd@example.jp",
        subject: "malformed-about",
        text: "本文",
        about: { residentId: "not-a-uuid", facilityId: "x", municipalityCode: "41009" },
      },
    ];
    const bouncing: Transport = {
      send: (m, ctx) => {
        if (m.to.startsWith("bounce@")) {
          return Promise.reject(
            new DeliveryError("SMTP 550: <bounce@example.jp> no such user", { permanent: true }),
          );
        }
        return t.hub.transport.send(m, ctx);
      },
    };
    await p.$transaction(async (tx) => {
      for (const m of first) await enqueueMessage(tx, m);
    });
    expect(await dispatchOutbox(p, bouncing, early)).toMatchObject({ sent: 3, gaveUp: 1 });
    await p.$transaction(async (tx) => {
      for (const m of second) await enqueueMessage(tx, m);
    });
    expect(await dispatchOutbox(p, bouncing, late)).toMatchObject({ sent: 3 });
  }, 180_000);
  afterAll(() => t?.close());

  it("shows the prefecture every attempt, masked, without bodies, newest first", async () => {
    const c = await clientFor(t, DEMO_USERS.prefecture.own);
    const res = await c.get("api/deliveries");
    expect(res.status, res.text).toBe(200);
    await expectContract("listDeliveries", res);
    expect(res.json.total).toBe(7);
    expect(subjects(res)).toEqual(
      [
        "sendai-at-f1",
        "f1-only",
        "",
        "sendai-refused",
        "natori-at-f2",
        "about-nobody",
        "malformed-about",
      ].sort(),
    );
    // Newest first.
    const times = res.json.items.map((i: { attemptedAt: string }) => i.attemptedAt);
    expect([...times].sort().reverse()).toEqual(times);
    // Never a full destination, never a body.
    for (const secret of ["sendai.mother@", "natori.mother@", "bounce@", "5550-7777", "本文", "info@f1"]) {
      expect(res.text).not.toContain(secret);
    }
    const byTo = Object.fromEntries(res.json.items.map((i: { to: string }) => [i.to, i]));
    expect(byTo["se****@example.jp"]).toMatchObject({
      channel: "email",
      status: "sent",
      messageStatus: "sent",
      residentId: sendaiResident,
      facilityId: f1,
      municipalityCode: SENDAI,
      attempts: 1,
      nextAttemptAt: null,
    });
    expect(byTo["090-****-7777"]).toMatchObject({ channel: "sms", subject: "", municipalityCode: NATORI });
    expect(byTo["bo****@example.jp"]).toMatchObject({ status: "failed", messageStatus: "failed" });
    expect(byTo["bo****@example.jp"].error).toContain("bo****@example.jp");
    expect(byTo["od****@example.jp"]).toMatchObject({
      residentId: null,
      facilityId: null,
      municipalityCode: null,
    });
  });

  it("shows a facility only the messages about it, without resident details", async () => {
    const own = await clientFor(t, DEMO_USERS.facility.own);
    const res = await own.get("api/deliveries");
    expect(res.status, res.text).toBe(200);
    await expectContract("listDeliveries", res);
    expect(subjects(res)).toEqual(["f1-only", "sendai-at-f1"]);
    for (const i of res.json.items) {
      expect(i.facilityId).toBe(f1);
      expect(i.residentId).toBeNull();
      expect(i.municipalityCode).toBeNull();
    }
    const other = await clientFor(t, DEMO_USERS.facility.other as string);
    expect(subjects(await other.get("api/deliveries"))).toEqual(["natori-at-f2"]);
  });

  it("shows a municipality the messages about its residents, and nothing of another's", async () => {
    const sendai = await clientFor(t, DEMO_USERS.municipality.own);
    const res = await sendai.get("api/deliveries");
    expect(res.status, res.text).toBe(200);
    expect(subjects(res)).toEqual(["sendai-at-f1", "sendai-refused"]);
    const natori = await clientFor(t, DEMO_USERS.municipality.other as string);
    const n = await natori.get("api/deliveries");
    expect(subjects(n)).toEqual(["", "natori-at-f2"]);
    // Asking for another municipality's resident finds nothing.
    expect((await sendai.get(`api/deliveries?residentId=${natoriResident}`)).json.total).toBe(0);
    expect((await natori.get(`api/deliveries?residentId=${natoriResident}`)).json.total).toBe(2);
  });

  it("refuses roles that have no business reading it", async () => {
    for (const email of [DEMO_USERS.operator.own, DEMO_USERS.association.own, DEMO_USERS.resident.own]) {
      const c = await clientFor(t, email);
      expectProblem(await c.get("api/deliveries"), 403, "forbidden");
    }
  });

  it("filters by status, channel and time, and pages", async () => {
    const c = await clientFor(t, DEMO_USERS.prefecture.own);
    const failed = await c.get("api/deliveries?status=failed");
    expect(subjects(failed)).toEqual(["sendai-refused"]);
    const smsOnly = await c.get("api/deliveries?channel=sms");
    expect(smsOnly.json.items.map((i: { to: string }) => i.to)).toEqual(["090-****-7777"]);
    const between = new Date(early.getTime() + DAY).toISOString();
    const firstRound = await c.get(`api/deliveries?to=${encodeURIComponent(between)}`);
    expect(firstRound.json.total).toBe(4);
    const secondRound = await c.get(`api/deliveries?from=${encodeURIComponent(between)}`);
    expect(subjects(secondRound)).toEqual(["about-nobody", "malformed-about", "natori-at-f2"]);
    const sentEmail = await c.get("api/deliveries?status=sent&channel=email");
    expect(sentEmail.json.total).toBe(5);

    const page1 = await c.get("api/deliveries?limit=3&offset=0");
    const page3 = await c.get("api/deliveries?limit=3&offset=6");
    expect(page1.json).toMatchObject({ total: 7 });
    expect(page1.json.items).toHaveLength(3);
    expect(page3.json.items).toHaveLength(1);
    const all = await c.get("api/deliveries?limit=200");
    expect(all.json.items.slice(0, 3).map((i: { id: string }) => i.id)).toEqual(
      page1.json.items.map((i: { id: string }) => i.id),
    );
  });

  it("answers bad filters with problem JSON", async () => {
    const c = await clientFor(t, DEMO_USERS.prefecture.own);
    const from = new Date(late.getTime()).toISOString();
    const to = new Date(early.getTime()).toISOString();
    expectProblem(
      await c.get(`api/deliveries?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`),
      422,
      "invalid_range",
    );
    expectProblem(await c.get("api/deliveries?status=lost"), 400, "validation_failed");
    expectProblem(await c.get("api/deliveries?channel=fax"), 400, "validation_failed");
    expectProblem(await c.get("api/deliveries?from=yesterday"), 400, "validation_failed");
    expectProblem(await c.get("api/deliveries?limit=0"), 400, "validation_failed");
    expectProblem(await c.get("api/deliveries?residentId=123"), 400, "validation_failed");
  });

  it("records staff reads in the audit log", async () => {
    const c = await clientFor(t, DEMO_USERS.municipality.own);
    await c.get("api/deliveries?status=sent");
    const entry = await t.hub.prisma.auditLog.findFirst({
      where: { action: "listDeliveries", tenant: `municipality:${SENDAI}` },
    });
    expect(entry).not.toBeNull();
  });
});
