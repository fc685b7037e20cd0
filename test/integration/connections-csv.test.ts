/**
 * The CSV connector end to end through the API: dry runs that change nothing, files with errors refused whole
 * with line numbers, clean files applied all at once, Shift_JIS, and downloads that upload again unchanged.
 */
import iconv from "iconv-lite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDate, parseDate } from "../../hub/inventory/dates.js";
import type { TestClient } from "../support/client.js";
import { expectContract, expectProblem } from "../support/contract.js";
import { tokyoDay as day } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { clientFor } from "../support/sessions.js";

const slash = (d: string) => d.replaceAll("-", "/");
const HEADER = "予約番号,改訂,状態,種類,開始日,終了日,時間帯";
const crlf = (lines: string[]) => `${lines.join("\r\n")}\r\n`;

describe("the CSV connector through the API", () => {
  let t: TestHub;
  let facilityId: string;
  let otherFacilityId: string;
  let facility: TestClient;
  let operator: TestClient;
  const prisma = () => t.hub.prisma;

  /** POSTs a file as it is, bytes and all. */
  async function upload(
    client: TestClient,
    body: string | Buffer,
    opts: { dryRun?: boolean; id?: string; type?: string } = {},
  ) {
    const query = opts.dryRun === undefined ? "" : `?dryRun=${opts.dryRun}`;
    const res = await fetch(
      new URL(`api/facilities/${opts.id ?? facilityId}/connection/upload${query}`, t.url),
      {
        method: "POST",
        headers: {
          cookie: `sango_session=${client.sessionToken()}`,
          "x-csrf-token": client.csrfToken,
          "content-type": opts.type ?? "text/csv; charset=utf-8",
        },
        body: new Uint8Array(typeof body === "string" ? Buffer.from(body, "utf8") : body),
      },
    );
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {}
    return { status: res.status, headers: res.headers, text, json };
  }
  async function download(client: TestClient, path: string) {
    const res = await fetch(new URL(`api/facilities/${facilityId}/connection/${path}`, t.url), {
      headers: { cookie: `sango_session=${client.sessionToken()}` },
    });
    return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
  }
  const counts = async () => ({
    bookings: await prisma().booking.count({ where: { facilityId } }),
    events: await prisma().bookingEvent.count({ where: { booking: { facilityId } } }),
  });
  const booked = async (date: string, serviceType: "stay" | "day" = "stay", timeBlock = "") =>
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
  const booking = (externalRef: string) =>
    prisma().booking.findUnique({
      where: { facilityId_externalRef: { facilityId, externalRef } },
      include: { events: { orderBy: { seq: "asc" } } },
    });

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 20 });
    const user = (email: string) => prisma().user.findUniqueOrThrow({ where: { email } });
    facilityId = (await user("facility@demo.example.jp")).facilityId as string;
    otherFacilityId = (await user("facility2@demo.example.jp")).facilityId as string;
    await prisma().connection.create({
      data: { facilityId, connector: "csv", config: { timeBlockAliases: { 日中: "day6h" } } },
    });
    await prisma().connection.create({ data: { facilityId: otherFacilityId, connector: "native" } });
    facility = await clientFor(t, "facility@demo.example.jp");
    operator = await clientFor(t, "operator@demo.example.jp");
  }, 180_000);
  afterAll(() => t?.close());

  const clean = () =>
    crlf([
      HEADER,
      `C-001,1,確定,宿泊,${slash(day(10))},${slash(day(12))},`,
      `C-002,1,確定,デイ,${slash(day(11))},,日中`,
      `C-003,2,取消,宿泊,${slash(day(13))},${slash(day(14))},`,
    ]);

  it("a dry run reports what would happen and changes nothing", async () => {
    const before = await counts();
    const res = await upload(facility, `\uFEFF${clean()}`);
    expect(res.status, res.text).toBe(200);
    await expectContract("uploadConnectionFile", res);
    expect(res.json).toEqual({
      layout: "bookings",
      encoding: "utf-8-bom",
      lines: 3,
      dryRun: true,
      applied: false,
      created: 3,
      changed: 0,
      cancelled: 0,
      ignored: 0,
      conflicts: 0,
      errors: [],
    });
    expect(await counts()).toEqual(before);
  });

  it("refuses a file with errors whole, with every error by line and column", async () => {
    const before = await counts();
    const file = crlf([
      HEADER,
      `E-001,1,確定,宿泊,${slash(day(10))},${slash(day(11))},`,
      `E-002,1,確定,訪問,${slash(day(10))},,am`,
      `E-003,1,確定,デイ,${slash(day(10))},,夜間`,
      `E-004,1,保留,宿泊,${slash(day(10))},,`,
      `E-005,1,確定,宿泊,2040/01/01,,`,
    ]);
    const res = await upload(facility, file, { dryRun: false });
    expectProblem(res, 422, "file_invalid");
    expect(res.json.errors.map((e: any) => [e.line, e.column])).toEqual([
      [3, "種類"],
      [4, "時間帯"],
      [5, "状態"],
      [6, "開始日"],
    ]);
    expect(res.json.errors[0].message).toMatch(/does not offer visit/);
    expect(res.json.errors[0].path).toBe("line 3 種類");
    expect(await counts()).toEqual(before);
    expect(await booking("E-001")).toBeNull();
    // The refused upload is in the connection's log, with the lines at fault.
    const log = await facility.get(`api/facilities/${facilityId}/connection/log?kind=upload&limit=1`);
    expect(log.json.items[0]).toMatchObject({
      result: "failed",
      code: "parse_error",
      counts: { errors: 4 },
      skipped: { counts: { file_error: 4 } },
    });
    expect(log.json.items[0].skipped.items.map((i: any) => i.line)).toEqual([3, 4, 5, 6]);
    // The same file as a dry run: the report with the same errors, and the one good line counted.
    const dry = await upload(facility, file);
    expect(dry.status).toBe(200);
    expect(dry.json).toMatchObject({ created: 1, applied: false });
    expect(dry.json.errors).toHaveLength(4);
    // Unreadable files too.
    const broken = await upload(facility, 'bad,"header\n1,2,3\n', { dryRun: false });
    expectProblem(broken, 422, "file_invalid");
    expect(broken.json.errors[0].line).toBeGreaterThanOrEqual(1);
  });

  it("applies a clean file all at once: bookings with source, external id and revision, places taken", async () => {
    const stayBefore = await booked(day(10));
    const res = await upload(facility, clean(), { dryRun: false });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ applied: true, created: 3, changed: 0, cancelled: 0, errors: [] });
    const stay = await booking("C-001");
    expect(stay).toMatchObject({ source: "connector", status: "confirmed", serviceType: "stay" });
    expect(stay?.events[0]).toMatchObject({ source: "connector", externalRef: "C-001", externalRevision: 1 });
    expect(formatDate(stay?.endDate as Date)).toBe(day(12));
    expect(await booked(day(10))).toBe(stayBefore + 1);
    expect(await booking("C-002")).toMatchObject({ serviceType: "day", timeBlock: "day6h" });
    expect(await booking("C-003")).toMatchObject({ status: "cancelled" });
    const audited = await prisma().auditLog.findFirst({
      where: { action: "connection.upload", resourceId: facilityId },
    });
    expect(audited?.detail).toMatchObject({ created: 3, applied: true });
    const log = await facility.get(`api/facilities/${facilityId}/connection/log?kind=upload&result=ok`);
    expect(log.json.items[0]).toMatchObject({ counts: { created: 3, cancelled: 0 }, code: null });
    expect(log.json.items[0].refs.externalIds).toEqual(["C-001", "C-002", "C-003"]);

    // The same file again: ignored, nothing written.
    const before = await counts();
    const again = await upload(facility, clean(), { dryRun: false });
    expect(again.json).toMatchObject({ applied: true, created: 0, changed: 0, cancelled: 0, ignored: 3 });
    expect(await counts()).toEqual(before);
  });

  it("takes a later revision: a cancellation frees the places, a move takes the new ones", async () => {
    const stayNights = [await booked(day(10)), await booked(day(11))];
    const res = await upload(
      facility,
      crlf([
        HEADER,
        `C-001,2,取消,宿泊,${slash(day(10))},${slash(day(12))},`,
        `C-002,2,確定,デイ,${slash(day(15))},,日中`,
        // An older revision than the hub's: ignored.
        `C-003,1,確定,宿泊,${slash(day(13))},${slash(day(14))},`,
      ]),
      { dryRun: false },
    );
    expect(res.json).toMatchObject({ applied: true, created: 0, changed: 1, cancelled: 1, ignored: 1 });
    expect([await booked(day(10)), await booked(day(11))]).toEqual(stayNights.map((n) => n - 1));
    const moved = await booking("C-002");
    expect(formatDate(moved?.startDate as Date)).toBe(day(15));
    expect(await booking("C-003")).toMatchObject({ status: "cancelled" });
  });

  it("reads Shift_JIS from Excel and round-trips it: the download uploads again without changing anything", async () => {
    const sjis = iconv.encode(
      crlf([
        `${HEADER},備考`,
        `S-001,１,確定,宿泊型,${day(20)},${day(21)},,電話で受付`,
        `S-002,1,キャンセル,デイサービス,${day(21)},,日中,`,
      ]),
      "cp932",
    );
    const res = await upload(facility, sjis, { dryRun: false, type: "application/vnd.ms-excel" });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ encoding: "shift_jis", created: 2, applied: true });

    const file = await download(facility, "bookings.csv?encoding=sjis");
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toMatch(/text\/csv; charset=Shift_JIS/i);
    const text = iconv.decode(file.bytes, "cp932");
    expect(text.split("\r\n")[0]).toBe("予約番号,改訂,状態,種類,開始日,終了日,時間帯,経路");
    expect(text).toContain(`S-001,1,確定,宿泊,${day(20)},${day(21)},,施設`);
    expect(text).toContain(`S-002,1,取消,デイ,${day(21)},${day(21)},day6h,施設`);

    const before = await counts();
    const back = await upload(facility, file.bytes, { dryRun: false });
    expect(back.status, back.text).toBe(200);
    expect(back.json).toMatchObject({
      encoding: "shift_jis",
      created: 0,
      changed: 0,
      cancelled: 0,
      errors: [],
    });
    expect(back.json.ignored).toBe(back.json.lines);
    expect(await counts()).toEqual(before);
  });

  it("lists the hub's own bookings in the download for reference, and ignores them on upload", async () => {
    const resident = await clientFor(t, "resident@demo.example.jp");
    const held = await resident.post("api/bookings", {
      facilityId,
      serviceType: "stay",
      startDate: day(30),
      nights: 1,
    });
    expect(held.status, held.text).toBe(201);
    const file = await download(operator, "bookings.csv");
    expect(file.status).toBe(200);
    expect([...file.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = file.bytes.toString("utf8");
    expect(text).toContain(`${held.json.id},`);
    expect(text).toMatch(new RegExp(`${held.json.id},\\d+,承認待ち,宿泊,${day(30)},${day(31)},,ハブ`));
    const before = await counts();
    const back = await upload(facility, file.bytes, { dryRun: false });
    expect(back.json).toMatchObject({ created: 0, changed: 0, cancelled: 0, errors: [] });
    expect(await counts()).toEqual(before);
    const audited = await prisma().auditLog.count({
      where: { action: "export.csv", resourceId: facilityId },
    });
    expect(audited).toBeGreaterThanOrEqual(2);
  });

  it("uploads capacity, and the capacity download uploads again unchanged", async () => {
    const res = await upload(
      facility,
      crlf(["種類,日付,時間帯,受入枠,使用中", `宿泊,${slash(day(40))},,5,1`, `デイ,${slash(day(40))},,6,`]),
      { dryRun: false },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ layout: "capacity", changed: 2, applied: true });
    const stay = await prisma().slot.findFirstOrThrow({
      where: { facilityId, serviceType: "stay", date: parseDate(day(40)) as Date },
    });
    expect(stay).toMatchObject({ capacity: 5, external: 1 });
    // The day-care service has one block: a blank 時間帯 means it.
    const dayCare = await prisma().slot.findFirstOrThrow({
      where: { facilityId, serviceType: "day", date: parseDate(day(40)) as Date },
    });
    expect(dayCare).toMatchObject({ capacity: 6, timeBlock: "day6h" });

    const file = await download(facility, `capacity.csv?from=${day(38)}&to=${day(42)}`);
    expect(file.status).toBe(200);
    const lines = file.bytes
      .toString("utf8")
      .replace(/^\uFEFF/, "")
      .split("\r\n");
    expect(lines[0]).toBe("種類,日付,時間帯,受入枠,使用中,予約数,空き,休業");
    expect(lines).toContain(`宿泊,${day(40)},,5,1,0,4,`);
    const before = await prisma().slot.findMany({ where: { facilityId }, orderBy: { id: "asc" } });
    const back = await upload(facility, file.bytes, { dryRun: false });
    expect(back.json).toMatchObject({ layout: "capacity", changed: 0, errors: [] });
    expect(back.json.ignored).toBe(back.json.lines);
    const after = await prisma().slot.findMany({ where: { facilityId }, orderBy: { id: "asc" } });
    expect(after.map((s) => [s.id, s.capacity, s.external, s.booked])).toEqual(
      before.map((s) => [s.id, s.capacity, s.external, s.booked]),
    );
  });

  it("admits the facility's own staff and operators only, and refuses what is not a CSV upload", async () => {
    const other = await clientFor(t, "facility2@demo.example.jp");
    expectProblem(await upload(other, clean()), 403, "forbidden");
    expect((await download(other, "bookings.csv")).status).toBe(403);
    expect((await upload(operator, clean())).status).toBe(200);
    // A facility that does not exchange files.
    expectProblem(await upload(other, clean(), { id: otherFacilityId }), 409, "no_file_connection");
    expectProblem(
      await upload(facility, JSON.stringify({ a: 1 }), { type: "application/json" }),
      415,
      "unsupported_media_type",
    );
    expectProblem(await upload(facility, ""), 400, "file_missing");
    expectProblem(await upload(facility, Buffer.alloc(6_000_000, 0x41)), 413, "payload_too_large");
    const nowhere = "00000000-0000-4000-8000-000000000000";
    expectProblem(await upload(facility, clean(), { id: nowhere }), 403, "forbidden");
    expectProblem(await upload(operator, clean(), { id: nowhere }), 404, "not_found");
    const res = await download(facility, `capacity.csv?from=${day(10)}&to=${day(400)}`);
    expect(res.status).toBe(422);
  });
});
