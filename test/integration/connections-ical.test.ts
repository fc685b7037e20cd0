/**
 * The iCal connector end to end: a facility's Google Calendar feed (served by nock) pulled and applied to the
 * ledger, a second pull answered 304, an event that vanishes going to review, a cancelled event freeing its places;
 * and the facility's exported feed of hub bookings, which parses back with ical.js and leaves out what came from
 * the facility itself.
 */
import ICAL from "ical.js";
import nock from "nock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExternalBooking, PullResult } from "../../connectors/contract.js";
import { FEED_ORIGIN, FEED_PATH, feed, googleConfig } from "../../connectors/ical/__fixtures__/contract.js";
import { connector } from "../../connectors/ical/connector.js";
import { mapCalendar } from "../../connectors/ical/mapping.js";
import { applyChanges } from "../../hub/connections/apply.js";
import { FEED_UID_DOMAIN } from "../../hub/connections/ical-feed.js";
import { connectorContext, newFeedToken, recordSuccess } from "../../hub/connections/store.js";
import type { Connection } from "../../hub/db/client.js";
import { formatDate, parseDate } from "../../hub/inventory/dates.js";
import { expectProblem } from "../support/contract.js";
import { tokyoDay as day } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { clientFor } from "../support/sessions.js";

const DECEMBER = { from: "2026-12-01", to: "2026-12-31" };
const STAY = "4q1v7d9k2m3n5p6r8s0t1u2v3w@google.com";
const DAY_CARE = "0a9b8c7d6e5f4g3h2i1j0k9l8m@google.com";

describe("the iCal connector against the ledger", () => {
  let t: TestHub;
  let conn: Connection;
  let facilityId: string;
  let feedToken: string;
  const prisma = () => t.hub.prisma;

  const serve = (body: Buffer | string, etag: string) =>
    nock(FEED_ORIGIN).get(FEED_PATH).reply(200, body, { "Content-Type": "text/calendar", ETag: etag });

  /** One scheduled sync as the job does it: pull, apply (complete for the window), keep the state. */
  async function sync(): Promise<PullResult> {
    conn = await prisma().connection.findUniqueOrThrow({ where: { id: conn.id } });
    if (!connector.pull) throw new Error("ical pulls");
    const pulled = await connector.pull(connectorContext(t.hub, conn) as never, DECEMBER);
    if (!pulled.ok) throw new Error(JSON.stringify(pulled.error));
    const r = pulled.value;
    if (!r.notModified) {
      await applyChanges(
        prisma(),
        conn,
        r.changes,
        new Date(),
        r.complete && r.window ? { complete: r.window } : {},
      );
    }
    await recordSuccess(prisma(), conn.id, new Date(), r.state);
    return r;
  }
  const booking = (externalRef: string) =>
    prisma().booking.findUnique({
      where: { facilityId_externalRef: { facilityId, externalRef } },
      include: { events: { orderBy: { seq: "asc" } } },
    });
  const booked = async (date: string, serviceType: "stay" | "day" | "visit" = "stay", timeBlock = "") =>
    (
      await prisma().slot.findUnique({
        where: {
          facilityId_serviceType_date_timeBlock: {
            facilityId,
            serviceType,
            date: parseDate(date) as Date,
            timeBlock,
          },
        },
      })
    )?.booked ?? 0;

  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect("127.0.0.1");
    t = await startTestHub({ seed: "demo", residents: 20 });
    const staff = await prisma().user.findUniqueOrThrow({ where: { email: "facility@demo.example.jp" } });
    facilityId = staff.facilityId as string;
    // The demo hospital offers stays and day care; its calendar also has home visits, so it offers those too.
    await prisma().facilityService.upsert({
      where: { facilityId_serviceType: { facilityId, serviceType: "visit" } },
      create: {
        facilityId,
        serviceType: "visit",
        capacity: 2,
        timeBlocks: [
          { code: "am", start: "09:00", end: "11:00" },
          { code: "pm", start: "13:00", end: "15:00" },
        ],
      },
      update: {},
    });
    const token = newFeedToken();
    feedToken = token.token;
    conn = await prisma().connection.create({
      data: { facilityId, connector: "ical", config: googleConfig, feedTokenHash: token.hash },
    });
  }, 180_000);
  afterAll(async () => {
    nock.cleanAll();
    nock.enableNetConnect();
    await t?.close();
  });

  it("pulls the feed into the ledger: source connector, external id and revision, places taken", async () => {
    const before = await booked("2026-12-10");
    serve(feed("google-calendar-export.ics"), '"v1"');
    const r = await sync();
    expect(r.complete).toBe(true);
    expect(r.changes).toHaveLength(8);

    const stay = await booking(STAY);
    expect(stay).toMatchObject({
      source: "connector",
      externalRef: STAY,
      status: "confirmed",
      serviceType: "stay",
      residentId: null,
    });
    expect(formatDate(stay?.startDate as Date)).toBe("2026-12-10");
    expect(formatDate(stay?.endDate as Date)).toBe("2026-12-11");
    expect(stay?.events[0]).toMatchObject({
      source: "connector",
      externalRef: STAY,
      externalRevision: Date.parse("2026-11-20T05:42:11Z") / 1000,
    });
    expect(await booked("2026-12-10")).toBe(before + 1);
    // The weekly visit's occurrences, the moved one in the morning block.
    const moved = await booking("weekly-visit-d1e2f3a4b5@google.com/20261210T040000Z");
    expect(moved).toMatchObject({ serviceType: "visit", timeBlock: "am", status: "confirmed" });
    expect(await booked("2026-12-10", "visit", "am")).toBe(1);
    // Events already cancelled are recorded as cancelled, taking nothing.
    expect(await booking("cancelled-stay-9z8y7x@google.com")).toMatchObject({ status: "cancelled" });
    expect(await prisma().syncConflict.count({ where: { connectionId: conn.id } })).toBe(0);
    const saved = await prisma().connection.findUniqueOrThrow({ where: { id: conn.id } });
    expect(saved.state).toMatchObject({ etag: '"v1"', window: DECEMBER });
  });

  it("asks again with If-None-Match and takes 304 as nothing changed", async () => {
    const events = await prisma().bookingEvent.count();
    const scope = nock(FEED_ORIGIN, { reqheaders: { "if-none-match": '"v1"' } })
      .get(FEED_PATH)
      .reply(304);
    const r = await sync();
    expect(scope.isDone()).toBe(true);
    expect(r).toMatchObject({ notModified: true, complete: false, changes: [] });
    expect(await prisma().bookingEvent.count()).toBe(events);
    expect(await prisma().syncConflict.count({ where: { connectionId: conn.id } })).toBe(0);
  });

  it("the same feed read again (a new ETag, nothing changed) writes nothing", async () => {
    const events = await prisma().bookingEvent.count();
    serve(feed("google-calendar-export.ics"), '"v1b"');
    await sync();
    expect(await prisma().bookingEvent.count()).toBe(events);
  });

  it("sends an event that vanished to review, keeps its booking; a cancelled event frees its places", async () => {
    const stayBefore = await booked("2026-12-10");
    const dayBefore = await booked("2026-12-14", "day", "day6h");
    const text = feed("google-calendar-export.ics").toString("utf8");
    // The day-care event deleted from the calendar; the stay cancelled (Google bumps LAST-MODIFIED).
    const withoutDayCare = text.replace(
      /BEGIN:VEVENT\r\nDTSTART;TZID=Asia\/Tokyo:20261214T093000[\s\S]*?END:VEVENT\r\n/,
      "",
    );
    expect(withoutDayCare).not.toContain(DAY_CARE);
    const changed = withoutDayCare.replace(
      "LAST-MODIFIED:20261120T054211Z\r\nLOCATION:\r\nSEQUENCE:1\r\nSTATUS:CONFIRMED",
      "LAST-MODIFIED:20261201T090000Z\r\nLOCATION:\r\nSEQUENCE:2\r\nSTATUS:CANCELLED",
    );
    expect(changed).not.toBe(withoutDayCare);
    serve(changed, '"v2"');
    const r = await sync();
    expect(r.changes.find((c) => (c as ExternalBooking).externalId === STAY)).toMatchObject({
      status: "cancelled",
    });

    const gone = await booking(DAY_CARE);
    expect(gone?.status).toBe("confirmed");
    const conflicts = await prisma().syncConflict.findMany({ where: { connectionId: conn.id } });
    expect(conflicts.map((c) => [c.kind, c.externalRef, c.bookingId, c.status])).toEqual([
      ["missing_in_feed", DAY_CARE, gone?.id, "open"],
    ]);
    expect(await booked("2026-12-14", "day", "day6h")).toBe(dayBefore);

    const stay = await booking(STAY);
    expect(stay?.status).toBe("cancelled");
    expect(stay?.events.at(-1)).toMatchObject({
      type: "cancelled",
      externalRevision: Date.parse("2026-12-01T09:00:00Z") / 1000,
    });
    expect(await booked("2026-12-10")).toBe(stayBefore - 1);

    // The next pull of the same feed opens no second conflict.
    serve(changed, '"v2b"');
    await sync();
    expect(await prisma().syncConflict.count({ where: { connectionId: conn.id } })).toBe(1);
  });

  describe("the exported feed", () => {
    let hubBookingId: string;
    let cancelledId: string;

    beforeAll(async () => {
      const resident = await clientFor(t, "resident@demo.example.jp");
      const held = await resident.post("api/bookings", {
        facilityId,
        serviceType: "stay",
        startDate: day(20),
        nights: 1,
      });
      expect(held.status, held.text).toBe(201);
      hubBookingId = held.json.id;
      const other = await resident.post("api/bookings", {
        facilityId,
        serviceType: "stay",
        startDate: day(24),
        nights: 2,
      });
      expect(other.status, other.text).toBe(201);
      cancelledId = other.json.id;
      await prisma().booking.update({
        where: { id: cancelledId },
        data: { status: "cancelled", revision: { increment: 1 }, updatedAt: new Date() },
      });
    });

    const get = (path: string, headers: Record<string, string> = {}) =>
      fetch(new URL(path, t.url), { headers }).then(async (r) => ({
        status: r.status,
        headers: r.headers,
        text: await r.text(),
      }));

    it("lists the facility's hub bookings with stable UIDs and SEQUENCE, and parses back with ical.js", async () => {
      const res = await get(`api/connections/feeds/${feedToken}.ics`);
      expect(res.status, res.text).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/calendar/);
      const cal = new ICAL.Component(ICAL.parse(res.text));
      const events = cal.getAllSubcomponents("vevent").map((v) => new ICAL.Event(v));
      const byUid = new Map(events.map((e) => [e.uid, e]));

      const hub = await prisma().booking.findUniqueOrThrow({ where: { id: hubBookingId } });
      const held = byUid.get(`${hubBookingId}@${FEED_UID_DOMAIN}`);
      expect(held).toBeDefined();
      expect(held?.sequence).toBe(hub.revision);
      expect(held?.component.getFirstPropertyValue("status")).toBe("TENTATIVE");
      expect(held?.startDate.isDate).toBe(true);
      expect(held?.startDate.toString()).toBe(day(20));
      // A 1泊2日 stay covers two days; DTEND is exclusive.
      expect(held?.endDate.toString()).toBe(day(22));

      const cancelled = byUid.get(`${cancelledId}@${FEED_UID_DOMAIN}`);
      expect(cancelled?.component.getFirstPropertyValue("status")).toBe("CANCELLED");

      // Nothing that came from the facility's own calendar, and no personal data.
      const imported = await prisma().booking.findMany({ where: { facilityId, source: "connector" } });
      expect(imported.length).toBeGreaterThan(0);
      for (const b of imported) expect(res.text).not.toContain(b.id);
      expect(events.every((e) => e.uid.endsWith(`@${FEED_UID_DOMAIN}`))).toBe(true);
      const resident = await prisma().resident.findFirstOrThrow({
        where: { user: { email: "resident@demo.example.jp" } },
      });
      for (const personal of [resident.familyName, resident.givenName, resident.email, resident.phone]) {
        if (personal) expect(res.text).not.toContain(personal);
      }
    });

    it("shows closures (休業) and full days (満床) with stable UIDs, and drops a day once a place is free", async () => {
      const staff = await clientFor(t, "facility@demo.example.jp");
      const closed = await staff.post(`api/facilities/${facilityId}/closures`, {
        date: day(27),
        reason: "設備点検",
      });
      expect(closed.status, closed.text).toBe(201);
      // Every place of day(20) taken: the hub's booking there and the facility's own fill it.
      const full = { facilityId, serviceType: "stay" as const, date: parseDate(day(20)) as Date };
      const [slot] = await prisma().slot.findMany({ where: full });
      await prisma().slot.updateMany({
        where: full,
        data: { external: Math.max(0, (slot?.capacity ?? 1) - (slot?.booked ?? 0)) },
      });
      const read = async () => {
        const res = await get(`api/connections/feeds/${feedToken}.ics`);
        expect(res.status, res.text).toBe(200);
        const cal = new ICAL.Component(ICAL.parse(res.text));
        return new Map(
          cal
            .getAllSubcomponents("vevent")
            .map((v) => new ICAL.Event(v))
            .map((e) => [e.uid, e]),
        );
      };
      const events = await read();
      const closure = events.get(`closure-${closed.json.id}@${FEED_UID_DOMAIN}`);
      expect(closure?.summary).toBe("休業");
      expect(closure?.startDate.isDate).toBe(true);
      expect(closure?.startDate.toString()).toBe(day(27));
      expect(closure?.description).toContain("設備点検");
      expect(closure?.component.getFirstPropertyValue("x-sango-kind")).toBe("closure");
      const fullUid = `full-stay-${day(20)}-day@${FEED_UID_DOMAIN}`;
      expect(events.get(fullUid)?.summary).toBe("満床（宿泊）");
      expect(events.get(fullUid)?.startDate.toString()).toBe(day(20));
      // The same UIDs on the next read; a place free again, and the day is no longer shown as full.
      expect([...(await read()).keys()]).toEqual([...events.keys()]);
      await prisma().slot.updateMany({ where: full, data: { external: 0 } });
      const after = await read();
      expect(after.has(fullUid)).toBe(false);
      expect(after.has(`closure-${closed.json.id}@${FEED_UID_DOMAIN}`)).toBe(true);
    });

    it("copied into the facility's calendar and pulled back, imports nothing (no echo loop)", async () => {
      const res = await get(`api/connections/feeds/${feedToken}.ics`);
      const exported = res.text.replace(/\r\nEND:VCALENDAR/, "");
      const imported = feed("google-calendar-export.ics")
        .toString("utf8")
        .replace(/^BEGIN:VCALENDAR[\s\S]*?(?=BEGIN:VEVENT)/, "");
      // The facility's own feed, with the hub's events merged in.
      const merged = `${exported}\r\n${imported}`;
      const mapped = mapCalendar(merged, googleConfig, { from: day(0), to: day(60) });
      if (!mapped.ok) throw new Error(JSON.stringify(mapped.error));
      expect(mapped.value.skipped.hub_echo).toBeGreaterThanOrEqual(2);
      expect(
        mapped.value.changes.every((c) => !(c as ExternalBooking).externalId.includes(FEED_UID_DOMAIN)),
      ).toBe(true);
    });

    it("answers 304 to the same ETag, and 404 problem JSON to an unknown or malformed token", async () => {
      const first = await get(`api/connections/feeds/${feedToken}.ics`);
      const etag = first.headers.get("etag") as string;
      expect(etag).toMatch(/^".+"$/);
      expect((await get(`api/connections/feeds/${feedToken}.ics`, { "if-none-match": etag })).status).toBe(
        304,
      );

      for (const token of [newFeedToken().token, "short", "x".repeat(200)]) {
        const res = await get(`api/connections/feeds/${token}.ics`);
        expect([400, 404]).toContain(res.status);
        expect(res.headers.get("content-type")).toMatch(/problem\+json/);
      }
      const unknown = await get(`api/connections/feeds/${newFeedToken().token}.ics`);
      expectProblem({ ...unknown, json: JSON.parse(unknown.text) }, 404, "not_found");
    });
  });
});
