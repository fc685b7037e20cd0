import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NATORI_CODE, SENDAI_CODE } from "../../fixtures/demo-data.js";
import { dispatchOutbox } from "../../hub/notify/outbox.js";
import { TestClient } from "../support/client.js";
import { expectContract, expectProblem } from "../support/contract.js";
import { tokyoDay } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { clientFor } from "../support/sessions.js";

const daysAgo = (n: number) => tokyoDay(-n);

const newResident = (overrides: Record<string, unknown> = {}) => ({
  familyName: "青葉",
  givenName: "花子",
  kana: "アオバ ハナコ",
  birthDate: "1994-05-12",
  postalCode: "980-0811",
  address: "仙台市青葉区一番町1-1-1",
  email: "Aoba.Hanako@Example.JP",
  phone: "０９０ー５５５５ー０１２３",
  preferredLanguage: "ja",
  incomeTier: "general",
  consent: true,
  externalId: "S-900001",
  children: [{ name: "青葉 一郎", birthDate: daysAgo(30), dueDate: daysAgo(40), multipleBirth: 1 }],
  ...overrides,
});

describe("residents: registered and edited by municipality staff, contact corrected by the resident", () => {
  let t: TestHub;
  let sendai: TestClient;
  let natori: TestClient;
  let resident: TestClient;
  let createdId: string;

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 20 });
    sendai = await clientFor(t, "sendai@demo.example.jp");
    natori = await clientFor(t, "natori@demo.example.jp");
    resident = await clientFor(t, "resident@demo.example.jp");
  }, 120_000);
  afterAll(() => t?.close());

  it("registers a resident in the caller's municipality, found in the list and by id", async () => {
    const res = await sendai.post("api/residents", newResident());
    expect(res.status, res.text).toBe(201);
    await expectContract("createResident", res);
    createdId = res.json.id;
    expect(res.json).toMatchObject({
      municipalityCode: SENDAI_CODE,
      email: "aoba.hanako@example.jp",
      phone: "09055550123",
      incomeTier: "general",
      externalId: "S-900001",
    });
    expect(res.json.consentAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(res.json.children).toHaveLength(1);

    const list = await sendai.get("api/residents?q=青葉&limit=200");
    expect(list.status).toBe(200);
    await expectContract("listResidents", list);
    expect(list.json.items.map((r: { id: string }) => r.id)).toContain(createdId);
    const one = await sendai.get(`api/residents/${createdId}`);
    expect(one.status).toBe(200);
    await expectContract("getResident", one);
    expect(one.json.externalId).toBe("S-900001");
    // The write is audited like every staff write.
    expect(await t.hub.prisma.auditLog.count({ where: { action: "createResident" } })).toBe(1);
  });

  it("refuses future birth dates, far-off due dates and taken 宛名番号 or contacts", async () => {
    const future = await sendai.post(
      "api/residents",
      newResident({ externalId: null, email: null, phone: null, birthDate: daysAgo(-3) }),
    );
    expectProblem(future, 400, "validation_failed");
    const due = await sendai.post(
      "api/residents",
      newResident({
        externalId: null,
        email: null,
        phone: null,
        children: [{ name: "", birthDate: daysAgo(10), dueDate: daysAgo(200), multipleBirth: 1 }],
      }),
    );
    expectProblem(due, 400, "validation_failed");
    expect(JSON.stringify(due.json.errors)).toContain("due_date_out_of_range");
    expectProblem(
      await sendai.post("api/residents", newResident({ email: null, phone: null })),
      409,
      "external_id_in_use",
    );
    // The same 宛名番号 in another municipality is fine.
    const elsewhere = await natori.post("api/residents", newResident({ email: null, phone: null }));
    expect(elsewhere.status, elsewhere.text).toBe(201);
    expect(elsewhere.json.municipalityCode).toBe(NATORI_CODE);
    // The same contact in another notation is the same contact.
    expectProblem(
      await natori.post(
        "api/residents",
        newResident({ externalId: null, email: "aoba.hanako@example.jp", phone: null }),
      ),
      409,
      "contact_in_use",
    );
    expectProblem(
      await natori.post(
        "api/residents",
        newResident({ externalId: null, email: null, phone: "+81-90-5555-0123" }),
      ),
      409,
      "contact_in_use",
    );
  });

  it("updates the income tier and adds a child", async () => {
    const res = await sendai.patch(`api/residents/${createdId}`, { incomeTier: "exempt", consent: true });
    expect(res.status, res.text).toBe(200);
    await expectContract("updateResident", res);
    expect(res.json.incomeTier).toBe("exempt");
    expect((await t.hub.prisma.resident.findUniqueOrThrow({ where: { id: createdId } })).incomeTier).toBe(
      "exempt",
    );

    const child = await sendai.post(`api/residents/${createdId}/children`, {
      name: "青葉 二葉",
      birthDate: daysAgo(2),
      multipleBirth: 2,
    });
    expect(child.status, child.text).toBe(201);
    await expectContract("addChild", child);
    expect(child.json.children).toHaveLength(2);
    expect(child.json.children[1]).toMatchObject({ birthDate: daysAgo(2), multipleBirth: 2, dueDate: null });
    // Born tomorrow in Tokyo: refused, whatever the hour in UTC.
    const unborn = await sendai.post(`api/residents/${createdId}/children`, {
      name: "青葉 三葉",
      birthDate: daysAgo(-1),
      multipleBirth: 1,
    });
    expectProblem(unborn, 400, "validation_failed");
    expect(JSON.stringify(unborn.json.errors)).toContain("future_date");
  });

  it("registers a baby born today who is not yet named, with an empty name", async () => {
    const res = await sendai.post(`api/residents/${createdId}/children`, {
      name: "  ",
      birthDate: daysAgo(0),
      multipleBirth: 1,
    });
    expect(res.status, res.text).toBe(201);
    expect(res.json.children).toHaveLength(3);
    expect(res.json.children[2]).toMatchObject({ name: "", birthDate: daysAgo(0) });
  });

  it("answers 404 for another municipality's resident", async () => {
    const other = await t.hub.prisma.resident.findFirstOrThrow({ where: { municipalityCode: NATORI_CODE } });
    expectProblem(
      await sendai.patch(`api/residents/${other.id}`, { incomeTier: "welfare" }),
      404,
      "not_found",
    );
    expectProblem(
      await sendai.post(`api/residents/${other.id}/children`, {
        name: "",
        birthDate: daysAgo(1),
        multipleBirth: 1,
      }),
      404,
      "not_found",
    );
    expectProblem(
      await natori.patch(`api/residents/${createdId}`, { incomeTier: "welfare" }),
      404,
      "not_found",
    );
    expect((await t.hub.prisma.resident.findUniqueOrThrow({ where: { id: other.id } })).incomeTier).toBe(
      other.incomeTier,
    );
  });

  it("lets a resident correct their own contact and sign in with it at once", async () => {
    const res = await resident.patch("api/me/contact", {
      email: "Hanako.New@Example.JP",
      phone: "080 7777 0001",
      preferredLanguage: "en",
    });
    expect(res.status, res.text).toBe(200);
    await expectContract("updateMyContact", res);
    expect(res.json).toMatchObject({
      email: "hanako.new@example.jp",
      phone: "08077770001",
      preferredLanguage: "en",
    });

    const code = await new TestClient(t.url).post("api/auth/resident/code", {
      destination: "hanako.new@example.jp",
    });
    expect(code.status, code.text).toBe(202);
    await dispatchOutbox(t.hub.prisma, t.hub.transport);
    const mail = await t.hub.prisma.mailboxMessage.findFirst({
      where: { to: "hanako.new@example.jp" },
      orderBy: { id: "desc" },
    });
    expect(mail?.channel).toBe("email");
    expect(mail?.body).toMatch(/[0-9]{6}/);
  });

  it("refuses a contact another resident already uses", async () => {
    expectProblem(
      await resident.patch("api/me/contact", { email: "AOBA.hanako@example.jp" }),
      409,
      "contact_in_use",
    );
    expectProblem(await resident.patch("api/me/contact", { phone: "090-5555-0123" }), 409, "contact_in_use");
    expectProblem(
      await sendai.patch(`api/residents/${createdId}`, { email: "hanako.new@example.jp" }),
      409,
      "contact_in_use",
    );
    expectProblem(
      await resident.patch("api/me/contact", { phone: "022-123-4567" }),
      400,
      "validation_failed",
    );
    expectProblem(
      await resident.patch("api/me/contact", { incomeTier: "welfare" }),
      400,
      "validation_failed",
    );
  });
});
