import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDate } from "../../hub/inventory/dates.js";
import { checkEntitlement, type EntitlementInput } from "../../hub/policies/entitlement.js";
import type { PolicyVersion } from "../../hub/policies/policy.js";
import { TestClient } from "../support/client.js";
import { expectContract, expectProblem } from "../support/contract.js";
import { tokyoDay, tokyoMonth } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { bookableResidents } from "../support/residents.js";
import { clientFor } from "../support/sessions.js";

const SENDAI = "041009";
const NATORI = "042072";

/** Today in Asia/Tokyo, and the first day of next month, "YYYY-MM-DD". */
function tokyoDays() {
  return { today: tokyoDay(), nextMonth: `${tokyoMonth(1)}-01` };
}

/** The rules of a version as a creation body (no municipality, no version, no server fields). */
function proposal(p: Record<string, unknown>, effectiveFrom: string): Record<string, unknown> {
  const { municipalityCode: _m, version: _v, inUse: _i, createdAt: _c, ...rules } = p;
  return { ...structuredClone(rules), effectiveFrom };
}

/** One stay booking of 2 nights for a general-tier resident, a singleton born 2 months before `startDate`. */
function booking(policy: PolicyVersion, startDate: string): EntitlementInput {
  const birth = new Date(`${startDate}T00:00:00Z`);
  birth.setUTCMonth(birth.getUTCMonth() - 2);
  return {
    policy,
    voucher: {
      status: "active",
      validFrom: "2025-01-01",
      validUntil: "2099-12-31",
      unitsByType: {},
      unitsUsed: {},
      unitsReserved: {},
      usesSoFar: 5,
    },
    child: { birthDate: formatDate(birth), multipleBirth: 1 },
    resident: { incomeTier: "general" },
    request: { serviceType: "stay", startDate, nights: 2, addOns: [] },
  };
}

describe("municipal policy versions", () => {
  let t: TestHub;
  let sendai: TestClient;
  let natori: TestClient;
  let prefecture: TestClient;
  let anonymous: TestClient;
  const { today, nextMonth } = tokyoDays();

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 50 });
    sendai = await clientFor(t, "sendai@demo.example.jp");
    natori = await clientFor(t, "natori@demo.example.jp");
    prefecture = await clientFor(t, "prefecture@demo.example.jp");
    anonymous = new TestClient(t.url);
  }, 180_000);
  afterAll(() => t?.close());

  it("seeds a version for each of the 35 municipalities", async () => {
    const municipalities = (await anonymous.get("api/municipalities")).json.items as { code: string }[];
    expect(municipalities).toHaveLength(35);
    for (const m of municipalities) {
      const res = await prefecture.get(`api/municipalities/${m.code}/policies`);
      expect(res.status, `${m.code}: ${res.text}`).toBe(200);
      expect(res.json.items.length, m.code).toBeGreaterThanOrEqual(1);
      expect(res.json.items[0].municipalityCode).toBe(m.code);
      expect(res.json.items[0].inUse).toBe(true);
    }
    await expectContract("listPolicyVersions", await prefecture.get(`api/municipalities/${SENDAI}/policies`));
  });

  it("gives two municipalities different amounts for the same booking", async () => {
    const date = tokyoDays().today;
    const s = await anonymous.get(`api/municipalities/${SENDAI}/policies/current?date=${date}`);
    const n = await anonymous.get(`api/municipalities/${NATORI}/policies/current?date=${date}`);
    expect(s.status, s.text).toBe(200);
    expect(n.status, n.text).toBe(200);
    await expectContract("getPolicyInForce", s);
    const a = checkEntitlement(booking(s.json, date));
    const b = checkEntitlement(booking(n.json, date));
    expect(a.allowed && b.allowed, JSON.stringify([a, b])).toBe(true);
    if (!a.allowed || !b.allowed) return;
    expect([a.fee, a.residentCopay, a.unitsNeeded]).not.toEqual([b.fee, b.residentCopay, b.unitsNeeded]);
    expect(b.policyVersion).toEqual({ municipalityCode: NATORI, version: 1, effectiveFrom: "2025-04-01" });
  });

  it("refuses invalid rules with each field's path", async () => {
    const current = (await natori.get(`api/municipalities/${NATORI}/policies/current`)).json;
    const body = proposal(current, nextMonth) as { services: Record<string, Record<string, unknown>> };
    (body.services.stay as Record<string, unknown>).copayPerUnit = { general: 99_999, exempt: 0, welfare: 0 };
    (body.services.day as Record<string, unknown>).maxUnits = 0;
    const res = await natori.post(`api/municipalities/${NATORI}/policies`, body);
    expectProblem(res, 422, "invalid_policy");
    await expectContract("createPolicyVersion", res);
    const paths = (res.json.errors as { path: string }[]).map((e) => e.path);
    expect(paths).toContain("services.stay.copayPerUnit.general");
    expect(paths).toContain("services.day.maxUnits");
  });

  it("refuses a start date that is not in the future", async () => {
    const current = (await natori.get(`api/municipalities/${NATORI}/policies/current`)).json;
    for (const date of [today, "2025-05-01", "2024-01-01"]) {
      const res = await natori.post(`api/municipalities/${NATORI}/policies`, proposal(current, date));
      expectProblem(res, 422, "effective_date_not_in_future");
    }
  });

  it("keeps other municipalities and the prefecture from writing, and residents/anonymous from listing", async () => {
    const current = (await natori.get(`api/municipalities/${NATORI}/policies/current`)).json;
    const body = proposal(current, nextMonth);
    expectProblem(await sendai.post(`api/municipalities/${NATORI}/policies`, body), 403, "forbidden");
    expectProblem(await sendai.post(`api/municipalities/${NATORI}/policies/preview`, body), 403, "forbidden");
    expectProblem(await sendai.get(`api/municipalities/${NATORI}/policies`), 403, "forbidden");
    expectProblem(await prefecture.post(`api/municipalities/${NATORI}/policies`, body), 403, "forbidden");
    expect((await prefecture.get(`api/municipalities/${NATORI}/policies`)).status).toBe(200);
    expect((await anonymous.get(`api/municipalities/${NATORI}/policies`)).status).toBe(401);
    expect((await t.hub.prisma.policyVersion.count({ where: { municipalityCode: NATORI } })).valueOf()).toBe(
      1,
    );
  });

  it("previews a change: residents affected and amount differences, writing nothing", async () => {
    const current = (await natori.get(`api/municipalities/${NATORI}/policies/current`)).json;
    const body = proposal(current, nextMonth) as { services: Record<string, Record<string, unknown>> };
    body.services.stay = { ...body.services.stay, unitFee: 32_000, maxUnits: 6 };
    (body.services.day as Record<string, unknown>).copayPerUnit = { general: 1_000, exempt: 0, welfare: 0 };
    await bookableResidents(t.hub.prisma, NATORI, 2);
    const before = await t.hub.prisma.policyVersion.count();
    const res = await natori.post(`api/municipalities/${NATORI}/policies/preview`, body);
    expect(res.status, res.text).toBe(200);
    await expectContract("previewPolicyVersion", res);
    expect(res.json.replaces).toEqual({ version: 1, effectiveFrom: "2025-04-01" });
    const stillValid = await t.hub.prisma.voucher.count({
      where: {
        municipalityCode: NATORI,
        status: "active",
        validUntil: { gte: new Date(`${nextMonth}T00:00:00Z`) },
      },
    });
    expect(stillValid).toBeGreaterThan(0);
    expect(res.json.vouchersAffected).toBe(stillValid);
    const natoriResidents = await t.hub.prisma.resident.count({ where: { municipalityCode: NATORI } });
    expect(res.json.residentsAffected).toBeGreaterThanOrEqual(0);
    expect(res.json.residentsAffected).toBeLessThanOrEqual(natoriResidents);
    expect(res.json.changes).toEqual([
      { serviceType: "stay", field: "services.stay.unitFee", from: 30_000, to: 32_000 },
      { serviceType: "stay", field: "services.stay.maxUnits", from: 7, to: 6 },
      { serviceType: "day", field: "services.day.copayPerUnit.general", from: 900, to: 1_000 },
    ]);
    expect(await t.hub.prisma.policyVersion.count()).toBe(before);
    // With the eligibility window closed to newborns only, no fewer residents than with a wider one.
    const narrow = structuredClone(body);
    for (const rule of Object.values(narrow.services)) {
      rule.eligibility = { maxChildAgeMonths: 1, useCorrectedAgeForPreterm: false };
    }
    const narrowRes = await natori.post(`api/municipalities/${NATORI}/policies/preview`, narrow);
    expect(narrowRes.status, narrowRes.text).toBe(200);
    expect(narrowRes.json.residentsAffected).toBeLessThanOrEqual(res.json.residentsAffected);
  });

  it("a change from next month leaves this month's version and amounts untouched", async () => {
    const thisMonth = await anonymous.get(`api/municipalities/${NATORI}/policies/current?date=${today}`);
    expect(thisMonth.status).toBe(200);
    const before = checkEntitlement(booking(thisMonth.json, today));

    const body = proposal(thisMonth.json, nextMonth) as { services: Record<string, Record<string, unknown>> };
    body.services.stay = {
      ...body.services.stay,
      unitFee: 33_000,
      copayPerUnit: { general: 4_000, exempt: 0, welfare: 0 },
    };
    const created = await natori.post(`api/municipalities/${NATORI}/policies`, body);
    expect(created.status, created.text).toBe(201);
    await expectContract("createPolicyVersion", created);
    expect(created.json).toMatchObject({
      municipalityCode: NATORI,
      version: 2,
      effectiveFrom: nextMonth,
      inUse: false,
    });

    const again = await anonymous.get(`api/municipalities/${NATORI}/policies/current?date=${today}`);
    expect(again.json).toEqual(thisMonth.json);
    expect(checkEntitlement(booking(again.json, today))).toEqual(before);

    const next = await anonymous.get(`api/municipalities/${NATORI}/policies/current?date=${nextMonth}`);
    expect(next.json.version).toBe(2);
    const after = checkEntitlement(booking(next.json, nextMonth));
    if (!before.allowed || !after.allowed) throw new Error("expected both to be allowed");
    expect(after.fee).not.toBe(before.fee);
    expect(after.residentCopay).not.toBe(before.residentCopay);

    // Versions are listed newest first; another version on the same or an earlier date is refused.
    const list = await natori.get(`api/municipalities/${NATORI}/policies`);
    expect(list.json.items.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    const same = await natori.post(`api/municipalities/${NATORI}/policies`, body);
    expectProblem(same, 422, "effective_date_not_after_latest");
  });

  it("a new version that does not say how its cut-off counts days gets the specification's 「前日10時」", async () => {
    const current = await anonymous.get(`api/municipalities/${SENDAI}/policies/current?date=${today}`);
    const body = proposal(current.json, nextMonth) as {
      cancellation: { cutoff: Record<string, unknown> };
    };
    body.cancellation.cutoff = { businessDaysBefore: 1, time: "10:00" };
    const preview = await sendai.post(`api/municipalities/${SENDAI}/policies/preview`, body);
    expect(preview.status, preview.text).toBe(200);
    const created = await sendai.post(`api/municipalities/${SENDAI}/policies`, body);
    expect(created.status, created.text).toBe(201);
    await expectContract("createPolicyVersion", created);
    const stated = { businessDaysBefore: 1, time: "10:00", days: "calendar", closuresMove: false };
    expect(created.json.cancellation.cutoff).toEqual(stated);
    // Stored so: reading it back never falls to the meaning of versions made before the choice existed.
    const stored = await t.hub.prisma.policyVersion.findFirstOrThrow({
      where: { municipalityCode: SENDAI, version: created.json.version },
    });
    expect((stored.rules as { cancellation: { cutoff: unknown } }).cancellation.cutoff).toEqual(stated);
    // A stated choice is kept as it was.
    const business = proposal(created.json, `${nextMonth.slice(0, 8)}02`) as typeof body;
    business.cancellation.cutoff = {
      businessDaysBefore: 1,
      time: "10:00",
      days: "business",
      closuresMove: true,
    };
    const kept = await sendai.post(`api/municipalities/${SENDAI}/policies`, business);
    expect(kept.status, kept.text).toBe(201);
    expect(kept.json.cancellation.cutoff).toEqual(business.cancellation.cutoff);
  });

  it("answers 404 no_policy before the first version, and anonymous callers may read", async () => {
    const res = await anonymous.get(`api/municipalities/${SENDAI}/policies/current?date=2020-01-01`);
    expectProblem(res, 404, "no_policy");
    await expectContract("getPolicyInForce", res);
    const now = await anonymous.get(`api/municipalities/${SENDAI}/policies/current`);
    expect(now.status).toBe(200);
    expect(now.json.municipalityCode).toBe(SENDAI);
  });
});
