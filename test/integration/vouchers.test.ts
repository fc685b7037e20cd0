import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseVoucherNumber } from "../../hub/vouchers/number.js";
import { verifyVoucherQr } from "../../hub/vouchers/qr.js";
import { addMonths, issueVoucher } from "../../hub/vouchers/vouchers.js";
import type { TestClient } from "../support/client.js";
import { expectContract, expectProblem } from "../support/contract.js";
import { tokyoDay } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { clientFor, clientForUser, DEMO_USERS } from "../support/sessions.js";

describe("vouchers", () => {
  let t: TestHub;
  let sendai: TestClient;
  let natori: TestClient;
  let prefecture: TestClient;
  let n = 0;
  const today = tokyoDay();
  const birth = tokyoDay(-30);

  /** A resident with one child born 30 days ago, and a signed-in client for them. */
  async function makeResident(
    code: string,
    opts: { email?: string | null; phone?: string | null; multipleBirth?: number } = {},
  ) {
    n++;
    const p = t.hub.prisma;
    const resident = await p.resident.create({
      data: {
        municipalityCode: code,
        familyName: "検証",
        givenName: `花子${n}`,
        email: opts.email === undefined ? `v${n}@voucher.example.jp` : opts.email,
        phone: opts.phone ?? null,
        children: {
          create: { birthDate: new Date(`${birth}T00:00:00Z`), multipleBirth: opts.multipleBirth ?? 1 },
        },
      },
      include: { children: true },
    });
    const user = await p.user.create({
      data: { role: "resident", displayName: resident.givenName, residentId: resident.id },
    });
    return { resident, childId: resident.children[0]?.id as string, client: await clientForUser(t, user.id) };
  }

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 50 });
    sendai = await clientFor(t, DEMO_USERS.municipality.own);
    natori = await clientFor(t, DEMO_USERS.municipality.other as string);
    prefecture = await clientFor(t, DEMO_USERS.prefecture.own);
  }, 180_000);
  afterAll(() => t?.close());

  it("seeds a voucher for the demo resident", async () => {
    const demo = await clientFor(t, DEMO_USERS.resident.own);
    const res = await demo.get("api/me/vouchers");
    expect(res.status, res.text).toBe(200);
    await expectContract("listMyVouchers", res);
    expect(res.json.items.length).toBeGreaterThanOrEqual(1);
    expect(res.json.items[0]).toMatchObject({
      status: "active",
      municipalityCode: "041009",
      stayCounting: "per_day", // 仙台市 counts a stay by the day (its policy, hub/policies/examples.ts)
    });
  });

  it("issues a voucher the resident sees with balances and QR, and writes the notice to the outbox", async () => {
    const { resident, childId, client } = await makeResident("041009");
    const res = await sendai.post("api/vouchers", { residentId: resident.id, childId });
    expect(res.status, res.text).toBe(201);
    await expectContract("issueVoucher", res);
    const v = res.json;
    expect(v.number).toMatch(/^04100-\d{7}-\d$/);
    expect(parseVoucherNumber(v.number).ok).toBe(true);
    expect(v).toMatchObject({ status: "active", residentId: resident.id, childId, validFrom: today });
    // Until the day before the first birthday (仙台市: day care up to 12 months).
    const birthday = addMonths(birth, 12);
    expect(v.validUntil < birthday).toBe(true);
    expect(v.validUntil >= addMonths(birth, 12).replace(/-\d{2}$/, "-01")).toBe(true);
    // 仙台市: stay and day, 7 each, no home visits.
    expect(v.balances).toEqual([
      { serviceType: "stay", cap: 7, reserved: 0, used: 0, remaining: 7 },
      { serviceType: "day", cap: 7, reserved: 0, used: 0, remaining: 7 },
    ]);
    expect(verifyVoucherQr(t.hub.config.SECRET_KEY, v.qrPayload).ok).toBe(true);

    const mine = await client.get("api/me/vouchers");
    expect(mine.status).toBe(200);
    expect(mine.json.items.map((x: { id: string }) => x.id)).toEqual([v.id]);
    expect(mine.json.items[0].qrPayload).toBe(v.qrPayload);
    const one = await client.get(`api/vouchers/${v.id}`);
    expect(one.status).toBe(200);
    await expectContract("getVoucher", one);
    const qr = await client.get(`api/vouchers/${v.id}/qr.svg`);
    expect(qr.status).toBe(200);
    expect(qr.headers.get("content-type")).toContain("image/svg+xml");
    expect(qr.text).toContain("<svg");

    const outbox = await t.hub.prisma.outboxMessage.findMany({ where: { topic: "notify.message" } });
    const notice = outbox
      .map((o) => o.payload as { channel: string; to: string; text: string; about?: unknown })
      .find((m) => m.to === resident.email);
    expect(notice?.channel).toBe("email");
    // Whom it concerns, so the municipality sees it in its delivery log.
    expect(notice?.about).toEqual({ residentId: resident.id, municipalityCode: resident.municipalityCode });
    expect(notice?.text).toContain(v.number);
    expect(notice?.text).toContain(`${t.hub.config.PUBLIC_URL}sign-in`);
    expect(notice?.text).toContain("利用券");

    // Listing and search by number, as typed with full-width digits.
    const wide = v.number.replace(/\d/g, (d: string) => String.fromCharCode(0xff10 + Number(d)));
    const found = await sendai.get(`api/vouchers?q=${encodeURIComponent(wide)}`);
    expect(found.status).toBe(200);
    await expectContract("listVouchers", found);
    expect(found.json.items.map((x: { id: string }) => x.id)).toEqual([v.id]);
  });

  it("sends an SMS when the resident has no e-mail", async () => {
    const { resident } = await makeResident("041009", { email: null, phone: "09012345678" });
    const res = await sendai.post("api/vouchers", { residentId: resident.id });
    expect(res.status, res.text).toBe(201);
    const outbox = await t.hub.prisma.outboxMessage.findMany({ where: { topic: "notify.message" } });
    const sms = outbox
      .map((o) => o.payload as { channel: string; to: string })
      .find((m) => m.to === "09012345678");
    expect(sms?.channel).toBe("sms");
  });

  it("takes caps from each municipality's policy, and the multiple-birth cap for twins", async () => {
    const { resident } = await makeResident("042072");
    const res = await natori.post("api/vouchers", { residentId: resident.id });
    expect(res.status, res.text).toBe(201);
    expect(
      res.json.balances.map((b: { serviceType: string; cap: number }) => [b.serviceType, b.cap]),
    ).toEqual([
      ["stay", 7],
      ["day", 7],
      ["visit", 7],
    ]);
    // 042153: 7 units, 10 for a multiple birth.
    const single = await makeResident("042153");
    const twins = await makeResident("042153", { multipleBirth: 2 });
    const ctx = { now: new Date(), publicUrl: t.hub.config.PUBLIC_URL };
    const a = await issueVoucher(t.hub.prisma, "042153", { residentId: single.resident.id }, ctx);
    const b = await issueVoucher(t.hub.prisma, "042153", { residentId: twins.resident.id }, ctx);
    expect(a.balances.find((x) => x.serviceType === "stay")?.cap).toBe(7);
    expect(b.balances.find((x) => x.serviceType === "stay")?.cap).toBe(10);
  });

  it("refuses a second active voucher for the same child, and issuing without a policy in force", async () => {
    const { resident, childId } = await makeResident("041009");
    expect((await sendai.post("api/vouchers", { residentId: resident.id, childId })).status).toBe(201);
    expectProblem(
      await sendai.post("api/vouchers", { residentId: resident.id }),
      409,
      "active_voucher_exists",
    );
    const other = await makeResident("041009");
    await expect(
      issueVoucher(
        t.hub.prisma,
        "041009",
        { residentId: other.resident.id },
        { now: new Date("2024-06-01T00:00:00Z"), publicUrl: "" },
      ),
    ).rejects.toMatchObject({ kind: "unprocessable", code: "no_policy" });
  });

  it("keeps other tenants out", async () => {
    const { resident } = await makeResident("041009");
    const v = (await sendai.post("api/vouchers", { residentId: resident.id })).json;
    expect((await natori.get(`api/vouchers/${v.id}`)).status).toBe(404);
    expect((await natori.get(`api/vouchers/${v.id}/qr.svg`)).status).toBe(404);
    expect((await natori.post(`api/vouchers/${v.id}/revoke`, { reason: "x" })).status).toBe(404);
    expect((await natori.post(`api/vouchers/${v.id}/reissue`, { reason: "x" })).status).toBe(404);
    const natoriList = await natori.get("api/vouchers?limit=200");
    expect(
      natoriList.json.items.every((x: { municipalityCode: string }) => x.municipalityCode === "042072"),
    ).toBe(true);
    // Issuing for another municipality's resident: 404, nothing is revealed.
    const natoriResident = await makeResident("042072");
    expect((await sendai.post("api/vouchers", { residentId: natoriResident.resident.id })).status).toBe(404);
    // Another resident cannot see it; the prefecture can, without the QR payload.
    const stranger = await makeResident("041009");
    expect((await stranger.client.get(`api/vouchers/${v.id}`)).status).toBe(404);
    expect((await stranger.client.get(`api/vouchers/${v.id}/qr.svg`)).status).toBe(404);
    const pref = await prefecture.get(`api/vouchers/${v.id}`);
    expect(pref.status).toBe(200);
    expect(pref.json.qrPayload).toBeNull();
    // Staff reads of vouchers are audited.
    const audited = await t.hub.prisma.auditLog.count({ where: { action: "getVoucher" } });
    expect(audited).toBeGreaterThan(0);
  });

  it("revokes with a reason, and re-issues carrying used and reserved units", async () => {
    const { resident } = await makeResident("041009");
    const v = (await sendai.post("api/vouchers", { residentId: resident.id })).json;
    const p = t.hub.prisma;
    // As if bookings had reserved 3 stay units and 2 of them had been redeemed (bookings are tested elsewhere).
    await p.voucherBalance.update({
      where: { voucherId_serviceType: { voucherId: v.id, serviceType: "stay" } },
      data: { reserved: 1, used: 2 },
    });
    const re = await sendai.post(`api/vouchers/${v.id}/reissue`, { reason: "紛失のため再発行" });
    expect(re.status, re.text).toBe(201);
    await expectContract("reissueVoucher", re);
    expect(re.json.replacesId).toBe(v.id);
    expect(re.json.number).not.toBe(v.number);
    expect(re.json.balances[0]).toEqual({ serviceType: "stay", cap: 7, reserved: 1, used: 2, remaining: 4 });
    const old = await sendai.get(`api/vouchers/${v.id}`);
    expect(old.json).toMatchObject({ status: "revoked", revokedReason: "紛失のため再発行" });
    // A revoked voucher cannot be revoked again.
    expectProblem(
      await sendai.post(`api/vouchers/${v.id}/revoke`, { reason: "again" }),
      409,
      "voucher_not_active",
    );

    const revoked = await sendai.post(`api/vouchers/${re.json.id}/revoke`, { reason: "転出" });
    expect(revoked.status).toBe(200);
    await expectContract("revokeVoucher", revoked);
    expect(revoked.json).toMatchObject({ status: "revoked", revokedReason: "転出" });
    expect(revoked.json.revokedAt).toBeTruthy();
  });

  it("issues in bulk all or nothing, reporting each failure", async () => {
    const a = await makeResident("041009");
    const b = await makeResident("041009");
    const elsewhere = await makeResident("042072");
    const bad = await sendai.post("api/vouchers/bulk", {
      residentIds: [a.resident.id, b.resident.id, elsewhere.resident.id],
    });
    expectProblem(bad, 422, "bulk_issue_failed");
    expect(bad.json.errors).toEqual([expect.objectContaining({ path: "residentIds/2", code: "not_found" })]);
    expect(
      await t.hub.prisma.voucher.count({ where: { residentId: { in: [a.resident.id, b.resident.id] } } }),
    ).toBe(0);
    const ok = await sendai.post("api/vouchers/bulk", { residentIds: [a.resident.id, b.resident.id] });
    expect(ok.status, ok.text).toBe(201);
    await expectContract("issueVouchers", ok);
    expect(ok.json.items).toHaveLength(2);
    const numbers = new Set(ok.json.items.map((x: { number: string }) => x.number));
    expect(numbers.size).toBe(2);
  });

  it("numbers concurrent issues uniquely", async () => {
    const people = await Promise.all(Array.from({ length: 6 }, () => makeResident("041009")));
    const res = await Promise.all(
      people.map((x) => sendai.post("api/vouchers", { residentId: x.resident.id })),
    );
    expect(res.map((r) => r.status)).toEqual(Array(6).fill(201));
    expect(new Set(res.map((r) => r.json.number)).size).toBe(6);
  });
});
