/**
 * Billing runs (請求) in the database: compute or recompute the drafts of an association's month (one run per
 * municipality), review, finalize (numbered, immutable), read them with their lines, discrepancies and totals.
 * The arithmetic is the pure engine's (hub/billing/engine.ts); this module only gathers its input and stores its
 * output.
 */
import { createHash, randomUUID } from "node:crypto";
import { bulkInsert } from "../db/bulk.js";
import type { Prisma, PrismaClient } from "../db/client.js";
import { problems } from "../errors.js";
import type { Actor } from "../identity/actor.js";
import { addDays, formatDate, parseDate, tokyoToday } from "../inventory/dates.js";
import { type Month, parseMonth } from "../usage/monthly.js";
import { formatVoucherNumber } from "../vouchers/number.js";
import {
  type BillableBooking,
  type Correction,
  computeBilling,
  type Discrepancy,
  type DraftLine,
  type EngineResult,
  type FinalizedLine,
  invoiceNumber,
  nothingToBill,
  type ReportFact,
  type ServiceType,
  sameLines,
  sumLines,
  type Totals,
  totalsByFacility,
} from "./engine.js";
import { getIssuer, invoiceContext, missingIssuerFields, type ResidentDisplay } from "./settings.js";

type Db = PrismaClient | Prisma.TransactionClient;

const bookingSelect = {
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
  resident: { select: { municipalityCode: true, externalId: true, familyName: true, givenName: true } },
  voucher: { select: { municipalityCode: true, number: true } },
  usageReport: { select: { copayCollected: true } },
  corrections: {
    where: { status: "confirmed" },
    orderBy: { decidedAt: "desc" },
    take: 1,
    select: { kind: true, reason: true, units: true, fee: true, residentCopay: true },
  },
} satisfies Prisma.BookingSelect;

type BookingRow = Prisma.BookingGetPayload<{ select: typeof bookingSelect }>;

/** The municipality a booking is billed to: its voucher's, else its resident's. */
const municipalityOf = (b: BookingRow) => b.voucher?.municipalityCode ?? b.resident?.municipalityCode ?? null;

/**
 * The resident as the municipality wants to see her on its invoices (its setting): 宛名番号, the voucher number or
 * the name, each falling back to the others, so a line never shows only an internal id.
 */
export function residentRefOf(b: Pick<BookingRow, "resident" | "voucher">, display: ResidentDisplay): string {
  const voucher = b.voucher ? formatVoucherNumber(b.voucher.number) : "";
  const external = b.resident?.externalId ?? "";
  const name = b.resident ? `${b.resident.familyName} ${b.resident.givenName}`.trim() : "";
  const order =
    display === "name"
      ? [name, external, voucher]
      : display === "voucher_number"
        ? [voucher, external, name]
        : [external, voucher, name];
  return order.find((x) => x) ?? "";
}

function toBillable(b: BookingRow, display: ResidentDisplay = "external_id"): BillableBooking {
  return {
    id: b.id,
    status: b.status,
    facilityId: b.facilityId,
    residentId: b.residentId,
    residentRef: residentRefOf(b, display),
    serviceType: b.serviceType as ServiceType,
    startDate: formatDate(b.startDate),
    endDate: formatDate(b.endDate),
    units: b.units,
    fee: b.fee,
    residentCopay: b.residentCopay,
    municipalityShare: b.municipalityShare,
    cancellationFee: b.cancellationFee,
    feeMunicipalityShare: b.feeMunicipalityShare,
    feeWaiver: b.feeWaiver,
    policyVersionId: b.policyVersionId,
    correction: correctionOf(b.corrections[0]),
  };
}

function correctionOf(c: BookingRow["corrections"][number] | undefined): Correction | null {
  if (!c) return null;
  if (c.kind === "void") return { kind: "void", reason: c.reason };
  return {
    kind: "amend",
    reason: c.reason,
    units: c.units ?? 0,
    fee: c.fee ?? 0,
    residentCopay: c.residentCopay ?? 0,
  };
}

const monthOf = (d: Date) => formatDate(d).slice(0, 7);

/** A month's runs are written in one transaction, which at national scale takes seconds. */
const MONTH_TX_OPTIONS = { maxWait: 30_000, timeout: 120_000 } as const;

/** Bookings per page of billableBookings: Prisma reads a page's relations with one parameter per booking. */
const BOOKING_PAGE = 5000;

/**
 * The bookings matching `where`, with what billing needs: their ids in one read, then the rows a page of ids at a
 * time. In one read, a national-scale month (tens of thousands of bookings) exceeded PostgreSQL's 32,767
 * parameters in Prisma's relation reads; paging through the filter itself in id order scanned the table again for
 * every page.
 */
export async function billableBookings(
  db: Db,
  where: Prisma.BookingWhereInput,
  pageSize = BOOKING_PAGE,
): Promise<BookingRow[]> {
  const ids = (await db.booking.findMany({ where, select: { id: true } })).map((b) => b.id);
  const out: BookingRow[] = [];
  for (let i = 0; i < ids.length; i += pageSize) {
    out.push(
      ...(await db.booking.findMany({
        where: { id: { in: ids.slice(i, i + pageSize) } },
        select: bookingSelect,
      })),
    );
  }
  return out;
}

/** Every municipality's engine result for an association's month (or one municipality's). */
export async function computeMonth(
  db: Db,
  associationId: string,
  month: Month,
  now: Date,
  only?: string,
): Promise<Map<string, EngineResult>> {
  const rows = await billableBookings(db, {
    facility: { associationId },
    startDate: { gte: month.start, lt: month.end },
  });
  // Finalized runs of earlier months, and every line of finalized runs, for adjustments.
  const finalizedRuns = await db.billingRun.findMany({
    where: { associationId, status: "finalized", ...(only ? { municipalityCode: only } : {}) },
    select: { id: true, month: true, municipalityCode: true },
  });
  const earlierFinal = new Set(
    finalizedRuns.filter((r) => r.month < month.text).map((r) => `${r.municipalityCode}|${r.month}`),
  );
  const runInfo = new Map(finalizedRuns.map((r) => [r.id, r]));
  const lines = finalizedRuns.length
    ? await db.billingLine.findMany({
        where: { runId: { in: finalizedRuns.map((r) => r.id) }, bookingId: { not: null } },
        select: {
          id: true,
          runId: true,
          bookingId: true,
          units: true,
          fee: true,
          residentCopay: true,
          cancellationFee: true,
          cancellationCopay: true,
          amount: true,
        },
      })
    : [];
  let earlierRows: BookingRow[] = [];
  const earlierMonths = [...earlierFinal].map((k) => k.split("|")[1] as string).sort();
  const first = earlierMonths[0] ? parseMonth(earlierMonths[0]) : null;
  if (first) {
    earlierRows = (
      await billableBookings(db, {
        facility: { associationId },
        startDate: { gte: first.start, lt: month.start },
      })
    ).filter((b) => earlierFinal.has(`${municipalityOf(b)}|${monthOf(b.startDate)}`));
  }

  const today = formatDate(tokyoToday(now));
  const codes = new Set<string>();
  const group = <T>(items: T[], code: (t: T) => string | null) => {
    const m = new Map<string, T[]>();
    for (const it of items) {
      const c = code(it);
      if (!c || (only && c !== only)) continue;
      codes.add(c);
      const g = m.get(c);
      if (g) g.push(it);
      else m.set(c, [it]);
    }
    return m;
  };
  const byCode = group(rows, municipalityOf);
  const earlierByCode = group(earlierRows, municipalityOf);
  const linesByCode = group(lines, (l) => runInfo.get(l.runId)?.municipalityCode ?? null);
  if (only) codes.add(only);

  const settings = await db.municipalityBillingSetting.findMany({
    where: { municipalityCode: { in: [...codes] } },
    select: { municipalityCode: true, residentDisplay: true },
  });
  const displayOf = new Map(settings.map((x) => [x.municipalityCode, x.residentDisplay as ResidentDisplay]));
  const out = new Map<string, EngineResult>();
  for (const code of [...codes].sort()) {
    const display = displayOf.get(code) ?? "external_id";
    const bookings = byCode.get(code) ?? [];
    const reports: ReportFact[] = bookings
      .filter((b) => b.usageReport)
      .map((b) => ({
        bookingId: b.id,
        bookingStatus: b.status,
        copayCollected: b.usageReport?.copayCollected ?? 0,
        expectedCopay: b.residentCopay,
        facilityId: b.facilityId,
        residentRef: residentRefOf(b, display),
        startDate: formatDate(b.startDate),
      }));
    const finalizedLines: FinalizedLine[] = (linesByCode.get(code) ?? []).map((l) => ({
      id: l.id.toString(),
      bookingId: l.bookingId as string,
      units: l.units,
      fee: l.fee,
      residentCopay: l.residentCopay,
      cancellationFee: l.cancellationFee,
      cancellationCopay: l.cancellationCopay,
      amount: l.amount,
      month: runInfo.get(l.runId)?.month ?? "",
    }));
    out.set(
      code,
      computeBilling({
        month: month.text,
        today,
        bookings: bookings.map((b) => toBillable(b, display)),
        reports,
        earlierBookings: (earlierByCode.get(code) ?? []).map((b) => toBillable(b, display)),
        finalizedLines,
      }),
    );
  }
  return out;
}

const dateCol = (d: string | null) => (d ? new Date(`${d}T00:00:00Z`) : null);

function lineData(runId: string, l: DraftLine): Prisma.BillingLineCreateManyInput {
  return {
    runId,
    kind: l.kind,
    bookingId: l.bookingId,
    facilityId: l.facilityId,
    residentId: l.residentId,
    residentRef: l.residentRef,
    serviceType: l.serviceType,
    startDate: dateCol(l.startDate),
    endDate: dateCol(l.endDate),
    units: l.units,
    fee: l.fee,
    residentCopay: l.residentCopay,
    cancellationFee: l.cancellationFee,
    cancellationCopay: l.cancellationCopay,
    amount: l.amount,
    amountBefore: l.amountBefore,
    amountAfter: l.amountAfter,
    policyVersionId: l.policyVersionId,
    note: l.note,
    adjustsLineId: l.adjustsLineId === null ? null : BigInt(l.adjustsLineId),
  };
}

type StoredLine = Prisma.BillingLineGetPayload<object>;

function toDraft(l: StoredLine): DraftLine {
  return {
    kind: l.kind as DraftLine["kind"],
    bookingId: l.bookingId,
    facilityId: l.facilityId,
    residentId: l.residentId,
    residentRef: l.residentRef,
    serviceType: l.serviceType as ServiceType | null,
    startDate: l.startDate ? formatDate(l.startDate) : null,
    endDate: l.endDate ? formatDate(l.endDate) : null,
    units: l.units,
    fee: l.fee,
    residentCopay: l.residentCopay,
    cancellationFee: l.cancellationFee,
    cancellationCopay: l.cancellationCopay,
    amount: l.amount,
    amountBefore: l.amountBefore,
    amountAfter: l.amountAfter,
    policyVersionId: l.policyVersionId,
    note: l.note,
    adjustsLineId: l.adjustsLineId === null ? null : l.adjustsLineId.toString(),
  };
}

async function replaceLines(db: Db, runId: string, lines: DraftLine[]) {
  await db.billingLine.deleteMany({ where: { runId } });
  await insertLines(
    db,
    lines.map((l) => lineData(runId, l)),
  );
}

/**
 * Inserts lines in bulk (hub/db/bulk.ts, one statement per 5,000): a month of every municipality is hundreds of
 * lines at the demo's size and tens of thousands at national scale, where binding one parameter per value (as
 * createMany, or arrays unnested) made storing the runs most of the year's billing.
 */
async function insertLines(db: Db, rows: Prisma.BillingLineCreateManyInput[]): Promise<void> {
  // Every row with every column: bulkInsert takes the columns from the first row.
  await bulkInsert(
    db,
    "billing_line",
    rows.map((r) => ({
      runId: r.runId,
      kind: r.kind,
      bookingId: r.bookingId ?? null,
      facilityId: r.facilityId,
      residentId: r.residentId ?? null,
      residentRef: r.residentRef ?? "",
      serviceType: r.serviceType ?? null,
      startDate: r.startDate ?? null,
      endDate: r.endDate ?? null,
      units: r.units ?? 0,
      fee: r.fee ?? 0,
      residentCopay: r.residentCopay ?? 0,
      cancellationFee: r.cancellationFee ?? 0,
      cancellationCopay: r.cancellationCopay ?? 0,
      amount: r.amount,
      amountBefore: r.amountBefore ?? null,
      amountAfter: r.amountAfter ?? null,
      policyVersionId: r.policyVersionId ?? null,
      note: r.note ?? "",
      adjustsLineId: r.adjustsLineId ?? null,
    })),
  );
}

export type RunSummary = {
  id: string;
  associationId: string;
  municipalityCode: string;
  municipalityName: string;
  month: string;
  status: string;
  invoiceNumber: string | null;
  total: number;
  lineCount: number;
  units: number;
  fee: number;
  residentCopay: number;
  cancellationFee: number;
  cancellationCopay: number;
  createdAt: string;
  updatedAt: string;
  reviewedAt: string | null;
  finalizedAt: string | null;
  /** 請求日 ("YYYY-MM-DD") of a finalized run. */
  issueDate: string | null;
  /** ¥0: no invoice (請求なし), finalized without a number or documents. */
  nothingToBill: boolean;
};

const runInclude = {} satisfies Prisma.BillingRunInclude;

type RunRow = Prisma.BillingRunGetPayload<object>;

/** Lines, units, fees, copays and amounts of each run, by run id. */
async function runTotals(db: Db, runIds: string[]): Promise<Map<string, Totals>> {
  if (!runIds.length) return new Map();
  const groups = await db.billingLine.groupBy({
    by: ["runId"],
    where: { runId: { in: runIds } },
    _count: { _all: true },
    _sum: {
      units: true,
      fee: true,
      residentCopay: true,
      cancellationFee: true,
      cancellationCopay: true,
      amount: true,
    },
  });
  return new Map(
    groups.map((g) => [
      g.runId,
      {
        lines: g._count._all,
        units: g._sum.units ?? 0,
        fee: g._sum.fee ?? 0,
        residentCopay: g._sum.residentCopay ?? 0,
        cancellationFee: g._sum.cancellationFee ?? 0,
        cancellationCopay: g._sum.cancellationCopay ?? 0,
        amount: g._sum.amount ?? 0,
      },
    ]),
  );
}

async function municipalityNames(db: Db, codes: string[]): Promise<Map<string, string>> {
  const ms = await db.municipality.findMany({
    where: { code: { in: codes } },
    select: { code: true, name: true },
  });
  return new Map(ms.map((m) => [m.code, m.name]));
}

function summary(r: RunRow, names: Map<string, string>, totals: Map<string, Totals>): RunSummary {
  const t = totals.get(r.id) ?? sumLines([]);
  return {
    id: r.id,
    associationId: r.associationId,
    municipalityCode: r.municipalityCode,
    municipalityName: names.get(r.municipalityCode) ?? r.municipalityCode,
    month: r.month,
    status: r.status,
    invoiceNumber: r.invoiceNumber,
    total: r.total,
    lineCount: t.lines,
    units: t.units,
    fee: t.fee,
    residentCopay: t.residentCopay,
    cancellationFee: t.cancellationFee,
    cancellationCopay: t.cancellationCopay,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    reviewedAt: r.reviewedAt?.toISOString() ?? null,
    finalizedAt: r.finalizedAt?.toISOString() ?? null,
    issueDate: r.issueDate ? formatDate(r.issueDate) : null,
    nothingToBill: nothingToBill(r),
  };
}

/**
 * Computes (or recomputes) the drafts of an association's month: one municipality's, or every municipality
 * that has lines or discrepancies (and every open draft of the month). A finalized run is never touched: for one
 * municipality that is 409 `run_finalized`; for all, it is skipped. A reviewed run goes back to draft.
 */
export async function runMonth(
  prisma: PrismaClient,
  opts: { associationId: string; month: Month; municipalityCode?: string; actorId: string | null; now: Date },
): Promise<{ items: RunSummary[]; skipped: string[] }> {
  const { associationId, month, now } = opts;
  if (opts.municipalityCode) {
    const m = await prisma.municipality.findUnique({ where: { code: opts.municipalityCode } });
    if (!m) throw problems.notFound("municipality");
  }
  const results = await computeMonth(prisma, associationId, month, now, opts.municipalityCode);
  const existing = await prisma.billingRun.findMany({
    where: {
      associationId,
      month: month.text,
      ...(opts.municipalityCode ? { municipalityCode: opts.municipalityCode } : {}),
    },
  });
  const byCode = new Map(existing.map((r) => [r.municipalityCode, r]));
  const codes = new Set([...results.keys()].filter((c) => isWorthARun(results.get(c))));
  for (const r of existing) if (r.status !== "finalized") codes.add(r.municipalityCode);
  if (opts.municipalityCode) codes.add(opts.municipalityCode);
  const skipped: string[] = [];
  const ids: string[] = [];
  const updates: { id: string; total: number; createdBy: string | null }[] = [];
  const creates: Prisma.BillingRunCreateManyInput[] = [];
  const lines: Prisma.BillingLineCreateManyInput[] = [];
  for (const code of [...codes].sort()) {
    const prior = byCode.get(code);
    if (prior?.status === "finalized") {
      if (opts.municipalityCode) {
        throw problems.conflict(
          "run_finalized",
          `The run ${prior.invoiceNumber} is finalized and cannot change`,
        );
      }
      skipped.push(code);
      continue;
    }
    const result = results.get(code) ?? computeEmpty();
    const id = prior?.id ?? randomUUID();
    ids.push(id);
    if (prior) updates.push({ id, total: result.totals.amount, createdBy: opts.actorId ?? prior.createdBy });
    else {
      creates.push({
        id,
        associationId,
        municipalityCode: code,
        month: month.text,
        total: result.totals.amount,
        createdBy: opts.actorId,
      });
    }
    for (const l of result.lines) lines.push(lineData(id, l));
  }
  // One transaction for the month: every draft is replaced together, and never a finalized run. Set-based, with
  // the time a national-scale month needs (1,400 municipalities' runs and tens of thousands of lines).
  await prisma.$transaction(async (tx) => {
    if (updates.length) {
      await tx.billingLine.deleteMany({ where: { runId: { in: updates.map((u) => u.id) } } });
      const updated = await tx.$executeRaw`
        UPDATE billing_run r SET status = 'draft', total = u.total, reviewed_at = NULL, reviewed_by = NULL,
          created_by = u.created_by, updated_at = ${now}::timestamp
        FROM json_to_recordset(${JSON.stringify(updates.map((u) => ({ id: u.id, total: u.total, created_by: u.createdBy })))}::json)
          AS u(id uuid, total int, created_by uuid)
        WHERE r.id = u.id AND r.status <> 'finalized'`;
      if (updated !== updates.length) {
        throw problems.conflict(
          "run_finalized",
          "A run of this month was finalized meanwhile; run the month again",
        );
      }
    }
    if (creates.length) await tx.billingRun.createMany({ data: creates });
    await insertLines(tx, lines);
  }, MONTH_TX_OPTIONS);
  const runs = await prisma.billingRun.findMany({
    where: { id: { in: ids } },
    include: runInclude,
    orderBy: { municipalityCode: "asc" },
  });
  const names = await municipalityNames(
    prisma,
    runs.map((r) => r.municipalityCode),
  );
  const totals = await runTotals(prisma, ids);
  return { items: runs.map((r) => summary(r, names, totals)), skipped };
}

const isWorthARun = (r: EngineResult | undefined) =>
  !!r && (r.lines.length > 0 || r.discrepancies.length > 0);
const computeEmpty = (): EngineResult => ({
  lines: [],
  discrepancies: [],
  totals: sumLines([]),
  byFacility: [],
});

/** Association staff act on their own association's runs; the prefecture reads every association's. */
export function scopeAssociation(actor: Actor, requested?: string): string | undefined {
  if (actor.role === "association") {
    if (!actor.associationId) throw problems.forbidden();
    if (requested && requested !== actor.associationId) throw problems.notFound("association");
    return actor.associationId;
  }
  if (actor.role === "prefecture") return requested;
  throw problems.forbidden();
}

export type FacilityListTotals = Totals & { facilityId: string; facilityName: string };

export type RunList = {
  month: string;
  items: RunSummary[];
  byFacility: FacilityListTotals[];
  total: number;
};

/** The month's runs with totals per municipality (one run each) and per facility (over every listed run). */
export async function listRuns(
  prisma: PrismaClient,
  filter: { associationId?: string; month: Month; municipalityCode?: string },
): Promise<RunList> {
  const runs = await prisma.billingRun.findMany({
    where: {
      month: filter.month.text,
      ...(filter.associationId ? { associationId: filter.associationId } : {}),
      ...(filter.municipalityCode ? { municipalityCode: filter.municipalityCode } : {}),
    },
    include: runInclude,
    orderBy: [{ associationId: "asc" }, { municipalityCode: "asc" }],
  });
  const names = await municipalityNames(
    prisma,
    runs.map((r) => r.municipalityCode),
  );
  const lines = runs.length
    ? await prisma.billingLine.findMany({
        where: { runId: { in: runs.map((r) => r.id) } },
        select: {
          facilityId: true,
          units: true,
          fee: true,
          residentCopay: true,
          cancellationFee: true,
          cancellationCopay: true,
          amount: true,
        },
      })
    : [];
  const byFacility = await withFacilityNames(prisma, totalsByFacility(lines));
  const totals = await runTotals(
    prisma,
    runs.map((r) => r.id),
  );
  return {
    month: filter.month.text,
    items: runs.map((r) => summary(r, names, totals)),
    byFacility,
    total: runs.reduce((s, r) => s + r.total, 0),
  };
}

async function withFacilityNames(prisma: Db, totals: ReturnType<typeof totalsByFacility>) {
  const fs = await prisma.facility.findMany({
    where: { id: { in: totals.map((t) => t.facilityId) } },
    select: { id: true, name: true },
  });
  const names = new Map(fs.map((f) => [f.id, f.name]));
  return totals
    .map((t) => ({ ...t, facilityName: names.get(t.facilityId) ?? "" }))
    .sort(
      (a, b) =>
        a.facilityName.localeCompare(b.facilityName, "ja") || a.facilityId.localeCompare(b.facilityId),
    );
}

/** The line of a finalized invoice an adjustment corrects: its invoice number and line number (No.). */
export type LineRef = { invoiceNumber: string; lineNo: number };

export type LineDto = Omit<DraftLine, "adjustsLineId"> & {
  id: string;
  /** No. on the invoice: the line's position in its run. */
  lineNo: number;
  facilityName: string;
  adjustsLineId: string | null;
  adjusts: LineRef | null;
};

/** Where each of the given lines is printed: its run's invoice number and its No. there. */
async function lineRefs(db: Db, ids: string[]): Promise<Map<string, LineRef>> {
  if (!ids.length) return new Map();
  const rows = await db.$queryRaw<{ id: string; invoice_number: string | null; line_no: number }[]>`
    SELECT x.id::text AS id, r.invoice_number, x.line_no::int AS line_no
      FROM (SELECT l.id, l.run_id, row_number() OVER (PARTITION BY l.run_id ORDER BY l.id) AS line_no
              FROM billing_line l
             WHERE l.run_id IN (SELECT run_id FROM billing_line WHERE id = ANY(${ids}::text[]::bigint[]))) x
      JOIN billing_run r ON r.id = x.run_id
     WHERE x.id = ANY(${ids}::text[]::bigint[])`;
  return new Map(rows.map((r) => [r.id, { invoiceNumber: r.invoice_number ?? "", lineNo: r.line_no }]));
}

/** A stored file of a finalized run, without its bytes. */
export type DocumentInfo = { kind: string; fileName: string; sha256: string; bytes: number };

export type RunDetail = Omit<RunSummary, "lines"> & {
  associationName: string;
  documents: DocumentInfo[];
  lines: LineDto[];
  byFacility: FacilityListTotals[];
  totals: Totals;
  discrepancies: (Discrepancy & { facilityName: string })[];
};

/** A run with its lines, totals and (unless finalized) the discrepancies of its month as they are now. */
export async function getRun(
  prisma: Db,
  runId: string,
  now: Date,
  opts: { discrepancies?: boolean } = {},
): Promise<RunDetail> {
  const run = await prisma.billingRun.findUnique({
    where: { id: runId },
    include: { ...runInclude, association: { select: { name: true } } },
  });
  if (!run) throw problems.notFound("billing run");
  const stored = await prisma.billingLine.findMany({ where: { runId }, orderBy: { id: "asc" } });
  const month = parseMonth(run.month);
  let discrepancies: Discrepancy[] = [];
  if (run.status !== "finalized" && month && opts.discrepancies !== false) {
    const r = await computeMonth(prisma, run.associationId, month, now, run.municipalityCode);
    discrepancies = r.get(run.municipalityCode)?.discrepancies ?? [];
  }
  const facilityIds = [
    ...new Set([...stored.map((l) => l.facilityId), ...discrepancies.map((d) => d.facilityId)]),
  ];
  const fs = await prisma.facility.findMany({
    where: { id: { in: facilityIds } },
    select: { id: true, name: true },
  });
  const fname = new Map(fs.map((f) => [f.id, f.name]));
  const names = await municipalityNames(prisma, [run.municipalityCode]);
  const docs = await prisma.$queryRaw<DocumentInfo[]>`
    SELECT kind, file_name AS "fileName", sha256, octet_length(body)::int AS bytes
      FROM billing_document WHERE run_id = ${runId}::uuid ORDER BY kind`;
  const refs = await lineRefs(
    prisma,
    stored.flatMap((l) => (l.adjustsLineId === null ? [] : [l.adjustsLineId.toString()])),
  );
  const lines = stored.map((l, i) => ({
    ...toDraft(l),
    id: l.id.toString(),
    lineNo: i + 1,
    facilityName: fname.get(l.facilityId) ?? "",
    adjusts: l.adjustsLineId === null ? null : (refs.get(l.adjustsLineId.toString()) ?? null),
  }));
  const totals = sumLines(lines);
  return {
    ...summary(run, names, new Map([[run.id, totals]])),
    associationName: run.association.name,
    documents: docs,
    lines,
    totals,
    byFacility: totalsByFacility(lines).map((t) => ({ ...t, facilityName: fname.get(t.facilityId) ?? "" })),
    discrepancies: discrepancies.map((d) => ({ ...d, facilityName: fname.get(d.facilityId) ?? "" })),
  };
}

async function loadForChange(prisma: Db, runId: string, associationId: string) {
  const run = await prisma.billingRun.findUnique({ where: { id: runId } });
  if (!run || run.associationId !== associationId) throw problems.notFound("billing run");
  if (run.status === "finalized") {
    throw problems.conflict("run_finalized", `The run ${run.invoiceNumber} is finalized and cannot change`);
  }
  return run;
}

/** draft → reviewed. */
export async function reviewRun(
  prisma: PrismaClient,
  runId: string,
  associationId: string,
  actorId: string,
  now: Date,
): Promise<void> {
  const run = await loadForChange(prisma, runId, associationId);
  if (run.status !== "draft") throw problems.conflict("not_draft", "Only a draft can be marked reviewed");
  const { count } = await prisma.billingRun.updateMany({
    where: { id: runId, status: "draft", updatedAt: run.updatedAt },
    data: { status: "reviewed", reviewedAt: now, reviewedBy: actorId },
  });
  if (count !== 1) throw problems.conflict("run_changed", "The run changed meanwhile; reload it");
}

/**
 * The 請求日 of a run being finalized: the association's choice ("YYYY-MM-DD", from the day after the billed month
 * to 31 days ahead), else today in Tokyo. 422 `invalid_issue_date` otherwise.
 */
export function issueDateFor(month: Month, requested: string | undefined, now: Date): Date {
  const today = tokyoToday(now);
  if (requested === undefined) return today;
  const d = parseDate(requested);
  if (!d || d < month.end || d > addDays(today, 31)) {
    throw problems.unprocessable(
      "invalid_issue_date",
      "The invoice date must be a date after the billed month and at most 31 days from today",
      [{ path: "issueDate", message: "YYYY-MM-DD after the billed month, at most 31 days ahead" }],
    );
  }
  return d;
}

/**
 * reviewed → finalized, numbered (a run of ¥0 is finalized as 請求なし: no number, no documents). The month is computed again first: when the lines differ from the ones
 * reviewed (a booking changed since), the run goes back to draft with the new lines and the answer is 409
 * `changed_since_review`, so nobody finalizes numbers they have not seen. In the same transaction the invoice
 * files are made, dated the run's 請求日, and stored with their sha-256: every later download is these bytes.
 */
export async function finalizeRun(
  prisma: PrismaClient,
  runId: string,
  associationId: string,
  actorId: string,
  now: Date,
  opts: { issueDate?: string } = {},
): Promise<void> {
  const run = await loadForChange(prisma, runId, associationId);
  if (run.status !== "reviewed")
    throw problems.conflict("not_reviewed", "Review the run before finalizing it");
  const month = parseMonth(run.month);
  if (!month) throw new Error(`billing run ${run.id} has a bad month ${run.month}`);
  const issueDate = issueDateFor(month, opts.issueDate, now);
  // An invoice goes out only with who issues it and where to pay (hub/billing/settings.ts).
  const missing = missingIssuerFields(await getIssuer(prisma, associationId));
  if (missing.length) {
    throw problems.conflict(
      "issuer_incomplete",
      `Fill in the association's invoice details first (${missing.join(", ")})`,
    );
  }
  const writers = await import("./invoices.js");
  const outcome = await prisma.$transaction(
    async (tx) => {
      const fresh = (await computeMonth(tx, associationId, month, now, run.municipalityCode)).get(
        run.municipalityCode,
      );
      const stored = (await tx.billingLine.findMany({ where: { runId } })).map(toDraft);
      const lines = fresh?.lines ?? [];
      if (!sameLines(stored, lines)) {
        await tx.billingRun.update({
          where: { id: runId },
          data: { status: "draft", reviewedAt: null, reviewedBy: null, total: sumLines(lines).amount },
        });
        await replaceLines(tx, runId, lines);
        return "changed" as const;
      }
      const total = sumLines(stored).amount;
      const billed = !nothingToBill({ total });
      const { count } = await tx.billingRun.updateMany({
        where: { id: runId, status: "reviewed" },
        data: {
          status: "finalized",
          invoiceNumber: billed ? invoiceNumber(associationId, run.month, run.municipalityCode) : null,
          finalizedAt: now,
          finalizedBy: actorId,
          issueDate: billed ? issueDate : null,
          total,
        },
      });
      if (count !== 1) return "raced" as const;
      if (billed) await storeDocuments(tx, await getRun(tx, runId, now, { discrepancies: false }), writers);
      return "ok" as const;
    },
    { timeout: 60_000 },
  );
  if (outcome === "changed") {
    throw problems.conflict(
      "changed_since_review",
      "Bookings changed since the review; the run is a draft again with the new lines. Review it again.",
    );
  }
  if (outcome === "raced") throw problems.conflict("run_changed", "The run changed meanwhile; reload it");
}

type Writers = typeof import("./invoices.js");

/** Makes and stores a finalized run's files (xlsx, docx) with their sha-256. */
async function storeDocuments(db: Db, run: RunDetail, writers: Writers): Promise<void> {
  const files = await writers.runDocuments(run, await invoiceContext(db, run));
  // One statement: both files or neither, and a concurrent first download's files are kept as they are.
  await db.billingDocument.createMany({
    data: Object.entries(files).map(([kind, f]) => ({
      runId: run.id,
      kind,
      fileName: f.fileName,
      body: new Uint8Array(f.body),
      sha256: createHash("sha256").update(f.body).digest("hex"),
    })),
    skipDuplicates: true,
  });
}

export type DocumentKind = "xlsx" | "docx";

/**
 * A run's invoice file. A finalized run's is the stored file (made at finalization; for a run finalized before
 * files were stored, made once now from its 請求日 and kept); a draft's is made now, dated today and marked 見本.
 */
export async function runDocument(
  prisma: PrismaClient,
  runId: string,
  kind: DocumentKind,
  now: Date,
): Promise<{ body: Buffer; fileName: string; run: RunDetail }> {
  const run = await getRun(prisma, runId, now, { discrepancies: false });
  if (run.nothingToBill) {
    throw problems.conflict("nothing_to_bill", "This run bills ¥0: there is no invoice (請求なし)");
  }
  const writers = await import("./invoices.js");
  if (run.status !== "finalized") {
    const f = (await writers.runDocuments(run, await invoiceContext(prisma, run), now))[kind];
    return { body: f.body, fileName: f.fileName, run };
  }
  const find = () =>
    prisma.billingDocument.findUnique({
      where: { runId_kind: { runId, kind } },
      select: { body: true, fileName: true },
    });
  let doc = await find();
  if (!doc) {
    await storeDocuments(prisma, run, writers);
    doc = await find();
    if (!doc) throw new Error(`billing run ${runId}: its ${kind} could not be stored`);
    run.documents = (await getRun(prisma, runId, now, { discrepancies: false })).documents;
  }
  return { body: Buffer.from(doc.body), fileName: doc.fileName, run };
}

/** For readers: 404 unless the actor may read this run. */
export async function readableRun(prisma: PrismaClient, actor: Actor, runId: string): Promise<void> {
  const run = await prisma.billingRun.findUnique({ where: { id: runId }, select: { associationId: true } });
  if (!run) throw problems.notFound("billing run");
  if (actor.role === "association" && run.associationId !== actor.associationId) {
    throw problems.notFound("billing run");
  }
  if (actor.role !== "association" && actor.role !== "prefecture") throw problems.forbidden();
}
