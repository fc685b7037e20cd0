/**
 * The merge of facility systems' changes into the one ledger (hub/connections/apply.ts): sources, revisions,
 * duplicates, oversold places to review, availability, vanished calendar events, all-or-nothing batches.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExternalBooking, ExternalChange } from "../../connectors/contract.js";
import { replay } from "../../hub/bookings/state.js";
import { applyChanges, type ConnectionRef } from "../../hub/connections/apply.js";
import type { ServiceType } from "../../hub/db/client.js";
import { formatDate, parseDate } from "../../hub/inventory/dates.js";
import { tokyoDay as day } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";

describe("applying connector changes to the ledger", () => {
  let t: TestHub;
  let conn: ConnectionRef;
  const now = () => new Date();
  const prisma = () => t.hub.prisma;

  const stay = (
    externalId: string,
    revision: number,
    start: number,
    nights = 1,
    over: Partial<ExternalBooking> = {},
  ) =>
    ({
      kind: "booking",
      externalId,
      revision,
      status: "confirmed",
      serviceType: "stay",
      startDate: day(start),
      endDate: day(start + nights),
      ...over,
    }) satisfies ExternalBooking;

  const slot = async (d: string, serviceType: ServiceType = "stay") =>
    prisma().slot.findFirst({
      where: { facilityId: conn.facilityId, serviceType, date: parseDate(d) as Date },
    });
  const booking = (externalId: string) =>
    prisma().booking.findUnique({
      where: { facilityId_externalRef: { facilityId: conn.facilityId, externalRef: externalId } },
      include: { events: { orderBy: { seq: "asc" } } },
    });
  const conflicts = (kind?: string) =>
    prisma().syncConflict.findMany({ where: { connectionId: conn.id, ...(kind ? { kind } : {}) } });

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 20 });
    const staff = await prisma().user.findUniqueOrThrow({ where: { email: "facility@demo.example.jp" } });
    const facilityId = staff.facilityId as string;
    await prisma().facilityService.update({
      where: { facilityId_serviceType: { facilityId, serviceType: "stay" } },
      data: { capacity: 2 },
    });
    await prisma().slot.updateMany({ where: { facilityId, serviceType: "stay" }, data: { capacity: 2 } });
    const c = await prisma().connection.create({ data: { facilityId, connector: "ical" } });
    conn = { id: c.id, facilityId };
  }, 180_000);
  afterAll(() => t?.close());

  it("records a booking with its source, external id and revision, taking its places", async () => {
    const r = await applyChanges(prisma(), conn, [stay("A", 1, 20, 2)], now());
    expect(r).toEqual({ applied: 1, ignored: 0, conflicts: 0 });
    const b = await booking("A");
    expect(b).toMatchObject({
      status: "confirmed",
      source: "connector",
      residentId: null,
      serviceType: "stay",
    });
    expect(b?.events).toHaveLength(1);
    expect(b?.events[0]).toMatchObject({
      type: "confirmed",
      source: "connector",
      externalRef: "A",
      externalRevision: 1,
    });
    expect((await slot(day(20)))?.booked).toBe(1);
    expect((await slot(day(21)))?.booked).toBe(1);
    expect((await slot(day(22)))?.booked ?? 0).toBe(0);
  });

  it("applies the same change once and ignores older revisions", async () => {
    expect(await applyChanges(prisma(), conn, [stay("A", 1, 20, 2)], now())).toMatchObject({
      applied: 0,
      ignored: 1,
    });
    const moved = stay("A", 3, 25, 1);
    expect(await applyChanges(prisma(), conn, [moved], now())).toMatchObject({ applied: 1 });
    // Revision 2 arrives late: it changes nothing.
    expect(await applyChanges(prisma(), conn, [stay("A", 2, 30, 1)], now())).toMatchObject({ ignored: 1 });
    const b = await booking("A");
    expect(b && formatDate(b.startDate)).toBe(day(25));
    expect(b?.events.map((e) => e.type)).toEqual(["confirmed", "changed"]);
    expect((await slot(day(20)))?.booked).toBe(0);
    expect((await slot(day(25)))?.booked).toBe(1);
    expect((await slot(day(30)))?.booked ?? 0).toBe(0);
  });

  it("cancels and reinstates, giving places back and taking them again", async () => {
    await applyChanges(prisma(), conn, [stay("A", 4, 25, 1, { status: "cancelled" })], now());
    expect((await booking("A"))?.status).toBe("cancelled");
    expect((await slot(day(25)))?.booked).toBe(0);
    await applyChanges(prisma(), conn, [stay("A", 5, 25, 1)], now());
    expect((await booking("A"))?.status).toBe("confirmed");
    expect((await slot(day(25)))?.booked).toBe(1);
  });

  it("records a booking on full places and sends it to review, never dropping it", async () => {
    await applyChanges(prisma(), conn, [stay("B", 1, 25, 1)], now());
    const r = await applyChanges(prisma(), conn, [stay("C", 1, 25, 1)], now());
    expect(r).toEqual({ applied: 1, ignored: 0, conflicts: 1 });
    expect((await booking("C"))?.status).toBe("confirmed");
    expect((await slot(day(25)))?.booked).toBe(3);
    const [oversold] = await conflicts("oversold");
    expect(oversold).toMatchObject({ externalRef: "C", status: "open", bookingId: (await booking("C"))?.id });
    expect(oversold?.detail).toMatchObject({ dates: [day(25)] });
  });

  it("sets capacity and places taken from availability, and flags capacity below bookings", async () => {
    const changes: ExternalChange[] = [
      { kind: "availability", serviceType: "stay", date: day(26), capacity: 4, taken: 1 },
      { kind: "availability", serviceType: "stay", date: day(25), capacity: 1 },
    ];
    const r = await applyChanges(prisma(), conn, changes, now());
    expect(r).toMatchObject({ applied: 2, conflicts: 1 });
    expect(await slot(day(26))).toMatchObject({ capacity: 4, external: 1 });
    expect((await slot(day(25)))?.capacity).toBe(1);
    expect((await conflicts("capacity_below_bookings"))[0]?.detail).toMatchObject({
      date: day(25),
      taken: 3,
    });
  });

  it("sends what it cannot place to review and applies the rest", async () => {
    const r = await applyChanges(
      prisma(),
      conn,
      [stay("D", 1, 27, 1, { serviceType: "visit", timeBlock: "nope" }), stay("E", 1, 27, 1)],
      now(),
    );
    expect(r).toMatchObject({ applied: 1, conflicts: 1 });
    expect(await booking("D")).toBeNull();
    expect((await conflicts("invalid_change"))[0]).toMatchObject({ externalRef: "D" });
  });

  it("after a complete pull, sends bookings that vanished from the feed to review instead of deleting them", async () => {
    const window = { from: day(20), to: day(40) };
    const feed = [stay("A", 5, 25, 1), stay("B", 1, 25, 1), stay("C", 1, 25, 1)];
    const r = await applyChanges(prisma(), conn, feed, now(), { complete: window });
    expect(r).toMatchObject({ ignored: 3, conflicts: 1 });
    expect((await conflicts("missing_in_feed")).map((c) => c.externalRef)).toEqual(["E"]);
    expect((await booking("E"))?.status).toBe("confirmed");
    // Seen missing again: still one open conflict.
    await applyChanges(prisma(), conn, feed, now(), { complete: window });
    expect(await conflicts("missing_in_feed")).toHaveLength(1);
  });

  it("applies a batch all or nothing", async () => {
    const before = await prisma().booking.count();
    // The second change fails to write (its conflict names a connection that does not exist): the first is undone.
    const ghost = { ...conn, id: "00000000-0000-4000-8000-000000000000" };
    await expect(
      applyChanges(
        prisma(),
        ghost,
        [stay("F", 1, 28, 1), stay("F2", 1, 28, 1, { serviceType: "visit" })],
        now(),
      ),
    ).rejects.toThrow();
    expect(await prisma().booking.count()).toBe(before);
    expect((await slot(day(28)))?.booked ?? 0).toBe(0);
  });

  it("gives the ledger of one in-order delivery for shuffled, duplicated deliveries", async () => {
    const history = (id: string, start: number) => [
      stay(id, 1, start, 1),
      stay(id, 2, start + 1, 2),
      stay(id, 3, start + 1, 2, { status: "cancelled" }),
      stay(id, 4, start + 2, 1),
    ];
    const ids = ["G1", "G2", "G3"];
    const inOrder = ids.flatMap((id, i) => history(id, 50 + i * 5));
    const shuffled = [...inOrder, ...inOrder, ...inOrder.slice(0, 5)]
      .map((c) => ({ c, k: Math.random() }))
      .sort((a, b) => a.k - b.k)
      .map((x) => x.c);
    for (const c of shuffled) await applyChanges(prisma(), conn, [c], now());
    for (const [i, id] of ids.entries()) {
      const b = await booking(id);
      const want = history(id, 50 + i * 5).at(-1) as ExternalBooking;
      expect(b?.status).toBe("confirmed");
      expect(b && formatDate(b.startDate)).toBe(want.startDate);
      const slots = await prisma().bookingSlot.findMany({
        where: { bookingId: b?.id },
        include: { slot: true },
      });
      expect(slots.map((s) => formatDate(s.slot.date))).toEqual([want.startDate]);
    }
    // Every place is counted exactly once.
    const taken = await prisma().slot.findMany({
      where: { facilityId: conn.facilityId, serviceType: "stay", date: { gte: parseDate(day(50)) as Date } },
    });
    const held = await prisma().bookingSlot.count({ where: { slotId: { in: taken.map((s) => s.id) } } });
    expect(taken.reduce((n, s) => n + s.booked, 0)).toBe(held);
  });

  it("writes histories the state machine replays to each booking's status and revision", async () => {
    // Shuffled deliveries, cancellations, bookings first seen cancelled and confirmed again: all of the above.
    const bookings = await prisma().booking.findMany({
      where: { facilityId: conn.facilityId, source: "connector" },
      include: { events: { orderBy: { seq: "asc" } } },
    });
    expect(bookings.length).toBeGreaterThan(5);
    expect(
      bookings.some((b) =>
        b.events.some((e, i) => i > 0 && e.status === "confirmed" && b.events[i - 1]?.status === "cancelled"),
      ),
    ).toBe(true);
    for (const b of bookings) {
      expect(replay(b.events), b.externalRef ?? b.id).toEqual({ status: b.status, revision: b.revision });
    }
  });
});
