import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expireHolds } from "../../hub/bookings/actions.js";
import { addDays, formatDate } from "../../hub/inventory/dates.js";
import { formatVoucherNumber, makeVoucherNumber } from "../../hub/vouchers/number.js";
import type { TestClient } from "../support/client.js";
import { expectContract, expectProblem } from "../support/contract.js";
import { tokyoDay as day, serviceDay, tokyoDate } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { bookableResidents } from "../support/residents.js";
import { clientFor } from "../support/sessions.js";

const toFullWidth = (s: string) => s.replace(/[0-9]/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0));

/**
 * Bookings draw on vouchers: the entitlement engine decides units and amounts under the policy version in force
 * on the service date, holds reserve the units, cancellations give them back, and 使用済処理 turns them into used
 * ones, idempotently and with clear refusals.
 */
describe("vouchers and bookings: entitlement, units and redemption", () => {
  let t: TestHub;
  let facilityId: string;
  let otherFacilityId: string;
  let facility: TestClient;
  let facility2: TestClient;
  let sendai: TestClient;
  let natori: TestClient;

  const balance = async (residentId: string, serviceType = "stay") =>
    t.hub.prisma.voucherBalance.findFirstOrThrow({
      where: { serviceType: serviceType as "stay", voucher: { residentId, status: "active" } },
      select: { cap: true, used: true, reserved: true },
    });
  const voucherOf = (residentId: string) =>
    t.hub.prisma.voucher.findFirstOrThrow({ where: { residentId, status: "active" } });
  const stay = (startDate: string, residentId: string, extra: Record<string, unknown> = {}) => ({
    facilityId,
    serviceType: "stay",
    startDate,
    residentId,
    ...extra,
  });
  /** A booking for `residentId` today at the demo hospital, approved by the facility: ready to redeem. */
  const confirmedToday = async (staff: TestClient, residentId: string) => {
    const held = await staff.post("api/bookings", stay(day(0), residentId));
    expect(held.status, held.text).toBe(201);
    const ok = await facility.post(`api/bookings/${held.json.id}/confirm`);
    expect(ok.status, ok.text).toBe(200);
    return held.json;
  };

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 20 });
    const p = t.hub.prisma;
    const user = (email: string) => p.user.findUniqueOrThrow({ where: { email } });
    facilityId = (await user("facility@demo.example.jp")).facilityId as string;
    otherFacilityId = (await user("facility2@demo.example.jp")).facilityId as string;
    facility = await clientFor(t, "facility@demo.example.jp");
    facility2 = await clientFor(t, "facility2@demo.example.jp");
    sendai = await clientFor(t, "sendai@demo.example.jp");
    natori = await clientFor(t, "natori@demo.example.jp");
    // Room for every stay this file books at the demo hospital.
    const room = await facility.put(`api/facilities/${facilityId}/slots`, {
      serviceType: "stay",
      from: day(0),
      to: day(45),
      capacity: 50,
    });
    expect(room.status, room.text).toBe(200);
  }, 180_000);
  afterAll(() => t?.close());

  it("two municipalities' rules give different copays and units for the same booking", async () => {
    const [s] = await bookableResidents(t.hub.prisma, "041009", 1);
    const [n] = await bookableResidents(t.hub.prisma, "042072", 1);
    const [o] = await bookableResidents(t.hub.prisma, "042153", 1);
    const osaki = await t.hub.prisma.user.create({
      data: {
        role: "municipality",
        displayName: "大崎市",
        municipalityCode: "042153",
        email: "osaki@example.jp",
      },
    });
    const osakiStaff = await (await import("../support/sessions.js")).clientForUser(t, osaki.id);
    const date = day(10);
    const quotes = [
      await sendai.post("api/bookings/quote", stay(date, s as string)),
      await natori.post("api/bookings/quote", stay(date, n as string)),
      await osakiStaff.post("api/bookings/quote", stay(date, o as string)),
    ];
    for (const q of quotes) {
      expect(q.status, q.text).toBe(200);
      await expectContract("quoteBooking", q);
    }
    const [qs, qn, qo] = quotes.map((q) => q.json);
    // 仙台市: 1泊2日 = 2 units of ¥32,000; ¥3,000 a unit, less ¥1,000 for one of the first five uses.
    expect(qs).toMatchObject({
      unitsNeeded: 2,
      stayCounting: "per_day",
      fee: 64_000,
      residentCopay: 5_000,
      municipalityShare: 59_000,
    });
    // 名取市: 2 units of ¥30,000, ¥5,000 a unit.
    expect(qn).toMatchObject({
      unitsNeeded: 2,
      fee: 60_000,
      residentCopay: 10_000,
      municipalityShare: 50_000,
    });
    // 大崎市 counts stays by the night: 1 unit of ¥36,000; ¥6,000 less ¥1,000 for one of the first two uses.
    expect(qo).toMatchObject({
      unitsNeeded: 1,
      stayCounting: "per_night",
      fee: 36_000,
      residentCopay: 5_000,
    });
    for (const q of [qs, qn, qo]) expect(q.fee).toBe(q.residentCopay + q.municipalityShare);
    // A quote holds nothing.
    expect(await balance(s as string)).toMatchObject({ reserved: 0, used: 0 });
  });

  it("a hold records the entitlement and reserves the units; cancel, reject and expiry give them back", async () => {
    const [r] = (await bookableResidents(t.hub.prisma, "041009", 1)) as [string];
    const held = await sendai.post("api/bookings", stay(day(11), r, { nights: 2 }));
    expect(held.status, held.text).toBe(201);
    await expectContract("createHold", held);
    const v = await voucherOf(r);
    expect(held.json).toMatchObject({
      voucherId: v.id,
      units: 3,
      fee: 96_000,
      residentCopay: 8_000,
      municipalityShare: 88_000,
      policyVersion: { version: 1 },
    });
    expect(held.json.voucherNumber).toMatch(/^04100-\d{7}-\d$/);
    expect(held.json.lines.map((l: { kind: string }) => l.kind)).toEqual([
      "unit",
      "unit",
      "unit",
      "reduction",
    ]);
    expect(await balance(r)).toMatchObject({ cap: 7, reserved: 3, used: 0 });
    expect((await voucherOf(r)).usesCount).toBe(1);

    const cancelled = await sendai.post(`api/bookings/${held.json.id}/cancel`, { reason: "体調のため" });
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(await balance(r)).toMatchObject({ reserved: 0, used: 0 });
    expect((await voucherOf(r)).usesCount).toBe(0);

    const again = await sendai.post("api/bookings", stay(day(12), r));
    const rejected = await facility.post(`api/bookings/${again.json.id}/reject`, { reason: "満室" });
    expect(rejected.status).toBe(200);
    expect(await balance(r)).toMatchObject({ reserved: 0 });

    const third = await sendai.post("api/bookings", stay(day(13), r));
    expect(await balance(r)).toMatchObject({ reserved: 2 });
    await expireHolds(t.hub.prisma, new Date(new Date(third.json.holdExpiresAt).getTime() + 1000));
    expect(await balance(r)).toMatchObject({ reserved: 0, used: 0 });
  });

  it("refuses what the voucher does not cover, with every reason, and a resident without a voucher", async () => {
    const [r] = (await bookableResidents(t.hub.prisma, "041009", 1, { babyAgeDays: 200 })) as [string];
    const old = await sendai.post("api/bookings", stay(day(5), r));
    expectProblem(old, 422, "not_entitled");
    expect(old.json.errors.map((e: { code: string }) => e.code)).toContain("child_too_old");
    // Day care is open until the first birthday (and closed on Sundays: a service day).
    const block = await t.hub.prisma.facilityService.findUniqueOrThrow({
      where: { facilityId_serviceType: { facilityId, serviceType: "day" } },
    });
    const code = (block.timeBlocks as { code: string }[])[0]?.code;
    const dayCare = await sendai.post("api/bookings", {
      ...stay(serviceDay(5), r),
      serviceType: "day",
      timeBlock: code,
    });
    expect(dayCare.status, dayCare.text).toBe(201);

    // Three nights take four units; another three nights would need four more of the three left.
    const [y] = (await bookableResidents(t.hub.prisma, "041009", 1)) as [string];
    expect((await sendai.post("api/bookings", stay(day(5), y, { nights: 3 }))).status).toBe(201);
    const more = await sendai.post("api/bookings", stay(day(9), y, { nights: 3 }));
    expectProblem(more, 422, "not_entitled");
    expect(more.json.errors.map((e: { code: string }) => e.code)).toEqual(["not_enough_units"]);
    expect(await balance(y)).toMatchObject({ reserved: 4 });

    const none = await t.hub.prisma.resident.create({
      data: { municipalityCode: "041009", familyName: "券無", givenName: "花子" },
    });
    expectProblem(await sendai.post("api/bookings", stay(day(5), none.id)), 422, "no_voucher");
  });

  it("never passes a voucher's cap under concurrent holds", async () => {
    const [r] = (await bookableResidents(t.hub.prisma, "041009", 1)) as [string];
    // 12 one-night stays (2 units each) at once on different nights: 3 fit in 7 units.
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => sendai.post("api/bookings", stay(day(20 + i), r))),
    );
    expect(results.filter((x) => x.status >= 500).map((x) => x.text)).toEqual([]);
    expect(results.filter((x) => x.status === 201)).toHaveLength(3);
    for (const x of results.filter((x) => x.status !== 201)) {
      expect([422, 409]).toContain(x.status);
      expect(["not_entitled", "voucher_changed"]).toContain(x.json.code);
    }
    expect(await balance(r)).toMatchObject({ cap: 7, reserved: 6, used: 0 });
    expect((await voucherOf(r)).usesCount).toBe(3);
    const open = await t.hub.prisma.booking.findMany({ where: { residentId: r, status: "requested" } });
    expect(open.map((b) => b.units)).toEqual([2, 2, 2]);
    // 減免 went to exactly the uses it was computed for: with usesSoFar 0, 1 and 2 (all within the first five).
    expect(open.map((b) => b.residentCopay).sort()).toEqual([5_000, 5_000, 5_000]);
  });

  it("a rule change from next month leaves this month's amounts untouched", async () => {
    const [r] = (await bookableResidents(t.hub.prisma, "041009", 1)) as [string];
    const thisMonth = await sendai.post("api/bookings", stay(day(1), r));
    expect(thisMonth.status, thisMonth.text).toBe(201);
    const before = thisMonth.json;

    const today = tokyoDate();
    const next = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + 1, 1));
    const current = (await sendai.get("api/municipalities/041009/policies")).json.items[0];
    const { inUse: _u, createdAt: _c, version: _v, municipalityCode: _m, ...rules } = current;
    rules.effectiveFrom = formatDate(next);
    rules.services.stay.copayPerUnit.general = 4_000;
    const created = await sendai.post("api/municipalities/041009/policies", rules);
    expect(created.status, created.text).toBe(201);

    // The booking made under version 1 keeps its amounts; a quote for this month still uses version 1.
    expect((await sendai.get(`api/bookings/${before.id}`)).json).toMatchObject({
      residentCopay: before.residentCopay,
      fee: before.fee,
      policyVersion: { version: 1 },
    });
    const [other] = (await bookableResidents(t.hub.prisma, "041009", 1)) as [string];
    const now = await sendai.post("api/bookings/quote", stay(day(1), other));
    expect(now.json).toMatchObject({ residentCopay: before.residentCopay, policyVersion: { version: 1 } });
    const later = await sendai.post("api/bookings/quote", stay(formatDate(addDays(next, 3)), other));
    expect(later.status, later.text).toBe(200);
    expect(later.json).toMatchObject({ residentCopay: 2 * 4_000 - 1_000, policyVersion: { version: 2 } });
  });

  it("redeems by QR or typed number, shows the copay, and a second scan changes nothing", async () => {
    const [r] = (await bookableResidents(t.hub.prisma, "041009", 1)) as [string];
    const booking = await confirmedToday(sendai, r);
    const v = await sendai.get(`api/vouchers/${booking.voucherId}`);
    const qr = v.json.qrPayload as string;

    const looked = await facility.post("api/redemptions/lookup", { code: qr });
    expect(looked.status, looked.text).toBe(200);
    await expectContract("lookupRedemption", looked);
    // Its balances in the municipality's own count, as on her voucher: the same stayCounting.
    expect(looked.json.voucher).toMatchObject({
      number: v.json.number,
      municipalityName: "仙台市",
      stayCounting: v.json.stayCounting,
    });
    expect(v.json.stayCounting).toBe("per_day");
    expect(looked.json.resident).toMatchObject({ familyName: "試験" });
    expect(looked.json.bookings).toEqual([
      expect.objectContaining({ id: booking.id, units: 2, residentCopay: 5_000, status: "confirmed" }),
    ]);
    // The number as typed, in full-width digits with hyphens, finds the same.
    const typed = await facility.post("api/redemptions/lookup", { code: toFullWidth(v.json.number) });
    expect(typed.json.bookings.map((b: { id: string }) => b.id)).toEqual([booking.id]);

    const [a, b] = await Promise.all([
      facility.post(`api/bookings/${booking.id}/redeem`),
      facility.post(`api/bookings/${booking.id}/redeem`),
    ]);
    for (const x of [a, b]) {
      expect(x.status, x.text).toBe(200);
      await expectContract("redeemBooking", x);
    }
    expect([a.json.alreadyRedeemed, b.json.alreadyRedeemed].sort()).toEqual([false, true]);
    expect(a.json.booking.status).toBe("used");
    expect(await balance(r)).toMatchObject({ reserved: 0, used: 2 });
    const events = await t.hub.prisma.bookingEvent.findMany({
      where: { bookingId: booking.id, type: "used" },
    });
    expect(events).toHaveLength(1);
    expect(events[0]?.data).toMatchObject({ residentCopay: 5_000, units: 2 });
    // The resident is told, in the same transaction.
    const resident = await t.hub.prisma.resident.findUniqueOrThrow({ where: { id: r } });
    const told = await t.hub.prisma.outboxMessage.findMany({
      where: { payload: { path: ["to"], equals: resident.email ?? "" } },
    });
    expect(told.map((m) => (m.payload as { subject?: string }).subject)).toContain(
      "【産後ケア】利用券を使用しました",
    );
    // Scanning again the same day shows it as redeemed, and redeeming again changes nothing.
    const rescan = await facility.post("api/redemptions/lookup", { code: qr });
    expect(rescan.json.bookings[0]).toMatchObject({ id: booking.id, status: "used" });
    const third = await facility.post(`api/bookings/${booking.id}/redeem`);
    expect(third.json.alreadyRedeemed).toBe(true);
    expect(await balance(r)).toMatchObject({ reserved: 0, used: 2 });
  });

  it("refuses with a reason: bad codes, not approved, not yet due, revoked, expired, used up", async () => {
    const lookup = (code: string, c = facility) => c.post("api/redemptions/lookup", { code });
    expectProblem(await lookup("04100-0000001-0"), 422, "invalid_voucher_code");
    expectProblem(await lookup("123"), 422, "invalid_voucher_code");
    expectProblem(await lookup("SCV1.0410000000019.AAAAAAAAAAAAAAAAAAAAAA"), 422, "invalid_voucher_code");

    const [r] = (await bookableResidents(t.hub.prisma, "041009", 1)) as [string];
    const booking = await confirmedToday(sendai, r);
    expectProblem(await facility2.post(`api/bookings/${booking.id}/redeem`), 404, "not_found");

    const [r2] = (await bookableResidents(t.hub.prisma, "041009", 1)) as [string];
    const held = await sendai.post("api/bookings", stay(day(0), r2));
    expectProblem(await lookup(held.json.voucherNumber), 409, "booking_not_confirmed");
    expectProblem(await facility.post(`api/bookings/${held.json.id}/redeem`), 409, "booking_not_confirmed");
    await facility.post(`api/bookings/${held.json.id}/confirm`);
    const [r3] = (await bookableResidents(t.hub.prisma, "041009", 1)) as [string];
    const future = await sendai.post("api/bookings", stay(day(3), r3));
    await facility.post(`api/bookings/${future.json.id}/confirm`);
    expectProblem(await lookup(future.json.voucherNumber), 409, "booking_not_yet_due");
    expectProblem(await facility.post(`api/bookings/${future.json.id}/redeem`), 409, "booking_not_yet_due");

    // A voucher with a booking here that ended: the facility may hear why nothing can be redeemed on it.
    const [r4] = (await bookableResidents(t.hub.prisma, "041009", 1)) as [string];
    const ended = await sendai.post("api/bookings", stay(day(5), r4));
    expect((await facility.post(`api/bookings/${ended.json.id}/reject`, { reason: "満床" })).status).toBe(
      200,
    );
    const endedVoucher = ended.json.voucherId as string;
    const endedNumber = ended.json.voucherNumber as string;
    await t.hub.prisma.voucherBalance.updateMany({ where: { voucherId: endedVoucher }, data: { used: 7 } });
    expectProblem(await lookup(endedNumber), 409, "voucher_exhausted");
    await t.hub.prisma.voucher.update({
      where: { id: endedVoucher },
      data: { validUntil: new Date(Date.UTC(2025, 0, 1)) },
    });
    expectProblem(await lookup(endedNumber), 409, "voucher_expired");

    // Re-issued: the old number is refused and names the replacement; the booking moved to the new voucher.
    const re = await sendai.post(`api/vouchers/${held.json.voucherId}/reissue`, { reason: "紛失" });
    expect(re.status, re.text).toBe(201);
    const refused = await lookup(held.json.voucherNumber);
    expectProblem(refused, 409, "voucher_revoked");
    expect(refused.json.detail).toContain(re.json.number);
    const moved = await facility.post("api/redemptions/lookup", { code: re.json.number });
    expect(moved.json.bookings.map((b: { id: string }) => b.id)).toEqual([held.json.id]);
    const redeemed = await facility.post(`api/bookings/${held.json.id}/redeem`);
    expect(redeemed.status, redeemed.text).toBe(200);
    expect(await balance(r2)).toMatchObject({ reserved: 0, used: 2 });
    // Revoked without a replacement: the open booking cannot be redeemed.
    await sendai.post(`api/vouchers/${future.json.voucherId}/revoke`, { reason: "転出" });
    expectProblem(await lookup(future.json.voucherNumber), 409, "voucher_revoked");
    expectProblem(await facility.post(`api/bookings/${future.json.id}/redeem`), 409, "voucher_revoked");
  });

  it("answers alike for a number that does not exist and one booked elsewhere or nowhere, and limits misses", async () => {
    const lookup = (code: string, c = facility2) => c.post("api/redemptions/lookup", { code });
    const [booked, unbooked] = (await bookableResidents(t.hub.prisma, "041009", 2)) as [string, string];
    const elsewhere = (await confirmedToday(sendai, booked)).voucherNumber as string;
    const unbookedVoucher = await voucherOf(unbooked);
    const nowhere = (await sendai.get(`api/vouchers/${unbookedVoucher.id}`)).json.number as string;
    const unknown = formatVoucherNumber(makeVoucherNumber("041009", 9_999_999));
    const answers = [await lookup(elsewhere), await lookup(nowhere), await lookup(unknown)];
    await t.hub.prisma.voucher.update({ where: { id: unbookedVoucher.id }, data: { status: "revoked" } });
    answers.push(await lookup(nowhere));
    for (const [i, res] of answers.entries()) {
      expectProblem(res, 404, "no_booking");
      const shown = [elsewhere, nowhere, unknown, nowhere][i];
      // The same words whatever the voucher is, apart from the number typed.
      expect(res.json.detail.replace(shown, "N")).toBe(answers[2]?.json.detail.replace(unknown, "N"));
    }
    // Probing numbers runs into a limit per staff account; other staff are not affected.
    for (let i = answers.length; i < 20; i++) expectProblem(await lookup(unknown), 404, "no_booking");
    expectProblem(await lookup(unknown), 429, "rate_limited");
    expectProblem(await lookup(unknown, facility), 404, "no_booking");
  });

  it("lists a resident's reservations and uses for their municipality, by resident or voucher", async () => {
    const [r] = (await bookableResidents(t.hub.prisma, "041009", 1)) as [string];
    const a = await confirmedToday(sendai, r);
    await facility.post(`api/bookings/${a.id}/redeem`);
    const b = await sendai.post("api/bookings", stay(day(40), r));
    const list = await sendai.get(`api/bookings?residentId=${r}`);
    expect(list.status).toBe(200);
    await expectContract("listBookings", list);
    expect(list.json.items.map((x: { id: string; status: string }) => [x.id, x.status])).toEqual([
      [b.json.id, "requested"],
      [a.id, "used"],
    ]);
    const byVoucher = await sendai.get(`api/bookings?voucherId=${a.voucherId}`);
    expect(byVoucher.json.total).toBe(2);
    // Another municipality sees none of them.
    expect((await natori.get(`api/bookings?residentId=${r}`)).json.total).toBe(0);
    // The other facility sees none either.
    expect((await facility2.get(`api/bookings?residentId=${r}`)).json.total).toBe(0);
    expect(otherFacilityId).not.toBe(facilityId);
  });
});
