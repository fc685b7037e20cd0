/**
 * Issue 12, part 1: identities match exactly. Every identity look-up (resident code request and sign-in,
 * staff sign-in, the "contact already in use" check) compares one normalised form with `=`, so `_`, `%` and
 * `\` are ordinary characters, case and width do not matter, and a Unicode look-alike never matches. A code
 * goes only to the contact the municipality registered. The database holds every stored address to that form.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_PASSWORD, SENDAI_CODE } from "../../fixtures/demo-data.js";
import { dispatchOutbox } from "../../hub/notify/outbox.js";
import { TestClient } from "../support/client.js";
import { tokyoDay } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { clientFor } from "../support/sessions.js";

const VICTIM = "resident0042@example.jp";
/** Typed addresses that ILIKE would have taken for the victim's, and one Unicode look-alike (Cyrillic е). */
const LOOK_ALIKES = [
  "residen_0042@example.jp",
  "resident004_@example.jp",
  "resident%@example.jp",
  "%@example.jp",
  "resident004\\2@example.jp",
  "_esident0042@example.jp",
];
const CYRILLIC = "r\u0435sident0042@example.jp";

const codeIn = (body: string | undefined) => /(?<![0-9])([0-9]{6})(?![0-9])/.exec(body ?? "")?.[1] ?? "";

describe("identities match exactly", () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 50 });
  });
  afterAll(() => t?.close());

  const request = (destination: string) =>
    new TestClient(t.url).post("api/auth/resident/code", { destination });
  const resetLimits = async () => {
    await t.hub.limits.codeRequestPerAddress.delete("127.0.0.1");
    await t.hub.limits.signInPerAddress.delete("127.0.0.1");
  };

  it("the attack from the issue: a code asked for residen_0042@… goes nowhere and signs in nobody", async () => {
    const outbox = await t.hub.prisma.outboxMessage.count();
    const users = await t.hub.prisma.user.count();
    const res = await request("residen_0042@example.jp");
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ expiresInSeconds: 600 });
    expect(await t.hub.prisma.outboxMessage.count()).toBe(outbox);
    expect(await t.hub.prisma.user.count()).toBe(users);
    await dispatchOutbox(t.hub.prisma, t.hub.transport);
    expect(await t.hub.prisma.mailboxMessage.count({ where: { to: "residen_0042@example.jp" } })).toBe(0);
    for (const code of ["000000", "123456"]) {
      const verify = await new TestClient(t.url).post("api/auth/resident/verify", {
        destination: "residen_0042@example.jp",
        code,
      });
      expect(verify.status).toBe(401);
      expect(verify.json.code).toBe("invalid_code");
    }
    await resetLimits();
  });

  it("resident code request: no look-alike reaches the victim, the answer is the same as for anyone unknown", async () => {
    const victim = await t.hub.prisma.resident.findUniqueOrThrow({ where: { email: VICTIM } });
    const unknown = await request("nobody-at-all@example.jp");
    for (const typed of LOOK_ALIKES) {
      const before = await t.hub.prisma.outboxMessage.count();
      const res = await request(typed);
      expect(res.status, typed).toBe(unknown.status);
      expect(res.json, typed).toEqual(unknown.json);
      expect(await t.hub.prisma.outboxMessage.count(), typed).toBe(before);
    }
    // A Cyrillic "е" is not folded into a Latin "e": it is not an address the hub can use.
    const cyrillic = await request(CYRILLIC);
    expect(cyrillic.status).toBe(400);
    expect(await t.hub.prisma.user.count({ where: { residentId: victim.id } })).toBe(0);
    await resetLimits();
  });

  it("mixed case and full width find the resident, and the code goes to the registered address", async () => {
    for (const typed of ["Resident0042@Example.JP", "ｒｅｓｉｄｅｎｔ００４２＠ｅｘａｍｐｌｅ．ｊｐ"]) {
      expect((await request(typed)).status).toBe(202);
      const outbox = await t.hub.prisma.outboxMessage.findFirstOrThrow({ orderBy: { id: "desc" } });
      expect((outbox.payload as { to: string }).to, typed).toBe(VICTIM);
    }
    await dispatchOutbox(t.hub.prisma, t.hub.transport);
    const mail = await t.hub.prisma.mailboxMessage.findFirstOrThrow({
      where: { to: VICTIM },
      orderBy: { id: "desc" },
    });
    const c = new TestClient(t.url);
    const res = await c.post("api/auth/resident/verify", {
      destination: "RESIDENT0042@example.jp",
      code: codeIn(mail.body),
    });
    expect(res.status).toBe(200);
    expect(res.json.role).toBe("resident");
    await resetLimits();
  });

  it("a code goes to the municipality's registered address, not to the resident account's own e-mail", async () => {
    // An account whose own e-mail differs from the registered contact (e.g. the contact was corrected since).
    const resident = await t.hub.prisma.resident.findUniqueOrThrow({
      where: { email: "resident0043@example.jp" },
    });
    await t.hub.prisma.user.create({
      data: { role: "resident", residentId: resident.id, email: "old-address@example.jp", displayName: "x" },
    });
    const before = await t.hub.prisma.outboxMessage.count();
    expect((await request("old-address@example.jp")).status).toBe(202);
    expect(await t.hub.prisma.outboxMessage.count()).toBe(before);
    await resetLimits();
  });

  it("staff sign-in: look-alikes of an account are unknown addresses (the same 401), mixed case signs in", async () => {
    const typed = ["senda_@demo.example.jp", "_endai@demo.example.jp", "%@demo.example.jp"];
    const unknown = await new TestClient(t.url).post("api/auth/sign-in", {
      email: "nobody@demo.example.jp",
      password: DEMO_PASSWORD,
    });
    expect(unknown.status).toBe(401);
    for (const email of typed) {
      const res = await new TestClient(t.url).post("api/auth/sign-in", { email, password: DEMO_PASSWORD });
      expect(res.status, email).toBe(401);
      expect(res.json, email).toEqual(unknown.json);
      expect(res.headers.getSetCookie(), email).toEqual([]);
    }
    // A Cyrillic "е" and a backslash are refused as addresses (400 or the same 401): they sign in nobody.
    for (const email of ["s\u0435ndai@demo.example.jp", "senda\\i@demo.example.jp"]) {
      const res = await new TestClient(t.url).post("api/auth/sign-in", { email, password: DEMO_PASSWORD });
      expect([400, 401], email).toContain(res.status);
      expect(res.headers.getSetCookie(), email).toEqual([]);
    }
    const mixed = await new TestClient(t.url).post("api/auth/sign-in", {
      email: "Sendai@Demo.Example.JP",
      password: DEMO_PASSWORD,
    });
    expect(mixed.status).toBe(200);
    expect(mixed.json.email).toBe("sendai@demo.example.jp");
    await resetLimits();
  });

  it("contact in use: only the same normalised address conflicts, never a pattern match", async () => {
    const sendai = await clientFor(t, "sendai@demo.example.jp");
    const newResident = (email: string, externalId: string) => ({
      familyName: "青葉",
      givenName: "花子",
      kana: "アオバ ハナコ",
      birthDate: "1994-05-12",
      postalCode: "980-0811",
      address: "仙台市青葉区一番町1-1-1",
      email,
      phone: null,
      preferredLanguage: "ja",
      incomeTier: "general",
      consent: true,
      externalId,
      children: [{ name: "青葉 一郎", birthDate: tokyoDay(-30), multipleBirth: 1 }],
    });
    const distinct = await sendai.post("api/residents", newResident("residen_0042@example.jp", "M-1"));
    expect(distinct.status).toBe(201);
    expect(distinct.json.email).toBe("residen_0042@example.jp");
    const percent = await sendai.post("api/residents", newResident("resident%@example.jp", "M-2"));
    expect(percent.status).toBe(201);
    const same = await sendai.post("api/residents", newResident("RESIDENT0042@example.jp", "M-3"));
    expect(same.status).toBe(409);
    expect(same.json.code).toBe("contact_in_use");
    // The look-alike's own code goes to its own registered address, and to nobody else.
    expect((await request("residen_0042@example.jp")).status).toBe(202);
    const outbox = await t.hub.prisma.outboxMessage.findFirstOrThrow({ orderBy: { id: "desc" } });
    expect((outbox.payload as { to: string }).to).toBe("residen_0042@example.jp");
    await resetLimits();
  });

  it("the database holds addresses to the normal form and one resident per address", async () => {
    const p = t.hub.prisma;
    await expect(
      p.resident.create({
        data: { municipalityCode: SENDAI_CODE, familyName: "a", givenName: "b", email: "Mixed@Example.jp" },
      }),
    ).rejects.toThrow(/resident_email_normalised/);
    await expect(
      p.resident.create({
        data: { municipalityCode: SENDAI_CODE, familyName: "a", givenName: "b", email: " spaced@example.jp" },
      }),
    ).rejects.toThrow(/resident_email_normalised/);
    await expect(
      p.user.create({ data: { role: "facility", email: "Sendai@demo.example.jp", displayName: "x" } }),
    ).rejects.toThrow(/app_user_email_normalised/);
    await expect(
      p.user.create({ data: { role: "facility", email: "s\u0435ndai@demo.example.jp", displayName: "x" } }),
    ).rejects.toThrow(/app_user_email_normalised/);
    await expect(
      p.resident.create({
        data: { municipalityCode: SENDAI_CODE, familyName: "a", givenName: "b", email: VICTIM },
      }),
    ).rejects.toThrow(/Unique constraint|email/);
  });
});
