import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendReminders } from "../../hub/bookings/reminders.js";
import { replay } from "../../hub/bookings/state.js";
import { parseDate } from "../../hub/inventory/dates.js";
import { jobHandlers } from "../../jobs/handlers.js";
import type { TestClient } from "../support/client.js";
import { expectContract, expectProblem } from "../support/contract.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { bookableResidents } from "../support/residents.js";
import { clientFor, clientForUser } from "../support/sessions.js";

/** Tokyo wall-clock time → instant. */
const jst = (text: string) => new Date(`${text}+09:00`);

/**
 * Cancellation fees, changes of booking and reminders through the API, with the hub's clock injected. The dates
 * are fixed in autumn 2026 around real public holidays: Silver Week (Mon 21 – Wed 23 September) and Sports Day
 * (Mon 12 October). Every booking is a stay at the demo hospital (青葉産婦人科病院).
 */
describe("cancellation fees, changes and reminders", () => {
  let clock = jst("2026-09-14T09:00:00");
  let t: TestHub;
  let facilityId: string;
  let facility: TestClient;
  let sendai: TestClient;
  let natori: TestClient;

  const prisma = () => t.hub.prisma;
  /** A new resident of `code` with a month-old baby, a voucher and a sign-in. */
  const newResident = async (code: string, language = "ja") => {
    const [residentId] = (await bookableResidents(prisma(), code, 1, { now: clock })) as [string];
    await prisma().resident.update({ where: { id: residentId }, data: { preferredLanguage: language } });
    const user = await prisma().user.create({
      data: { role: "resident", displayName: "試験 利用者", residentId },
    });
    return { residentId, client: await clientForUser(t, user.id) };
  };
  const stay = (startDate: string, extra: Record<string, unknown> = {}) => ({
    facilityId,
    serviceType: "stay",
    startDate,
    ...extra,
  });
  /** A stay requested by `client` (and approved by the facility unless `confirm` is false). */
  const book = async (
    client: TestClient,
    startDate: string,
    extra: Record<string, unknown> = {},
    confirm = true,
  ) => {
    const held = await client.post("api/bookings", stay(startDate, extra));
    expect(held.status, held.text).toBe(201);
    if (!confirm) return held.json;
    const ok = await facility.post(`api/bookings/${held.json.id}/confirm`);
    expect(ok.status, ok.text).toBe(200);
    return ok.json;
  };
  const booked = async (date: string) =>
    (
      await prisma().slot.findFirst({
        where: { facilityId, serviceType: "stay", date: parseDate(date) as Date, timeBlock: "" },
      })
    )?.booked ?? 0;
  const balance = (residentId: string) =>
    prisma().voucherBalance.findFirstOrThrow({
      where: { serviceType: "stay", voucher: { residentId, status: "active" } },
      select: { reserved: true, used: true },
    });
  const messagesAbout = async (bookingId: string) =>
    (await prisma().outboxMessage.findMany({ where: { topic: "notify.message" }, orderBy: { id: "asc" } }))
      .map((m) => m.payload as { to: string; subject?: string; text: string; language?: string })
      .filter((m) => m.text.includes(bookingId));
  /** Everything about a booking that a refused change must leave as it was. */
  const snapshot = async (bookingId: string, residentId: string, dates: string[]) => ({
    booking: await prisma().booking.findUniqueOrThrow({ where: { id: bookingId } }),
    events: await prisma().bookingEvent.count({ where: { bookingId } }),
    slots: await Promise.all(dates.map(booked)),
    balance: await balance(residentId),
    voucher: (await prisma().voucher.findFirstOrThrow({ where: { residentId, status: "active" } })).usesCount,
    outbox: await prisma().outboxMessage.count(),
  });

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 20, now: () => clock });
    const user = (email: string) => prisma().user.findUniqueOrThrow({ where: { email } });
    facilityId = (await user("facility@demo.example.jp")).facilityId as string;
    facility = await clientFor(t, "facility@demo.example.jp");
    sendai = await clientFor(t, "sendai@demo.example.jp");
    natori = await clientFor(t, "natori@demo.example.jp");
    const room = await facility.put(`api/facilities/${facilityId}/slots`, {
      serviceType: "stay",
      from: "2026-09-15",
      to: "2026-10-31",
      capacity: 40,
    });
    expect(room.status, room.text).toBe(200);
  }, 180_000);
  afterAll(() => t?.close());

  it("is free until 09:59:59 on the day before, a public holiday too, and costs the fee from 10:00:00", async () => {
    clock = jst("2026-09-14T09:00:00");
    const a = await newResident("042072");
    const b = await newResident("042072");
    // Thursday 24 September follows 敬老の日, 国民の休日 and 秋分の日 (21–23): 名取市 counts calendar days (the
    // specification's 「前日10時」), so the line is 10:00 on the 23rd, a public holiday, not the Friday before.
    const early = await book(a.client, "2026-09-24");
    const late = await book(b.client, "2026-09-24");
    expect(early.cancelDeadline).toBe("2026-09-23T01:00:00.000Z");
    expect(early.cancellation).toBeNull();
    const got = await a.client.get(`api/bookings/${early.id}`);
    await expectContract("getBooking", got);
    expect(got.json.cancelDeadline).toBe("2026-09-23T01:00:00.000Z");
    const listed = await natori.get(`api/bookings?residentId=${a.residentId}`);
    await expectContract("listBookings", listed);
    expect(listed.json.items[0].cancelDeadline).toBe("2026-09-23T01:00:00.000Z");

    clock = jst("2026-09-23T09:59:59");
    const free = await a.client.get(`api/bookings/${early.id}/cancellation`);
    expect(free.status, free.text).toBe(200);
    await expectContract("previewCancellation", free);
    expect(free.json).toMatchObject({
      deadline: "2026-09-23T01:00:00.000Z",
      beforeDeadline: true,
      reasonCode: "resident_request",
      fee: 0,
      waived: "before_deadline",
    });
    expect(free.json.reasonCodes).toEqual([
      "resident_request",
      "facility_caused",
      "birth_priority",
      "illness",
    ]);
    const cancelledFree = await a.client.post(`api/bookings/${early.id}/cancel`, {
      reason: "予定が変わったため",
    });
    expect(cancelledFree.status, cancelledFree.text).toBe(200);
    await expectContract("cancelBooking", cancelledFree);
    expect(cancelledFree.json).toMatchObject({
      status: "cancelled",
      cancelDeadline: "2026-09-23T01:00:00.000Z",
      cancellation: { reasonCode: "resident_request", fee: 0, residentShare: 0, municipalityShare: 0 },
    });
    // Free and self-made: the resident is not told, the facility is, without a fee line.
    expect((await messagesAbout(early.id)).at(-1)?.text).not.toContain("キャンセル料:");

    clock = jst("2026-09-23T10:00:00");
    const owed = await b.client.get(`api/bookings/${late.id}/cancellation`);
    // 名取市: 100% of the ¥60,000 fee; the resident pays what their copay was (¥10,000), the city the rest.
    expect(owed.json).toMatchObject({
      beforeDeadline: false,
      fee: 60_000,
      residentShare: 10_000,
      municipalityShare: 50_000,
      waived: null,
    });
    expect(await balance(b.residentId)).toMatchObject({ reserved: 2 });
    const cancelled = await b.client.post(`api/bookings/${late.id}/cancel`, { reason: "都合により" });
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(cancelled.json.cancellation).toEqual({
      reasonCode: "resident_request",
      fee: 60_000,
      residentShare: 10_000,
      municipalityShare: 50_000,
      waiver: null,
    });
    const row = await prisma().booking.findUniqueOrThrow({ where: { id: late.id } });
    expect(row).toMatchObject({
      status: "cancelled",
      cancelReason: "resident_request",
      cancellationFee: 60_000,
      feeResidentShare: 10_000,
      feeMunicipalityShare: 50_000,
    });
    expect(row.cancelDeadline?.toISOString()).toBe("2026-09-23T01:00:00.000Z");
    expect(await balance(b.residentId)).toMatchObject({ reserved: 0 });
    const events = (await b.client.get(`api/bookings/${late.id}/events`)).json.items;
    expect(events.at(-1)).toMatchObject({
      type: "cancelled",
      data: { reasonCode: "resident_request", fee: 60_000, residentShare: 10_000, municipalityShare: 50_000 },
    });
    // The resident gets the fee in writing even though they cancelled themselves; the facility too.
    const told = await messagesAbout(late.id);
    expect(
      told.find((m) => m.subject === "【産後ケア】予約が取り消されました" && m.text.includes("ご本人負担"))
        ?.text,
    ).toContain("キャンセル料 60,000円（ご本人負担 10,000円、市町村負担 50,000円）");
    expect(
      told.some((m) => m.text.includes("キャンセル料: 60,000円（利用者負担 10,000円、市町村負担 50,000円）")),
    ).toBe(true);
    // A finished booking has nothing to preview or cancel.
    expectProblem(await b.client.get(`api/bookings/${late.id}/cancellation`), 409, "invalid_transition");
  });

  it("charges the municipality's cancellation like the resident's; no-fee reasons, the facility and requests are free", async () => {
    clock = jst("2026-09-14T09:00:00");
    const r = await newResident("041009");
    const s2 = await newResident("041009");
    const s3 = await newResident("041009");
    const s4 = await newResident("041009");
    const ill = await book(r.client, "2026-09-24");
    const plain = await book(s2.client, "2026-09-24");
    const byFacility = await book(s3.client, "2026-09-24");
    const unconfirmed = await book(s4.client, "2026-09-24", {}, false);

    clock = jst("2026-09-23T15:00:00"); // 秋分の日, past the line (10:00 that day)
    expectProblem(
      await sendai.post(`api/bookings/${ill.id}/cancel`, { reason: "x", reasonCode: "disaster" }),
      422,
      "invalid_reason_code",
    );
    expectProblem(
      await r.client.post(`api/bookings/${ill.id}/cancel`, { reason: "x", reasonCode: "changed" }),
      422,
      "invalid_reason_code",
    );
    expectProblem(
      await r.client.get(`api/bookings/${ill.id}/cancellation?reasonCode=nope`),
      422,
      "invalid_reason_code",
    );
    const preview = await r.client.get(`api/bookings/${ill.id}/cancellation?reasonCode=illness`);
    expect(preview.json).toMatchObject({ fee: 0, waived: "no_fee_reason", reasonCode: "illness" });
    const illness = await sendai.post(`api/bookings/${ill.id}/cancel`, {
      reason: "発熱",
      reasonCode: "illness",
    });
    expect(illness.status, illness.text).toBe(200);
    // The municipality's own no-fee reason is final: nothing left to decide.
    expect(illness.json.cancellation).toEqual({
      reasonCode: "illness",
      fee: 0,
      residentShare: 0,
      municipalityShare: 0,
      waiver: null,
    });

    // 仙台市: 50% of ¥64,000, of which the resident pays a tenth.
    const charged = await sendai.post(`api/bookings/${plain.id}/cancel`, { reason: "ご家族から連絡" });
    expect(charged.json.cancellation).toEqual({
      reasonCode: "resident_request",
      fee: 32_000,
      residentShare: 3_200,
      municipalityShare: 28_800,
      waiver: null,
    });

    const facilityPreview = await facility.get(`api/bookings/${byFacility.id}/cancellation`);
    expect(facilityPreview.json).toMatchObject({ reasonCode: "facility_caused", fee: 0, waived: "facility" });
    const fac = await facility.post(`api/bookings/${byFacility.id}/cancel`, { reason: "分娩対応のため" });
    expect(fac.json.cancellation).toMatchObject({ reasonCode: "facility_caused", fee: 0 });
    // The facility cancelled: the resident is told, free of charge.
    const toResident = (await messagesAbout(byFacility.id)).filter((m) => m.to.startsWith("bookable-"));
    expect(toResident.at(-1)?.text).toContain("キャンセル料はかかりません");

    const req = await s4.client.post(`api/bookings/${unconfirmed.id}/cancel`, { reason: "やめます" });
    expect(req.json).toMatchObject({ status: "cancelled", cancellation: { fee: 0 } });
  });

  it("keeps a resident's own no-fee reason as a claim that the facility or her municipality decides", async () => {
    clock = jst("2026-09-14T09:00:00");
    const ill = await newResident("041009");
    const alsoIll = await newResident("041009");
    const declinedOne = await book(ill.client, "2026-09-25");
    const acceptedOne = await book(alsoIll.client, "2026-09-25");

    clock = jst("2026-09-24T15:00:00"); // well past the line (10:00 on the 24th)
    const preview = await ill.client.get(`api/bookings/${declinedOne.id}/cancellation?reasonCode=illness`);
    await expectContract("previewCancellation", preview);
    // 仙台市: 50% of ¥64,000, a tenth of it the resident's, if the claim is declined.
    expect(preview.json).toMatchObject({
      fee: 0,
      waived: "no_fee_reason",
      claim: { fee: 32_000, residentShare: 3_200, municipalityShare: 28_800 },
    });
    const cancelled = await ill.client.post(`api/bookings/${declinedOne.id}/cancel`, {
      reason: "子どもが発熱",
      reasonCode: "illness",
    });
    expect(cancelled.status, cancelled.text).toBe(200);
    await expectContract("cancelBooking", cancelled);
    expect(cancelled.json.cancellation).toEqual({
      reasonCode: "illness",
      fee: 0,
      residentShare: 0,
      municipalityShare: 0,
      waiver: {
        status: "claimed",
        decidedAt: null,
        claim: { fee: 32_000, residentShare: 3_200, municipalityShare: 28_800 },
      },
    });
    // She is told it is provisional; the facility is asked to decide.
    const told = await messagesAbout(declinedOne.id);
    expect(told.some((m) => m.text.includes("施設または市町村が確認したうえで確定します"))).toBe(true);
    expect(told.some((m) => m.text.includes("免除を認めるか決めてください"))).toBe(true);
    await alsoIll.client.post(`api/bookings/${acceptedOne.id}/cancel`, {
      reason: "体調不良",
      reasonCode: "illness",
    });

    // Both the facility and the municipality find the open claims; other facilities and the resident cannot decide.
    const open = await facility.get("api/bookings?feeWaiver=claimed&limit=200");
    await expectContract("listBookings", open);
    expect(open.json.items.map((b: { id: string }) => b.id)).toEqual(
      expect.arrayContaining([declinedOne.id, acceptedOne.id]),
    );
    const forSendai = await sendai.get("api/bookings?feeWaiver=claimed&limit=200");
    expect(forSendai.json.items.map((b: { id: string }) => b.id)).toContain(declinedOne.id);
    const other = await clientFor(t, "facility2@demo.example.jp");
    expectProblem(
      await other.post(`api/bookings/${declinedOne.id}/fee-waiver`, { decision: "accept" }),
      404,
      "not_found",
    );
    expectProblem(
      await natori.post(`api/bookings/${declinedOne.id}/fee-waiver`, { decision: "accept" }),
      404,
      "not_found",
    );
    expectProblem(
      await ill.client.post(`api/bookings/${declinedOne.id}/fee-waiver`, { decision: "accept" }),
      403,
      "forbidden",
    );

    // Declined: the fee she would have owed applies, recorded in the history and the audit log, and she is told.
    const declined = await facility.post(`api/bookings/${declinedOne.id}/fee-waiver`, {
      decision: "decline",
      note: "受診の記録が確認できませんでした",
    });
    expect(declined.status, declined.text).toBe(200);
    await expectContract("decideFeeWaiver", declined);
    expect(declined.json.cancellation).toMatchObject({
      fee: 32_000,
      residentShare: 3_200,
      municipalityShare: 28_800,
      waiver: { status: "declined", decidedAt: clock.toISOString() },
    });
    const events = await ill.client.get(`api/bookings/${declinedOne.id}/events`);
    expect(events.json.items.at(-1)).toMatchObject({
      type: "fee_waiver_declined",
      status: "cancelled",
      data: { decision: "decline", fee: 32_000, note: "受診の記録が確認できませんでした" },
    });
    expect(
      await prisma().auditLog.count({
        where: { action: "booking.fee_waiver", resourceId: declinedOne.id, outcome: "ok" },
      }),
    ).toBe(1);
    const last = (await messagesAbout(declinedOne.id)).at(-1);
    expect(last?.text).toContain("キャンセル料の免除は認められませんでした");
    expect(last?.text).toContain("32,000円");
    // Decided once: a second decision is refused and changes nothing.
    expectProblem(
      await sendai.post(`api/bookings/${declinedOne.id}/fee-waiver`, { decision: "accept" }),
      409,
      "no_fee_waiver_claim",
    );
    expect(
      (await prisma().booking.findUniqueOrThrow({ where: { id: declinedOne.id } })).cancellationFee,
    ).toBe(32_000);

    // Accepted by the municipality: free for good.
    const accepted = await sendai.post(`api/bookings/${acceptedOne.id}/fee-waiver`, { decision: "accept" });
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.json.cancellation).toMatchObject({ fee: 0, waiver: { status: "accepted" } });
    expectProblem(
      await facility.post(`api/bookings/${acceptedOne.id}/fee-waiver`, { decision: "decline" }),
      409,
      "no_fee_waiver_claim",
    );
    // Only accept or decline.
    expectProblem(
      await facility.post(`api/bookings/${declinedOne.id}/fee-waiver`, { decision: "bogus" }),
      400,
      "validation_failed",
    );
  });

  it("moves the deadline back over the facility's closures; a holiday Monday is a day like any other", async () => {
    clock = jst("2026-09-14T09:00:00");
    const r = await newResident("042072");
    // Tuesday 13 October follows スポーツの日 (Monday 12): the line is that Monday, 10:00.
    const b = await book(r.client, "2026-10-13");
    expect(b.cancelDeadline).toBe("2026-10-12T01:00:00.000Z");
    // The facility closes on the Monday: the line moves to Sunday 11 October, 10:00.
    const closed = await facility.post(`api/facilities/${facilityId}/closures`, {
      date: "2026-10-12",
      reason: "院内研修",
    });
    expect(closed.status, closed.text).toBe(201);
    expect((await r.client.get(`api/bookings/${b.id}`)).json.cancelDeadline).toBe("2026-10-11T01:00:00.000Z");
    clock = jst("2026-10-11T10:00:00");
    expect((await r.client.get(`api/bookings/${b.id}/cancellation`)).json).toMatchObject({
      beforeDeadline: false,
      fee: 60_000,
    });
    const reopened = await facility.delete(`api/facilities/${facilityId}/closures/${closed.json.id}`);
    expect(reopened.status).toBe(204);
    expect((await r.client.get(`api/bookings/${b.id}/cancellation`)).json).toMatchObject({
      beforeDeadline: true,
      fee: 0,
    });
  });

  it("changes a booking in one step: old places and units given back, new ones taken, one history", async () => {
    clock = jst("2026-09-14T09:00:00");
    const r = await newResident("042072", "en");
    const old = await book(r.client, "2026-09-24");
    const [slotOld, slotNew] = [await booked("2026-09-24"), await booked("2026-09-28")];
    const v = await prisma().voucher.findFirstOrThrow({
      where: { residentId: r.residentId, status: "active" },
    });
    const key = { "idempotency-key": `change-${randomUUID()}` };

    const changed = await r.client.post(`api/bookings/${old.id}/change`, { startDate: "2026-09-28" }, key);
    expect(changed.status, changed.text).toBe(201);
    await expectContract("changeBooking", changed);
    const { booking, previous } = changed.json;
    expect(changed.headers.get("location")).toBe(`/api/bookings/${booking.id}`);
    expect(booking).toMatchObject({
      status: "requested",
      startDate: "2026-09-28",
      endDate: "2026-09-29",
      units: 2,
      voucherId: v.id,
      cancelDeadline: "2026-09-27T01:00:00.000Z", // Monday's stay: Sunday 10:00
    });
    expect(previous).toMatchObject({
      id: old.id,
      status: "cancelled",
      cancellation: { reasonCode: "changed", fee: 0, residentShare: 0, municipalityShare: 0 },
    });
    expect([await booked("2026-09-24"), await booked("2026-09-28")]).toEqual([slotOld - 1, slotNew + 1]);
    expect(await balance(r.residentId)).toMatchObject({ reserved: 2 });
    expect((await prisma().voucher.findUniqueOrThrow({ where: { id: v.id } })).usesCount).toBe(v.usesCount);

    const oldEvents = (await r.client.get(`api/bookings/${old.id}/events`)).json.items;
    expect(oldEvents.at(-1)).toMatchObject({
      type: "changed",
      status: "cancelled",
      data: { reasonCode: "changed", changedTo: booking.id },
    });
    expect(replay(oldEvents)).toEqual({ status: "cancelled", revision: 3 });
    const newEvents = (await r.client.get(`api/bookings/${booking.id}/events`)).json.items;
    expect(newEvents).toHaveLength(1);
    expect(newEvents[0]).toMatchObject({ seq: 1, type: "requested", data: { changedFrom: old.id } });
    // The facility hears of it (in Japanese), with before and after; the resident made it and is not told.
    const told = await messagesAbout(booking.id);
    expect(told.map((m) => m.subject)).toEqual(["【産後ケア】予約の変更がありました"]);
    expect(told[0]?.text).toContain(old.id);

    // The same key again: the same change, no second one.
    const again = await r.client.post(`api/bookings/${old.id}/change`, { startDate: "2026-09-28" }, key);
    expect(again.status, again.text).toBe(200);
    expect(again.json.booking.id).toBe(booking.id);
    expect(await booked("2026-09-28")).toBe(slotNew + 1);
    expectProblem(
      await r.client.post(`api/bookings/${old.id}/change`, { startDate: "2026-09-29" }, key),
      422,
      "idempotency_key_reused",
    );
    // The old booking is over; the new one's approval comes in English to this resident.
    expectProblem(
      await r.client.post(`api/bookings/${old.id}/change`, { startDate: "2026-09-30" }),
      409,
      "invalid_transition",
    );
    expect((await facility.post(`api/bookings/${booking.id}/confirm`)).status).toBe(200);
    const confirmation = (await messagesAbout(booking.id)).find((m) => m.language === "en");
    expect(confirmation?.subject).toBe("[Postpartum care] Your booking is confirmed");
    expect(confirmation?.text).toContain(
      "You can cancel free of charge until 10:00 on Sun 27 Sep 2026 (Japan time)",
    );
  });

  it("the municipality and the facility change bookings too; the facility's change is confirmed at once", async () => {
    clock = jst("2026-09-14T09:00:00");
    const r = await newResident("042072");
    const first = await book(r.client, "2026-09-25");
    // 名取市's staff make it a 2-night stay: 3 units, checked again.
    const byCity = await natori.post(`api/bookings/${first.id}/change`, {
      startDate: "2026-09-25",
      nights: 2,
    });
    expect(byCity.status, byCity.text).toBe(201);
    expect(byCity.json.booking).toMatchObject({ status: "requested", units: 3, endDate: "2026-09-27" });
    expect(await balance(r.residentId)).toMatchObject({ reserved: 3 });
    expect((await messagesAbout(byCity.json.booking.id)).map((m) => m.to)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^bookable-/), expect.any(String)]),
    );
    // Another municipality cannot see it at all.
    expectProblem(
      await sendai.post(`api/bookings/${byCity.json.booking.id}/change`, { startDate: "2026-09-30" }),
      404,
      "not_found",
    );
    const byFacility = await facility.post(`api/bookings/${byCity.json.booking.id}/change`, {
      startDate: "2026-10-01",
    });
    expect(byFacility.status, byFacility.text).toBe(201);
    expect(byFacility.json.booking).toMatchObject({
      status: "confirmed",
      holdExpiresAt: null,
      startDate: "2026-10-01",
    });
    expect(byFacility.json.booking.endDate).toBe("2026-10-03"); // still 2 nights
    const events = (await facility.get(`api/bookings/${byFacility.json.booking.id}/events`)).json.items;
    expect(events[0]).toMatchObject({ type: "confirmed", status: "confirmed" });
    // The resident is told of the facility's change.
    const told = await messagesAbout(byFacility.json.booking.id);
    expect(told.map((m) => m.subject)).toEqual(["【産後ケア】予約が変更されました"]);
    // Facility staff change only within their own facility.
    const other = await prisma().user.findUniqueOrThrow({ where: { email: "facility2@demo.example.jp" } });
    expectProblem(
      await facility.post(`api/bookings/${byFacility.json.booking.id}/change`, {
        startDate: "2026-10-02",
        facilityId: other.facilityId,
        serviceType: "day",
      }),
      422,
      "other_facility",
    );
  });

  it("counts the old booking's units as free, and refuses what the voucher cannot cover", async () => {
    clock = jst("2026-09-14T09:00:00");
    const r = await newResident("042072");
    // 5 nights at 名取市 = 6 of the voucher's 7 units.
    const long = await book(r.client, "2026-10-05", { nights: 5 });
    expect(long.units).toBe(6);
    const moved = await r.client.post(`api/bookings/${long.id}/change`, { startDate: "2026-10-19" });
    expect(moved.status, moved.text).toBe(201);
    expect(moved.json.booking).toMatchObject({ units: 6, endDate: "2026-10-24" });
    expect(await balance(r.residentId)).toMatchObject({ reserved: 6 });
    // Still 6 reserved: one more night elsewhere does not fit.
    expectProblem(await r.client.post("api/bookings", stay("2026-10-27")), 422, "not_entitled");
    // 7 nights would need 8 units: refused, and the booking stays as it was.
    const current = moved.json.booking;
    const before = await snapshot(current.id, r.residentId, ["2026-10-19", "2026-10-30"]);
    expectProblem(
      await r.client.post(`api/bookings/${current.id}/change`, { startDate: "2026-10-26", nights: 7 }),
      422,
      "not_entitled",
    );
    expect(await snapshot(current.id, r.residentId, ["2026-10-19", "2026-10-30"])).toEqual(before);
    expectProblem(
      await r.client.post(`api/bookings/${current.id}/change`, { startDate: "2026-10-19" }),
      422,
      "no_change",
    );
  });

  it("leaves the old booking untouched when the new place is full, and refuses a late change", async () => {
    clock = jst("2026-09-14T09:00:00");
    const r = await newResident("041009");
    const b = await book(r.client, "2026-09-30");
    // 2 October: no place left.
    const full = await facility.put(`api/facilities/${facilityId}/slots`, {
      serviceType: "stay",
      from: "2026-10-02",
      to: "2026-10-02",
      capacity: await booked("2026-10-02"),
    });
    expect(full.status, full.text).toBe(200);
    const before = await snapshot(b.id, r.residentId, ["2026-09-30", "2026-10-02"]);
    expectProblem(
      await r.client.post(`api/bookings/${b.id}/change`, { startDate: "2026-10-02" }),
      409,
      "slot_full",
    );
    expect(await snapshot(b.id, r.residentId, ["2026-09-30", "2026-10-02"])).toEqual(before);

    // Past the deadline (Tuesday 29 September, 10:00) the resident and the city can only cancel.
    clock = jst("2026-09-29T10:00:00");
    const late = await r.client.post(`api/bookings/${b.id}/change`, { startDate: "2026-10-05" });
    expectProblem(late, 409, "change_after_deadline");
    expectProblem(
      await sendai.post(`api/bookings/${b.id}/change`, { startDate: "2026-10-05" }),
      409,
      "change_after_deadline",
    );
    expect(await snapshot(b.id, r.residentId, ["2026-09-30", "2026-10-02"])).toEqual(before);
    // The facility still may (its change is facility-caused).
    const byFacility = await facility.post(`api/bookings/${b.id}/change`, { startDate: "2026-10-05" });
    expect(byFacility.status, byFacility.text).toBe(201);
  });

  it("a change racing a hold for the last place never oversells", async () => {
    clock = jst("2026-09-14T09:00:00");
    const dates = ["2026-10-14", "2026-10-15", "2026-10-16", "2026-10-17", "2026-10-18"];
    const outcomes: string[] = [];
    for (const date of dates) {
      const mover = await newResident("042072");
      const rival = await newResident("042072");
      const own = await book(mover.client, "2026-10-28");
      const one = await facility.put(`api/facilities/${facilityId}/slots`, {
        serviceType: "stay",
        from: date,
        to: date,
        capacity: (await booked(date)) + 1,
      });
      expect(one.status, one.text).toBe(200);
      const capacity = (await booked(date)) + 1;
      const [change, hold] = await Promise.all([
        mover.client.post(`api/bookings/${own.id}/change`, { startDate: date }),
        rival.client.post("api/bookings", stay(date)),
      ]);
      const won = [change.status === 201, hold.status === 201];
      expect(won.filter(Boolean), `${date}: ${change.text} / ${hold.text}`).toHaveLength(1);
      for (const res of [change, hold]) if (res.status !== 201) expectProblem(res, 409, "slot_full");
      expect(await booked(date)).toBe(capacity);
      const holding = await prisma().bookingSlot.count({
        where: {
          slot: { facilityId, serviceType: "stay", date: parseDate(date) as Date },
          booking: { status: { in: ["requested", "confirmed"] } },
        },
      });
      expect(holding).toBeLessThanOrEqual(capacity);
      // The loser of a change keeps what it had.
      const ownNow = await prisma().booking.findUniqueOrThrow({ where: { id: own.id } });
      expect(ownNow.status).toBe(won[0] ? "cancelled" : "confirmed");
      outcomes.push(won[0] ? "change" : "hold");
    }
    expect(outcomes).toHaveLength(dates.length);
  });

  it("reminds each confirmed booking once, within 24 hours of its deadline or the day before", async () => {
    clock = jst("2026-09-14T09:00:00");
    const en = await newResident("042072", "en");
    const ja = await newResident("042072");
    const soon = await book(en.client, "2026-09-24"); // line: Wed 23 Sep 10:00
    const later = await book(ja.client, "2026-10-06"); // line: Mon 5 Oct 10:00
    const pending = await book(ja.client, "2026-09-24", {}, false); // never confirmed: no reminder

    const remind = (at: Date) => jobHandlers(t.hub)["bookings.remind"]({ now: at.toISOString() });
    await remind(jst("2026-09-22T09:00:00")); // 25 hours before the line
    expect(await prisma().booking.findUniqueOrThrow({ where: { id: soon.id } })).toMatchObject({
      remindedAt: null,
    });

    // Two workers at once: one reminder.
    const at = jst("2026-09-22T10:30:00");
    await Promise.all([sendReminders(prisma(), at), sendReminders(prisma(), at)]);
    await remind(jst("2026-09-22T11:30:00"));
    const reminders = (await messagesAbout(soon.id)).filter((m) =>
      m.subject?.startsWith("[Postpartum care] Reminder"),
    );
    expect(reminders).toHaveLength(1);
    expect(reminders[0]?.language).toBe("en");
    expect(reminders[0]?.text).toContain(
      "You can cancel free of charge until 10:00 on Wed 23 Sep 2026 (Japan time).",
    );
    expect(reminders[0]?.text).toContain("Thu 24 Sep 2026");
    const row = await prisma().booking.findUniqueOrThrow({ where: { id: soon.id } });
    expect(row.remindedAt?.toISOString()).toBe(at.toISOString());
    expect(row.revision).toBe(2); // a reminder is not a change of the booking
    expect((await messagesAbout(pending.id)).some((m) => m.subject?.includes("お知らせ"))).toBe(false);
    expect((await messagesAbout(later.id)).some((m) => m.subject?.includes("お知らせ"))).toBe(false);

    // Booked after its line, for Monday after a Sunday the facility is closed (the line moves to Saturday 10:00):
    // reminded on Sunday, the day before, not on Saturday afternoon.
    const sunday = await facility.post(`api/facilities/${facilityId}/closures`, {
      date: "2026-09-27",
      reason: "設備点検",
    });
    expect(sunday.status, sunday.text).toBe(201);
    clock = jst("2026-09-26T12:00:00");
    const lastMinute = await book(ja.client, "2026-09-28");
    expect(lastMinute.cancelDeadline).toBe("2026-09-26T01:00:00.000Z");
    await remind(jst("2026-09-26T13:00:00"));
    expect(
      (await messagesAbout(lastMinute.id)).filter((m) => m.subject === "【産後ケア】ご予約のお知らせ"),
    ).toHaveLength(0);
    await remind(jst("2026-09-27T09:00:00"));
    const dayBefore = (await messagesAbout(lastMinute.id)).filter(
      (m) => m.subject === "【産後ケア】ご予約のお知らせ",
    );
    expect(dayBefore).toHaveLength(1);
    expect(dayBefore[0]?.text).toContain(
      "無料でキャンセルできる期限（2026年9月26日（土）10:00）は過ぎています。",
    );
    await remind(jst("2026-09-27T10:00:00"));
    expect(
      (await messagesAbout(lastMinute.id)).filter((m) => m.subject === "【産後ケア】ご予約のお知らせ"),
    ).toHaveLength(1);
  });
});
