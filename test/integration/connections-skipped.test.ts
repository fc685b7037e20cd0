/**
 * Nothing dropped in silence (issue 14, parts 2, 3 and 8): an Outlook Web App export without UIDs is imported, and
 * read again it matches the same bookings; events left out (no service type, an ignore keyword, unreadable) are
 * counted by reason and listed in the connection's health; a connection that leaves out every event is not "ok".
 */
import { readFileSync } from "node:fs";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { syncConnection } from "../../hub/connections/sync.js";
import { TestClient } from "../support/client.js";
import { startTestHub, type TestHub } from "../support/hub.js";

const ORIGIN = "https://outlook.example.jp";
const fixture = (name: string) =>
  readFileSync(new URL(`../../connectors/ical/__fixtures__/${name}`, import.meta.url), "utf8");

describe("events left out of a feed", () => {
  let t: TestHub;
  const now = new Date("2026-12-05T03:00:00Z");
  let facilityId: string;
  let connectionId: string;
  let operator: TestClient;

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 20, now: () => now });
    const stay = await t.hub.prisma.facilityService.findFirstOrThrow({
      where: { serviceType: "stay", facility: { connection: null } },
      orderBy: { facilityId: "desc" },
    });
    facilityId = stay.facilityId;
    connectionId = (
      await t.hub.prisma.connection.create({
        data: {
          facilityId,
          connector: "ical",
          config: {
            url: `${ORIGIN}/owa.ics`,
            rules: [{ keyword: "宿泊", serviceType: "stay" }],
            ignoreKeywords: ["会議"],
          },
        },
      })
    ).id;
    operator = new TestClient(t.url);
    await operator.signIn("operator@demo.example.jp");
  }, 180_000);
  afterEach(() => nock.cleanAll());
  afterAll(() => t?.close());

  const health = async () => {
    const res = await operator.get(`api/facilities/${facilityId}/connection`);
    expect(res.status).toBe(200);
    return res.json.connection;
  };
  const refs = async () =>
    (
      await t.hub.prisma.booking.findMany({
        where: { facilityId, source: "connector" },
        select: { externalRef: true },
        orderBy: { externalRef: "asc" },
      })
    ).map((b) => b.externalRef);

  it("imports a UID-less Outlook Web App export and matches the same bookings when read again", async () => {
    nock(ORIGIN).get("/owa.ics").times(2).reply(200, fixture("outlook-web-app-export-no-uid.ics"));
    expect(await syncConnection(t.hub, connectionId)).toMatchObject({ outcome: "synced", applied: 3 });
    const first = await refs();
    expect(first).toHaveLength(3);
    expect(first.every((r) => /^nouid:[0-9a-f]{32}(~2)?$/.test(r ?? ""))).toBe(true);
    // Two identical events (the same stay booked twice) are two bookings.
    expect(first.filter((r) => r?.endsWith("~2"))).toHaveLength(1);
    expect(await syncConnection(t.hub, connectionId)).toMatchObject({ outcome: "synced", applied: 0 });
    expect(await refs()).toEqual(first);
    expect(await t.hub.prisma.syncConflict.count({ where: { connectionId } })).toBe(0);

    const c = await health();
    expect(c.state).toBe("ok");
    expect(c.skipped).toMatchObject({
      total: 2,
      read: 5,
      imported: 3,
      counts: { ignored_keyword: 1, no_service_type: 1 },
    });
    expect(c.skipped.items).toEqual([
      { reason: "ignored_keyword", line: 43, date: "2026-12-11" },
      { reason: "no_service_type", line: 49, date: "2026-12-12" },
    ]);
  });

  it("lists a broken event with its line and applies the rest; a feed whose events are all left out is not ok", async () => {
    const broken = fixture("outlook-web-app-export-no-uid.ics").replace(
      "DTSTART;VALUE=DATE:20261210",
      'DTSTART;TZID="Tokyo Standard Time:20261210T100000',
    );
    nock(ORIGIN).get("/owa.ics").reply(200, broken);
    expect(await syncConnection(t.hub, connectionId)).toMatchObject({ outcome: "synced" });
    let c = await health();
    expect(c.state).toBe("ok");
    expect(c.skipped.counts).toEqual({ bad_event: 1, ignored_keyword: 1, no_service_type: 1 });
    expect(c.skipped.items[0]).toEqual({ reason: "bad_event", line: 16, problem: "unreadable_line" });

    // Rules that name nothing in the calendar: every event is left out.
    await t.hub.prisma.connection.update({
      where: { id: connectionId },
      data: { config: { url: `${ORIGIN}/owa.ics`, rules: [{ keyword: "デイ", serviceType: "day" }] } },
    });
    nock(ORIGIN).get("/owa.ics").reply(200, fixture("outlook-web-app-export-no-uid.ics"));
    expect(await syncConnection(t.hub, connectionId)).toMatchObject({ outcome: "synced" });
    c = await health();
    expect(c.state).toBe("skipping");
    expect(c.skipped).toMatchObject({ total: 5, imported: 0, counts: { no_service_type: 5 } });
  });

  it("does not take an event that turned unreadable for a vanished booking", async () => {
    const broken = fixture("outlook-unclosed-quoted-tzid.ics");
    const good = broken.replaceAll('TZID="Tokyo Standard Time:', "TZID=Tokyo Standard Time:");
    await t.hub.prisma.connection.update({
      where: { id: connectionId },
      data: { config: { url: `${ORIGIN}/outlook.ics`, serviceType: "stay" } },
    });
    nock(ORIGIN).get("/outlook.ics").reply(200, good);
    expect(await syncConnection(t.hub, connectionId)).toMatchObject({ outcome: "synced", applied: 3 });
    const before = await t.hub.prisma.syncConflict.count({
      where: { connectionId, kind: "missing_in_feed" },
    });
    nock(ORIGIN).get("/outlook.ics").reply(200, broken);
    expect(await syncConnection(t.hub, connectionId)).toMatchObject({ outcome: "synced" });
    const open = await t.hub.prisma.syncConflict.findMany({
      where: { connectionId, kind: "missing_in_feed" },
    });
    expect(open).toHaveLength(before);
    expect(open.some((c) => c.externalRef?.endsWith("A2"))).toBe(false);
    const c = await health();
    expect(c.skipped.items).toEqual([{ reason: "bad_event", line: 29, problem: "unreadable_line" }]);
  });
});
