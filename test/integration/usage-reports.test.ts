import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BookingStatus } from "../../hub/db/client.js";
import { addDays, formatDate } from "../../hub/inventory/dates.js";
import { parseMonth } from "../../hub/usage/monthly.js";
import { reminderSubject, reportDeadline, sendReportReminders } from "../../hub/usage/usage-reports.js";
import type { TestClient } from "../support/client.js";
import { expectContract, expectProblem } from "../support/contract.js";
import { monthDay as day, tokyoDay, tokyoMonth } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { bookableResidents } from "../support/residents.js";
import { clientFor, DEMO_USERS } from "../support/sessions.js";

const SENDAI = "041009";
const NATORI = "042072";

const REPORT = {
  care: ["breast_care", "maternal_check", "feeding"],
  infantCondition: "体重増加良好。",
  notes: "夜間の授乳に不安あり。",
  copayCollected: 6000,
};

/**
 * Usage reports (実績報告): prefilled from the booking, validated, moving a use to `reported`, editable until the
 * municipality confirms it, scoped per tenant, and the monthly reminder to facilities sent once.
 */
describe("usage reports (実績報告)", () => {
  let t: TestHub;
  let facility: TestClient;
  let facility2: TestClient;
  let sendai: TestClient;
  let natori: TestClient;
  let prefecture: TestClient;
  let facilityA: string;
  let facilityB: string;
  let numbered: { id: string };
  let natoriResident: { id: string };
  const LAST = tokyoMonth(-1);

  async function use(residentId: string, facilityId: string, start: Date, status: BookingStatus = "used") {
    return t.hub.prisma.booking.create({
      data: {
        residentId,
        facilityId,
        serviceType: "stay",
        startDate: start,
        endDate: addDays(start, 1),
        status,
        source: "staff",
        units: 2,
        fee: 64_000,
        residentCopay: 6_000,
        municipalityShare: 58_000,
      },
    });
  }

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 20 });
    const p = t.hub.prisma;
    const user = (email: string) => p.user.findUniqueOrThrow({ where: { email } });
    facilityA = (await user(DEMO_USERS.facility.own)).facilityId as string;
    facilityB = (await user(DEMO_USERS.facility.other as string)).facilityId as string;
    facility = await clientFor(t, DEMO_USERS.facility.own);
    facility2 = await clientFor(t, DEMO_USERS.facility.other as string);
    sendai = await clientFor(t, DEMO_USERS.municipality.own);
    natori = await clientFor(t, DEMO_USERS.municipality.other as string);
    prefecture = await clientFor(t, DEMO_USERS.prefecture.own);
    numbered = await p.resident.create({
      data: {
        municipalityCode: SENDAI,
        familyName: "報告",
        givenName: "花子",
        kana: "ホウコク ハナコ",
        externalId: "88001",
      },
    });
    natoriResident = await p.resident.create({
      data: { municipalityCode: NATORI, familyName: "名取", givenName: "月子" },
    });
    // Start from a known state: no uses of last month but ours.
    await p.booking.updateMany({
      where: { startDate: { gte: day(LAST, 1), lt: addDays(day(LAST, 1), 40) }, status: "used" },
      data: { status: "no_show" },
    });
  }, 180_000);
  afterAll(() => t?.close());

  it("a redeemed booking is listed prefilled; the first report moves it used → reported", async () => {
    const [r] = await bookableResidents(t.hub.prisma, SENDAI, 1);
    const today = tokyoDay();
    await facility.put(`api/facilities/${facilityA}/slots`, {
      serviceType: "stay",
      from: today,
      to: tokyoDay(3),
      capacity: 20,
    });
    const held = await sendai.post("api/bookings", {
      facilityId: facilityA,
      serviceType: "stay",
      startDate: today,
      residentId: r,
    });
    expect(held.status, held.text).toBe(201);
    expect((await facility.post(`api/bookings/${held.json.id}/confirm`)).status).toBe(200);
    const redeemed = await facility.post(`api/bookings/${held.json.id}/redeem`);
    expect(redeemed.status, redeemed.text).toBe(200);
    const month = today.slice(0, 7);

    // Before it is redeemed nothing shows; now it is due, with everything known filled in.
    const list = await facility.get(`api/usage-reports?month=${month}`);
    expect(list.status, list.text).toBe(200);
    await expectContract("listUsageReports", list);
    const item = list.json.items.find((i: { bookingId: string }) => i.bookingId === held.json.id);
    const booking = await t.hub.prisma.booking.findUniqueOrThrow({
      where: { id: held.json.id },
      include: { voucher: true },
    });
    expect(item).toMatchObject({
      status: "due",
      bookingStatus: "used",
      facilityId: facilityA,
      municipalityCode: SENDAI,
      municipalityName: "仙台市",
      residentName: "試験 利用者1",
      voucherNumber: booking.voucher?.number,
      startDate: today,
      serviceType: "stay",
      units: booking.units,
      residentCopay: booking.residentCopay,
      report: null,
    });
    expect(list.json.deadline).toBe(formatDate(reportDeadline(parseMonth(month)!)));
    expect(list.json.deadlinePassed).toBe(false);

    const put = await facility.put(`api/bookings/${held.json.id}/usage-report`, {
      ...REPORT,
      copayCollected: booking.residentCopay,
    });
    expect(put.status, put.text).toBe(200);
    await expectContract("putUsageReport", put);
    expect(put.json).toMatchObject({ status: "submitted", bookingStatus: "reported" });
    // Codes come back in the form's order.
    expect(put.json.report.care).toEqual(["maternal_check", "breast_care", "feeding"]);
    const after = await t.hub.prisma.booking.findUniqueOrThrow({
      where: { id: held.json.id },
      include: { events: { orderBy: { seq: "desc" }, take: 1 }, usageReport: true },
    });
    expect(after.status).toBe("reported");
    expect(after.events[0]).toMatchObject({ status: "reported" });
    expect(after.usageReport).toMatchObject({ facilityId: facilityA, municipalityCode: SENDAI, month });
  });

  it("refuses bad reports field by field, and reports for bookings that are not used", async () => {
    const b = await use(numbered.id, facilityA, day(LAST, 3));
    const bad = await facility.put(`api/bookings/${b.id}/usage-report`, {
      care: [],
      infantCondition: "x".repeat(1001),
      copayCollected: -1,
    });
    expect(bad.status, bad.text).toBe(422);
    const paths = (bad.json.errors as { path: string }[]).map((e) => e.path).join(" ");
    expect(paths).toContain("care");
    expect(paths).toContain("infantCondition");
    expect(paths).toContain("copayCollected");
    const unknown = await facility.put(`api/bookings/${b.id}/usage-report`, {
      care: ["massage"],
      copayCollected: 0,
    });
    expect(unknown.status, unknown.text).toBe(422);
    expect(JSON.stringify(unknown.json.errors)).toContain("care");
    const fraction = await facility.put(`api/bookings/${b.id}/usage-report`, {
      care: ["rest"],
      copayCollected: 1.5,
    });
    expect(fraction.status).toBe(422);
    // Nothing was stored, and the booking is still used.
    expect(await t.hub.prisma.usageReport.count({ where: { bookingId: b.id } })).toBe(0);
    expect((await t.hub.prisma.booking.findUniqueOrThrow({ where: { id: b.id } })).status).toBe("used");

    const confirmed = await use(numbered.id, facilityA, day(LAST, 4), "confirmed");
    expectProblem(
      await facility.put(`api/bookings/${confirmed.id}/usage-report`, REPORT),
      409,
      "booking_not_used",
    );
  });

  it("keeps facilities and municipalities to their own", async () => {
    const a = await use(numbered.id, facilityA, day(LAST, 5));
    const bNatori = await use(natoriResident.id, facilityB, day(LAST, 6));
    // Another facility cannot report (404) or see it; a municipality cannot report at all (403).
    expectProblem(await facility2.put(`api/bookings/${a.id}/usage-report`, REPORT), 404, "not_found");
    expectProblem(await sendai.put(`api/bookings/${a.id}/usage-report`, REPORT), 403, "forbidden");
    const b = await facility2.get(`api/usage-reports?month=${LAST}`);
    expect(b.status, b.text).toBe(200);
    const bIds = b.json.items.map((i: { bookingId: string }) => i.bookingId);
    expect(bIds).toContain(bNatori.id);
    expect(bIds).not.toContain(a.id);
    // 仙台市 sees its residents' uses at any facility, not 名取市's; 名取市 the reverse; the prefecture all.
    const s = await sendai.get(`api/usage-reports?month=${LAST}`);
    expect(s.status, s.text).toBe(200);
    await expectContract("listUsageReports", s);
    const sIds = s.json.items.map((i: { bookingId: string }) => i.bookingId);
    expect(sIds).toContain(a.id);
    expect(sIds).not.toContain(bNatori.id);
    expect(s.json.items.find((i: { bookingId: string }) => i.bookingId === a.id)).toMatchObject({
      residentName: "報告 花子",
      residentNumber: "88001",
      voucherNumber: null,
    });
    const n = await natori.get(`api/usage-reports?month=${LAST}`);
    expect(n.json.items.map((i: { bookingId: string }) => i.bookingId)).toEqual([bNatori.id]);
    const all = await prefecture.get(`api/usage-reports?month=${LAST}`);
    const allIds = all.json.items.map((i: { bookingId: string }) => i.bookingId);
    expect(allIds).toEqual(expect.arrayContaining([a.id, bNatori.id]));
    // Bad inputs.
    expectProblem(await facility.get("api/usage-reports?month=2026-13"), 422, "invalid_month");
    expectProblem(await facility.get(`api/usage-reports?month=${LAST}&status=late`), 422, "invalid_status");
    expectProblem(
      await natori.post("api/usage-reports/confirm", { month: LAST, bookingIds: [a.id] }),
      409,
      "nothing_to_confirm",
    );
  });

  it("edits until the municipality confirms; status filter and counts follow", async () => {
    const a = await use(numbered.id, facilityA, day(LAST, 12));
    const other = await use(numbered.id, facilityA, day(LAST, 13));
    expect((await facility.put(`api/bookings/${a.id}/usage-report`, REPORT)).status).toBe(200);
    expect((await facility.put(`api/bookings/${other.id}/usage-report`, REPORT)).status).toBe(200);
    const edit = await facility.put(`api/bookings/${a.id}/usage-report`, {
      ...REPORT,
      care: ["rest"],
      notes: "訂正",
      copayCollected: 5000,
    });
    expect(edit.status, edit.text).toBe(200);
    expect(edit.json.report).toMatchObject({ care: ["rest"], notes: "訂正", copayCollected: 5000 });
    expect(await t.hub.prisma.bookingEvent.count({ where: { bookingId: a.id, status: "reported" } })).toBe(1);

    const submitted = await sendai.get(`api/usage-reports?month=${LAST}&status=submitted`);
    expect(submitted.json.items.map((i: { bookingId: string }) => i.bookingId)).toEqual(
      expect.arrayContaining([a.id, other.id]),
    );
    expect(submitted.json.items.every((i: { status: string }) => i.status === "submitted")).toBe(true);
    const before = submitted.json.counts;

    // Confirm just one: it is fixed; the other can still be edited.
    expectProblem(await facility.post("api/usage-reports/confirm", { month: LAST }), 403, "forbidden");
    const c = await sendai.post("api/usage-reports/confirm", { month: LAST, bookingIds: [a.id] });
    expect(c.status, c.text).toBe(200);
    await expectContract("confirmUsageReports", c);
    expect(c.json).toEqual({ month: LAST, confirmed: 1, bookingIds: [a.id] });
    expectProblem(await facility.put(`api/bookings/${a.id}/usage-report`, REPORT), 409, "report_confirmed");
    expect((await facility.put(`api/bookings/${other.id}/usage-report`, REPORT)).status).toBe(200);
    const confirmed = await sendai.get(`api/usage-reports?month=${LAST}&status=confirmed`);
    expect(confirmed.json.items.map((i: { bookingId: string }) => i.bookingId)).toEqual([a.id]);
    expect(confirmed.json.items[0].report.confirmedAt).toBeTruthy();
    expect(confirmed.json.counts).toEqual({
      ...before,
      submitted: before.submitted - 1,
      confirmed: before.confirmed + 1,
    });
    // Confirm the rest; then nothing is left. Both were audited.
    const rest = await sendai.post("api/usage-reports/confirm", { month: LAST });
    expect(rest.status, rest.text).toBe(200);
    expect(rest.json.bookingIds).toContain(other.id);
    expectProblem(await sendai.post("api/usage-reports/confirm", { month: LAST }), 409, "nothing_to_confirm");
    expect(
      await t.hub.prisma.auditLog.count({ where: { action: "confirmUsageReports", outcome: "ok" } }),
    ).toBe(2);
  });

  it("reminds each facility once a month from 3 days before the deadline", async () => {
    const p = t.hub.prisma;
    await p.facility.update({ where: { id: facilityA }, data: { email: "aoba-reports@example.jp" } });
    await use(numbered.id, facilityA, day(LAST, 20));
    const month = parseMonth(LAST)!;
    const deadline = reportDeadline(month);
    // Noon in Tokyo on a given day.
    const at = (d: Date) => new Date(d.getTime() + 3 * 3600_000);
    const subject = reminderSubject(month);
    const sentToA = () =>
      p.outboxMessage.count({
        where: {
          AND: [
            { payload: { path: ["subject"], equals: subject } },
            { payload: { path: ["about", "facilityId"], equals: facilityA } },
          ],
        },
      });
    await sendReportReminders(p, at(addDays(deadline, -4)));
    expect(await sentToA()).toBe(0);
    await sendReportReminders(p, at(addDays(deadline, -3)));
    expect(await sentToA()).toBe(1);
    await Promise.all([
      sendReportReminders(p, at(addDays(deadline, -1))),
      sendReportReminders(p, at(addDays(deadline, 2))),
    ]);
    expect(await sentToA()).toBe(1);
    const row = await p.outboxMessage.findFirstOrThrow({
      where: {
        AND: [
          { payload: { path: ["subject"], equals: subject } },
          { payload: { path: ["about", "facilityId"], equals: facilityA } },
        ],
      },
    });
    const msg = row.payload as { to: string; text: string; channel: string };
    expect(msg).toMatchObject({ to: "aoba-reports@example.jp", channel: "email" });
    expect(msg.text).toContain(formatDate(deadline));
  });

  it("the deadline is the 10th of the next month, or the next business day", () => {
    // 2026-01-10 is a Saturday, 01-12 成人の日: Monday the 13th... 2026-01-12 is a holiday, so the 13th.
    expect(formatDate(reportDeadline(parseMonth("2025-12")!))).toBe("2026-01-13");
    // 2026-11-10 is a Tuesday.
    expect(formatDate(reportDeadline(parseMonth("2026-10")!))).toBe("2026-11-10");
  });
});
