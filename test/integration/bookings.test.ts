import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { confirmBooking, expireHolds } from "../../hub/bookings/actions.js";
import { createHold } from "../../hub/bookings/holds.js";
import { replay } from "../../hub/bookings/state.js";
import type { BookingStatus } from "../../hub/db/client.js";
import { DomainError } from "../../hub/errors.js";
import type { Actor } from "../../hub/identity/actor.js";
import { actorForToken, createSession } from "../../hub/identity/sessions.js";
import { parseDate } from "../../hub/inventory/dates.js";
import { jobHandlers } from "../../jobs/handlers.js";
import type { TestClient } from "../support/client.js";
import { expectContract, expectProblem } from "../support/contract.js";
import { tokyoDay as day, serviceDay } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { bookableResidents } from "../support/residents.js";
import { clientFor } from "../support/sessions.js";

/** A date `n` days from today in Tokyo, as the API writes it. */

describe("bookings: holds and the ledger", () => {
  let t: TestHub;
  let facilityId: string;
  let otherFacilityId: string;
  let residentId: string;
  let sendaiResidentIds: string[];
  let natoriResidentId: string;
  let resident: TestClient;
  let facility: TestClient;
  let facility2: TestClient;
  let sendai: TestClient;
  let natori: TestClient;
  let prefecture: TestClient;

  const booked = async (date: string, serviceType = "stay", timeBlock = "") =>
    (
      await t.hub.prisma.slot.findUnique({
        where: {
          facilityId_serviceType_date_timeBlock: {
            facilityId,
            serviceType: serviceType as "stay",
            date: parseDate(date) as Date,
            timeBlock,
          },
        },
      })
    )?.booked ?? 0;
  const actorFor = async (email: string): Promise<Actor> => {
    const user = await t.hub.prisma.user.findUniqueOrThrow({ where: { email } });
    const token = await createSession(t.hub.prisma, user, {
      verified: true,
      ip: "127.0.0.1",
      hours: 1,
      now: new Date(),
    });
    return (await actorForToken(t.hub.prisma, token, new Date())) as Actor;
  };
  const hold = (client: TestClient, body: Record<string, unknown>, headers?: Record<string, string>) =>
    client.request("POST", "api/bookings", { facilityId, serviceType: "stay", ...body }, headers);

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 20 });
    const p = t.hub.prisma;
    const user = (email: string) => p.user.findUniqueOrThrow({ where: { email } });
    facilityId = (await user("facility@demo.example.jp")).facilityId as string;
    otherFacilityId = (await user("facility2@demo.example.jp")).facilityId as string;
    residentId = (await user("resident@demo.example.jp")).residentId as string;
    sendaiResidentIds = await bookableResidents(p, "041009", 6);
    natoriResidentId = (await bookableResidents(p, "042072", 1))[0] as string;
    resident = await clientFor(t, "resident@demo.example.jp");
    facility = await clientFor(t, "facility@demo.example.jp");
    facility2 = await clientFor(t, "facility2@demo.example.jp");
    sendai = await clientFor(t, "sendai@demo.example.jp");
    natori = await clientFor(t, "natori@demo.example.jp");
    prefecture = await clientFor(t, "prefecture@demo.example.jp");
  }, 180_000);
  afterAll(() => t?.close());

  it("hold → confirm → cancel, with places taken and given back and the whole history", async () => {
    const start = day(20);
    const before = [await booked(start), await booked(day(21))];
    const held = await hold(resident, { startDate: start, nights: 2, note: "初めての利用です" });
    expect(held.status, held.text).toBe(201);
    await expectContract("createHold", held);
    const b = held.json;
    expect(b).toMatchObject({
      residentId,
      facilityId,
      serviceType: "stay",
      startDate: start,
      endDate: day(22),
      timeBlock: "",
      status: "requested",
      source: "portal",
      revision: 1,
    });
    expect(b.facilityName).toEqual(expect.any(String));
    expect(new Date(b.holdExpiresAt).getTime()).toBeGreaterThan(Date.now());
    expect(held.headers.get("location")).toBe(`/api/bookings/${b.id}`);
    // The answer is exactly what was written: a read gives the same booking.
    expect((await resident.get(`api/bookings/${b.id}`)).json).toEqual(b);
    const [row] = await t.hub.prisma.booking.findMany({
      where: { id: b.id },
      include: { slots: true, events: true },
    });
    expect(row?.slots).toHaveLength(2);
    expect(row?.events.map((e) => [e.seq, e.occurredAt.toISOString(), e.actorId])).toEqual([
      [
        1,
        b.createdAt,
        (await t.hub.prisma.user.findUniqueOrThrow({ where: { email: "resident@demo.example.jp" } })).id,
      ],
    ]);
    expect([await booked(start), await booked(day(21)), await booked(day(22))]).toEqual([
      (before[0] ?? 0) + 1,
      (before[1] ?? 0) + 1,
      0,
    ]);

    // The facility is told through the outbox, in the same transaction.
    const fac = await t.hub.prisma.facility.findUniqueOrThrow({ where: { id: facilityId } });
    const outbox = await t.hub.prisma.outboxMessage.findMany({
      where: { payload: { path: ["to"], equals: fac.email } },
    });
    expect(outbox.some((m) => JSON.stringify(m.payload).includes(b.id))).toBe(true);

    const confirmed = await facility.post(`api/bookings/${b.id}/confirm`);
    expect(confirmed.status, confirmed.text).toBe(200);
    await expectContract("confirmBooking", confirmed);
    expect(confirmed.json).toMatchObject({ status: "confirmed", revision: 2, holdExpiresAt: null });

    const again = await facility.post(`api/bookings/${b.id}/confirm`);
    expectProblem(again, 409, "invalid_transition");
    expect(again.json.detail).toContain("confirmed");

    const cancelled = await resident.post(`api/bookings/${b.id}/cancel`, { reason: "子どもの発熱のため" });
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(cancelled.json).toMatchObject({ status: "cancelled", revision: 3 });
    expect([await booked(start), await booked(day(21))]).toEqual(before);

    const events = await resident.get(`api/bookings/${b.id}/events`);
    expect(events.status).toBe(200);
    await expectContract("listBookingEvents", events);
    expect(events.json.items.map((e: any) => [e.seq, e.type, e.status, e.source])).toEqual([
      [1, "requested", "requested", "portal"],
      [2, "confirmed", "confirmed", "staff"],
      [3, "cancelled", "cancelled", "portal"],
    ]);
    expect(events.json.items[0].data).toMatchObject({
      dates: [start, day(21)],
      nights: 2,
      note: "初めての利用です",
    });
    expect(events.json.items[2].data).toMatchObject({ reason: "子どもの発熱のため", by: "resident" });
    expect(replay(events.json.items)).toEqual({ status: "cancelled", revision: 3 });

    const got = await facility.get(`api/bookings/${b.id}`);
    expect(got.status).toBe(200);
    await expectContract("getBooking", got);
    expect(got.json.status).toBe("cancelled");
  });

  it("reject gives the places back at once, and a rejected booking cannot be cancelled", async () => {
    const start = day(23);
    const before = await booked(start);
    const held = await hold(sendai, { startDate: start, residentId: sendaiResidentIds[0] });
    expect(held.status, held.text).toBe(201);
    expect(held.json.source).toBe("staff");
    expect(await booked(start)).toBe(before + 1);

    const noReason = await facility.post(`api/bookings/${held.json.id}/reject`, {});
    expect(noReason.status).toBe(400);

    const rejected = await facility.post(`api/bookings/${held.json.id}/reject`, { reason: "設備点検のため" });
    expect(rejected.status, rejected.text).toBe(200);
    await expectContract("rejectBooking", rejected);
    expect(rejected.json.status).toBe("rejected");
    expect(await booked(start)).toBe(before);

    expectProblem(
      await sendai.post(`api/bookings/${held.json.id}/cancel`, { reason: "x" }),
      409,
      "invalid_transition",
    );
    const events = await t.hub.prisma.bookingEvent.findMany({
      where: { bookingId: held.json.id },
      orderBy: { seq: "asc" },
    });
    expect(events.map((e) => e.type)).toEqual(["requested", "rejected"]);
    expect(events[1]?.data).toMatchObject({ reason: "設備点検のため", by: "facility" });
  });

  it("expires holds whose time ran out, through the job with an injected clock", async () => {
    const service = await t.hub.prisma.facilityService.findUniqueOrThrow({
      where: { facilityId_serviceType: { facilityId, serviceType: "day" } },
    });
    const block = (service.timeBlocks as { code: string }[])[0]?.code ?? "";
    const date = serviceDay(24);
    const before = await booked(date, "day", block);
    const held = await hold(resident, { serviceType: "day", startDate: date, timeBlock: block });
    expect(held.status, held.text).toBe(201);
    expect(await booked(date, "day", block)).toBe(before + 1);
    const deadline = new Date(held.json.holdExpiresAt);
    expect(deadline.getTime() - new Date(held.json.createdAt).getTime()).toBe(service.holdMinutes * 60_000);

    // Not yet due: it stays.
    await expireHolds(t.hub.prisma, new Date(deadline.getTime() - 1000));
    expect((await resident.get(`api/bookings/${held.json.id}`)).json.status).toBe("requested");
    // Due: the job expires it (and every other hold that ran out by then).
    await jobHandlers(t.hub)["bookings.expire-holds"]({
      now: new Date(deadline.getTime() + 60_000).toISOString(),
    });
    const after = await resident.get(`api/bookings/${held.json.id}`);
    expect(after.json).toMatchObject({ status: "expired", holdExpiresAt: null, revision: 2 });
    expect(await booked(date, "day", block)).toBe(before);

    const events = await facility.get(`api/bookings/${held.json.id}/events`);
    expect(events.json.items[1]).toMatchObject({ type: "expired", source: "system", actorId: null });
    expectProblem(await facility.post(`api/bookings/${held.json.id}/confirm`), 409, "invalid_transition");
    // Running it again finds nothing more to do.
    expect((await expireHolds(t.hub.prisma, new Date(deadline.getTime() + 120_000))).expired).toBe(0);
  });

  it("refuses to confirm a hold whose time ran out before the job got to it", async () => {
    const held = await hold(sendai, { startDate: day(25), residentId: sendaiResidentIds[3] });
    expect(held.status).toBe(201);
    const staff = await actorFor("facility@demo.example.jp");
    const late = new Date(new Date(held.json.holdExpiresAt).getTime() + 1);
    await expect(confirmBooking(t.hub.prisma, staff, held.json.id, late)).rejects.toMatchObject({
      kind: "conflict",
      code: "hold_expired",
    });
    expect((await sendai.get(`api/bookings/${held.json.id}`)).json.status).toBe("requested");
  });

  it("an Idempotency-Key retry returns the first booking with 200 and takes no second place", async () => {
    const start = day(26);
    const before = await booked(start);
    const key = { "idempotency-key": "retry-0001-abcdef" };
    const first = await hold(resident, { startDate: start }, key);
    expect(first.status, first.text).toBe(201);
    const retry = await hold(resident, { startDate: start }, key);
    expect(retry.status, retry.text).toBe(200);
    await expectContract("createHold", retry);
    expect(retry.json.id).toBe(first.json.id);
    // The first answer was built from what was written; the retry reads it back: they are the same booking.
    expect(retry.json).toEqual(first.json);
    expect(await booked(start)).toBe(before + 1);

    // The same key for a different request is a client bug.
    expectProblem(await hold(resident, { startDate: day(27) }, key), 422, "idempotency_key_reused");
    // Keys belong to their caller: someone else's identical key is a new request.
    const other = await hold(sendai, { startDate: start, residentId: sendaiResidentIds[1] }, key);
    expect(other.status, other.text).toBe(201);
    expect(other.json.id).not.toBe(first.json.id);

    // Five copies of one request at the same moment: one booking.
    const racing = { "idempotency-key": "retry-0002-abcdef" };
    const results = await Promise.all(
      Array.from({ length: 5 }, () => hold(resident, { startDate: day(28) }, racing)),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(results.map((r) => r.json.id)).size).toBe(1);
    expect(await booked(day(28))).toBe(1);
  });

  it("a full slot answers 409 slot_full", async () => {
    const date = day(30);
    const set = await facility.put(`api/facilities/${facilityId}/slots`, {
      serviceType: "stay",
      from: date,
      to: date,
      capacity: 1,
    });
    expect(set.status, set.text).toBe(200);
    expect((await hold(sendai, { startDate: date, residentId: sendaiResidentIds[3] })).status).toBe(201);
    const full = await hold(sendai, { startDate: date, residentId: sendaiResidentIds[2] });
    expectProblem(full, 409, "slot_full");
    await expectContract("createHold", full);
    expect(full.json.detail).toContain(date);
    // A two-night stay needing that night gets neither night.
    const next = await booked(day(29));
    expectProblem(
      await hold(sendai, { startDate: day(29), nights: 2, residentId: sendaiResidentIds[2] }),
      409,
      "slot_full",
    );
    expect(await booked(day(29))).toBe(next);
  });

  it("one booking per mother per place and time: a second is 409 already_booked, also when both arrive at once", async () => {
    const mother = { residentId: sendaiResidentIds[4] };
    const reserved = async () =>
      (
        await t.hub.prisma.voucherBalance.aggregate({
          where: { voucher: { residentId: mother.residentId }, serviceType: "stay" },
          _sum: { reserved: true },
        })
      )._sum.reserved ?? 0;
    const first = await hold(sendai, { startDate: day(40), ...mother });
    expect(first.status, first.text).toBe(201);
    const units = await reserved();
    const taken40 = await booked(day(40));
    const again = await hold(sendai, { startDate: day(40), ...mother });
    expectProblem(again, 409, "already_booked");
    await expectContract("createHold", again);
    // A stay that would share one of its nights is the same place and time too; nothing of it is taken.
    const before = await booked(day(39));
    expectProblem(await hold(sendai, { startDate: day(39), nights: 2, ...mother }), 409, "already_booked");
    expect(await booked(day(39))).toBe(before);
    expect(await reserved()).toBe(units);
    // Another facility the same night, or the next night here, is another place or time.
    const otherStay = await t.hub.prisma.facility.findFirstOrThrow({
      where: { published: true, services: { some: { serviceType: "stay" } }, id: { not: facilityId } },
      orderBy: { name: "asc" },
    });
    const elsewhere = await sendai.request("POST", "api/bookings", {
      facilityId: otherStay.id,
      serviceType: "stay",
      startDate: day(40),
      ...mother,
    });
    expect(elsewhere.status, elsewhere.text).toBe(201);
    // Given back, the place can be booked again.
    expect((await sendai.post(`api/bookings/${first.json.id}/cancel`, { reason: "重複" })).status).toBe(200);
    expect(await booked(day(40))).toBe(taken40 - 1);
    const rebooked = await hold(sendai, { startDate: day(40), ...mother });
    expect(rebooked.status, rebooked.text).toBe(201);

    // Five requests at the same moment, no Idempotency-Key (a double tap on two devices), by a mother whose
    // voucher covers them all: one booking.
    const racer = { residentId: sendaiResidentIds[5] };
    const racingDay = day(42);
    const taken = await booked(racingDay);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => hold(sendai, { startDate: racingDay, ...racer })),
    );
    expect(results.map((r) => r.status).sort(), results.map((r) => r.text).join("\n")).toEqual([
      201, 409, 409, 409, 409,
    ]);
    for (const r of results.filter((r) => r.status === 409)) expectProblem(r, 409, "already_booked");
    expect(await booked(racingDay)).toBe(taken + 1);
  });

  it("a closed day answers 409 slot_closed", async () => {
    const date = day(31);
    const closed = await facility.post(`api/facilities/${facilityId}/closures`, { date, reason: "設備点検" });
    expect(closed.status, closed.text).toBe(201);
    const someone = { residentId: sendaiResidentIds[3] };
    expectProblem(await hold(sendai, { startDate: date, ...someone }), 409, "slot_closed");
    expectProblem(await hold(sendai, { startDate: day(30), nights: 2, ...someone }), 409, "slot_full");
    const removed = await facility.delete(`api/facilities/${facilityId}/closures/${closed.json.id}`);
    expect(removed.status).toBe(204);
    expect((await hold(sendai, { startDate: date, ...someone })).status).toBe(201);
  });

  it("checks the request: blocks, services, dates, and on whose behalf", async () => {
    const day6h = { serviceType: "day", startDate: serviceDay(32) };
    expectProblem(await hold(resident, { ...day6h, timeBlock: "evening" }), 422, "unknown_time_block");
    expectProblem(await hold(resident, day6h), 422, "unknown_time_block");
    expectProblem(
      await hold(resident, { ...day6h, timeBlock: "day6h", nights: 2 }),
      422,
      "nights_not_allowed",
    );
    expectProblem(await hold(resident, { startDate: day(32), timeBlock: "am" }), 422, "unknown_time_block");
    expectProblem(
      await hold(resident, { serviceType: "visit", startDate: day(32) }),
      422,
      "service_not_offered",
    );
    expectProblem(await hold(resident, { startDate: day(-1) }), 422, "date_in_past");
    expectProblem(await hold(resident, { startDate: day(32), nights: 15 }), 400, "validation_failed");
    expectProblem(
      await hold(resident, { startDate: day(32), residentId: sendaiResidentIds[0] }),
      404,
      "not_found",
    );
    expectProblem(await hold(sendai, { startDate: day(32) }), 422, "resident_required");
    expectProblem(
      await hold(natori, { startDate: day(32), residentId: sendaiResidentIds[0] }),
      404,
      "not_found",
    );
    expectProblem(await hold(facility2, { startDate: day(32), residentId: residentId }), 403, "forbidden");
    expectProblem(await hold(prefecture, { startDate: day(32), residentId: residentId }), 403, "forbidden");
    expectProblem(
      await resident.post("api/bookings", {
        facilityId: "00000000-0000-4000-8000-000000000000",
        serviceType: "stay",
        startDate: day(32),
      }),
      404,
      "not_found",
    );
    // Today is still bookable.
    const today = await hold(facility, { startDate: day(0), residentId: natoriResidentId });
    expect(today.status, today.text).toBe(201);
    expect(today.json.source).toBe("staff");
  });

  it("keeps each tenant to its own bookings (404 outside, never 403)", async () => {
    const held = await hold(resident, { startDate: day(33) });
    expect(held.status).toBe(201);
    const id = held.json.id;
    for (const c of [facility2, natori]) {
      expectProblem(await c.get(`api/bookings/${id}`), 404, "not_found");
      expectProblem(await c.get(`api/bookings/${id}/events`), 404, "not_found");
      const list = await c.get("api/bookings?limit=200");
      expect(list.json.items.map((b: any) => b.id)).not.toContain(id);
    }
    expectProblem(await facility2.post(`api/bookings/${id}/confirm`), 404, "not_found");
    expectProblem(await facility2.post(`api/bookings/${id}/reject`, { reason: "x" }), 404, "not_found");
    expectProblem(await natori.post(`api/bookings/${id}/cancel`, { reason: "x" }), 404, "not_found");
    expectProblem(await prefecture.post(`api/bookings/${id}/confirm`), 403, "forbidden");
    expectProblem(await sendai.post(`api/bookings/${id}/confirm`), 403, "forbidden");
    expect((await prefecture.get(`api/bookings/${id}`)).status).toBe(200);
    expect((await sendai.get(`api/bookings/${id}/events`)).status).toBe(200);

    // The resident's own municipality may cancel for them.
    const cancelled = await sendai.post(`api/bookings/${id}/cancel`, { reason: "ご家族から連絡" });
    expect(cancelled.status, cancelled.text).toBe(200);
    const events = await resident.get(`api/bookings/${id}/events`);
    expect(events.json.items[1]).toMatchObject({
      type: "cancelled",
      source: "staff",
      data: { by: "municipality" },
    });
  });

  it("the facility's own staff see who is coming (name, baby's corrected age, notes), audited; no one else does", async () => {
    const p = t.hub.prisma;
    const [mother] = (await bookableResidents(p, "041009", 1)) as [string];
    // Born 60 days before the due date (preterm): 仙台市 counts a stay's age from the due date, 30 days from now.
    const child = await p.child.findFirstOrThrow({ where: { residentId: mother } });
    await p.child.update({ where: { id: child.id }, data: { dueDate: parseDate(day(30)) as Date } });
    const note = "上の子（3歳）も一緒に伺います";
    const held = await hold(facility, { startDate: day(36), residentId: mother, note });
    expect(held.status, held.text).toBe(201);
    const id = held.json.id;
    const facilityUser = await p.user.findUniqueOrThrow({ where: { email: "facility@demo.example.jp" } });

    const read = await facility.get(`api/bookings/${id}`);
    await expectContract("getBooking", read);
    expect(read.json.stayCounting).toBe("per_day"); // 仙台市 counts a stay by the day
    expect(read.json.guest).toEqual({
      name: "試験 利用者1",
      kana: "",
      childAgeMonths: 0,
      ageBasis: "corrected",
      notes: [note],
    });
    const listed = await facility.get(`api/bookings?from=${day(36)}&to=${day(36)}&limit=200`);
    await expectContract("listBookings", listed);
    expect(listed.json.items.find((b: any) => b.id === id)?.guest?.name).toBe("試験 利用者1");

    // Another facility cannot reach the booking; the municipality and the prefecture read it without the guest.
    expectProblem(await facility2.get(`api/bookings/${id}`), 404, "not_found");
    const others = (await facility2.get("api/bookings?limit=200")).json.items;
    expect(others.map((b: any) => b.id)).not.toContain(id);
    expect(others.every((b: any) => b.guest === undefined)).toBe(true);
    for (const c of [sendai, prefecture]) {
      const seen = await c.get(`api/bookings/${id}`);
      expect(seen.status).toBe(200);
      expect(seen.json.guest).toBeUndefined();
    }

    // Each read by staff is in the audit log, the refused one too.
    const audited = await p.auditLog.findMany({ where: { action: "getBooking", resourceId: id } });
    expect(audited.find((a) => a.actorId === facilityUser.id)).toMatchObject({ outcome: "ok" });
    expect(audited.filter((a) => a.outcome === "denied" && a.actorRole === "facility")).toHaveLength(1);
    expect(
      await p.auditLog.count({ where: { action: "listBookings", actorId: facilityUser.id, outcome: "ok" } }),
    ).toBeGreaterThan(0);
  });

  it("lists bookings newest first with filters and a total", async () => {
    const all = await resident.get("api/bookings?limit=200");
    expect(all.status).toBe(200);
    await expectContract("listBookings", all);
    expect(all.json.total).toBe(all.json.items.length);
    expect(all.json.items.every((b: any) => b.residentId === residentId)).toBe(true);
    const created = all.json.items.map((b: any) => b.createdAt);
    expect(created).toEqual([...created].sort().reverse());

    const page = await resident.get("api/bookings?limit=2&offset=1");
    expect(page.json.total).toBe(all.json.total);
    expect(page.json.items.map((b: any) => b.id)).toEqual(all.json.items.slice(1, 3).map((b: any) => b.id));

    const statuses = (await resident.get("api/bookings?status=cancelled&limit=200")).json.items.map(
      (b: any) => b.status as BookingStatus,
    );
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set(["cancelled"]));

    // Overlap with a date range: a stay from day 20 to day 22 overlaps day 21..21.
    const ranged = await resident.get(`api/bookings?from=${day(21)}&to=${day(21)}&limit=200`);
    expect(ranged.json.items.map((b: any) => b.startDate)).toEqual([day(20)]);
    expectProblem(await resident.get(`api/bookings?from=${day(2)}&to=${day(1)}`), 422, "invalid_range");

    const byFacility = await prefecture.get(`api/bookings?facilityId=${facilityId}&limit=200`);
    expect(byFacility.json.total).toBeGreaterThanOrEqual(all.json.total);
    expect(byFacility.json.items.every((b: any) => b.facilityId === facilityId)).toBe(true);
    expect(
      (await facility2.get("api/bookings")).json.items.every((b: any) => b.facilityId === otherFacilityId),
    ).toBe(true);
  });

  it("keeps every projection equal to its events and every slot count equal to its holding bookings", async () => {
    const bookings = await t.hub.prisma.booking.findMany({
      include: { events: { orderBy: { seq: "asc" } } },
    });
    expect(bookings.length).toBeGreaterThan(5);
    for (const b of bookings)
      expect(replay(b.events), b.id).toEqual({ status: b.status, revision: b.revision });
    const drift = await t.hub.prisma.$queryRaw<{ id: string }[]>`
      SELECT s.id FROM slot s
      WHERE s.booked <> (SELECT count(*) FROM booking_slot bs JOIN booking b ON b.id = bs.booking_id
                         WHERE bs.slot_id = s.id AND b.status IN ('requested', 'confirmed', 'used', 'reported', 'no_show'))`;
    expect(drift).toEqual([]);
  });

  it("a domain call with a problem changes nothing", async () => {
    const actor = await actorFor("resident@demo.example.jp");
    const count = await t.hub.prisma.booking.count();
    const slots = await t.hub.prisma.slot.aggregate({ _sum: { booked: true } });
    for (const nights of [0, 15, 1.5]) {
      await expect(
        createHold(
          t.hub.prisma,
          actor,
          { facilityId, serviceType: "stay", startDate: day(31), nights },
          new Date(),
        ),
      ).rejects.toMatchObject({ kind: "unprocessable", code: "invalid_nights" });
    }
    await expect(
      createHold(
        t.hub.prisma,
        actor,
        { facilityId, serviceType: "day", startDate: serviceDay(31) },
        new Date(),
      ),
    ).rejects.toBeInstanceOf(DomainError);
    expect(await t.hub.prisma.slot.aggregate({ _sum: { booked: true } })).toEqual(slots);
    expect(await t.hub.prisma.booking.count()).toBe(count);
  });
});
