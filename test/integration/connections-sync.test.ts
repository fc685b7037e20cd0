/**
 * Scheduled syncs (hub/connections/sync.ts) of a calendar feed served like a facility's calendar (nock): the cron
 * sweep queues each due connection once, a sync applies the feed and records health, a failing feed backs off,
 * warns and is finally disabled, and a stale feed shows its facility's vacancy as "request only".
 */
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadRegistry } from "../../connectors/registry.js";
import { vacancyTrustMinutes } from "../../hub/connections/health.js";
import { listConnections } from "../../hub/connections/manage.js";
import { DISABLE_AFTER_FAILURES, WARN_AFTER_FAILURES } from "../../hub/connections/store.js";
import { nextRunAfter, queueDueSyncs, syncConnection } from "../../hub/connections/sync.js";
import { MemoryQueue } from "../../jobs/memory.js";
import { TestClient } from "../support/client.js";
import { facilitySystem } from "../support/facility-system.js";
import { startTestHub, type TestHub } from "../support/hub.js";

const ORIGIN = "https://calendar.example.jp";
const PATH = "/feeds/facility.ics";

/** A feed of all-day stays (DTEND exclusive), as a calendar app exports it. */
const feed = (events: { uid: string; start: string; end: string; status?: string }[]) =>
  [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Example//Calendar//JA",
    ...events.flatMap((e) => [
      "BEGIN:VEVENT",
      `UID:${e.uid}`,
      "DTSTAMP:20261201T000000Z",
      "LAST-MODIFIED:20261201T000000Z",
      `DTSTART;VALUE=DATE:${e.start.replaceAll("-", "")}`,
      `DTEND;VALUE=DATE:${e.end.replaceAll("-", "")}`,
      "SUMMARY:宿泊 予約",
      ...(e.status ? [`STATUS:${e.status}`] : []),
      "END:VEVENT",
    ]),
    "END:VCALENDAR",
    "",
  ].join("\r\n");

describe("scheduled syncs of a calendar feed", () => {
  let t: TestHub;
  let now = new Date("2026-12-01T00:00:00Z");
  let connectionId: string;
  let facilityId: string;

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 20, now: () => now, env: { SEED_DEMO: "true" } });
    facilityId = (await t.hub.prisma.user.findUniqueOrThrow({ where: { email: "facility@demo.example.jp" } }))
      .facilityId as string;
    const config = { url: `${ORIGIN}${PATH}`, serviceType: "stay" };
    const conn = await t.hub.prisma.connection.create({
      data: {
        facilityId,
        connector: "ical",
        config,
        syncMinutes: 15,
        // As saving it in the portal would (hub/connections/manage.ts): trusted for an hour after a success.
        vacancyTrustMinutes: vacancyTrustMinutes((await loadRegistry()).get("ical"), config, 15),
      },
    });
    connectionId = conn.id;
  }, 180_000);
  afterEach(() => nock.cleanAll());
  afterAll(() => t?.close());

  const row = () => t.hub.prisma.connection.findUniqueOrThrow({ where: { id: connectionId } });

  it("queues each due connection once, whatever the number of cron ticks", async () => {
    const queue = new MemoryQueue();
    const due = await queueDueSyncs(t.hub.prisma, queue, now);
    expect(due).toBeGreaterThanOrEqual(1);
    expect(await queueDueSyncs(t.hub.prisma, queue, now)).toBe(due);
    expect((await queue.counts()).waiting).toBe(due);
    await queue.close();
  });

  it("applies the feed and records success and the next run", async () => {
    nock(ORIGIN)
      .get(PATH)
      .reply(200, feed([{ uid: "a@cal", start: "2026-12-10", end: "2026-12-12" }]), {
        "Content-Type": "text/calendar",
        ETag: '"v1"',
      });
    const outcome = await syncConnection(t.hub, connectionId);
    expect(outcome).toMatchObject({ outcome: "synced", applied: 1 });
    const b = await t.hub.prisma.booking.findUniqueOrThrow({
      where: { facilityId_externalRef: { facilityId, externalRef: "a@cal" } },
    });
    expect(b).toMatchObject({ source: "connector", status: "confirmed" });
    const c = await row();
    expect(c).toMatchObject({ consecutiveFailures: 0, lastError: null });
    expect(c.lastSuccessAt?.toISOString()).toBe(now.toISOString());
    expect(c.nextRunAt?.toISOString()).toBe(nextRunAfter(now, 15, 0).toISOString());
    expect((c.state as { etag?: string }).etag ?? JSON.stringify(c.state)).toContain("v1");
    // Not due again before its interval (the demo's other feeds still are).
    const due = await t.hub.prisma.connection.findMany({
      where: { enabled: true, connector: "ical", OR: [{ nextRunAt: null }, { nextRunAt: { lte: now } }] },
    });
    expect(due.map((d) => d.id)).not.toContain(connectionId);
  });

  it("backs off, warns and disables a failing feed; the hub keeps serving and shows it as request only", async () => {
    nock(ORIGIN).persist().get(PATH).reply(503, "Service Unavailable");
    const anon = new TestClient(t.url);
    const requestOnly = async () => {
      const vacancy = await anon.get("api/vacancy?serviceType=stay&from=2026-12-10&to=2026-12-11");
      expect(vacancy.status).toBe(200);
      return vacancy.json.items.find((f: { facilityId: string }) => f.facilityId === facilityId).requestOnly;
    };
    const lastSuccess = (await row()).lastSuccessAt?.getTime() ?? 0;
    expect(await requestOnly()).toBe(false);
    for (let i = 1; i <= DISABLE_AFTER_FAILURES; i++) {
      const outcome = await syncConnection(t.hub, connectionId);
      expect(outcome).toMatchObject({ outcome: "failed", code: "upstream_5xx" });
      const c = await row();
      expect(c.consecutiveFailures).toBe(i);
      expect(c.nextRunAt?.toISOString()).toBe(nextRunAfter(now, 15, i).toISOString());
      if (i === WARN_AFTER_FAILURES) expect(c.warnedAt).not.toBeNull();
      // Half an hour passes between attempts: an hour after its last success the feed is stale.
      now = new Date(now.getTime() + 30 * 60_000);
      expect(await requestOnly()).toBe(now.getTime() - lastSuccess >= 60 * 60_000);
    }
    const c = await row();
    expect(c.enabled).toBe(false);
    expect(c.disabledReason).toContain("upstream_5xx");
    expect(await syncConnection(t.hub, connectionId)).toEqual({ outcome: "skipped", reason: "disabled" });
    const warnings = (await t.hub.prisma.outboxMessage.findMany()).filter((m) =>
      JSON.stringify(m.payload).includes("連携でエラーが続いています"),
    );
    expect(warnings).toHaveLength(1);
  });

  it("follows a feed's redirect only to an allowed address: a hop to a refused one fails as refused_address", async () => {
    const system = await facilitySystem();
    const other = await t.hub.prisma.user.findUniqueOrThrow({
      where: { email: "facility2@demo.example.jp" },
    });
    const to = `/to?url=${encodeURIComponent("http://169.254.169.254/latest/meta-data/")}`;
    // This test hub allows loopback (the feed's first hop); the metadata address it redirects to stays refused.
    const conn = await t.hub.prisma.connection.create({
      data: {
        facilityId: other.facilityId as string,
        connector: "ical",
        config: { url: `http://127.0.0.1:${system.port}${to}`, serviceType: "stay" },
      },
    });
    try {
      expect(await syncConnection(t.hub, conn.id)).toMatchObject({
        outcome: "failed",
        code: "refused_address",
      });
      expect(system.hits.map((h) => h.url)).toEqual([to]);
      const { lastError } = await t.hub.prisma.connection.findUniqueOrThrow({ where: { id: conn.id } });
      expect(lastError).toMatch(/^refused_address: the feed: the address is in a private or local network/);
      expect(lastError).not.toMatch(/169\.254|127\.0|:\d{2,5}\b|ECONN|ERR_/);
    } finally {
      await t.hub.prisma.connection.delete({ where: { id: conn.id } });
      await system.close();
    }
  });

  it("pulls the demo's simulated calendar and shows the unreachable demo feed as failing", async () => {
    const demo = await t.hub.prisma.connection.findMany({
      include: { facility: { select: { name: true } } },
    });
    expect(demo.map((c) => c.connector).sort()).toEqual(["csv", "ical", "ical", "ical", "webhook"]);
    const calendar = demo.find(
      (c) => c.connector === "ical" && String((c.config as { url: string }).url).includes("/demo/feeds/"),
    );
    if (!calendar) throw new Error("no demo calendar connection");
    // The seed does not know this test hub's address: point the connection at it.
    await t.hub.prisma.connection.update({
      where: { id: calendar.id },
      data: { config: { url: `${t.url}demo/feeds/${calendar.facilityId}.ics`, serviceType: "stay" } },
    });
    expect(await syncConnection(t.hub, calendar.id)).toMatchObject({ outcome: "synced", applied: 6 });
    const bookings = await t.hub.prisma.booking.findMany({
      where: { facilityId: calendar.facilityId, source: "connector" },
    });
    expect(bookings.map((b) => b.status).sort()).toEqual([
      "cancelled",
      "confirmed",
      "confirmed",
      "confirmed",
      "confirmed",
      "confirmed",
    ]);

    const unreachable = demo.find((c) => String((c.config as { url?: string }).url).includes("127.0.0.1:9/"));
    if (!unreachable) throw new Error("no unreachable demo connection");
    expect(await syncConnection(t.hub, unreachable.id)).toMatchObject({ outcome: "failed", code: "network" });
    const row = (await listConnections(t.hub, {})).find((c) => c.id === unreachable.id);
    expect(row).toMatchObject({ state: "failing", consecutiveFailures: 5, requestOnly: true });
  });
});
