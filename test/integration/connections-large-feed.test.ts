/**
 * Large calendar feeds (issue 14, parts 1 and 8): a first sync of 10,000 events in an 8 MB feed (under the 10 MB
 * limit) is applied in slices and succeeds, on PGlite and PostgreSQL; a sync whose worker dies after some slices
 * continues where it stopped when retried, and nothing is doubled or lost.
 */
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { syncConnection } from "../../hub/connections/sync.js";
import { formatDate, tokyoToday } from "../../hub/inventory/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { largeFeed } from "../support/ical-feeds.js";

const ORIGIN = "https://calendar.example.jp";

describe("large calendar feeds", () => {
  let t: TestHub;
  let now = new Date("2026-12-01T03:00:00Z");
  const facilities: string[] = [];

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 20, now: () => now });
    // Facilities offering stays, without a connection, with room for every booking of the feeds below.
    const stays = await t.hub.prisma.facilityService.findMany({
      where: { serviceType: "stay", facility: { connection: null } },
      select: { facilityId: true },
      orderBy: { facilityId: "asc" },
      take: 2,
    });
    for (const { facilityId } of stays) {
      await t.hub.prisma.facilityService.update({
        where: { facilityId_serviceType: { facilityId, serviceType: "stay" } },
        data: { capacity: 1000 },
      });
      await t.hub.prisma.slot.updateMany({
        where: { facilityId, serviceType: "stay" },
        data: { capacity: 1000 },
      });
      facilities.push(facilityId);
    }
  }, 180_000);
  afterEach(() => nock.cleanAll());
  afterAll(() => t?.close());

  const connect = async (facilityId: string, path: string) =>
    (
      await t.hub.prisma.connection.create({
        data: { facilityId, connector: "ical", config: { url: `${ORIGIN}${path}`, serviceType: "stay" } },
      })
    ).id;
  const bookingsOf = (facilityId: string) =>
    t.hub.prisma.booking.findMany({
      where: { facilityId, source: "connector" },
      select: { externalRef: true, status: true, _count: { select: { events: true, slots: true } } },
    });
  const from = () => formatDate(tokyoToday(now));

  it("applies a first sync of 10,000 events in an 8 MB feed", async () => {
    const facilityId = facilities[0] as string;
    const id = await connect(facilityId, "/big.ics");
    const body = largeFeed({ count: 10_000, from: from(), days: 85, bytes: 8_000_000 });
    expect(Buffer.byteLength(body)).toBeGreaterThan(7_900_000);
    expect(Buffer.byteLength(body)).toBeLessThan(10_000_000);
    nock(ORIGIN).get("/big.ics").reply(200, body, { "Content-Type": "text/calendar" });
    const slices: number[] = [];
    const outcome = await syncConnection(t.hub, id, { onBatch: (done) => void slices.push(done) });
    expect(outcome).toEqual({ outcome: "synced", applied: 10_000, ignored: 0, conflicts: 0 });
    expect(slices.length).toBeGreaterThan(1);
    const rows = await bookingsOf(facilityId);
    expect(rows).toHaveLength(10_000);
    expect(new Set(rows.map((r) => r.externalRef)).size).toBe(10_000);
    expect(rows.every((r) => r.status === "confirmed" && r._count.slots === 1)).toBe(true);
    const conn = await t.hub.prisma.connection.findUniqueOrThrow({ where: { id } });
    expect(conn).toMatchObject({
      consecutiveFailures: 0,
      lastError: null,
      applyProgress: null,
      applyState: null,
    });
    // The same feed again changes nothing.
    nock(ORIGIN).get("/big.ics").reply(200, body, { "Content-Type": "text/calendar" });
    expect(await syncConnection(t.hub, id)).toEqual({
      outcome: "synced",
      applied: 0,
      ignored: 10_000,
      conflicts: 0,
    });
  }, 600_000);

  it("continues a first sync whose worker died after some slices: nothing doubled or lost", async () => {
    const facilityId = facilities[1] as string;
    const id = await connect(facilityId, "/resume.ics");
    // Events without LAST-MODIFIED: their revisions come from the clock, so a restart would re-apply them.
    const body = largeFeed({ count: 1_200, from: from(), days: 80, lastModified: false });
    nock(ORIGIN).get("/resume.ics").times(3).reply(200, body, { "Content-Type": "text/calendar" });

    const died = await syncConnection(t.hub, id, {
      batchSize: 200,
      onBatch: (done) => {
        if (done === 600) throw new Error("worker killed");
      },
    });
    expect(died).toMatchObject({ outcome: "failed", code: "apply_failed" });
    expect(await bookingsOf(facilityId)).toHaveLength(600);
    let conn = await t.hub.prisma.connection.findUniqueOrThrow({ where: { id } });
    expect(conn.applyProgress).toMatchObject({ done: 600, total: 1_200 });
    expect(conn.lastSuccessAt).toBeNull();

    // Retried a minute later (other revisions by the clock): it continues after the 600 already in.
    now = new Date(now.getTime() + 60_000);
    const retried = await syncConnection(t.hub, id, { batchSize: 200 });
    expect(retried).toEqual({ outcome: "synced", applied: 600, ignored: 0, conflicts: 0 });
    const rows = await bookingsOf(facilityId);
    expect(rows).toHaveLength(1_200);
    expect(new Set(rows.map((r) => r.externalRef)).size).toBe(1_200);
    // One event per booking: no slice was applied twice.
    expect(rows.every((r) => r._count.events === 1 && r._count.slots === 1)).toBe(true);
    const places = await t.hub.prisma.slot.aggregate({
      where: { facilityId, serviceType: "stay" },
      _sum: { booked: true },
    });
    expect(places._sum.booked).toBe(1_200);
    conn = await t.hub.prisma.connection.findUniqueOrThrow({ where: { id } });
    expect(conn).toMatchObject({ applyProgress: null, applyState: null, consecutiveFailures: 0 });
    expect(conn.lastSuccessAt).not.toBeNull();

    // Pulled again later, unchanged: nothing is written, also for the slices of the first attempt.
    now = new Date(now.getTime() + 60_000);
    const again = await syncConnection(t.hub, id, { batchSize: 200 });
    expect(again).toMatchObject({ outcome: "synced", applied: 0, conflicts: 0 });
    expect((await bookingsOf(facilityId)).every((r) => r._count.events === 1)).toBe(true);
  }, 300_000);
});
