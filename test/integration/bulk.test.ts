/**
 * hub/db/bulk.ts and hub/db/driver.ts on the engine the run uses (PGlite, or PostgreSQL with DATABASE_URL): the column
 * types the loads rely on arrive as Prisma reads them back, a repeated bulk insert inserts nothing, a repeated COPY
 * fails the whole transaction, and a key that is not a column fails.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bulkInsert, columnOf } from "../../hub/db/bulk.js";
import { copyRows, isUniqueViolation } from "../../hub/db/driver.js";
import { startTestHub, type TestHub } from "../support/hub.js";

describe("bulk insert", () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 2 });
  });
  afterAll(() => t?.close());

  it("maps field names to the schema's snake_case columns", () => {
    expect(columnOf("startDate")).toBe("start_date");
    expect(columnOf("feeMunicipalityShare")).toBe("fee_municipality_share");
    expect(columnOf("kana")).toBe("kana");
  });

  it("stores dates, arrays, JSON, enums and nulls as Prisma reads them, in chunks, and skips rows already there", async () => {
    const p = t.hub.prisma;
    const facility = await p.facility.findFirstOrThrow({ orderBy: { id: "asc" } });
    const now = new Date("2026-04-15T01:23:45.678Z");
    const rows = Array.from({ length: 7 }, (_, i) => ({
      id: randomUUID(),
      name: `一括${i}`,
      kana: "いっかつ",
      address: "宮城県（架空）",
      kind: "midwife_home" as const,
      associationId: "midwife",
      municipalityCode: facility.municipalityCode,
      serviceArea: i === 0 ? [] : [facility.municipalityCode, "042072"],
      languages: ["ja", "en"],
      accessibility: [],
      published: false,
      updatedAt: now,
    }));
    expect(await bulkInsert(p, "facility", rows, { chunk: 3 })).toBe(7);
    const back = await p.facility.findUniqueOrThrow({ where: { id: (rows[1] as { id: string }).id } });
    expect(back).toMatchObject({
      name: "一括1",
      kind: "midwife_home",
      serviceArea: [facility.municipalityCode, "042072"],
      languages: ["ja", "en"],
      accessibility: [],
      published: false,
      updatedAt: now,
      postalCode: "", // a column not given takes its default
      address: "宮城県（架空）",
    });
    const services = rows.map((r) => ({
      facilityId: r.id,
      serviceType: "day" as const,
      capacity: 2,
      timeBlocks: [{ code: "day6h", start: "09:00", end: "15:00" }],
    }));
    expect(await bulkInsert(p, "facility_service", services)).toBe(7);
    const service = await p.facilityService.findFirstOrThrow({ where: { facilityId: rows[0]?.id } });
    expect(service.timeBlocks).toEqual([{ code: "day6h", start: "09:00", end: "15:00" }]);
    const slots = [
      {
        id: randomUUID(),
        facilityId: rows[0]?.id,
        serviceType: "day",
        date: new Date("2026-05-01T00:00:00Z"),
        timeBlock: "day6h",
        capacity: 2,
        closed: false,
      },
    ];
    expect(await bulkInsert(p, "slot", slots)).toBe(1);
    const slot = await p.slot.findFirstOrThrow({ where: { facilityId: rows[0]?.id } });
    expect(slot.date.toISOString()).toBe("2026-05-01T00:00:00.000Z");

    // Again: every row collides with one there (same id, same unique key), so nothing is inserted.
    expect(await bulkInsert(p, "facility", rows)).toBe(0);
    expect(await bulkInsert(p, "slot", [{ ...slots[0], id: randomUUID() }])).toBe(0);
    expect(await bulkInsert(p, "facility", [])).toBe(0);
  });

  it("refuses a key that is not a column, and a table that does not exist", async () => {
    const p = t.hub.prisma;
    await expect(bulkInsert(p, "facility", [{ id: randomUUID(), nmae: "typo" }])).rejects.toThrow(
      /facility has no column nmae/,
    );
    await expect(bulkInsert(p, "no_such_table", [{ id: 1 }])).rejects.toThrow(/no table no_such_table/);
  });

  it("copies rows in a driver transaction: text with tabs, newlines and backslashes, nulls, dates and bigints as Prisma reads them back", async () => {
    const p = t.hub.prisma;
    const facility = await p.facility.findFirstOrThrow({
      where: { associationId: "medical" },
      orderBy: { id: "asc" },
    });
    const runId = randomUUID();
    const at = new Date("2026-05-02T03:04:05.678Z");
    const run = {
      id: runId,
      associationId: "medical",
      municipalityCode: facility.municipalityCode,
      month: "2031-01",
      status: "draft",
      total: -500,
      createdBy: null,
      createdAt: at,
      updatedAt: at,
    };
    const line = (i: number, note: string) => ({
      runId,
      kind: "adjustment",
      bookingId: null,
      facilityId: facility.id,
      residentId: null,
      residentRef: `宛名\t${i}`,
      serviceType: "day",
      startDate: "2031-01-05",
      endDate: null,
      units: 1,
      fee: 0,
      residentCopay: 0,
      cancellationFee: 0,
      cancellationCopay: 0,
      amount: -250,
      amountBefore: 250,
      amountAfter: 0,
      policyVersionId: null,
      note,
      adjustsLineId: 9007199254740993n,
    });
    const notes = ["取消\t（施設）\n二行目", "C:\\path \\N", ""];
    const copied = await t.hub.db.driverTransaction(async (tx) => [
      await copyRows(tx, "billing_run", [run]),
      await copyRows(
        tx,
        "billing_line",
        notes.map((n, i) => line(i, n)),
      ),
    ]);
    expect(copied).toEqual([1, 3]);
    expect(await p.billingRun.findUniqueOrThrow({ where: { id: runId } })).toMatchObject({
      total: -500,
      createdBy: null,
      createdAt: at,
      reviewedAt: null,
    });
    const back = await p.billingLine.findMany({ where: { runId }, orderBy: { id: "asc" } });
    expect(back.map((l) => l.note)).toEqual(notes);
    expect(back[0]).toMatchObject({
      residentRef: "宛名\t0",
      bookingId: null,
      endDate: null,
      amount: -250,
      amountAfter: 0,
      adjustsLineId: 9007199254740993n,
    });
    expect(back[0]?.startDate?.toISOString()).toBe("2031-01-05T00:00:00.000Z");
  });

  it("undoes the whole driver transaction when a copied row collides with one there or cannot be written, and the next transaction works", async () => {
    const p = t.hub.prisma;
    const facility = await p.facility.findFirstOrThrow({ orderBy: { id: "asc" } });
    const run = (month: string) => ({
      id: randomUUID(),
      associationId: "midwife",
      municipalityCode: facility.municipalityCode,
      month,
      status: "draft",
      total: 0,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    const failed = await t.hub.db
      .driverTransaction(async (tx) => {
        await copyRows(tx, "billing_run", [run("2031-02")]);
        // The same association, municipality and month again: billing_run's unique key.
        await copyRows(tx, "billing_run", [run("2031-02")]);
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(isUniqueViolation(failed)).toBe(true);
    expect(await p.billingRun.count({ where: { associationId: "midwife", month: "2031-02" } })).toBe(0);
    await expect(
      t.hub.db.driverTransaction((tx) => copyRows(tx, "billing_run", [run("2031-03")])),
    ).resolves.toBe(1);
    await expect(
      t.hub.db.driverTransaction((tx) => copyRows(tx, "billing_run", [{ ...run("2031-04"), totl: 1 }])),
    ).rejects.toThrow(/billing_run has no column totl/);
    // A value with no text form, after two chunks of rows have gone to the server: nothing of them stays.
    const many: Record<string, unknown>[] = Array.from({ length: 2500 }, (_, i) =>
      run(`${2100 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")}`),
    );
    many[2400] = { ...run("2099-01"), total: [1] };
    await expect(t.hub.db.driverTransaction((tx) => copyRows(tx, "billing_run", many))).rejects.toThrow(
      /cannot copy \[object Array\]/,
    );
    expect(await p.billingRun.count({ where: { month: { gte: "2099" } } })).toBe(0);
    await expect(
      t.hub.db.driverTransaction((tx) => copyRows(tx, "billing_run", many.slice(0, 10))),
    ).resolves.toBe(10);
  });
});
