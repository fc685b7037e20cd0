import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_ACCOUNTS, NATORI_CODE, SENDAI_CODE } from "../../fixtures/demo-data.js";
import { TestClient } from "../support/client.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { clientFor } from "../support/sessions.js";

type ResidentJson = {
  id: string;
  municipalityCode: string;
  familyName: string;
  givenName: string;
  kana: string;
  phone: string | null;
  birthDate: string | null;
  children: { id: string; birthDate: string; dueDate: string | null; multipleBirth: number }[];
};

describe("residents: scoped reads, audited", () => {
  let t: TestHub;
  let sendai: TestClient;
  let natori: TestClient;
  let prefecture: TestClient;
  let sendaiUserId: string;
  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 50 });
    // Real sign-ins for staff, so the audit trail is the one a municipality would see.
    sendai = new TestClient(t.url);
    sendaiUserId = (await sendai.signIn("sendai@demo.example.jp")).id;
    natori = new TestClient(t.url);
    await natori.signIn("natori@demo.example.jp");
    prefecture = new TestClient(t.url);
    await prefecture.signIn("prefecture@demo.example.jp");
  });
  afterAll(() => t?.close());

  const countIn = (code?: string) =>
    t.hub.prisma.resident.count({ where: code ? { municipalityCode: code } : {} });

  it("shows municipal staff only their own residents, with children", async () => {
    const res = await sendai.get("api/residents?limit=200");
    expect(res.status).toBe(200);
    expect(res.json.total).toBe(await countIn(SENDAI_CODE));
    expect(res.json.total).toBeGreaterThan(0);
    const items = res.json.items as ResidentJson[];
    expect(items.length).toBe(res.json.total);
    expect(items.every((r) => r.municipalityCode === SENDAI_CODE)).toBe(true);
    expect(items.every((r) => r.children.length >= 1)).toBe(true);
    expect(items[0]?.birthDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(items[0]?.children[0]?.birthDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    const n = await natori.get("api/residents?limit=200");
    expect(n.json.total).toBe(await countIn(NATORI_CODE));
    expect((n.json.items as ResidentJson[]).every((r) => r.municipalityCode === NATORI_CODE)).toBe(true);

    // Asking for another municipality does not widen the scope.
    expect((await sendai.get(`api/residents?municipality=${NATORI_CODE}`)).json.total).toBe(0);
  });

  it("answers 404 for another municipality's resident", async () => {
    const other = await t.hub.prisma.resident.findFirstOrThrow({
      where: { municipalityCode: { not: SENDAI_CODE } },
    });
    const own = await t.hub.prisma.resident.findFirstOrThrow({ where: { municipalityCode: SENDAI_CODE } });
    const res = await sendai.get(`api/residents/${other.id}`);
    expect(res.status).toBe(404);
    expect(res.json.code).toBe("not_found");
    const mine = await sendai.get(`api/residents/${own.id}`);
    expect(mine.status).toBe(200);
    expect(mine.json).toMatchObject({
      id: own.id,
      familyName: own.familyName,
      municipalityCode: SENDAI_CODE,
    });
    expect(mine.json.children.length).toBeGreaterThanOrEqual(1);
    expect((await sendai.get("api/residents/00000000-0000-4000-8000-000000000000")).status).toBe(404);
  });

  it("lets the prefecture read everyone and filter by municipality", async () => {
    const all = await prefecture.get("api/residents?limit=10&offset=0");
    expect(all.json.total).toBe(await countIn());
    expect(all.json.items.length).toBe(10);
    const page2 = await prefecture.get("api/residents?limit=10&offset=10");
    const ids = new Set([...all.json.items, ...page2.json.items].map((r: ResidentJson) => r.id));
    expect(ids.size).toBe(20);
    const natoriOnly = await prefecture.get(`api/residents?municipality=${NATORI_CODE}&limit=200`);
    expect(natoriOnly.json.total).toBe(await countIn(NATORI_CODE));
    expect((natoriOnly.json.items as ResidentJson[]).every((r) => r.municipalityCode === NATORI_CODE)).toBe(
      true,
    );
  });

  it("searches names, readings (hiragana or katakana), e-mail and phone", async () => {
    const r = await t.hub.prisma.resident.findFirstOrThrow({ where: { municipalityCode: SENDAI_CODE } });
    const search = async (q: string) =>
      (
        (await sendai.get(`api/residents?limit=200&q=${encodeURIComponent(q)}`)).json.items as ResidentJson[]
      ).map((x) => x.id);
    expect(await search(r.familyName)).toContain(r.id);
    expect(await search(`${r.familyName}　${r.givenName}`)).toContain(r.id);
    const katakana = r.kana.replace(/[\u3041-\u3096]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60));
    expect(await search(katakana.split(" ")[0] ?? "")).toContain(r.id);
    expect(await search(r.email ?? "")).toEqual([r.id]);
    expect(await search((r.phone ?? "").replace(/-/g, ""))).toEqual([r.id]);
    expect(await search("存在しない名前")).toEqual([]);
  });

  it("is closed to facilities, associations and operators; a resident reads only themself", async () => {
    for (const email of ["facility@demo.example.jp", "medical@demo.example.jp", "operator@demo.example.jp"]) {
      const c = await clientFor(t, email);
      expect((await c.get("api/residents")).status, email).toBe(403);
    }
    const demo = DEMO_ACCOUNTS.find((a) => a.role === "resident");
    const resident = await clientFor(t, demo?.email ?? "");
    expect((await resident.get("api/residents")).status).toBe(403);
    expect((await resident.get(`api/residents/${demo?.residentId}`)).status).toBe(200);
    const other = await t.hub.prisma.resident.findFirstOrThrow({
      where: { id: { not: demo?.residentId ?? "" } },
    });
    expect((await resident.get(`api/residents/${other.id}`)).status).toBe(404);
  });

  it("records every staff read in the audit log, which only the prefecture browses (newest first)", async () => {
    const own = await t.hub.prisma.resident.findFirstOrThrow({ where: { municipalityCode: SENDAI_CODE } });
    expect((await sendai.get(`api/residents/${own.id}`)).status).toBe(200);
    expect((await sendai.get("api/residents?q=x")).status).toBe(200);

    const reads = await prefecture.get(
      `api/audit-log?actorId=${sendaiUserId}&action=getResident&resourceId=${own.id}`,
    );
    expect(reads.status).toBe(200);
    expect(reads.json.total).toBeGreaterThanOrEqual(2); // this test and the 404 test above
    expect(reads.json.items[0]).toMatchObject({
      actorId: sendaiUserId,
      actorRole: "municipality",
      action: "getResident",
      resourceType: "resident",
      resourceId: own.id,
      tenant: `municipality:${SENDAI_CODE}`,
      ip: "127.0.0.1",
      outcome: "ok",
    });
    expect(reads.json.items[0].id).toMatch(/^[0-9]+$/);

    const lists = await prefecture.get(`api/audit-log?actorId=${sendaiUserId}&action=listResidents`);
    expect(lists.json.total).toBeGreaterThanOrEqual(4);
    const times = (lists.json.items as { at: string }[]).map((e) => e.at);
    expect([...times].sort().reverse()).toEqual(times);
    const ids = (lists.json.items as { id: string }[]).map((e) => BigInt(e.id));
    expect(ids[0]! > ids[ids.length - 1]!).toBe(true);

    // Sign-ins are there too, and the prefecture's own browsing is audited.
    const signIns = await prefecture.get("api/audit-log?action=auth.sign_in&limit=200");
    expect(signIns.json.items.some((e: { actorId: string }) => e.actorId === sendaiUserId)).toBe(true);
    const browsing = await prefecture.get("api/audit-log?action=listAuditLog");
    expect(browsing.json.total).toBeGreaterThanOrEqual(3);

    // Residents reading themselves are not staff access, so not audited as such.
    const residentReads = await t.hub.prisma.auditLog.count({
      where: { action: "getResident", actorRole: "resident" },
    });
    expect(residentReads).toBe(0);

    for (const c of [sendai, natori]) expect((await c.get("api/audit-log")).status).toBe(403);
  });

  it("keeps one whole row per read when many arrive at once (they are written together)", async () => {
    const own = await t.hub.prisma.resident.findMany({
      where: { municipalityCode: SENDAI_CODE },
      take: 30,
      select: { id: true },
    });
    const before = await t.hub.prisma.auditLog.count({ where: { actorId: sendaiUserId } });
    // Each answer comes after its row is stored: counted as soon as the last one answered.
    const answers = await Promise.all(own.map((r) => sendai.get(`api/residents/${r.id}`)));
    expect(answers.map((a) => a.status)).toEqual(own.map(() => 200));
    const rows = await t.hub.prisma.auditLog.findMany({
      where: { actorId: sendaiUserId },
      orderBy: { id: "desc" },
      take: own.length,
    });
    expect(await t.hub.prisma.auditLog.count({ where: { actorId: sendaiUserId } })).toBe(before + own.length);
    expect(rows.map((r) => r.resourceId).sort()).toEqual(own.map((r) => r.id).sort());
    for (const row of rows) {
      expect(row).toMatchObject({
        actorRole: "municipality",
        tenant: `municipality:${SENDAI_CODE}`,
        action: "getResident",
        resourceType: "resident",
        ip: "127.0.0.1",
        outcome: "ok",
        detail: { method: "GET", path: `/api/residents/${row.resourceId}`, status: 200 },
      });
      expect(Math.abs(row.at.getTime() - Date.now())).toBeLessThan(600_000);
    }
  });

  it("filters the audit log by time and pages through it", async () => {
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect((await prefecture.get(`api/audit-log?from=${encodeURIComponent(future)}`)).json.total).toBe(0);
    const past = new Date(Date.now() - 3600_000).toISOString();
    const all = await prefecture.get(
      `api/audit-log?to=${encodeURIComponent(future)}&from=${encodeURIComponent(past)}&limit=3`,
    );
    expect(all.json.items.length).toBe(3);
    expect(all.json.total).toBeGreaterThan(3);
    const next = await prefecture.get(`api/audit-log?limit=3&offset=3`);
    expect(next.json.items[0].id).not.toBe(all.json.items[0].id);
    expect(
      (await prefecture.get("api/audit-log?resourceType=resident")).json.items.every(
        (e: { resourceType: string }) => e.resourceType === "resident",
      ),
    ).toBe(true);
  });
});
