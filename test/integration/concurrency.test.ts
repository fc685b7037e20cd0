import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expireHolds } from "../../hub/bookings/actions.js";
import { createHold } from "../../hub/bookings/holds.js";
import type { ServiceType } from "../../hub/db/client.js";
import { DomainError } from "../../hub/errors.js";
import type { Actor } from "../../hub/identity/actor.js";
import { addDays, formatDate, parseDate } from "../../hub/inventory/dates.js";
import type { TestClient } from "../support/client.js";
import { tokyoDay as day } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { bookableResidents } from "../support/residents.js";
import { clientFor, clientForUser } from "../support/sessions.js";

const RACERS = 200;
const tally = (values: (string | number)[]) =>
  values.reduce<Record<string, number>>((acc, v) => {
    acc[v] = (acc[v] ?? 0) + 1;
    return acc;
  }, {});

/**
 * Capacity is never oversold, however many requests race for it: exactly as many holds succeed as there are
 * places, the rest get 409 slot_full, and no request fails with a 5xx. Runs on whichever database the
 * environment selects (PGlite by default, PostgreSQL when DATABASE_URL is set).
 */
describe(`concurrency: ${RACERS} holds racing for a few places`, () => {
  let t: TestHub;
  let facilityId: string;
  let residents: { userId: string; residentId: string }[];
  let clients: TestClient[];
  let facility: TestClient;
  const timings: string[] = [];

  /**
   * Sets capacity on the demo hospital's stays (or day care) for the given dates, with nothing booked, and gives
   * every voucher its units back, so earlier races' winners are not stopped by their caps (caps are raced in
   * voucher-bookings.test.ts).
   */
  const prepare = async (dates: string[], capacity: number, serviceType: ServiceType = "stay") => {
    await t.hub.prisma.voucherBalance.updateMany({ data: { reserved: 0, used: 0 } });
    await t.hub.prisma.voucher.updateMany({ data: { usesCount: 0 } });
    for (const date of dates) {
      const where = { facilityId, serviceType, date: parseDate(date) as Date };
      const n = await t.hub.prisma.slot.updateMany({
        where,
        data: { capacity, booked: 0, external: 0, closed: false },
      });
      expect(n.count, `seeded slot for ${date}`).toBeGreaterThan(0);
    }
  };
  const slot = (date: string, serviceType: ServiceType = "stay") =>
    t.hub.prisma.slot.findFirstOrThrow({ where: { facilityId, serviceType, date: parseDate(date) as Date } });
  /** Bookings that hold the night `date` right now. */
  const holding = (date: string) =>
    t.hub.prisma.bookingSlot.count({
      where: {
        slot: { facilityId, serviceType: "stay", date: parseDate(date) as Date },
        booking: { status: { in: ["requested", "confirmed"] } },
      },
    });
  let retries = 0;
  /**
   * A POST that survives a dropped connection: under this load a kept-alive socket the server has just closed
   * is sometimes reused (fetch then fails with ECONNRESET before any answer). Holds carry an Idempotency-Key,
   * so sending them again is safe, as it is for a real client; the retries are counted and reported.
   */
  const post = async (c: TestClient, path: string, body: unknown) => {
    const headers = path === "api/bookings" ? { "idempotency-key": randomUUID() } : undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        return await c.post(path, body, headers);
      } catch (err) {
        if (attempt === 3 || !(err instanceof TypeError)) throw err;
        retries++;
      }
    }
  };
  /** Successful holds: 201, or 200 when a retried request had in fact got through the first time. */
  const held = (r: { status: number }) => r.status === 201 || r.status === 200;
  const residentActor = (r: { userId: string; residentId: string }): Actor => ({
    userId: r.userId,
    role: "resident",
    displayName: "racer",
    municipalityCode: null,
    facilityId: null,
    associationId: null,
    residentId: r.residentId,
    sessionId: "test",
    verified: true,
    csrfToken: "",
  });

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 50 });
    const p = t.hub.prisma;
    facilityId = (await p.user.findUniqueOrThrow({ where: { email: "facility@demo.example.jp" } }))
      .facilityId as string;
    const free = await p.resident.findMany({
      where: { id: { in: await bookableResidents(p, "041009", RACERS) } },
    });
    expect(free).toHaveLength(RACERS);
    await p.user.createMany({
      data: free.map((r) => ({
        role: "resident" as const,
        displayName: `${r.familyName} ${r.givenName}`,
        residentId: r.id,
      })),
    });
    const users = await p.user.findMany({ where: { residentId: { in: free.map((r) => r.id) } } });
    residents = users.map((u) => ({ userId: u.id, residentId: u.residentId as string }));
    clients = [];
    for (let i = 0; i < residents.length; i += 50) {
      clients.push(...(await Promise.all(residents.slice(i, i + 50).map((r) => clientForUser(t, r.userId)))));
    }
    facility = await clientFor(t, "facility@demo.example.jp");
  }, 300_000);

  afterAll(async () => {
    console.log(`[concurrency on ${t?.hub.db.kind}] ${timings.join("; ")}; connection retries: ${retries}`);
    await t?.close();
  });

  it(`HTTP: ${RACERS} residents hold the same night of capacity 3 at once; exactly 3 get it`, async () => {
    const date = day(45);
    await prepare([date], 3);
    const started = performance.now();
    const results = await Promise.all(
      clients.map((c) => post(c, "api/bookings", { facilityId, serviceType: "stay", startDate: date })),
    );
    const ms = Math.round(performance.now() - started);
    timings.push(`HTTP ${RACERS} holds: ${ms} ms`);

    expect(results.filter((r) => r.status >= 500).map((r) => r.text)).toEqual([]);
    expect(tally(results.map((r) => (held(r) ? "held" : r.status)))).toEqual({ held: 3, 409: RACERS - 3 });
    expect(tally(results.filter((r) => r.status === 409).map((r) => r.json.code))).toEqual({
      slot_full: RACERS - 3,
    });
    expect((await slot(date)).booked).toBe(3);
    const winners = results.filter(held).map((r) => r.json.id);
    const bookings = await t.hub.prisma.booking.findMany({
      where: { facilityId, startDate: parseDate(date) as Date },
      include: { events: true, slots: true },
    });
    expect(bookings.map((b) => b.id).sort()).toEqual(winners.sort());
    expect(bookings.every((b) => b.events.length === 1 && b.slots.length === 1)).toBe(true);
  });

  it(`domain: ${RACERS} distinct createHold calls on capacity 3; exactly 3 succeed`, async () => {
    const date = day(46);
    await prepare([date], 3);
    const now = new Date();
    const started = performance.now();
    const settled = await Promise.allSettled(
      residents.map((r) =>
        createHold(t.hub.prisma, residentActor(r), { facilityId, serviceType: "stay", startDate: date }, now),
      ),
    );
    timings.push(`domain ${RACERS} holds: ${Math.round(performance.now() - started)} ms`);
    const ok = settled.filter((s) => s.status === "fulfilled");
    const failed = settled.flatMap((s) => (s.status === "rejected" ? [s.reason] : []));
    expect(ok).toHaveLength(3);
    expect(failed.filter((e) => !(e instanceof DomainError))).toEqual([]);
    expect(tally(failed.map((e: DomainError) => e.code))).toEqual({ slot_full: RACERS - 3 });
    expect((await slot(date)).booked).toBe(3);
  });

  it("multi-night stays racing single nights never oversell any night", async () => {
    const nights = [day(50), day(51), day(52)];
    await prepare(nights, 2);
    // 45 three-night stays and 45 single nights on each of the three nights, interleaved.
    const requests = residents
      .slice(0, 180)
      .map((_, i) =>
        i % 4 === 0 ? { startDate: nights[0], nights: 3 } : { startDate: nights[i % 3], nights: 1 },
      );
    const started = performance.now();
    const results = await Promise.all(
      requests.map((body, i) =>
        post(clients[i] as TestClient, "api/bookings", { facilityId, serviceType: "stay", ...body }),
      ),
    );
    timings.push(`HTTP ${requests.length} mixed stays: ${Math.round(performance.now() - started)} ms`);
    expect(results.filter((r) => r.status >= 500).map((r) => r.text)).toEqual([]);
    expect(new Set(results.map((r) => (held(r) ? "held" : `${r.status} ${r.json?.code}`)))).toEqual(
      new Set(["held", "409 slot_full"]),
    );
    for (const date of nights) {
      const s = await slot(date);
      expect(s.booked, date).toBeLessThanOrEqual(2);
      expect(s.booked, date).toBe(await holding(date));
    }
    // Every night a success covers was counted once.
    const won = results.filter(held).map((r) => r.json);
    const covered = won.flatMap((b) =>
      Array.from({ length: (Date.parse(b.endDate) - Date.parse(b.startDate)) / 86_400_000 }, (_, k) =>
        formatDate(addDays(parseDate(b.startDate) as Date, k)),
      ),
    );
    const booked = await Promise.all(nights.map(async (d) => (await slot(d)).booked));
    expect(covered.length).toBe(booked.reduce((a, b) => a + b, 0));
  });

  it("a multi-night hold waiting for a night being given back takes every night, not just some", async () => {
    const nights = [day(58), day(59)];
    await prepare(nights, 1);
    const first = { facilityId, serviceType: "stay" as const, date: parseDate(nights[0] as string) as Date };
    await t.hub.prisma.slot.updateMany({ where: first, data: { booked: 1 } });
    // Someone gives the first night back and commits only after the hold has started waiting for that row
    // (on PostgreSQL; PGlite runs one transaction at a time, so there the hold simply comes second).
    let released = () => {};
    const releaseWritten = new Promise<void>((resolve) => {
      released = resolve;
    });
    const release = t.hub.prisma.$transaction(
      async (tx) => {
        await tx.slot.updateMany({ where: first, data: { booked: 0 } });
        released();
        await new Promise((r) => setTimeout(r, 500));
      },
      { timeout: 10_000 },
    );
    // The hold starts only once the release holds the row lock, so it must wait for that commit.
    await releaseWritten;
    const actor = residentActor(residents[0] as { userId: string; residentId: string });
    const hold = createHold(
      t.hub.prisma,
      actor,
      { facilityId, serviceType: "stay", startDate: nights[0] as string, nights: 2 },
      new Date(),
    );
    const [, result] = await Promise.all([release, hold]);
    expect(result.created).toBe(true);
    for (const date of nights) {
      expect((await slot(date)).booked, date).toBe(1);
      expect(await holding(date), date).toBe(1);
    }
  });

  it("of a reject and a cancel at the same moment only one wins, and places are given back once", async () => {
    const date = day(55);
    await prepare([date], 40);
    const holds = await Promise.all(
      clients
        .slice(0, 20)
        .map((c) => post(c, "api/bookings", { facilityId, serviceType: "stay", startDate: date })),
    );
    expect(holds.every(held), holds.map((h) => h.text).join(" | ")).toBe(true);
    const outcomes = await Promise.all(
      holds.map(async (h, i) => {
        const [rejected, cancelled] = await Promise.all([
          post(facility, `api/bookings/${h.json.id}/reject`, { reason: "満床" }),
          post(clients[i] as TestClient, `api/bookings/${h.json.id}/cancel`, { reason: "予定変更" }),
        ]);
        return [rejected, cancelled];
      }),
    );
    for (const pair of outcomes) {
      expect(pair.map((r) => r.status).sort(), pair.map((r) => r.text).join(" | ")).toEqual([200, 409]);
      const loser = pair.find((r) => r.status === 409);
      expect(["invalid_transition", "booking_changed"]).toContain(loser?.json.code);
    }
    expect((await slot(date)).booked).toBe(0);
    const events = await t.hub.prisma.bookingEvent.groupBy({
      by: ["bookingId"],
      where: { bookingId: { in: holds.map((h) => h.json.id) } },
      _count: true,
    });
    expect(events.every((e) => e._count === 2)).toBe(true);
  });

  it("expiry racing confirmation leaves each booking either confirmed or expired, never both", async () => {
    const date = day(56);
    await prepare([date], 40);
    const holds = await Promise.all(
      clients
        .slice(20, 40)
        .map((c) => post(c, "api/bookings", { facilityId, serviceType: "stay", startDate: date })),
    );
    expect(holds.every(held), holds.map((h) => h.text).join(" | ")).toBe(true);
    const later = new Date(Date.now() + 30 * 86_400_000);
    const [expiry, ...confirms] = await Promise.all([
      expireHolds(t.hub.prisma, later),
      ...holds.map((h) => post(facility, `api/bookings/${h.json.id}/confirm`, {})),
    ]);
    const bookings = await t.hub.prisma.booking.findMany({
      where: { id: { in: holds.map((h) => h.json.id) } },
      include: { events: true },
    });
    const confirmed = bookings.filter((b) => b.status === "confirmed").length;
    const expired = bookings.filter((b) => b.status === "expired").length;
    expect(confirmed + expired).toBe(20);
    // The job also expired the earlier races' holds (the clock is 30 days on), so it counts at least ours.
    expect((expiry as { expired: number }).expired).toBeGreaterThanOrEqual(expired);
    expect(confirms.filter((r) => r.status === 200)).toHaveLength(confirmed);
    expect(confirms.filter((r) => r.status !== 200 && r.status !== 409)).toEqual([]);
    expect(bookings.every((b) => b.events.length === 2 && b.revision === 2)).toBe(true);
    expect((await slot(date)).booked).toBe(confirmed);
  });
});
