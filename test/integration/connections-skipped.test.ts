/**
 * Nothing dropped in silence (issue 14, parts 2, 3, 4, 7 and 8): an Outlook Web App export without UIDs is imported,
 * and read again it matches the same bookings; events left out (no service type, an ignore keyword, unreadable) are
 * counted by reason and listed in the connection's health and its log; a connection that leaves out every event is
 * not "ok". A mapping is previewed before it is saved; a failed pull is logged in plain words, its error cleared by
 * the next success; a feed that answers 410 Gone pauses the connection.
 */
import { readFileSync } from "node:fs";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { syncConnection } from "../../hub/connections/sync.js";
import { TestClient } from "../support/client.js";
import { expectProblem } from "../support/contract.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { clientFor } from "../support/sessions.js";

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
    // The sync's log entry says the same: what was read, imported and left out, and why.
    const log = await operator.get(`api/facilities/${facilityId}/connection/log?kind=sync&limit=1`);
    expect(log.status, log.text).toBe(200);
    expect(log.json.items[0]).toMatchObject({
      kind: "sync",
      result: "ok",
      code: null,
      counts: { read: 5, imported: 2, skipped: 3 },
      skipped: { counts: { bad_event: 1, ignored_keyword: 1, no_service_type: 1 } },
      replayable: false,
    });
    expect(log.json.items[0].skipped.items[0]).toEqual({
      reason: "bad_event",
      line: 16,
      problem: "unreadable_line",
    });

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

  it("previews a proposed mapping, feed or CSV sample, writing nothing", async () => {
    const before = {
      bookings: await t.hub.prisma.booking.count({ where: { facilityId } }),
      connection: await t.hub.prisma.connection.findUniqueOrThrow({ where: { id: connectionId } }),
    };
    nock(ORIGIN).get("/owa.ics").reply(200, fixture("outlook-web-app-export-no-uid.ics"));
    const ical = await operator.post(`api/facilities/${facilityId}/connection/preview`, {
      connector: "ical",
      config: {
        url: `${ORIGIN}/owa.ics`,
        rules: [{ keyword: "宿泊", serviceType: "stay" }],
        ignoreKeywords: ["会議"],
      },
    });
    expect(ical.status, ical.text).toBe(200);
    expect(ical.json).toMatchObject({
      read: 5,
      byServiceType: { stay: 3 },
      skipped: { counts: { ignored_keyword: 1, no_service_type: 1 } },
      failure: null,
    });
    expect(ical.json.items).toHaveLength(3);
    expect(ical.json.skipped.items).toContainEqual({
      reason: "no_service_type",
      line: 49,
      date: "2026-12-12",
    });
    const sample =
      "予約番号,改訂,状態,種類,開始日,終了日,時間帯\r\nR-1,1,確定,宿泊,2026-12-20,2026-12-21,\r\nR-2,1,確定,宿泊,2026-13-01,2026-13-02,\r\n";
    const csv = await operator.post(`api/facilities/${facilityId}/connection/preview`, {
      connector: "csv",
      config: {},
      sample: Buffer.from(sample).toString("base64"),
    });
    expect(csv.status, csv.text).toBe(200);
    expect(csv.json).toMatchObject({
      read: 2,
      byServiceType: { stay: 1 },
      skipped: { counts: { file_error: 1 } },
    });
    expect(csv.json.items[0]).toMatchObject({ line: 2, externalId: "R-1", serviceType: "stay" });
    expect(csv.json.skipped.items[0]).toMatchObject({ reason: "file_error", line: 3 });
    // Checked like a save; nothing written.
    const bad = await operator.post(`api/facilities/${facilityId}/connection/preview`, {
      connector: "ical",
      config: { url: "ftp://x" },
    });
    expectProblem(bad, 422, "invalid_config");
    expect(await t.hub.prisma.booking.count({ where: { facilityId } })).toBe(before.bookings);
    const after = await t.hub.prisma.connection.findUniqueOrThrow({ where: { id: connectionId } });
    expect(after.config).toEqual(before.connection.config);
    expect(after.state).toEqual(before.connection.state);
  });

  it("logs a failed pull in plain words, clears the error on the next success, and pauses on 410 Gone", async () => {
    nock(ORIGIN).get("/outlook.ics").reply(500, "at Object.<anonymous> (/srv/feed/server.js:12:3)");
    expect(await syncConnection(t.hub, connectionId)).toMatchObject({ outcome: "failed" });
    let c = await health();
    expect(c.lastError).toMatch(/HTTP 500/);
    expect(c.lastErrorCode).toBe("http_status");
    const failed = await operator.get(`api/facilities/${facilityId}/connection/log?result=failed`);
    expect(failed.json.items[0]).toMatchObject({
      kind: "sync",
      result: "failed",
      code: "http_status",
      message: "The facility's system answered with HTTP 500.",
      httpStatus: 500,
      replayable: false,
    });
    expect(JSON.stringify(failed.json)).not.toMatch(/server\.js|anonymous/);
    // Another facility's staff: refused as problem JSON.
    const stranger = await clientFor(t, "facility@demo.example.jp");
    const refused = await stranger.get(`api/facilities/${facilityId}/connection/log`);
    expectProblem(refused, 403, "forbidden");
    expectProblem(await stranger.get(`api/facilities/${facilityId}/connection/log.csv`), 403, "forbidden");
    // Only a failed push or delivery is replayed.
    const entry = failed.json.items[0].id;
    expectProblem(
      await operator.post(`api/facilities/${facilityId}/connection/log/${entry}/replay`, {}),
      409,
      "not_replayable",
    );

    nock(ORIGIN).get("/outlook.ics").reply(200, fixture("outlook-unclosed-quoted-tzid.ics"));
    expect(await syncConnection(t.hub, connectionId)).toMatchObject({ outcome: "synced" });
    c = await health();
    expect(c).toMatchObject({ lastError: null, lastErrorCode: null, consecutiveFailures: 0 });

    // The CSV download: UTF-8 with a BOM, the header, oldest first.
    const file = await fetch(new URL(`api/facilities/${facilityId}/connection/log.csv?kind=sync`, t.url), {
      headers: { cookie: `sango_session=${operator.sessionToken()}` },
    });
    expect(file.status).toBe(200);
    const bytes = Buffer.from(await file.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString("utf8").trim().split("\r\n");
    expect(lines[0]).toBe("日時,種類,結果,コード,内容,件数,対象,除外,要求,HTTPステータス,所要ミリ秒");
    expect(lines.some((l) => l.includes(",sync,failed,http_status,"))).toBe(true);

    nock(ORIGIN).get("/outlook.ics").reply(410, "gone");
    expect(await syncConnection(t.hub, connectionId)).toMatchObject({ outcome: "failed" });
    c = await health();
    expect(c).toMatchObject({ enabled: false, state: "disabled", disabledCode: "gone" });
    const gone = await operator.get(`api/facilities/${facilityId}/connection/log?limit=1`);
    expect(gone.json.items[0]).toMatchObject({ result: "failed", code: "gone", httpStatus: 410 });
    // Paused: no more pulls until someone enables it again.
    expect(await syncConnection(t.hub, connectionId)).toEqual({ outcome: "skipped", reason: "disabled" });
  });
});
