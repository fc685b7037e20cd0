import { parse } from "csv-parse/sync";
import iconv from "iconv-lite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BOOKING_CSV_COLUMNS } from "../../hub/bookings/export.js";
import { TestClient } from "../support/client.js";
import { expectProblem } from "../support/contract.js";
import { serviceDay, tokyoDate, tokyoDay } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { bookableResidents } from "../support/residents.js";
import { clientFor, clientForUser, DEMO_USERS } from "../support/sessions.js";

const SENDAI = "041009";
const NATORI = "042072";
const HEADER = BOOKING_CSV_COLUMNS.map(([h]) => h);
const KEYS = BOOKING_CSV_COLUMNS.map(([, k]) => k);
/** A cancellation reason a spreadsheet would run as a formula, with a comma and quotes in it. */
const FORMULA = '=HYPERLINK("https://evil.example/","開く"),続き';

type Row = Record<(typeof KEYS)[number], string>;

describe("booking history as CSV (GET /api/bookings.csv)", () => {
  let t: TestHub;
  let facility: TestClient;
  let facility2: TestClient;
  let sendai: TestClient;
  let prefecture: TestClient;
  let facilityId: string;
  let facility2Id: string;
  const ids: Record<string, string> = {};

  /** The CSV as rows keyed by column, after checking the header line; `raw` is the decoded text. */
  const csv = async (client: TestClient, query = "") => {
    const res = await client.get(`api/bookings.csv${query ? `?${query}` : ""}`);
    expect(res.status, res.text).toBe(200);
    const text = res.text;
    const records: string[][] = parse(text.replace(/^\uFEFF/, ""), { relax_column_count: false });
    expect(records[0]).toEqual(HEADER);
    const rows = records.slice(1).map((r) => Object.fromEntries(KEYS.map((k, i) => [k, r[i] ?? ""])) as Row);
    return { res, text, rows };
  };
  const bytes = async (client: TestClient, query: string) => {
    const res = await fetch(new URL(`api/bookings.csv?${query}`, t.url), {
      headers: { cookie: `sango_session=${client.sessionToken()}` },
    });
    return { res, body: Buffer.from(await res.arrayBuffer()) };
  };

  /** A resident of `code` with a voucher, and a signed-in client for them. */
  async function resident(code: string) {
    const [residentId] = (await bookableResidents(t.hub.prisma, code, 1)) as [string];
    const user = await t.hub.prisma.user.create({
      data: { role: "resident", displayName: "試験", residentId },
    });
    return { residentId, client: await clientForUser(t, user.id) };
  }

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 20 });
    facility = await clientFor(t, DEMO_USERS.facility.own);
    facility2 = await clientFor(t, DEMO_USERS.facility.other as string);
    sendai = await clientFor(t, DEMO_USERS.municipality.own);
    prefecture = await clientFor(t, DEMO_USERS.prefecture.own);
    facilityId = (await facility.get("api/me")).json.facilityId;
    facility2Id = (await facility2.get("api/me")).json.facilityId;
    const facility2Service = await t.hub.prisma.facilityService.findFirstOrThrow({
      where: { facilityId: facility2Id, serviceType: "day" },
    });
    const block = (facility2Service.timeBlocks as { code: string }[])[0]?.code;

    const a = await resident(SENDAI);
    const b = await resident(NATORI);
    const hold = async (client: TestClient, body: Record<string, unknown>) => {
      const res = await client.post("api/bookings", body);
      expect(res.status, res.text).toBe(201);
      return res.json.id as string;
    };
    ids.sendaiStay = await hold(a.client, {
      facilityId,
      serviceType: "stay",
      startDate: serviceDay(3),
      nights: 2,
    });
    ids.natoriStay = await hold(b.client, {
      facilityId,
      serviceType: "stay",
      startDate: serviceDay(4),
      nights: 1,
    });
    ids.sendaiDay = await hold(a.client, {
      facilityId: facility2Id,
      serviceType: "day",
      startDate: serviceDay(5),
      ...(block ? { timeBlock: block } : {}),
    });
    const confirmed = await facility.post(`api/bookings/${ids.natoriStay}/confirm`);
    expect(confirmed.status, confirmed.text).toBe(200);
    const cancelled = await a.client.post(`api/bookings/${ids.sendaiStay}/cancel`, { reason: FORMULA });
    expect(cancelled.status, cancelled.text).toBe(200);
    // A booking learned from the facility's own system: no voucher, its external reference.
    const external = await t.hub.prisma.booking.create({
      data: {
        facilityId,
        residentId: null,
        serviceType: "stay",
        startDate: tokyoDate(20),
        endDate: tokyoDate(21),
        status: "confirmed",
        source: "connector",
        externalRef: "EXT-2026-001",
        revision: 3,
      },
    });
    ids.external = external.id;
  }, 180_000);
  afterAll(() => t?.close());

  it("gives a facility its own bookings, UTF-8 with a BOM, in the documented columns", async () => {
    const { res, text, rows } = await csv(facility);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="bookings-\d{8}\.csv"$/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(text).toContain("\r\n");
    expect(text.endsWith("\r\n")).toBe(true);
    expect(rows.map((r) => r.booking_id).sort()).toEqual(
      [ids.sendaiStay, ids.natoriStay, ids.external].sort(),
    );

    // The same facts as the JSON API.
    const json = await facility.get(`api/bookings/${ids.natoriStay}`);
    const natori = rows.find((r) => r.booking_id === ids.natoriStay) as Row;
    expect(natori).toMatchObject({
      status: "confirmed",
      source: "portal",
      external_ref: "",
      facility_id: facilityId,
      facility_name: json.json.facilityName,
      service_type: "stay",
      start_date: json.json.startDate,
      end_date: json.json.endDate,
      nights: "1",
      time_block: "",
      resident_id: json.json.residentId,
      voucher_number: json.json.voucherNumber,
      units: String(json.json.units),
      fee: String(json.json.fee),
      resident_copay: String(json.json.residentCopay),
      municipality_share: String(json.json.municipalityShare),
      cancel_reason: "",
      reason: "",
      policy_version: String(json.json.policyVersion.version),
      fee_waiver: "",
    });
    expect(Number(natori.units)).toBeGreaterThan(0);
    expect(Number(natori.fee)).toBeGreaterThan(0);
    // Japan time, as Excel reads it.
    const jst = (iso: string | null) =>
      iso
        ? new Date(new Date(iso).getTime() + 9 * 3600_000).toISOString().slice(0, 19).replace("T", " ")
        : "";
    expect(natori.created_at).toBe(jst(json.json.createdAt));
    expect(natori.created_at).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(natori.hold_expires_at).toBe(jst(json.json.holdExpiresAt));

    const external = rows.find((r) => r.booking_id === ids.external) as Row;
    expect(external).toMatchObject({
      source: "connector",
      external_ref: "EXT-2026-001",
      voucher_number: "",
      resident_id: "",
      units: "0",
      status: "confirmed",
    });
  });

  it("defuses a cell a spreadsheet would run as a formula, and quotes commas and quotes", async () => {
    const { text, rows } = await csv(facility, "status=cancelled");
    expect(rows.map((r) => r.booking_id)).toEqual([ids.sendaiStay]);
    expect(rows[0]?.reason).toBe(`'${FORMULA}`);
    expect(rows[0]?.cancel_reason).toBe("resident_request");
    expect(text).toContain(`"'=HYPERLINK(""https://evil.example/"",""開く""),続き"`);
    expect(rows[0]?.status).toBe("cancelled");
    expect(rows[0]?.fee_waiver).toBe("");
  });

  it("says whether the resident claimed a no-fee reason for a cancellation, and what was decided", async () => {
    for (const state of ["claimed", "declined"] as const) {
      await t.hub.prisma.booking.update({ where: { id: ids.sendaiStay }, data: { feeWaiver: state } });
      const { rows } = await csv(facility, "status=cancelled");
      expect(rows.map((r) => [r.booking_id, r.fee_waiver])).toEqual([[ids.sendaiStay, state]]);
      // The same filter as GET /api/bookings.
      expect((await csv(facility, `feeWaiver=${state}`)).rows.map((r) => r.booking_id)).toEqual([
        ids.sendaiStay,
      ]);
      const other = state === "claimed" ? "declined" : "claimed";
      expect((await csv(facility, `feeWaiver=${other}`)).rows).toEqual([]);
    }
    await t.hub.prisma.booking.update({ where: { id: ids.sendaiStay }, data: { feeWaiver: null } });
  });

  it("scopes like GET /api/bookings: a municipality its residents', the prefecture all, a facility its own", async () => {
    const mine = await csv(sendai);
    expect(mine.rows.map((r) => r.booking_id).sort()).toEqual([ids.sendaiStay, ids.sendaiDay].sort());
    const json = await sendai.get("api/bookings?limit=200");
    expect(mine.rows.map((r) => r.booking_id).sort()).toEqual(
      (json.json.items as { id: string }[]).map((b) => b.id).sort(),
    );
    const all = (await csv(prefecture)).rows.map((r) => r.booking_id);
    for (const id of Object.values(ids)) expect(all).toContain(id);
    const other = await csv(facility2);
    expect(other.rows.map((r) => r.booking_id)).toEqual([ids.sendaiDay]);
    expect(other.rows[0]?.time_block).not.toBe("");
    expect(other.rows[0]?.nights).toBe("");
    // Asking for another facility's bookings finds none, rather than someone else's.
    expect((await csv(facility2, `facilityId=${facilityId}`)).rows).toEqual([]);
  });

  it("takes the filters of GET /api/bookings", async () => {
    const confirmed = await csv(facility, "status=confirmed");
    expect(confirmed.rows.map((r) => r.booking_id).sort()).toEqual([ids.natoriStay, ids.external].sort());
    const later = await csv(facility, `from=${tokyoDay(15)}`);
    expect(later.rows.map((r) => r.booking_id)).toEqual([ids.external]);
    const dates = await csv(prefecture, `from=${serviceDay(4)}&to=${serviceDay(4)}&facilityId=${facilityId}`);
    expect(dates.rows.map((r) => r.booking_id)).toEqual(expect.arrayContaining([ids.natoriStay]));
    for (const r of dates.rows) expect(r.facility_id).toBe(facilityId);
    const residentId = (await t.hub.prisma.booking.findUniqueOrThrow({ where: { id: ids.sendaiDay } }))
      .residentId as string;
    expect((await csv(sendai, `residentId=${residentId}`)).rows).toHaveLength(2);
    expectProblem(
      await facility.get(`api/bookings.csv?from=${serviceDay(5)}&to=${serviceDay(2)}`),
      422,
      "invalid_range",
    );
    expectProblem(await facility.get("api/bookings.csv?encoding=latin1"), 400, "validation_failed");
    expectProblem(await facility.get("api/bookings.csv?status=lost"), 400, "validation_failed");
  });

  it("gives Shift_JIS for older Excel: the same content, no BOM", async () => {
    const utf8 = await bytes(facility, "encoding=utf-8");
    const sjis = await bytes(facility, "encoding=sjis");
    expect(sjis.res.status).toBe(200);
    expect(sjis.res.headers.get("content-type")).toBe("text/csv; charset=Shift_JIS");
    expect(sjis.res.headers.get("content-disposition")).toMatch(/filename="bookings-\d{8}-sjis\.csv"/);
    expect([...utf8.body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(sjis.body[0]).not.toBe(0xef);
    const decoded = iconv.decode(sjis.body, "cp932");
    expect(decoded).toBe(utf8.body.subarray(3).toString("utf8"));
    // Japanese text is really Shift_JIS bytes: 予約ID is 0x975C 0x96F1 "ID".
    expect([...sjis.body.subarray(0, 4)]).toEqual([0x97, 0x5c, 0x96, 0xf1]);
    expect(decoded).toContain("（架空）");
  });

  it("is for staff only, and every export is audited as a read of personal data", async () => {
    const before = await t.hub.prisma.auditLog.count({ where: { action: "export.csv" } });
    await csv(sendai, "status=cancelled");
    const entry = await t.hub.prisma.auditLog.findFirstOrThrow({
      where: { action: "export.csv" },
      orderBy: { id: "desc" },
    });
    expect(await t.hub.prisma.auditLog.count({ where: { action: "export.csv" } })).toBe(before + 1);
    const user = await t.hub.prisma.user.findUniqueOrThrow({ where: { email: DEMO_USERS.municipality.own } });
    expect(entry).toMatchObject({
      actorId: user.id,
      actorRole: "municipality",
      tenant: `municipality:${SENDAI}`,
    });
    expect(entry.detail).toMatchObject({ rows: 1, encoding: "utf-8", filters: { status: "cancelled" } });
    const read = await t.hub.prisma.auditLog.findFirstOrThrow({
      where: { action: "exportBookingsCsv", actorId: user.id },
      orderBy: { id: "desc" },
    });
    expect(read.outcome).toBe("ok");

    expect((await new TestClient(t.url).get("api/bookings.csv")).status).toBe(401);
    const residentClient = await clientFor(t, DEMO_USERS.resident.own);
    expectProblem(await residentClient.get("api/bookings.csv"), 403, "forbidden");
    for (const role of ["association", "operator"] as const) {
      expectProblem(
        await (await clientFor(t, DEMO_USERS[role].own)).get("api/bookings.csv"),
        403,
        "forbidden",
      );
    }
  });
});
