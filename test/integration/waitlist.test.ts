import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { PrismaClient } from "../../hub/db/client.js";
import { noteFreedPlaces } from "../../hub/waitlist/kick.js";
import { endPastEntries, expireOffers, offerFreedPlaces, sweepWaitlist } from "../../hub/waitlist/offers.js";
import type { TestClient } from "../support/client.js";
import { expectContract, expectProblem } from "../support/contract.js";
import { tokyoDay as day } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { bookableResidents } from "../support/residents.js";
import { clientFor, clientForUser } from "../support/sessions.js";

const SENDAI = "041009";
const NATORI = "042072";

/** A signed-in client for a resident (a resident account linked to the record). */
async function residentClient(t: TestHub, residentId: string): Promise<TestClient> {
  const user = await t.hub.prisma.user.create({
    data: { role: "resident", displayName: "利用者", residentId },
  });
  return clientForUser(t, user.id);
}

/** Every voucher balance within its cap (reserved + used ≤ cap), for the residents given. */
async function vouchersWithinCaps(prisma: PrismaClient, residentIds: string[]) {
  const rows = await prisma.voucherBalance.findMany({
    where: { voucher: { residentId: { in: residentIds } } },
    select: { cap: true, used: true, reserved: true },
  });
  return rows.every((b) => b.reserved >= 0 && b.used + b.reserved <= b.cap);
}

/**
 * The waitlist (予約待機) on the booking ledger: who is offered a freed place and in which order, what accepting,
 * declining and letting an offer lapse do, how concurrent changes are kept from overselling or passing a voucher's
 * cap, and who sees which entries. Offers are made by calling the job functions directly (no workers run), so
 * every step is deterministic; the last block runs the workers and checks the fast path end to end.
 */
describe("waitlist", () => {
  let t: TestHub;
  let facilityId: string;
  let facility: TestClient;
  let facility2: TestClient;
  let sendai: TestClient;
  let natori: TestClient;
  let prefecture: TestClient;

  const prisma = () => t.hub.prisma;
  const entryRow = (id: string) => prisma().waitlistEntry.findUniqueOrThrow({ where: { id } });
  const bookingRow = (id: string) => prisma().booking.findUniqueOrThrow({ where: { id } });
  const offer = (serviceType: "stay" | "day" = "stay") => offerFreedPlaces(t.hub, facilityId, serviceType);
  const capacity = async (date: string, places: number, to = date) => {
    const res = await facility.put(`api/facilities/${facilityId}/slots`, {
      serviceType: "stay",
      from: date,
      to,
      capacity: places,
    });
    expect(res.status, res.text).toBe(200);
  };
  const hold = async (residentId: string, startDate: string, nights = 1) => {
    const res = await sendai.post("api/bookings", {
      facilityId,
      serviceType: "stay",
      startDate,
      nights,
      residentId,
    });
    expect(res.status, res.text).toBe(201);
    return res.json.id as string;
  };
  const stayEntry = (fromDate: string, toDate = fromDate, extra: Record<string, unknown> = {}) => ({
    facilityId,
    serviceType: "stay",
    fromDate,
    toDate,
    nights: 1,
    ...extra,
  });
  const join = async (client: TestClient, body: Record<string, unknown>) => {
    const res = await client.post("api/waitlist", body);
    expect(res.status, res.text).toBe(201);
    await expectContract("joinWaitlist", res);
    return res.json.id as string;
  };
  const booked = async (date: string) => {
    const slot = await prisma().slot.findFirstOrThrow({
      where: { facilityId, serviceType: "stay", date: new Date(`${date}T00:00:00Z`), timeBlock: "" },
    });
    return { booked: slot.booked, capacity: slot.capacity };
  };

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 20 });
    const user = (email: string) => prisma().user.findUniqueOrThrow({ where: { email } });
    facilityId = (await user("facility@demo.example.jp")).facilityId as string;
    facility = await clientFor(t, "facility@demo.example.jp");
    facility2 = await clientFor(t, "facility2@demo.example.jp");
    sendai = await clientFor(t, "sendai@demo.example.jp");
    natori = await clientFor(t, "natori@demo.example.jp");
    prefecture = await clientFor(t, "prefecture@demo.example.jp");
  }, 180_000);
  afterAll(() => t?.close());
  // Each test has its own dates; entries a test leaves waiting would otherwise be offered places in the next.
  afterEach(async () => {
    await prisma().waitlistEntry.updateMany({ where: { status: "waiting" }, data: { status: "cancelled" } });
  });

  it("joins after the entitlement check, and refuses duplicates, bad ranges and what the voucher cannot cover", async () => {
    const [r] = (await bookableResidents(prisma(), SENDAI, 1)) as [string];
    const me = await residentClient(t, r);
    // Taken once: the clock may pass midnight in Tokyo during the test (CI's run at 14:59 UTC).
    const [from, to] = [day(20), day(22)];
    const id = await join(me, stayEntry(from, to));
    const entry = await me.get(`api/waitlist/${id}`);
    await expectContract("getWaitlistEntry", entry);
    expect(entry.json).toMatchObject({
      residentId: r,
      facilityId,
      serviceType: "stay",
      fromDate: from,
      toDate: to,
      nights: 1,
      priority: 0,
      status: "waiting",
      position: 1,
      offer: null,
      // Names and staff notes are for the municipality and the prefecture.
      residentName: null,
      note: null,
    });
    expect((await entryRow(id)).createdBy).not.toBeNull();

    expectProblem(await me.post("api/waitlist", stayEntry(day(21), day(25))), 409, "already_waiting");
    // A range that does not overlap is a separate wish.
    await join(me, stayEntry(day(23), day(24)));
    expectProblem(
      await me.post("api/waitlist", stayEntry(day(30), day(30), { priority: 3 })),
      422,
      "staff_only",
    );
    expectProblem(await me.post("api/waitlist", stayEntry(day(30), day(29))), 422, "invalid_range");
    expectProblem(await me.post("api/waitlist", stayEntry(day(-1), day(3))), 422, "date_in_past");
    expectProblem(await me.post("api/waitlist", stayEntry(day(30), day(130))), 422, "range_too_long");
    expectProblem(
      await me.post("api/waitlist", stayEntry(day(30), day(31), { nights: 3 })),
      422,
      "invalid_nights",
    );
    expectProblem(
      await me.post("api/waitlist", {
        ...stayEntry(day(30)),
        serviceType: "day",
        nights: undefined,
        timeBlock: "zz",
      }),
      422,
      "unknown_time_block",
    );
    // Staff only for their own residents; another municipality's resident is not found.
    expectProblem(
      await natori.post("api/waitlist", stayEntry(day(30), day(30), { residentId: r })),
      404,
      "not_found",
    );
    expectProblem(await sendai.post("api/waitlist", stayEntry(day(30))), 422, "resident_required");

    // The voucher could never cover it: 仙台市 offers stays until the baby is four months old.
    const [old] = (await bookableResidents(prisma(), SENDAI, 1, { babyAgeDays: 200 })) as [string];
    const refused = await sendai.post("api/waitlist", stayEntry(day(30), day(31), { residentId: old }));
    expectProblem(refused, 422, "not_entitled");
    expect(refused.json.errors.length).toBeGreaterThan(0);
    expect(refused.json.errors.every((e: { code?: string }) => typeof e.code === "string")).toBe(true);
    expect(await prisma().waitlistEntry.count({ where: { residentId: old } })).toBe(0);
  });

  it("offers a freed place to the first in line (priority, then first come), one at a time, then the next", async () => {
    const D = day(30);
    await capacity(D, 1);
    const [h, a, b, c] = (await bookableResidents(prisma(), SENDAI, 4)) as [string, string, string, string];
    const holding = await hold(h, D);
    const aId = await join(await residentClient(t, a), stayEntry(D));
    const bId = await join(await residentClient(t, b), stayEntry(D));
    // Staff join a resident who needs it ahead of the others.
    const cClient = await residentClient(t, c);
    const cId = await join(
      sendai,
      stayEntry(D, D, { residentId: c, priority: 5, note: "産後うつのリスクあり" }),
    );
    expect((await offer()).offered).toBe(0);
    const line = await sendai.get(`api/waitlist?facilityId=${facilityId}&status=waiting&limit=200`);
    await expectContract("listWaitlist", line);
    const pos = (id: string) => line.json.items.find((e: { id: string }) => e.id === id)?.position;
    expect([pos(cId), pos(aId), pos(bId)]).toEqual([1, 2, 3]);

    // The place comes free: the priority entry gets it, and only that one.
    expect((await sendai.post(`api/bookings/${holding}/cancel`, { reason: "体調のため" })).status).toBe(200);
    expect((await offer()).offered).toBe(1);
    expect((await offer()).offered).toBe(0);
    const offeredC = await entryRow(cId);
    expect(offeredC).toMatchObject({ status: "offered", offersMade: 1 });
    expect((await entryRow(aId)).status).toBe("waiting");
    expect((await entryRow(bId)).status).toBe("waiting");
    expect(await booked(D)).toEqual({ booked: 1, capacity: 1 });
    const offeredBooking = await bookingRow(offeredC.offerBookingId as string);
    expect(offeredBooking).toMatchObject({ residentId: c, status: "requested", waitlistEntryId: cId });
    expect(offeredC.offerExpiresAt?.getTime()).toBeGreaterThan(Date.now() + 100 * 60_000);
    expect(offeredC.offerExpiresAt?.getTime()).toBeLessThanOrEqual(Date.now() + 120 * 60_000);
    // The resident is told (e-mail in Japanese) in the offer's transaction.
    const resident = await prisma().resident.findUniqueOrThrow({ where: { id: c } });
    const told = await prisma().outboxMessage.findMany({ where: { topic: "notify.message" } });
    const mine = told.filter((m) => (m.payload as { to?: string }).to === resident.email);
    expect(mine.some((m) => (m.payload as { subject?: string }).subject?.includes("空きが出ました"))).toBe(
      true,
    );
    const seen = await cClient.get(`api/waitlist/${cId}`);
    await expectContract("getWaitlistEntry", seen);
    expect(seen.json.offer).toMatchObject({
      bookingId: offeredBooking.id,
      bookingStatus: "requested",
      startDate: D,
      units: 2,
      // 仙台市 counts a stay by the day (1泊2日 = 2): the portal words the units that way.
      stayCounting: "per_day",
    });
    expect(seen.json.offer.expiresAt).toBe(offeredC.offerExpiresAt?.toISOString());

    // C declines: the hold is cancelled without a fee and A (first come) is offered the place.
    const declined = await cClient.post(`api/waitlist/${cId}/decline`);
    expect(declined.status, declined.text).toBe(200);
    await expectContract("declineWaitlistOffer", declined);
    expect(declined.json.status).toBe("cancelled");
    expect(await bookingRow(offeredBooking.id)).toMatchObject({
      status: "cancelled",
      cancelReason: "waitlist_declined",
      cancellationFee: 0,
    });
    const cVoucher = await prisma().voucherBalance.findFirstOrThrow({
      where: { serviceType: "stay", voucher: { residentId: c } },
    });
    expect(cVoucher.reserved).toBe(0);
    expect((await offer()).offered).toBe(1);
    const offeredA = await entryRow(aId);
    expect(offeredA.status).toBe("offered");
    expect((await entryRow(bId)).status).toBe("waiting");

    // A lets the offer lapse: the hold is withdrawn, A goes back to waiting once, behind B, who gets the place.
    expect((await expireOffers(t.hub, new Date(Date.now() + 60_000))).lapsed).toBe(0);
    const later = new Date((offeredA.offerExpiresAt as Date).getTime() + 1000);
    expect((await expireOffers(t.hub, later)).lapsed).toBe(1);
    expect(await entryRow(aId)).toMatchObject({ status: "waiting", offersMade: 1, offerBookingId: null });
    expect(await bookingRow(offeredA.offerBookingId as string)).toMatchObject({
      status: "cancelled",
      cancelReason: "waitlist_offer_expired",
      cancellationFee: 0,
    });
    expect((await offer()).offered).toBe(1);
    const offeredB = await entryRow(bId);
    expect(offeredB.status).toBe("offered");
    expect((await entryRow(aId)).status).toBe("waiting");

    // B accepts: the hold stays as B's request, for the facility to approve; the entry is booked.
    const bClient = await clientForUser(
      t,
      (await prisma().user.findUniqueOrThrow({ where: { residentId: b } })).id,
    );
    // The facility hears of the request only once the offer is accepted.
    const requestsToFacility = async () =>
      (await prisma().outboxMessage.findMany({ where: { topic: "notify.message" } })).filter((m) => {
        const p = m.payload as { subject?: string; text?: string };
        return (
          p.subject?.includes("新しい予約の申込み") && p.text?.includes(offeredB.offerBookingId as string)
        );
      }).length;
    expect(await requestsToFacility()).toBe(0);
    const accepted = await bClient.post(`api/waitlist/${bId}/accept`);
    expect(accepted.status, accepted.text).toBe(200);
    await expectContract("acceptWaitlistOffer", accepted);
    expect(accepted.json).toMatchObject({
      status: "booked",
      offer: { bookingStatus: "requested", expiresAt: null },
    });
    expect((await bClient.post(`api/waitlist/${bId}/accept`)).status).toBe(200);
    expect(await requestsToFacility()).toBe(1);
    const confirmed = await facility.post(`api/bookings/${offeredB.offerBookingId}/confirm`);
    expect(confirmed.status, confirmed.text).toBe(200);
    expect(await booked(D)).toEqual({ booked: 1, capacity: 1 });

    // A second place (capacity raised): A is offered again; a second lapse ends the entry.
    await capacity(D, 2);
    expect((await offer()).offered).toBe(1);
    const again = await entryRow(aId);
    expect(again).toMatchObject({ status: "offered", offersMade: 2 });
    await expireOffers(t.hub, new Date((again.offerExpiresAt as Date).getTime() + 1000));
    expect((await entryRow(aId)).status).toBe("ended");
    expect(await booked(D)).toEqual({ booked: 1, capacity: 2 });
  });

  it("answers accept, decline and leave with clear refusals when they do not apply", async () => {
    const D = day(31);
    await capacity(D, 1);
    const [h, w] = (await bookableResidents(prisma(), SENDAI, 2)) as [string, string];
    const holding = await hold(h, D);
    const me = await residentClient(t, w);
    const id = await join(me, stayEntry(D));
    expectProblem(await me.post(`api/waitlist/${id}/accept`), 409, "no_offer");
    expectProblem(await me.post(`api/waitlist/${id}/decline`), 409, "no_offer");
    expectProblem(
      await me.post("api/waitlist/00000000-0000-4000-8000-000000000000/accept"),
      404,
      "not_found",
    );
    await sendai.post(`api/bookings/${holding}/cancel`, { reason: "体調のため" });
    expect((await offer()).offered).toBe(1);
    // Past its deadline (the expiry job has not run yet): too late to accept.
    await prisma().waitlistEntry.update({
      where: { id },
      data: { offerExpiresAt: new Date(Date.now() - 1000) },
    });
    expectProblem(await me.post(`api/waitlist/${id}/accept`), 409, "offer_expired");
    // Leaving with an offer declines it: the place is free again.
    const left = await me.delete(`api/waitlist/${id}`);
    expect(left.status, left.text).toBe(200);
    await expectContract("leaveWaitlist", left);
    expect(left.json.status).toBe("cancelled");
    expect(await booked(D)).toEqual({ booked: 0, capacity: 1 });
    expectProblem(await me.delete(`api/waitlist/${id}`), 409, "waitlist_entry_closed");
    expectProblem(await me.post(`api/waitlist/${id}/decline`), 409, "no_offer");
    // A waiting entry simply leaves.
    const other = await join(me, stayEntry(day(32)));
    expect((await sendai.delete(`api/waitlist/${other}`)).json.status).toBe("cancelled");
  });

  it("moves on to the next entry when the first one's voucher no longer covers the place", async () => {
    const D = day(33);
    await capacity(D, 1);
    const [h, v, w] = (await bookableResidents(prisma(), SENDAI, 3)) as [string, string, string];
    const holding = await hold(h, D);
    const vId = await join(sendai, stayEntry(D, D, { residentId: v }));
    const wId = await join(sendai, stayEntry(D, D, { residentId: w }));
    // Since joining, V has booked 6 of 7 units elsewhere: the 2 units this stay takes no longer fit.
    for (const n of [40, 41, 42]) await hold(v, day(n));
    await sendai.post(`api/bookings/${holding}/cancel`, { reason: "体調のため" });
    expect((await offer()).offered).toBe(1);
    expect((await entryRow(vId)).status).toBe("waiting");
    expect((await entryRow(wId)).status).toBe("offered");
    expect(await vouchersWithinCaps(prisma(), [v, w])).toBe(true);
  });

  it("never oversells nor passes a voucher's cap when cancellations, offers and answers run at once", async () => {
    const E = day(35);
    const F = day(36);
    await capacity(E, 3, F);
    const holders = await bookableResidents(prisma(), SENDAI, 6);
    const waiting = await bookableResidents(prisma(), SENDAI, 6);
    // X waits for both dates but has units for one more stay only (4 of 7 taken).
    const [x] = (await bookableResidents(prisma(), SENDAI, 1)) as [string];
    await hold(x, day(44));
    await hold(x, day(45));
    const holds: string[] = [];
    for (const [i, r] of holders.entries()) holds.push(await hold(r, i < 3 ? E : F));
    const entries: string[] = [];
    entries.push(await join(sendai, stayEntry(E, E, { residentId: x })));
    entries.push(await join(sendai, stayEntry(F, F, { residentId: x })));
    for (const [i, r] of waiting.entries())
      entries.push(await join(sendai, stayEntry(i % 2 ? F : E, i % 2 ? F : E, { residentId: r })));
    expect((await offer()).offered).toBe(0);

    // Every place comes free at once, while several workers offer.
    await Promise.all([
      ...holds.map((id) => sendai.post(`api/bookings/${id}/cancel`, { reason: "体調のため" })),
      offer(),
      offer(),
      offer(),
    ]);
    await Promise.all([offer(), offer()]);
    const rows = await prisma().waitlistEntry.findMany({ where: { id: { in: entries } } });
    const offered = rows.filter((e) => e.status === "offered");
    expect(offered).toHaveLength(6);
    expect(new Set(offered.map((e) => e.offerBookingId)).size).toBe(6);
    expect(rows.filter((e) => e.residentId === x && e.status === "offered")).toHaveLength(1);
    for (const date of [E, F]) expect(await booked(date)).toEqual({ booked: 3, capacity: 3 });
    expect(await vouchersWithinCaps(prisma(), [x, ...waiting])).toBe(true);

    // Answers, cancellations and offers at once: accept half, decline the rest, while offering again.
    const clients = await Promise.all(offered.map((e) => residentClient(t, e.residentId)));
    await Promise.all([
      ...offered.map((e, i) =>
        (clients[i] as TestClient).post(`api/waitlist/${e.id}/${i % 2 ? "decline" : "accept"}`),
      ),
      offer(),
      offer(),
    ]);
    await offer();
    for (const date of [E, F]) {
      const { booked: n, capacity: cap } = await booked(date);
      expect(n).toBeLessThanOrEqual(cap);
    }
    const open = await prisma().booking.count({
      where: {
        facilityId,
        startDate: { in: [new Date(`${E}T00:00:00Z`), new Date(`${F}T00:00:00Z`)] },
        status: { in: ["requested", "confirmed"] },
      },
    });
    expect(open).toBe((await booked(E)).booked + (await booked(F)).booked);
    expect(await vouchersWithinCaps(prisma(), [x, ...waiting])).toBe(true);
  }, 120_000);

  it("ends entries whose dates have passed", async () => {
    const [r] = (await bookableResidents(prisma(), SENDAI, 1)) as [string];
    const soon = await join(sendai, stayEntry(day(1), day(3), { residentId: r, nights: 2 }));
    const later = await join(sendai, stayEntry(day(50), day(52), { residentId: r }));
    const at = (n: number) => new Date(Date.now() + n * 86_400_000);
    await endPastEntries(prisma(), at(2));
    // The last start of a 2-night stay within day 1..3 is day 2: still possible on day 2.
    expect((await entryRow(soon)).status).toBe("waiting");
    await endPastEntries(prisma(), at(3));
    expect((await entryRow(soon)).status).toBe("ended");
    expect((await entryRow(later)).status).toBe("waiting");
    expectProblem(await sendai.delete(`api/waitlist/${soon}`), 409, "waitlist_entry_closed");
  });

  it("keeps each tenant to its own entries; the facility reads its line without names", async () => {
    const [r] = (await bookableResidents(prisma(), SENDAI, 1)) as [string];
    const [n] = (await bookableResidents(prisma(), NATORI, 1)) as [string];
    const mine = await residentClient(t, r);
    const id = await join(mine, stayEntry(day(60)));
    const nId = await join(natori, stayEntry(day(60), day(60), { residentId: n, note: "要支援" }));
    const other = await residentClient(t, (await bookableResidents(prisma(), SENDAI, 1))[0] as string);

    const own = await mine.get("api/waitlist");
    expect(own.json.items.map((e: { id: string }) => e.id)).toEqual([id]);
    expectProblem(await other.get(`api/waitlist/${id}`), 404, "not_found");
    expectProblem(await other.delete(`api/waitlist/${id}`), 404, "not_found");
    expect((await other.get("api/waitlist")).json.total).toBe(0);

    const natoriList = await natori.get("api/waitlist?limit=200");
    expect(natoriList.json.items.map((e: { id: string }) => e.id)).toEqual([nId]);
    expect(natoriList.json.items[0]).toMatchObject({ note: "要支援" });
    expect(natoriList.json.items[0].residentName).toMatch(/試験/);
    expectProblem(await natori.get(`api/waitlist/${id}`), 404, "not_found");
    expectProblem(await natori.patch(`api/waitlist/${id}`, { priority: 9 }), 404, "not_found");

    const line = await facility.get(`api/waitlist?limit=200&residentId=${n}`);
    await expectContract("listWaitlist", line);
    expect(line.json.items).toHaveLength(1);
    expect(line.json.items[0]).toMatchObject({ id: nId, residentName: null, note: null });
    expect((await facility.patch(`api/waitlist/${nId}`, { priority: 1 })).status).toBe(403);
    expect((await facility.post(`api/waitlist/${nId}/accept`)).status).toBe(403);
    expect((await facility2.get(`api/waitlist/${nId}`)).status).toBe(404);
    expect((await facility2.get("api/waitlist")).json.total).toBe(0);
    expect((await prefecture.get(`api/waitlist/${nId}`)).json.residentName).toMatch(/試験/);
    expect((await prefecture.delete(`api/waitlist/${nId}`)).status).toBe(403);

    // The municipality sets a priority: its resident moves to the front of the line.
    const before = (await natori.get(`api/waitlist/${nId}`)).json.position as number;
    const raised = await natori.patch(`api/waitlist/${nId}`, { priority: 10 });
    expect(raised.status, raised.text).toBe(200);
    await expectContract("updateWaitlistEntry", raised);
    expect(raised.json).toMatchObject({ priority: 10, position: 1 });
    expect(before).toBeGreaterThan(1);
    expectProblem(await mine.patch(`api/waitlist/${id}`, { priority: 10 }), 403, "forbidden");
  });

  it("sweeps free places nobody announced, and knows committed from rolled-back changes", async () => {
    const D = day(62);
    await capacity(D, 1);
    const [h, w] = (await bookableResidents(prisma(), SENDAI, 2)) as [string, string];
    await hold(h, D);
    const id = await join(sendai, stayEntry(D, D, { residentId: w }));
    // A facility's own system gives a place back behind the hub's back.
    await prisma().slot.updateMany({
      where: { facilityId, serviceType: "stay", date: new Date(`${D}T00:00:00Z`) },
      data: { capacity: 2 },
    });
    const swept = await sweepWaitlist(t.hub);
    expect(swept.offered).toBe(1);
    expect((await entryRow(id)).status).toBe("offered");

    // The fast path is written with the change that frees places: a change rolled back leaves no offer job behind.
    const offerJobs = () => prisma().outboxMessage.count({ where: { topic: "waitlist.offer" } });
    const before = await offerJobs();
    await prisma()
      .$transaction(async (tx) => {
        await noteFreedPlaces(tx, { facilityId, serviceType: "stay" });
        throw new Error("roll back");
      })
      .catch(() => undefined);
    expect(await offerJobs()).toBe(before);
    await prisma().$transaction((tx) => noteFreedPlaces(tx, { facilityId, serviceType: "stay" }));
    expect(await offerJobs()).toBe(before + 1);
  });
});

describe("waitlist with workers: a cancellation's place is offered without anyone asking", () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 20, workers: true });
  }, 180_000);
  afterAll(() => t?.close());

  it("offers the place freed by a cancellation and by a raised capacity, through the queue", async () => {
    const prisma = t.hub.prisma;
    const facilityId = (await prisma.user.findUniqueOrThrow({ where: { email: "facility@demo.example.jp" } }))
      .facilityId as string;
    const facility = await clientFor(t, "facility@demo.example.jp");
    const sendai = await clientFor(t, "sendai@demo.example.jp");
    const D = day(25);
    const set = (places: number) =>
      facility.put(`api/facilities/${facilityId}/slots`, {
        serviceType: "stay",
        from: D,
        to: D,
        capacity: places,
      });
    expect((await set(1)).status).toBe(200);
    const [h, a, b] = (await bookableResidents(prisma, SENDAI, 3)) as [string, string, string];
    const held = await sendai.post("api/bookings", {
      facilityId,
      serviceType: "stay",
      startDate: D,
      residentId: h,
    });
    expect(held.status, held.text).toBe(201);
    const entry = async (residentId: string) => {
      const res = await sendai.post("api/waitlist", {
        facilityId,
        serviceType: "stay",
        fromDate: D,
        toDate: D,
        residentId,
      });
      expect(res.status, res.text).toBe(201);
      return res.json.id as string;
    };
    const aId = await entry(a);
    const bId = await entry(b);
    const statusOf = async (id: string) => (await sendai.get(`api/waitlist/${id}`)).json.status;
    expect(await statusOf(aId)).toBe("waiting");

    expect((await sendai.post(`api/bookings/${held.json.id}/cancel`, { reason: "体調のため" })).status).toBe(
      200,
    );
    await vi.waitFor(async () => expect(await statusOf(aId)).toBe("offered"), {
      timeout: 30_000,
      interval: 50,
    });
    expect(await statusOf(bId)).toBe("waiting");

    expect((await set(2)).status).toBe(200);
    await vi.waitFor(async () => expect(await statusOf(bId)).toBe("offered"), {
      timeout: 30_000,
      interval: 50,
    });
    const slot = await prisma.slot.findFirstOrThrow({
      where: { facilityId, serviceType: "stay", date: new Date(`${D}T00:00:00Z`) },
    });
    expect(slot.booked).toBe(2);
  }, 90_000);
});
