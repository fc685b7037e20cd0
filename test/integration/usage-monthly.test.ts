import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BookingStatus, ServiceType } from "../../hub/db/client.js";
import { formatDate } from "../../hub/inventory/dates.js";
import { TestClient } from "../support/client.js";
import { expectContract, expectProblem } from "../support/contract.js";
import { monthDay as day, startOfTokyoMonth, tokyoMonth } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { clientFor, DEMO_USERS } from "../support/sessions.js";

const SENDAI = "041009";
const NATORI = "042072";

/** The last day of the month before `month`, and the first day of the month after. */
function neighbours(month: string): { before: Date; after: Date } {
  const first = day(month, 1);
  return {
    before: new Date(first.getTime() - 86_400_000),
    after: new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 1)),
  };
}

type Amounts = { units: number; fee: number; residentCopay: number; municipalityShare: number };
const STAY: Amounts = { units: 2, fee: 64_000, residentCopay: 6_000, municipalityShare: 58_000 };
const DAY: Amounts = { units: 1, fee: 15_000, residentCopay: 1_500, municipalityShare: 13_500 };
const DAY_EXEMPT: Amounts = { units: 1, fee: 15_000, residentCopay: 0, municipalityShare: 15_000 };

describe("monthly confirmation of usage (確認・承認)", () => {
  let t: TestHub;
  let sendai: TestClient;
  let natori: TestClient;
  let prefecture: TestClient;
  /** The hub's clock: real time unless a test sets it (never later than real time, so sessions stay valid). */
  let clock: Date | undefined;
  let facilityA: { id: string; name: string };
  let facilityB: { id: string; name: string };
  let sendaiResident: { id: string; familyName: string; givenName: string };
  let sendaiNumbered: { id: string; externalId: string | null };
  let natoriResident: { id: string };

  const LAST = tokyoMonth(-1);
  const M1 = tokyoMonth(-3);
  const M2 = tokyoMonth(-4);
  const M3 = tokyoMonth(-5);

  async function book(
    residentId: string,
    facilityId: string,
    start: Date,
    opts: { status?: BookingStatus; serviceType?: ServiceType; nights?: number; amounts?: Amounts } = {},
  ) {
    const nights = opts.nights ?? (opts.serviceType === "stay" || !opts.serviceType ? 1 : 0);
    return t.hub.prisma.booking.create({
      data: {
        residentId,
        facilityId,
        serviceType: opts.serviceType ?? "stay",
        startDate: start,
        endDate: new Date(start.getTime() + nights * 86_400_000),
        status: opts.status ?? "used",
        source: "staff",
        ...(opts.amounts ?? STAY),
      },
    });
  }

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 50, now: () => clock ?? new Date() });
    sendai = await clientFor(t, DEMO_USERS.municipality.own);
    natori = await clientFor(t, DEMO_USERS.municipality.other as string);
    prefecture = await clientFor(t, DEMO_USERS.prefecture.own);
    const p = t.hub.prisma;
    const facilityUser = await p.user.findUniqueOrThrow({ where: { email: DEMO_USERS.facility.own } });
    const facility2User = await p.user.findUniqueOrThrow({ where: { email: DEMO_USERS.facility.other! } });
    facilityA = await p.facility.findUniqueOrThrow({
      where: { id: facilityUser.facilityId! },
      select: { id: true, name: true },
    });
    facilityB = await p.facility.findUniqueOrThrow({
      where: { id: facility2User.facilityId! },
      select: { id: true, name: true },
    });
    const residentUser = await p.user.findUniqueOrThrow({ where: { email: DEMO_USERS.resident.own } });
    sendaiResident = await p.resident.findUniqueOrThrow({ where: { id: residentUser.residentId! } });
    expect(sendaiResident).toMatchObject({ municipalityCode: SENDAI });
    sendaiNumbered = await p.resident.create({
      data: {
        municipalityCode: SENDAI,
        familyName: "検証",
        givenName: "月子",
        kana: "ケンショウ ツキコ",
        externalId: "77001",
      },
    });
    natoriResident =
      (await p.resident.findFirst({ where: { municipalityCode: NATORI } })) ??
      (await p.resident.create({
        data: { municipalityCode: NATORI, familyName: "名取", givenName: "花子" },
      }));

    // M1: three uses of 仙台市 residents (two stays at A, a day at B reported), with bookings around them
    // that are not uses of 仙台市 in M1.
    const { before, after } = neighbours(M1);
    await book(sendaiResident.id, facilityA.id, day(M1, 1));
    await book(sendaiNumbered.id, facilityA.id, day(M1, 14));
    await book(sendaiNumbered.id, facilityB.id, day(M1, 28), {
      serviceType: "day",
      status: "reported",
      amounts: DAY,
    });
    await book(sendaiResident.id, facilityA.id, day(M1, 20), { status: "confirmed" });
    await book(sendaiResident.id, facilityA.id, day(M1, 21), { status: "cancelled" });
    await book(sendaiResident.id, facilityA.id, day(M1, 22), { status: "no_show" });
    await book(sendaiResident.id, facilityA.id, before);
    await book(sendaiResident.id, facilityA.id, after);
    await book(natoriResident.id, facilityA.id, day(M1, 10), { amounts: DAY_EXEMPT, serviceType: "day" });
  }, 180_000);
  afterAll(() => t?.close());

  it("sums a month's uses of the municipality's residents, per facility and item by item", async () => {
    const res = await sendai.get(`api/usage/monthly?month=${M1}`);
    expect(res.status, res.text).toBe(200);
    await expectContract("getMonthlyUsage", res);
    const u = res.json;
    expect(u).toMatchObject({ municipalityCode: SENDAI, municipalityName: "仙台市", month: M1, ended: true });
    expect(u.from).toBe(`${M1}-01`);
    expect(u.to.slice(0, 7)).toBe(M1);
    expect(u.totals).toEqual({
      uses: 3,
      units: STAY.units * 2 + DAY.units,
      fee: STAY.fee * 2 + DAY.fee,
      residentCopay: STAY.residentCopay * 2 + DAY.residentCopay,
      municipalityShare: STAY.municipalityShare * 2 + DAY.municipalityShare,
    });
    expect(u.totals.residentCopay + u.totals.municipalityShare).toBe(u.totals.fee);
    // Per facility: A has the two stays, B the day; together they are the totals.
    const byId = new Map((u.facilities as { facilityId: string }[]).map((f) => [f.facilityId, f]));
    expect(byId.get(facilityA.id)).toMatchObject({
      facilityName: facilityA.name,
      uses: 2,
      fee: STAY.fee * 2,
    });
    expect(byId.get(facilityB.id)).toMatchObject({ facilityName: facilityB.name, uses: 1, fee: DAY.fee });
    for (const key of ["uses", "units", "fee", "residentCopay", "municipalityShare"] as const) {
      const sum = (u.facilities as Record<string, number>[]).reduce((s, f) => s + (f[key] ?? 0), 0);
      expect(sum, key).toBe(u.totals[key]);
      const items = (u.items as Record<string, number>[]).reduce((s, i) => s + (i[key] ?? 0), 0);
      if (key !== "uses") expect(items, key).toBe(u.totals[key]);
    }
    // Items in date order, with the resident as the municipality knows them.
    expect(u.items.map((i: { startDate: string }) => i.startDate)).toEqual([
      `${M1}-01`,
      `${M1}-14`,
      `${M1}-28`,
    ]);
    expect(u.items[0]).toMatchObject({
      residentId: sendaiResident.id,
      residentName: `${sendaiResident.familyName} ${sendaiResident.givenName}`,
      facilityName: facilityA.name,
      serviceType: "stay",
      status: "used",
      ...STAY,
    });
    expect(u.items[0].endDate).toBe(formatDate(day(M1, 2)));
    expect(u.items[1]).toMatchObject({ residentName: "検証 月子", residentNumber: "77001" });
    expect(u.items[2]).toMatchObject({
      status: "reported",
      serviceType: "day",
      facilityName: facilityB.name,
    });
    // The confirmed booking of the month is not a use yet: staff see it before confirming.
    expect(u.unredeemed).toBe(1);
    expect(u.confirmation).toBeNull();
    expect(u.differsFromConfirmation).toBe(false);
  });

  it("keeps each municipality to its own residents; another municipality's code is not found", async () => {
    const own = await sendai.get(`api/usage/monthly?month=${M1}&municipalityCode=${SENDAI}`);
    expect(own.status, own.text).toBe(200);
    expect(own.json.totals.uses).toBe(3);
    expectProblem(
      await sendai.get(`api/usage/monthly?month=${M1}&municipalityCode=${NATORI}`),
      404,
      "not_found",
    );
    const n = await natori.get(`api/usage/monthly?month=${M1}`);
    expect(n.status, n.text).toBe(200);
    expect(n.json.municipalityCode).toBe(NATORI);
    expect(n.json.totals).toEqual({ uses: 1, ...DAY_EXEMPT });
    expect(n.json.items.map((i: { residentId: string }) => i.residentId)).toEqual([natoriResident.id]);
    expect(n.json.unredeemed).toBe(0);
    // The refused read leaves a trace in the audit log.
    const denied = await t.hub.prisma.auditLog.count({
      where: { action: "getMonthlyUsage", outcome: "denied", tenant: `municipality:${SENDAI}` },
    });
    expect(denied).toBeGreaterThanOrEqual(1);
  });

  it("lets the prefecture read a municipality it names, and nobody else in", async () => {
    expectProblem(await prefecture.get(`api/usage/monthly?month=${M1}`), 422, "municipality_required");
    const res = await prefecture.get(`api/usage/monthly?month=${M1}&municipalityCode=${SENDAI}`);
    expect(res.status, res.text).toBe(200);
    await expectContract("getMonthlyUsage", res);
    const mine = await sendai.get(`api/usage/monthly?month=${M1}`);
    expect(res.json.totals).toEqual(mine.json.totals);
    expect(res.json.items).toEqual(mine.json.items);
    expectProblem(
      await prefecture.get(`api/usage/monthly?month=${M1}&municipalityCode=999999`),
      404,
      "not_found",
    );
    // The prefecture reads; only the municipality confirms.
    expectProblem(await prefecture.post(`api/usage/monthly/${M1}/confirm`, {}), 403, "forbidden");
    for (const role of ["facility", "resident", "association", "operator"] as const) {
      const c = await clientFor(t, DEMO_USERS[role].own);
      expectProblem(
        await c.get(`api/usage/monthly?month=${M1}&municipalityCode=${SENDAI}`),
        403,
        "forbidden",
      );
      expect((await c.post(`api/usage/monthly/${M1}/confirm`, {})).status).toBe(403);
    }
    const anonymous = new TestClient(t.url);
    expect((await anonymous.get(`api/usage/monthly?month=${M1}`)).status).toBe(401);
    expect((await anonymous.post(`api/usage/monthly/${M1}/confirm`, {})).status).toBe(401);
  });

  it("refuses a month that is not YYYY-MM with a field error", async () => {
    for (const bad of ["2026-13", "2026-1", "202610", "2026-10-01", "next", "1999-12"]) {
      const get = await sendai.get(`api/usage/monthly?month=${encodeURIComponent(bad)}`);
      expectProblem(get, 422, "invalid_month");
      expect(get.json.errors).toEqual([{ path: "month", message: expect.any(String) }]);
      expect(get.headers.get("content-type")).toContain("application/problem+json");
      const post = await sendai.post(`api/usage/monthly/${encodeURIComponent(bad)}/confirm`, {});
      expectProblem(post, 422, "invalid_month");
      await expectContract("confirmMonthlyUsage", post);
    }
    expect((await sendai.get("api/usage/monthly")).status).toBe(400);
  });

  it("confirms only a month that has ended in Asia/Tokyo", async () => {
    for (const month of [tokyoMonth(0), tokyoMonth(1), "2999-12"]) {
      const res = await sendai.post(`api/usage/monthly/${month}/confirm`, {});
      expectProblem(res, 422, "month_not_ended");
      expect((await sendai.get(`api/usage/monthly?month=${month}`)).json.ended).toBe(false);
    }
    // One second before midnight on the 1st (Tokyo) last month has not ended; at midnight it has.
    const boundary = startOfTokyoMonth();
    try {
      clock = new Date(boundary.getTime() - 1000);
      expectProblem(await sendai.post(`api/usage/monthly/${LAST}/confirm`, {}), 422, "month_not_ended");
      clock = boundary;
      const res = await sendai.post(`api/usage/monthly/${LAST}/confirm`, {});
      expect(res.status, res.text).toBe(200);
      expect(res.json.confirmation.confirmedAt).toBe(boundary.toISOString());
    } finally {
      clock = undefined;
    }
    expect(await t.hub.prisma.usageConfirmation.count({ where: { month: tokyoMonth(0) } })).toBe(0);
  });

  it("stores a snapshot; confirming again is refused until the totals change, then replaces it", async () => {
    const first = await sendai.post(`api/usage/monthly/${M1}/confirm`, { note: "  10月分 確認済み  " });
    expect(first.status, first.text).toBe(200);
    await expectContract("confirmMonthlyUsage", first);
    const totals = first.json.totals;
    expect(first.json.confirmation).toMatchObject({ month: M1, ...totals, note: "10月分 確認済み" });
    expect(first.json.confirmation.confirmedByName).toBeTruthy();
    expect(first.json.differsFromConfirmation).toBe(false);
    const sendaiUser = await t.hub.prisma.user.findUniqueOrThrow({
      where: { email: DEMO_USERS.municipality.own },
    });
    expect(first.json.confirmation.confirmedBy).toBe(sendaiUser.id);

    const again = await sendai.post(`api/usage/monthly/${M1}/confirm`, {});
    expectProblem(again, 409, "already_confirmed");
    await expectContract("confirmMonthlyUsage", again);

    // A use of M1 redeemed after confirming: the month now differs from its snapshot.
    await book(sendaiNumbered.id, facilityB.id, day(M1, 25), { serviceType: "day", amounts: DAY });
    const changed = await sendai.get(`api/usage/monthly?month=${M1}`);
    expect(changed.json.totals).toEqual({
      uses: totals.uses + 1,
      units: totals.units + DAY.units,
      fee: totals.fee + DAY.fee,
      residentCopay: totals.residentCopay + DAY.residentCopay,
      municipalityShare: totals.municipalityShare + DAY.municipalityShare,
    });
    expect(changed.json.confirmation).toMatchObject(totals);
    expect(changed.json.differsFromConfirmation).toBe(true);
    // The prefecture sees the same difference.
    const pref = await prefecture.get(`api/usage/monthly?month=${M1}&municipalityCode=${SENDAI}`);
    expect(pref.json.differsFromConfirmation).toBe(true);

    const second = await sendai.post(`api/usage/monthly/${M1}/confirm`, { note: "追加分を確認" });
    expect(second.status, second.text).toBe(200);
    expect(second.json.confirmation).toMatchObject({ ...changed.json.totals, note: "追加分を確認" });
    expect(second.json.differsFromConfirmation).toBe(false);
    expectProblem(await sendai.post(`api/usage/monthly/${M1}/confirm`, {}), 409, "already_confirmed");

    // One row per municipality and month; the audit log keeps both confirmations.
    const rows = await t.hub.prisma.usageConfirmation.findMany({
      where: { municipalityCode: SENDAI, month: M1 },
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      ...changed.json.totals,
      note: "追加分を確認",
      confirmedBy: sendaiUser.id,
    });
    const audit = await t.hub.prisma.auditLog.findMany({
      where: { action: "confirmMonthlyUsage", resourceId: M1, actorId: sendaiUser.id },
      orderBy: { at: "asc" },
    });
    expect(
      audit.filter((a) => a.outcome === "ok" && (a.detail as { status?: number }).status === 200),
    ).toHaveLength(2);
    expect(audit.every((a) => a.tenant === `municipality:${SENDAI}`)).toBe(true);
  });

  it("keeps each municipality's confirmation apart", async () => {
    const before = await sendai.get(`api/usage/monthly?month=${M1}`);
    const n = await natori.post(`api/usage/monthly/${M1}/confirm`, {});
    expect(n.status, n.text).toBe(200);
    expect(n.json).toMatchObject({ municipalityCode: NATORI, totals: { uses: 1, ...DAY_EXEMPT } });
    expect(n.json.confirmation).toMatchObject({ uses: 1, fee: DAY_EXEMPT.fee, note: "" });
    const after = await sendai.get(`api/usage/monthly?month=${M1}`);
    expect(after.json.confirmation).toEqual(before.json.confirmation);
    // A month with no uses at all can be confirmed too (a snapshot of zeros).
    const empty = await natori.post(`api/usage/monthly/${M3}/confirm`, {});
    expect(empty.status, empty.text).toBe(200);
    expect(empty.json.confirmation).toMatchObject({
      uses: 0,
      units: 0,
      fee: 0,
      residentCopay: 0,
      municipalityShare: 0,
    });
  });

  it("refuses a note that is too long, not text or has control characters", async () => {
    expect((await sendai.post(`api/usage/monthly/${M2}/confirm`, { note: "あ".repeat(501) })).status).toBe(
      400,
    );
    expect((await sendai.post(`api/usage/monthly/${M2}/confirm`, { note: 42 })).status).toBe(400);
    expect((await sendai.post(`api/usage/monthly/${M2}/confirm`, { other: 1 })).status).toBe(400);
    expectProblem(
      await sendai.post(`api/usage/monthly/${M2}/confirm`, { note: "a\u0001b" }),
      422,
      "invalid_note",
    );
    expect(await t.hub.prisma.usageConfirmation.count({ where: { month: M2 } })).toBe(0);
    // No body at all is a confirmation without a note.
    const res = await sendai.request("POST", `api/usage/monthly/${M2}/confirm`);
    expect(res.status, res.text).toBe(200);
    expect(res.json.confirmation.note).toBe("");
  });

  it("stores one confirmation when two staff confirm the same month at once", async () => {
    await book(sendaiResident.id, facilityA.id, day(M3, 3));
    const second = await clientFor(t, DEMO_USERS.municipality.own);
    const answers = await Promise.all([
      sendai.post(`api/usage/monthly/${M3}/confirm`, {}),
      second.post(`api/usage/monthly/${M3}/confirm`, {}),
      sendai.post(`api/usage/monthly/${M3}/confirm`, {}),
    ]);
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses, answers.map((a) => a.text).join("\n")).toEqual([200, 409, 409]);
    for (const a of answers.filter((x) => x.status === 409)) expect(a.json.code).toBe("already_confirmed");
    expect(
      await t.hub.prisma.usageConfirmation.count({ where: { municipalityCode: SENDAI, month: M3 } }),
    ).toBe(1);
  });
});
