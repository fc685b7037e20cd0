import { execFileSync, spawnSync } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import ExcelJS from "exceljs";
import iconv from "iconv-lite";
import JSZip from "jszip";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateYear, ledgerTotal } from "../../fixtures/billing-year.js";
import { LINES_CSV_HEADER, warekiDate, yen } from "../../hub/billing/invoices.js";
import { billableBookings, prismaRead } from "../../hub/billing/runs.js";
import type { Prisma } from "../../hub/db/client.js";
import { createSession } from "../../hub/identity/sessions.js";
import { formatDate } from "../../hub/inventory/dates.js";
import { TestClient } from "../support/client.js";
import { expectContract } from "../support/contract.js";
import { tokyoDay } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { clientFor, DEMO_USERS } from "../support/sessions.js";

const MUNICIPALITIES = ["041009", "042072", "042153", "044211"]; // 仙台市, 名取市, 大崎市, 大和町
const FROM = "2025-04";

/**
 * The detail sheet read by its header row (row 3): every line row's money columns, the 合計 row, and the cover's
 * total. Asserts that every row adds up: 委託料 − 利用者負担額 + キャンセル料 − キャンセル料のうち利用者負担 = 請求額.
 */
async function xlsxTotals(body: Buffer) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(body as any);
  const cover = wb.getWorksheet("請求書");
  const detail = wb.getWorksheet("請求明細");
  expect(cover).toBeDefined();
  expect(detail).toBeDefined();
  const col = new Map<string, number>();
  detail!.getRow(3).eachCell((c, i) => col.set(String(c.value), i));
  const num = (c: ExcelJS.CellValue) =>
    typeof c === "object" && c !== null && "result" in c ? Number(c.result) : Number(c || 0);
  const money = (row: ExcelJS.Row) => {
    const v = (h: string) => num(row.getCell(col.get(h)!).value);
    const m = {
      fee: v("委託料"),
      copay: v("利用者負担額"),
      cancellationFee: v("キャンセル料"),
      cancellationCopay: v("キャンセル料のうち利用者負担"),
      amount: v("請求額"),
    };
    expect(m.fee - m.copay + m.cancellationFee - m.cancellationCopay, `row ${row.number}`).toBe(m.amount);
    return m;
  };
  let sum = 0;
  let rows = 0;
  let detailTotal = Number.NaN;
  detail!.eachRow((row, i) => {
    if (i <= 3) return;
    const kind = String(row.getCell(2).value);
    const m = money(row); // lines, the total and the subtotals all add up
    if (kind === "合計") detailTotal = m.amount;
    else if (!kind.endsWith("小計")) {
      sum += m.amount;
      rows++;
    }
  });
  return {
    coverTotal: Number(cover!.getCell("C14").value),
    coverText: [1, 2, 3, 5, 7, 9].flatMap((r) => cover!.getRow(r).values as any[]).join(" "),
    detailSum: sum,
    detailTotal,
    rows,
  };
}

/** Every line and the totals of a run (as the API gives it) add up. */
function expectAddsUp(run: any) {
  for (const l of [...run.lines, run.totals]) {
    expect(l.fee - l.residentCopay + l.cancellationFee - l.cancellationCopay, JSON.stringify(l)).toBe(
      l.amount,
    );
  }
  for (const l of run.lines.filter((x: any) => x.kind === "adjustment")) {
    expect(l.amountAfter - l.amountBefore).toBe(l.amount);
  }
}

async function docxText(body: Buffer) {
  const zip = await JSZip.loadAsync(body);
  const xml = await zip.file("word/document.xml")!.async("string");
  return xml.replace(/<[^>]+>/g, "");
}

describe("billing runs, invoices and lists", () => {
  let t: TestHub;
  let medical: TestClient;
  let midwife: TestClient;
  let prefecture: TestClient;
  let sendai: TestClient;
  let months: string[];
  /** How far the hub's clock is moved ahead of this process's (tests that need "a day later"). */
  let shift = 0;

  const binary = async (client: TestClient, p: string) => {
    const res = await fetch(new URL(p, t.url), {
      headers: { cookie: `sango_session=${client.sessionToken()}` },
    });
    return { res, body: Buffer.from(await res.arrayBuffer()) };
  };

  /** Computes, reviews and finalizes every run of the association's month; returns the finalized runs. */
  async function closeMonth(client: TestClient, month: string) {
    const made = await client.post("api/billing/runs", { month });
    expect(made.status, made.text).toBe(200);
    for (const run of made.json.items) {
      const r = await client.post(`api/billing/runs/${run.id}/review`);
      expect(r.status, r.text).toBe(200);
      const f = await client.post(`api/billing/runs/${run.id}/finalize`);
      expect(f.status, f.text).toBe(200);
      expect(f.json.status).toBe("finalized");
    }
    return made.json.items as { id: string; municipalityCode: string; total: number }[];
  }

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 20, now: () => new Date(Date.now() + shift) });
    medical = await clientFor(t, DEMO_USERS.association.own);
    midwife = await clientFor(t, DEMO_USERS.association.other as string);
    prefecture = await clientFor(t, DEMO_USERS.prefecture.own);
    sendai = await clientFor(t, DEMO_USERS.municipality.own);
    const gen = await generateYear(t.hub.prisma, {
      from: FROM,
      municipalities: MUNICIPALITIES,
      residents: 120,
      bookings: 900,
      withDiscrepancies: true,
    });
    months = gen.months;
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  it("refuses other roles, and a bad month", async () => {
    expect((await sendai.get(`api/billing/runs?month=${FROM}`)).status).toBe(403);
    expect((await prefecture.post("api/billing/runs", { month: FROM })).status).toBe(403);
    const bad = await medical.post("api/billing/runs", { month: "2025-13" });
    expect(bad.status).toBe(422);
    expect(bad.json.code).toBe("invalid_month");
  });

  it("lists discrepancies on a draft, and recomputing keeps one run per municipality", async () => {
    const month = months[0] as string;
    const made = await medical.post("api/billing/runs", { month });
    expect(made.status, made.text).toBe(200);
    expect(made.json.items.length).toBeGreaterThan(0);
    const again = await medical.post("api/billing/runs", { month });
    expect(again.json.items.map((r: any) => r.id).sort()).toEqual(
      made.json.items.map((r: any) => r.id).sort(),
    );
    const codes = new Set<string>();
    for (const run of made.json.items) {
      const d = await medical.get(`api/billing/runs/${run.id}`);
      expect(d.status, d.text).toBe(200);
      expect(d.json.totals.amount).toBe(run.total);
      for (const x of d.json.discrepancies) codes.add(x.code);
      // The ledger agrees with the run.
      expect(run.total).toBe(
        await ledgerTotal(t.hub.prisma, {
          associationId: "medical",
          municipalityCode: run.municipalityCode,
          from: month,
        }),
      );
    }
    expect([...codes].sort()).toEqual(expect.arrayContaining(["unredeemed", "unreported"]));
    // The midwife association does not see the medical runs; the prefecture reads them.
    const other = await midwife.get(`api/billing/runs/${made.json.items[0].id}`);
    expect(other.status).toBe(404);
    expect((await prefecture.get(`api/billing/runs/${made.json.items[0].id}`)).status).toBe(200);
  });

  it("over a year (rules changed mid-year), the invoices equal the ledger to the yen", async () => {
    for (const assoc of [
      { id: "medical", client: medical },
      { id: "midwife", client: midwife },
    ]) {
      for (const month of months) {
        const runs = await closeMonth(assoc.client, month);
        for (const run of runs) {
          expectAddsUp((await assoc.client.get(`api/billing/runs/${run.id}`)).json);
          expect(run.total).toBe(
            await ledgerTotal(t.hub.prisma, {
              associationId: assoc.id,
              municipalityCode: run.municipalityCode,
              from: month,
            }),
          );
        }
        const list = await assoc.client.get(`api/billing/runs?month=${month}`);
        expect(list.json.total).toBe(
          await ledgerTotal(t.hub.prisma, { associationId: assoc.id, from: month }),
        );
        expect(list.json.byFacility.reduce((s: number, f: any) => s + f.amount, 0)).toBe(list.json.total);
        // Every invoice of the month, from the zip: xlsx and docx totals equal the run's.
        const zip = await binary(assoc.client, `api/billing/invoices.zip?month=${month}`);
        expect(zip.res.status).toBe(200);
        const files = await JSZip.loadAsync(zip.body);
        for (const item of list.json.items) {
          const base = `invoice-${assoc.id}-${month}-${item.municipalityCode}`;
          if (item.nothingToBill) {
            // ¥0: 請求なし, no number and no files.
            expect(item.total).toBe(0);
            expect(item.invoiceNumber).toBeNull();
            expect(files.file(`${base}.xlsx`)).toBeNull();
            continue;
          }
          const x = await xlsxTotals(await files.file(`${base}.xlsx`)!.async("nodebuffer"));
          expect(x.coverTotal).toBe(item.total);
          expect(x.detailSum).toBe(item.total);
          expect(x.detailTotal).toBe(item.total);
          expect(x.rows).toBe(item.lineCount);
          expect(x.coverText).toContain(`${item.municipalityName}長 様`);
          expect(x.coverText).toContain(item.invoiceNumber);
          expect(x.coverText).toMatch(/令和\d+年\d+月\d+日/);
          const text = await docxText(await files.file(`${base}.docx`)!.async("nodebuffer"));
          expect(text).toContain(yen(item.total));
          expect(text).toContain(`${item.municipalityName}長 様`);
        }
      }
      const yearLedger = await ledgerTotal(t.hub.prisma, {
        associationId: assoc.id,
        from: months[0]!,
        to: months[11],
      });
      const runs = await t.hub.prisma.billingRun.aggregate({
        where: { associationId: assoc.id, status: "finalized" },
        _sum: { total: true },
      });
      expect(runs._sum.total).toBe(yearLedger);
      expect(yearLedger).toBeGreaterThan(0);
    }
  }, 300_000);

  it("a finalized run is immutable: 409 on any change, skipped when the month is run again", async () => {
    const list = await medical.get(`api/billing/runs?month=${months[0]}`);
    const run = list.json.items[0];
    expect(run.status).toBe("finalized");
    expect(run.invoiceNumber).toBe(`医-${months[0]}-${run.municipalityCode}`);
    for (const p of ["review", "finalize"]) {
      const r = await medical.post(`api/billing/runs/${run.id}/${p}`);
      expect(r.status).toBe(409);
      expect(r.json.code).toBe("run_finalized");
    }
    const one = await medical.post("api/billing/runs", {
      month: months[0],
      municipalityCode: run.municipalityCode,
    });
    expect(one.status).toBe(409);
    const all = await medical.post("api/billing/runs", { month: months[0] });
    expect(all.status).toBe(200);
    expect(all.json.skipped).toContain(run.municipalityCode);
    const after = await medical.get(`api/billing/runs/${run.id}`);
    expect(after.json.total).toBe(run.total);
    expect(after.json.updatedAt).toBe(run.updatedAt);
  });

  it("a run made or finalized by someone else while the month is computed is 409, and nothing of the month is written (PostgreSQL)", async (ctx) => {
    // Two sessions interleave only on a server; the embedded database has one session.
    if (t.hub.db.kind !== "postgres") ctx.skip();
    const month = "2031-06";
    const code = MUNICIPALITIES[0] as string;
    const other = new pg.Client({ connectionString: t.hub.config.DATABASE_URL });
    await other.connect();
    /** Holds `sql` uncommitted in the other session until the hub's request waits for it, then commits. */
    const meanwhile = async (
      sql: string,
      params: unknown[],
      request: () => Promise<{ status: number; json: any }>,
    ) => {
      await other.query("BEGIN");
      await other.query(sql, params);
      const answer = request();
      for (let i = 0; i < 200; i++) {
        const { rows } = await other.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        );
        if (rows[0].n > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await other.query("COMMIT");
      return answer;
    };
    try {
      // A run of the month's municipality created meanwhile: the month's new run collides with it.
      const id = "00000000-0000-4000-8000-000000000621";
      const made = await meanwhile(
        `INSERT INTO billing_run (id, association_id, municipality_code, month, status, total, created_at, updated_at)
         VALUES ($1, 'medical', $2, $3, 'draft', 0, now(), now())`,
        [id, code, month],
        () => medical.post("api/billing/runs", { month, municipalityCode: code }),
      );
      expect(made.status).toBe(409);
      expect(made.json.code).toBe("run_changed");
      expect((await t.hub.prisma.billingRun.findMany({ where: { month } })).map((r) => r.id)).toEqual([id]);

      // That run, now there, is recomputed; finalized meanwhile, it is left as it was.
      const again = await medical.post("api/billing/runs", { month, municipalityCode: code });
      expect(again.status, again.text).toBe(200);
      expect(again.json.items.map((r: { id: string }) => r.id)).toEqual([id]);
      const finalized = await meanwhile(
        "UPDATE billing_run SET status = 'finalized', invoice_number = $2 WHERE id = $1",
        [id, "医-TEST-621"],
        () => medical.post("api/billing/runs", { month, municipalityCode: code }),
      );
      expect(finalized.status).toBe(409);
      expect(finalized.json.code).toBe("run_finalized");
      expect(await t.hub.prisma.billingRun.findUniqueOrThrow({ where: { id } })).toMatchObject({
        status: "finalized",
        invoiceNumber: "医-TEST-621",
      });
    } finally {
      await other.query("ROLLBACK").catch(() => {});
      await other.query("DELETE FROM billing_run WHERE month = $1", [month]);
      await other.end();
    }
  });

  it("a billing line always names a run: one naming none is refused, and a run's lines go with it", async () => {
    const p = t.hub.prisma;
    const facilityId = (await p.facility.findFirstOrThrow({ select: { id: true } })).id;
    const line = { kind: "use", facilityId, amount: 1_000 };
    const before = await p.billingLine.count();
    // Checked once per statement (migration 20261215000000_billing_line_set_checked), also in a statement of many.
    await expect(p.billingLine.create({ data: { ...line, runId: randomUUID() } })).rejects.toThrow();
    // Each case on a run of three lines made for it, in a transaction that is then rolled back.
    const withRun = async (check: (tx: Prisma.TransactionClient, runId: string) => Promise<void>) => {
      const rollBack = new Error("roll back");
      await expect(
        p.$transaction(async (tx) => {
          const run = await tx.billingRun.create({
            data: { associationId: "medical", municipalityCode: "041009", month: "1999-01" },
          });
          await tx.billingLine.createMany({ data: [1, 2, 3].map(() => ({ ...line, runId: run.id })) });
          await check(tx, run.id);
          throw rollBack;
        }),
      ).rejects.toBe(rollBack);
    };
    await withRun(async (tx, runId) => {
      const lines = [
        { ...line, runId },
        { ...line, runId: randomUUID() },
      ];
      await expect(tx.billingLine.createMany({ data: lines })).rejects.toThrow();
    });
    await withRun(async (tx, runId) => {
      await expect(
        tx.billingLine.updateMany({ where: { runId }, data: { runId: randomUUID() } }),
      ).rejects.toThrow();
    });
    await withRun(async (tx, runId) => {
      expect(await tx.billingLine.count({ where: { runId } })).toBe(3);
      await tx.billingRun.delete({ where: { id: runId } });
      expect(await tx.billingLine.count({ where: { runId } })).toBe(0);
    });
    expect(await p.billingLine.count()).toBe(before);
  });

  it("a booking changed after its month was finalized is an adjustment line in the next draft", async () => {
    const code = MUNICIPALITIES[0] as string;
    const month = months[2] as string;
    const run = (await medical.get(`api/billing/runs?month=${month}&municipalityCode=${code}`)).json.items[0];
    const detail = (await medical.get(`api/billing/runs/${run.id}`)).json;
    const uses = detail.lines.filter((l: any) => l.kind === "use");
    expect(uses.length).toBeGreaterThan(1);
    const [cancelled, changed] = uses as any[];
    await t.hub.prisma.booking.update({
      where: { id: cancelled.bookingId },
      data: { status: "cancelled", cancellationFee: 0, feeMunicipalityShare: 0 },
    });
    await t.hub.prisma.booking.update({
      where: { id: changed.bookingId },
      data: { municipalityShare: changed.amount + 1_234, fee: changed.fee + 1_234 },
    });
    const next = "2026-04";
    const made = await medical.post("api/billing/runs", { month: next, municipalityCode: code });
    expect(made.status, made.text).toBe(200);
    const draft = (await medical.get(`api/billing/runs/${made.json.items[0].id}`)).json;
    const adj = draft.lines.filter((l: any) => l.kind === "adjustment");
    expect(adj).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          bookingId: cancelled.bookingId,
          amount: -cancelled.amount,
          adjustsLineId: cancelled.id,
          amountBefore: cancelled.amount,
          amountAfter: 0,
        }),
        expect.objectContaining({
          bookingId: changed.bookingId,
          amount: 1_234,
          adjustsLineId: changed.id,
          // Named as 介護 claims name them: the invoice number and the line's No. there.
          adjusts: { invoiceNumber: run.invoiceNumber, lineNo: changed.lineNo },
        }),
      ]),
    );
    expect(adj).toHaveLength(2);
    // Notes are in Japanese only.
    for (const l of adj) expect(l.note).toMatch(/^\d{4}年\d{1,2}月分 [^A-Za-z]+$/);
    expect(draft.total).toBe(-cancelled.amount + 1_234);
    expectAddsUp(draft);
    // The finalized run is untouched.
    expect((await medical.get(`api/billing/runs/${run.id}`)).json.total).toBe(run.total);
    // Finalized: the ledger over every month equals the sum of the finalized runs.
    await closeMonth(medical, next);
    const ledger = await ledgerTotal(t.hub.prisma, {
      associationId: "medical",
      municipalityCode: code,
      from: months[0]!,
      to: next,
    });
    const sum = await t.hub.prisma.billingRun.aggregate({
      where: { associationId: "medical", municipalityCode: code, status: "finalized" },
      _sum: { total: true },
    });
    expect(sum._sum.total).toBe(ledger);
    // A second draft does not adjust again.
    const later = await medical.post("api/billing/runs", { month: "2026-05", municipalityCode: code });
    const laterDetail = (await medical.get(`api/billing/runs/${later.json.items[0].id}`)).json;
    expect(laterDetail.lines.filter((l: any) => l.kind === "adjustment")).toEqual([]);
  });

  it("a finalized run's files are the same bytes on every download, a day later too, dated the run", async () => {
    const month = months[3] as string;
    const list = (await medical.get(`api/billing/runs?month=${month}`)).json;
    const run = (await medical.get(`api/billing/runs/${list.items[0].id}`)).json;
    expect(run.status).toBe("finalized");
    const finalizedOn = warekiDate(new Date(run.finalizedAt));
    expect(run.issueDate).toBe(tokyoDay(0, new Date(run.finalizedAt)));
    const paths = [
      `api/billing/runs/${run.id}/invoice.xlsx`,
      `api/billing/runs/${run.id}/invoice.docx`,
      `api/billing/invoices.zip?month=${month}`,
    ];
    const first = await Promise.all(paths.map(async (p) => (await binary(medical, p)).body));
    const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
    expect(run.documents.map((d: any) => [d.kind, d.sha256, d.bytes])).toEqual([
      ["docx", sha(first[1]!), first[1]!.length],
      ["xlsx", sha(first[0]!), first[0]!.length],
    ]);
    shift = 26 * 3600_000; // a day (and two hours) later: another date in Tokyo whatever the hour
    try {
      // A session made on the hub's (moved) clock.
      const user = await t.hub.prisma.user.findUniqueOrThrow({
        where: { email: DEMO_USERS.association.own },
      });
      const later = new TestClient(t.url);
      await later.useSession(
        await createSession(t.hub.prisma, user, {
          verified: true,
          ip: "127.0.0.1",
          hours: 1,
          now: t.hub.now(),
        }),
      );
      const again = await Promise.all(paths.map(async (p) => (await binary(later, p)).body));
      for (const [i, b] of again.entries()) expect(b.equals(first[i]!), paths[i]).toBe(true);
      // The dates inside are the run's: 請求日 = the finalization date, not the day of the download.
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(again[0] as any);
      expect(String(wb.getWorksheet("請求書")!.getCell("E3").value)).toBe(finalizedOn);
      expect(await docxText(again[1]!)).toContain(finalizedOn);
      expect(tokyoDay(0, wb.created)).toBe(run.issueDate);
      const zip = await JSZip.loadAsync(again[2]!);
      const base = `invoice-medical-${month}-${run.municipalityCode}`;
      for (const ext of ["xlsx", "docx"]) {
        expect(zip.file(`${base}.${ext}`)!.date.toISOString()).toBe(`${run.issueDate}T03:00:00.000Z`);
      }
    } finally {
      shift = 0;
    }
  });

  it("the association may choose the invoice date (請求日) when finalizing", async () => {
    const month = "2026-07";
    const facility = await t.hub.prisma.facility.findFirstOrThrow({ where: { associationId: "medical" } });
    const resident = await t.hub.prisma.resident.findFirstOrThrow({
      where: { municipalityCode: MUNICIPALITIES[2] },
    });
    await t.hub.prisma.booking.create({
      data: {
        residentId: resident.id,
        facilityId: facility.id,
        serviceType: "day",
        startDate: new Date(`${month}-10T00:00:00Z`),
        endDate: new Date(`${month}-10T00:00:00Z`),
        status: "used",
        source: "staff",
        units: 1,
        fee: 15_000,
        residentCopay: 1_000,
        municipalityShare: 14_000,
      },
    });
    const made = await medical.post("api/billing/runs", { month, municipalityCode: MUNICIPALITIES[2] });
    const id = made.json.items[0].id;
    expect((await medical.post(`api/billing/runs/${id}/review`)).status).toBe(200);
    for (const issueDate of ["2026-07-31", "2099-01-01"]) {
      const bad = await medical.post(`api/billing/runs/${id}/finalize`, { issueDate });
      expect(bad.status, issueDate).toBe(422);
      expect(bad.json.code).toBe("invalid_issue_date");
    }
    expect((await medical.post(`api/billing/runs/${id}/finalize`, { issueDate: "2026-02-30" })).status).toBe(
      400,
    );
    const ok = await medical.post(`api/billing/runs/${id}/finalize`, { issueDate: "2026-08-03" });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json.issueDate).toBe("2026-08-03");
    const { body } = await binary(medical, `api/billing/runs/${id}/invoice.docx`);
    expect(await docxText(body)).toContain("令和8年8月3日");
  });

  it("a municipality with nothing to bill gets no numbered ¥0 invoice: it is 請求なし", async () => {
    const month = "2026-09";
    const code = MUNICIPALITIES[3] as string;
    const facility = await t.hub.prisma.facility.findFirstOrThrow({ where: { associationId: "medical" } });
    const resident = await t.hub.prisma.resident.findFirstOrThrow({ where: { municipalityCode: code } });
    // Only a discrepancy (a confirmed booking never redeemed): a run to look at, nothing to bill.
    await t.hub.prisma.booking.create({
      data: {
        residentId: resident.id,
        facilityId: facility.id,
        serviceType: "day",
        startDate: new Date(`${month}-10T00:00:00Z`),
        endDate: new Date(`${month}-10T00:00:00Z`),
        status: "confirmed",
        source: "staff",
        units: 1,
        fee: 15_000,
        residentCopay: 1_000,
        municipalityShare: 14_000,
      },
    });
    const made = await medical.post("api/billing/runs", { month });
    expect(made.json.items).toHaveLength(1);
    const id = made.json.items[0].id;
    expect(made.json.items[0]).toMatchObject({ total: 0, nothingToBill: true, lineCount: 0 });
    expect((await medical.get(`api/billing/runs/${id}`)).json.discrepancies.map((d: any) => d.code)).toEqual([
      "unredeemed",
    ]);
    expect((await medical.post(`api/billing/runs/${id}/review`)).status).toBe(200);
    const f = await medical.post(`api/billing/runs/${id}/finalize`);
    expect(f.status, f.text).toBe(200);
    expect(f.json).toMatchObject({
      status: "finalized",
      invoiceNumber: null,
      nothingToBill: true,
      documents: [],
    });
    for (const ext of ["xlsx", "docx"]) {
      const r = await medical.get(`api/billing/runs/${id}/invoice.${ext}`);
      expect(r.status).toBe(409);
      expect(r.json.code).toBe("nothing_to_bill");
    }
    expect((await medical.get(`api/billing/invoices.zip?month=${month}`)).status).toBe(404);
    expect(await t.hub.prisma.billingDocument.count({ where: { runId: id } })).toBe(0);
  });

  it("a draft's files say 見本（未確定） on every page, in both files; the finalized ones do not", async () => {
    const month = "2026-10";
    const code = MUNICIPALITIES[3] as string;
    const facility = await t.hub.prisma.facility.findFirstOrThrow({ where: { associationId: "medical" } });
    const resident = await t.hub.prisma.resident.findFirstOrThrow({ where: { municipalityCode: code } });
    await t.hub.prisma.booking.create({
      data: {
        residentId: resident.id,
        facilityId: facility.id,
        serviceType: "day",
        startDate: new Date(`${month}-05T00:00:00Z`),
        endDate: new Date(`${month}-05T00:00:00Z`),
        status: "used",
        source: "staff",
        units: 1,
        fee: 15_000,
        residentCopay: 1_000,
        municipalityShare: 14_000,
      },
    });
    const made = await medical.post("api/billing/runs", { month, municipalityCode: code });
    const id = made.json.items[0].id;
    const marks = async () => {
      const x = await binary(medical, `api/billing/runs/${id}/invoice.xlsx`);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(x.body as any);
      const d = await binary(medical, `api/billing/runs/${id}/invoice.docx`);
      const zip = await JSZip.loadAsync(d.body);
      const headers = await Promise.all(
        Object.keys(zip.files)
          .filter((n) => /^word\/header\d*\.xml$/.test(n))
          .map((n) => zip.file(n)!.async("string")),
      );
      return {
        sheets: ["請求書", "請求明細"].map((n) => wb.getWorksheet(n)!.headerFooter.oddHeader ?? ""),
        docx: headers.join(""),
      };
    };
    const draft = await marks();
    for (const h of draft.sheets) expect(h).toContain("見本（未確定）");
    expect(draft.docx).toContain("見本（未確定）");
    await medical.post(`api/billing/runs/${id}/review`);
    expect((await medical.post(`api/billing/runs/${id}/finalize`)).status).toBe(200);
    const final = await marks();
    for (const h of final.sheets) expect(h).not.toContain("見本");
    expect(final.docx).not.toContain("見本");
  });

  it("finalizing after a booking changed since the review is refused and the run is a draft again", async () => {
    const month = "2026-06";
    const facility = await t.hub.prisma.facility.findFirstOrThrow({ where: { associationId: "medical" } });
    const resident = await t.hub.prisma.resident.findFirstOrThrow({
      where: { municipalityCode: MUNICIPALITIES[1] },
    });
    const booking = await t.hub.prisma.booking.create({
      data: {
        residentId: resident.id,
        facilityId: facility.id,
        serviceType: "day",
        startDate: new Date(`${month}-10T00:00:00Z`),
        endDate: new Date(`${month}-10T00:00:00Z`),
        status: "used",
        source: "staff",
        units: 1,
        fee: 15_000,
        residentCopay: 1_000,
        municipalityShare: 14_000,
      },
    });
    const made = await medical.post("api/billing/runs", { month, municipalityCode: MUNICIPALITIES[1] });
    const id = made.json.items[0].id;
    expect(made.json.items[0].total).toBe(14_000);
    expect((await medical.post(`api/billing/runs/${id}/finalize`)).json.code).toBe("not_reviewed");
    expect((await medical.post(`api/billing/runs/${id}/review`)).status).toBe(200);
    expect((await medical.post(`api/billing/runs/${id}/review`)).json.code).toBe("not_draft");
    await t.hub.prisma.booking.update({ where: { id: booking.id }, data: { status: "cancelled" } });
    const f = await medical.post(`api/billing/runs/${id}/finalize`);
    expect(f.status).toBe(409);
    expect(f.json.code).toBe("changed_since_review");
    const now = (await medical.get(`api/billing/runs/${id}`)).json;
    expect(now.status).toBe("draft");
    expect(now.total).toBe(0);
  });

  it("downloads the totals as CSV (UTF-8 with BOM, Shift_JIS) and a facility statement", async () => {
    const month = months[1] as string;
    const utf = await binary(medical, `api/billing/runs.csv?month=${month}`);
    expect(utf.res.status).toBe(200);
    expect([...utf.body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = utf.body.toString("utf8").slice(1);
    expect(text.split("\r\n")[0]).toBe(
      "区分,代表機関,市町村コード,市町村・施設,状態,請求番号,件数,回数,委託料,利用者負担額,キャンセル料,キャンセル料のうち利用者負担,請求額",
    );
    const list = (await medical.get(`api/billing/runs?month=${month}`)).json;
    const muniRows = text.split("\r\n").filter((l) => l.startsWith("市町村,"));
    expect(muniRows).toHaveLength(list.items.length);
    expect(muniRows.reduce((s, l) => s + Number(l.split(",").at(-1)), 0)).toBe(list.total);
    const sjis = await binary(medical, `api/billing/runs.csv?month=${month}&encoding=sjis`);
    expect(sjis.res.headers.get("content-type")).toMatch(/shift_jis/i);
    expect(iconv.decode(sjis.body, "Shift_JIS")).toBe(text);

    const f = list.byFacility[0];
    const st = await binary(medical, `api/billing/statements.xlsx?month=${month}&facilityId=${f.facilityId}`);
    expect(st.res.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(st.body as any);
    const ws = wb.getWorksheet("支払明細書")!;
    expect(Number(ws.lastRow!.getCell(12).value)).toBe(f.amount);
    // A facility of the other association is not in the medical association's statements.
    const mid = await t.hub.prisma.facility.findFirstOrThrow({ where: { associationId: "midwife" } });
    expect(
      (await binary(medical, `api/billing/statements.xlsx?month=${month}&facilityId=${mid.id}`)).res.status,
    ).toBe(404);
    // The prefecture must name the association for downloads.
    const p = await prefecture.get(`api/billing/invoices.zip?month=${month}`);
    expect(p.status).toBe(422);
    expect(
      (await binary(prefecture, `api/billing/invoices.zip?month=${month}&associationId=medical`)).res.status,
    ).toBe(200);
  });

  it("audits reads and downloads", async () => {
    const rows = await t.hub.prisma.auditLog.findMany({ where: { action: "export.billing" } });
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.some((r) => (r.detail as any).format === "zip")).toBe(true);
  });

  it("issuer block and municipality settings: who may change them, audited, and what finalizing needs", async () => {
    const own = await medical.get("api/billing/issuer");
    expect(own.status, own.text).toBe(200);
    expect(own.json).toMatchObject({ associationId: "medical", missing: [], accountType: "普通" });
    expect(own.json.bankName).toContain("（架空）");
    const { associationId: _a, missing: _m, ...issuer } = own.json;
    expect((await sendai.put("api/billing/issuer", issuer)).status).toBe(403);
    expect((await prefecture.get("api/billing/issuer")).status).toBe(422);
    expect((await prefecture.get("api/billing/issuer?associationId=midwife")).json.associationId).toBe(
      "midwife",
    );
    const bad = await medical.put("api/billing/issuer", { ...issuer, accountNumber: "12-34" });
    expect(bad.status).toBe(400);
    const changed = await medical.put("api/billing/issuer", { ...issuer, branchName: "（架空）県庁支店" });
    expect(changed.status, changed.text).toBe(200);
    const entry = await t.hub.prisma.auditLog.findFirstOrThrow({
      where: { action: "billing.issuer.update", resourceId: "medical" },
      orderBy: { at: "desc" },
    });
    expect((entry.detail as any).before.branchName).toBe(issuer.branchName);
    expect((entry.detail as any).after.branchName).toBe("（架空）県庁支店");

    // Municipality settings: the municipality itself or the prefecture; the associations only read.
    const demo = await t.hub.prisma.municipalityBillingSetting.findUniqueOrThrow({
      where: { municipalityCode: "041009" },
    });
    const setting = {
      paymentDue: "days_after_issue",
      paymentDays: 45,
      sealRequired: false,
      residentDisplay: "name",
      creditorCodes: { medical: "（架空）0099999" },
    };
    expect((await sendai.put("api/municipalities/041009/billing-settings", setting)).status).toBe(200);
    expect((await sendai.put("api/municipalities/042072/billing-settings", setting)).status).toBe(403);
    expect((await medical.put("api/municipalities/041009/billing-settings", setting)).status).toBe(403);
    const unknown = await prefecture.put("api/municipalities/041009/billing-settings", {
      ...setting,
      creditorCodes: { nobody: "1" },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.json.code).toBe("unknown_association");
    const read = await medical.get("api/municipalities/041009/billing-settings");
    expect(read.json).toMatchObject({ ...setting, municipalityCode: "041009" });
    expect(
      await t.hub.prisma.auditLog.count({
        where: { action: "billing.municipality_setting.update", resourceId: "041009" },
      }),
    ).toBe(1);
    // An incomplete issuer block: nothing is finalized without it.
    await medical.put("api/billing/issuer", { ...issuer, accountNumber: "" });
    const month = "2026-11";
    const facility = await t.hub.prisma.facility.findFirstOrThrow({ where: { associationId: "medical" } });
    const resident = await t.hub.prisma.resident.findFirstOrThrow({
      where: { municipalityCode: MUNICIPALITIES[1] },
    });
    await t.hub.prisma.booking.create({
      data: {
        residentId: resident.id,
        facilityId: facility.id,
        serviceType: "day",
        startDate: new Date(`${month}-02T00:00:00Z`),
        endDate: new Date(`${month}-02T00:00:00Z`),
        status: "used",
        source: "staff",
        units: 1,
        fee: 15_000,
        residentCopay: 1_000,
        municipalityShare: 14_000,
      },
    });
    const made = await medical.post("api/billing/runs", { month, municipalityCode: MUNICIPALITIES[1] });
    const id = made.json.items[0].id;
    await medical.post(`api/billing/runs/${id}/review`);
    const refused = await medical.post(`api/billing/runs/${id}/finalize`);
    expect(refused.status).toBe(409);
    expect(refused.json.code).toBe("issuer_incomplete");
    expect(refused.json.detail).toContain("accountNumber");
    await medical.put("api/billing/issuer", issuer);
    // Back as the demo had it (the prefecture may change it too).
    await prefecture.put("api/municipalities/041009/billing-settings", {
      paymentDue: demo.paymentDue,
      paymentDays: demo.paymentDays,
      sealRequired: demo.sealRequired,
      residentDisplay: demo.residentDisplay,
      creditorCodes: demo.creditorCodes,
    });
  });

  it("a finalized run's lines as CSV for a 財務会計 import (UTF-8 with BOM, Shift_JIS), adding up", async () => {
    const month = months[4] as string;
    const list = (await medical.get(`api/billing/runs?month=${month}`)).json;
    const item = list.items.find((r: any) => !r.nothingToBill);
    const utf = await binary(medical, `api/billing/runs/${item.id}/lines.csv`);
    expect(utf.res.status).toBe(200);
    expect([...utf.body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = utf.body.toString("utf8").slice(1);
    const [head, ...rows] = text.split("\r\n").filter(Boolean);
    expect(head).toBe(LINES_CSV_HEADER.join(","));
    expect(rows).toHaveLength(item.lineCount);
    const col = (h: string) => LINES_CSV_HEADER.indexOf(h as any);
    let total = 0;
    for (const r of rows) {
      const c = r.split(",");
      const n = (h: string) => Number(c[col(h)]);
      expect(c[col("請求番号")]).toBe(item.invoiceNumber);
      expect(c[col("請求日")]).toBe(item.issueDate);
      expect(n("委託料") - n("利用者負担額") + n("キャンセル料") - n("キャンセル料のうち利用者負担")).toBe(
        n("請求額"),
      );
      total += n("請求額");
    }
    expect(total).toBe(item.total);
    const sjis = await binary(medical, `api/billing/runs/${item.id}/lines.csv?encoding=sjis`);
    expect(sjis.res.headers.get("content-type")).toMatch(/shift_jis/i);
    expect(iconv.decode(sjis.body, "Shift_JIS")).toBe(text);
    // Only a finalized run.
    const draft = (
      await medical.post("api/billing/runs", { month: "2026-05", municipalityCode: MUNICIPALITIES[1] })
    ).json.items[0];
    const refused = await medical.get(`api/billing/runs/${draft.id}/lines.csv`);
    expect(refused.status).toBe(409);
    expect(refused.json.code).toBe("not_finalized");
  });

  it("names residents as each municipality wants: 宛名番号, voucher number or name", async () => {
    const code = MUNICIPALITIES[2] as string;
    const month = "2026-05";
    const before = (await prefecture.get(`api/municipalities/${code}/billing-settings`)).json;
    const { municipalityCode: _c, ...setting } = before;
    const facility = await t.hub.prisma.facility.findFirstOrThrow({ where: { associationId: "medical" } });
    const resident = await t.hub.prisma.resident.findFirstOrThrow({
      where: { municipalityCode: code, externalId: { not: null } },
    });
    await t.hub.prisma.booking.create({
      data: {
        residentId: resident.id,
        facilityId: facility.id,
        serviceType: "day",
        startDate: new Date(`${month}-12T00:00:00Z`),
        endDate: new Date(`${month}-12T00:00:00Z`),
        status: "used",
        source: "staff",
        units: 1,
        fee: 15_000,
        residentCopay: 1_000,
        municipalityShare: 14_000,
      },
    });
    const refOf = async () => {
      const run = (await medical.post("api/billing/runs", { month, municipalityCode: code })).json.items[0];
      const lines = (await medical.get(`api/billing/runs/${run.id}`)).json.lines;
      return lines.find((l: any) => l.residentId === resident.id).residentRef;
    };
    expect(await refOf()).toBe(resident.externalId);
    await prefecture.put(`api/municipalities/${code}/billing-settings`, {
      ...setting,
      residentDisplay: "name",
    });
    expect(await refOf()).toBe(`${resident.familyName} ${resident.givenName}`);
    await prefecture.put(`api/municipalities/${code}/billing-settings`, setting);
  });

  it("過誤: a redeemed booking is corrected (取消 by the facility, confirmed by the municipality; 修正 by the association) and the next draft adjusts it, naming the invoice and line", async () => {
    const code = MUNICIPALITIES[0] as string; // 仙台市 = the demo municipality user's
    const month = months[5] as string;
    const facilityUser = await t.hub.prisma.user.findUniqueOrThrow({
      where: { email: DEMO_USERS.facility.own },
    });
    const run = (await medical.get(`api/billing/runs?month=${month}&municipalityCode=${code}`)).json.items[0];
    const detail = (await medical.get(`api/billing/runs/${run.id}`)).json;
    const uses = detail.lines.filter((l: any) => l.kind === "use");
    const mine = uses.find((l: any) => l.facilityId === facilityUser.facilityId);
    expect(mine, "a use at the demo facility").toBeDefined();
    const other = uses.find((l: any) => l.bookingId !== mine.bookingId);
    const facility = await clientFor(t, DEMO_USERS.facility.own);
    const facility2 = await clientFor(t, DEMO_USERS.facility.other as string);
    const natori = await clientFor(t, DEMO_USERS.municipality.other as string);

    const path1 = `api/bookings/${mine.bookingId}/corrections`;
    expect((await facility.post(path1, { kind: "void", reason: " " })).status).toBe(422);
    const asked = await facility.post(path1, {
      kind: "void",
      reason: "別の利用者の利用券で使用済処理をしたため",
    });
    expect(asked.status, asked.text).toBe(201);
    expect(asked.json.status).toBe("pending");
    expect((await facility.post(path1, { kind: "void", reason: "again" })).json.code).toBe(
      "correction_pending",
    );
    expect((await facility2.post(path1, { kind: "void", reason: "x" })).status).toBe(404);
    // The municipality finds it among its pending requests; another municipality and facility do not.
    const pending = await sendai.get("api/booking-corrections?status=pending");
    expect(pending.status, pending.text).toBe(200);
    await expectContract("listCorrectionsInScope", pending);
    expect(pending.json.items.find((c: any) => c.id === asked.json.id)).toMatchObject({
      bookingId: mine.bookingId,
      kind: "void",
      status: "pending",
      booking: { fee: mine.fee, municipalityCode: code },
    });
    expect((await natori.get("api/booking-corrections")).json.items).toEqual([]);
    expect((await facility2.get("api/booking-corrections")).json.items.map((c: any) => c.id)).not.toContain(
      asked.json.id,
    );
    const decide = `api/booking-corrections/${asked.json.id}/decision`;
    expect((await natori.post(decide, { decision: "confirm" })).status).toBe(404);
    const confirmed = await sendai.post(decide, { decision: "confirm" });
    expect(confirmed.status, confirmed.text).toBe(200);
    expect(confirmed.json.status).toBe("confirmed");
    expect((await sendai.post(decide, { decision: "decline" })).json.code).toBe("already_decided");

    const amended = await medical.post(`api/bookings/${other.bookingId}/corrections`, {
      kind: "amend",
      reason: "委託料の単価誤り",
      units: other.units,
      fee: other.fee - 2_000,
      residentCopay: other.residentCopay,
    });
    expect(amended.status, amended.text).toBe(201);
    expect(amended.json.status).toBe("confirmed");
    // The association sees every correction of its facilities with its state; none is pending any more.
    const all = (await medical.get("api/booking-corrections")).json.items;
    expect(all.map((c: any) => [c.id, c.status])).toEqual(
      expect.arrayContaining([
        [asked.json.id, "confirmed"],
        [amended.json.id, "confirmed"],
      ]),
    );
    expect((await sendai.get("api/booking-corrections?status=pending")).json.items).toEqual([]);
    const cancelled = await t.hub.prisma.booking.findFirstOrThrow({ where: { status: "cancelled" } });
    const notUsed = await medical.post(`api/bookings/${cancelled.id}/corrections`, {
      kind: "void",
      reason: "x",
    });
    expect([404, 409]).toContain(notUsed.status);

    // The finalized run is untouched; the next draft adjusts both, naming the invoice and the line.
    expect((await medical.get(`api/billing/runs/${run.id}`)).json.total).toBe(run.total);
    const made = await medical.post("api/billing/runs", { month: "2026-08", municipalityCode: code });
    expect(made.status, made.text).toBe(200);
    const draft = (await medical.get(`api/billing/runs/${made.json.items[0].id}`)).json;
    const adj = draft.lines.filter((l: any) => l.kind === "adjustment");
    const voided = adj.find((l: any) => l.bookingId === mine.bookingId);
    expect(voided).toMatchObject({
      amount: -mine.amount,
      amountBefore: mine.amount,
      amountAfter: 0,
      adjusts: { invoiceNumber: run.invoiceNumber, lineNo: mine.lineNo },
    });
    expect(voided.note).toContain("過誤取消（別の利用者の利用券で使用済処理をしたため）");
    const fixed = adj.find((l: any) => l.bookingId === other.bookingId);
    expect(fixed).toMatchObject({
      amount: -2_000,
      fee: -2_000,
      amountBefore: other.amount,
      amountAfter: other.amount - 2_000,
      adjusts: { invoiceNumber: run.invoiceNumber, lineNo: other.lineNo },
    });
    expect(fixed.note).toContain("過誤修正");
    expectAddsUp(draft);
    // The documents say it too.
    const x = await binary(medical, `api/billing/runs/${draft.id}/invoice.xlsx`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(x.body as any);
    const notes: string[] = [];
    wb.getWorksheet("請求明細")!.eachRow((r) => notes.push(String(r.getCell(16).value ?? "")));
    expect(notes.some((n) => n.startsWith(`${run.invoiceNumber} No.${mine.lineNo} の訂正`))).toBe(true);
    // History and audit.
    const events = await t.hub.prisma.bookingEvent.findMany({ where: { bookingId: mine.bookingId } });
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(["correction_requested", "correction_confirmed"]),
    );
    expect(
      await t.hub.prisma.auditLog.count({
        where: {
          action: { startsWith: "booking.correction." },
          resourceId: { in: [mine.bookingId, other.bookingId] },
        },
      }),
    ).toBe(3);
  });

  it("reads a month's bookings in one joined read: the same as Prisma's relation reads, each booking once", async () => {
    // After the 過誤 test: confirmed corrections (取消, 修正), usage reports, vouchers and bookings without one.
    const p = t.hub.prisma;
    const oracle = async (associationId: string, from: string, to: string) =>
      (
        await p.booking.findMany({
          where: { facility: { associationId }, startDate: { gte: new Date(from), lt: new Date(to) } },
          select: {
            id: true,
            status: true,
            facilityId: true,
            residentId: true,
            serviceType: true,
            startDate: true,
            endDate: true,
            units: true,
            fee: true,
            residentCopay: true,
            municipalityShare: true,
            cancellationFee: true,
            feeMunicipalityShare: true,
            feeWaiver: true,
            policyVersionId: true,
            resident: {
              select: { municipalityCode: true, externalId: true, familyName: true, givenName: true },
            },
            voucher: { select: { municipalityCode: true, number: true } },
            usageReport: { select: { copayCollected: true } },
            corrections: {
              where: { status: "confirmed" },
              orderBy: { decidedAt: "desc" },
              take: 1,
              select: { kind: true, reason: true, units: true, fee: true, residentCopay: true },
            },
          },
        })
      )
        .map(({ corrections, startDate, endDate, ...b }) => ({
          ...b,
          startDate: formatDate(startDate),
          endDate: formatDate(endDate),
          correction: corrections[0] ?? null,
        }))
        .sort((a, b) => a.id.localeCompare(b.id));
    const byId = (rows: { id: string }[]) => [...rows].sort((a, b) => a.id.localeCompare(b.id));
    let corrected = 0;
    let reported = 0;
    for (const associationId of ["medical", "midwife"]) {
      const expected = await oracle(associationId, "2020-01-01", "2030-01-01");
      const read = await billableBookings(prismaRead(p), {
        associationId,
        from: "2020-01-01",
        to: "2030-01-01",
      });
      expect(byId(read)).toEqual(expected);
      corrected += read.filter((b) => b.correction).length;
      reported += read.filter((b) => b.usageReport).length;
      // One municipality's: the bookings billed to it (its voucher's, else its resident's).
      const sendaiOnly = await billableBookings(prismaRead(p), {
        associationId,
        from: "2020-01-01",
        to: "2030-01-01",
        municipalityCode: "041009",
      });
      expect(byId(sendaiOnly)).toEqual(
        expected.filter((b) => (b.voucher?.municipalityCode ?? b.resident?.municipalityCode) === "041009"),
      );
    }
    expect(corrected).toBeGreaterThanOrEqual(2);
    expect(reported).toBeGreaterThan(0);
    // The period is [from, to): a month's bookings and no others.
    const month = months[1] as string;
    const [y, m] = month.split("-").map(Number) as [number, number];
    const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, "0")}`;
    const inMonth = await billableBookings(prismaRead(p), {
      associationId: "medical",
      from: `${month}-01`,
      to: `${next}-01`,
    });
    expect(inMonth.length).toBeGreaterThan(0);
    expect(byId(inMonth)).toEqual(await oracle("medical", `${month}-01`, `${next}-01`));
  });

  it("LibreOffice renders every document of a month to PDF with everything a clerk needs", async (ctx) => {
    const soffice = spawnSync("sh", ["-c", "command -v soffice || command -v libreoffice"], {
      encoding: "utf8",
    });
    const bin = soffice.stdout.trim();
    if (!bin) {
      console.log(
        "skipped: LibreOffice (soffice) is not on the PATH; install the Debian package libreoffice-calc/-writer to run it",
      );
      ctx.skip();
      return;
    }
    const month = months[0] as string;
    const list = (await medical.get(`api/billing/runs?month=${month}`)).json;
    const issuer = (await medical.get("api/billing/issuer")).json;
    const dir = mkdtempSync(path.join(tmpdir(), "billing-lo-"));
    try {
      const zip = await JSZip.loadAsync(
        (await binary(medical, `api/billing/invoices.zip?month=${month}`)).body,
      );
      const names = Object.keys(zip.files).sort();
      // One PDF per file: LibreOffice names its output after the input without its extension.
      const local = (n: string) => n.replace(/\.(xlsx|docx)$/, "-$1.$1");
      for (const n of names) writeFileSync(path.join(dir, local(n)), await zip.file(n)!.async("nodebuffer"));
      // A draft too: its mark must be on every page.
      const draftMonth = "2026-12";
      const facility = await t.hub.prisma.facility.findFirstOrThrow({ where: { associationId: "medical" } });
      const resident = await t.hub.prisma.resident.findFirstOrThrow({
        where: { municipalityCode: MUNICIPALITIES[0] },
      });
      await t.hub.prisma.booking.createMany({
        data: Array.from({ length: 150 }, (_, i) => ({
          residentId: resident.id,
          facilityId: facility.id,
          serviceType: "day" as const,
          startDate: new Date(`${draftMonth}-0${1 + (i % 5)}T00:00:00Z`),
          endDate: new Date(`${draftMonth}-0${1 + (i % 5)}T00:00:00Z`),
          status: "used" as const,
          source: "staff" as const,
          units: 1,
          fee: 15_000,
          residentCopay: 1_000,
          municipalityShare: 14_000,
        })),
      });
      const draft = (
        await medical.post("api/billing/runs", { month: draftMonth, municipalityCode: MUNICIPALITIES[0] })
      ).json.items[0];
      for (const ext of ["xlsx", "docx"]) {
        const { body } = await binary(medical, `api/billing/runs/${draft.id}/invoice.${ext}`);
        writeFileSync(path.join(dir, local(`draft.${ext}`)), body);
      }
      const files = [...names, "draft.xlsx", "draft.docx"];
      execFileSync(
        bin,
        ["--headless", "--convert-to", "pdf", "--outdir", dir, ...files.map((f) => path.join(dir, local(f)))],
        {
          timeout: 600_000,
          env: { ...process.env, HOME: dir },
        },
      );
      const text = (f: string) => {
        const pdf = path.join(dir, local(f).replace(/\.(xlsx|docx)$/, ".pdf"));
        const out = spawnSync("pdftotext", ["-layout", pdf, "-"], { encoding: "utf8" });
        if (out.status !== 0) throw new Error(`pdftotext ${pdf}: ${out.stderr}`);
        return out.stdout;
      };
      const flat = (s: string) => s.replace(/\s+/g, "");
      for (const item of list.items.filter((r: any) => !r.nothingToBill)) {
        const base = `invoice-medical-${month}-${item.municipalityCode}`;
        const setting = (await medical.get(`api/municipalities/${item.municipalityCode}/billing-settings`))
          .json;
        for (const ext of ["xlsx", "docx"]) {
          const pages = text(`${base}.${ext}`)
            .split("\f")
            .filter((p) => p.trim());
          const all = flat(pages.join(""));
          const must = [
            item.invoiceNumber,
            `${item.municipalityName}長様`,
            "宮城県医師会",
            flat(`${issuer.presidentTitle} ${issuer.presidentName}`),
            flat(issuer.responsibleName),
            issuer.phone,
            flat(issuer.address),
            "振込先",
            flat(issuer.bankName),
            issuer.accountNumber,
            flat(issuer.accountHolderKana),
            "支払期限",
            "非課税",
            "消費税法施行令第14条の3第7号",
            yen(item.total),
            setting.sealRequired ? "印" : "押印省略",
            ...(setting.creditorCodes.medical ? ["債権者コード", flat(setting.creditorCodes.medical)] : []),
          ];
          for (const m of must) expect(all, `${base}.${ext}: ${m}`).toContain(m);
          expect(all).not.toContain("見本");
          expect(all).not.toContain("未設定");
          // Page n/m on every page.
          for (const [i, p] of pages.entries()) {
            expect(flat(p), `${base}.${ext} page ${i + 1}`).toContain(`${i + 1}/${pages.length}`);
          }
        }
      }
      // The draft: 見本（未確定） on every page of both files; the detail runs over several pages with its header row.
      for (const ext of ["xlsx", "docx"]) {
        const pages = text(`draft.${ext}`)
          .split("\f")
          .filter((p) => p.trim());
        for (const p of pages) expect(flat(p)).toContain("見本（未確定）");
        if (ext === "xlsx") {
          const detailPages = pages.filter((p) => flat(p).includes("No.区分施設名"));
          expect(detailPages.length).toBeGreaterThan(1);
        }
      }
    } finally {
      if (!process.env.KEEP_LO) rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
