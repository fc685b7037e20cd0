/**
 * Billing runs (請求) in the database: compute or recompute the drafts of an association's month (one run per
 * municipality), review, finalize (numbered, immutable), read them with their lines, discrepancies and totals.
 * The arithmetic is the pure engine's (hub/billing/engine.ts); this module only gathers its input and stores its
 * output.
 */
import { createHash, randomUUID } from "node:crypto";
import { bulkInsert } from "../db/bulk.js";
import type { Db, Prisma, PrismaClient } from "../db/client.js";
import { copyRows, isUniqueViolation } from "../db/driver.js";
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

type Client = PrismaClient | Prisma.TransactionClient;

/**
 * A booking with what billing needs: its own columns, who it is for (resident, voucher), its usage report's copay
 * and its latest confirmed 過誤 correction. Dates are "YYYY-MM-DD".
 */
export type BookingRow = Omit<BillableBooking, "residentRef" | "feeWaiver" | "correction"> & {
  feeWaiver: string | null;
  resident: {
    municipalityCode: string;
    externalId: string | null;
    familyName: string;
    givenName: string;
  } | null;
  voucher: { municipalityCode: string; number: string } | null;
  usageReport: { copayCollected: number } | null;
  correction: {
    kind: string;
    reason: string;
    units: number | null;
    fee: number | null;
    residentCopay: number | null;
  } | null;
};

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
    serviceType: b.serviceType,
    startDate: b.startDate,
    endDate: b.endDate,
    units: b.units,
    fee: b.fee,
    residentCopay: b.residentCopay,
    municipalityShare: b.municipalityShare,
    cancellationFee: b.cancellationFee,
    feeMunicipalityShare: b.feeMunicipalityShare,
    feeWaiver: b.feeWaiver,
    policyVersionId: b.policyVersionId,
    correction: correctionOf(b.correction),
  };
}

function correctionOf(c: BookingRow["correction"]): Correction | null {
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

/** A booking as billableBookings reads it: one flat row. */
type RawBooking = {
  id: string;
  status: string;
  facility_id: string;
  resident_id: string | null;
  service_type: string;
  start_date: string;
  end_date: string;
  units: number;
  fee: number;
  resident_copay: number;
  municipality_share: number;
  cancellation_fee: number;
  fee_municipality_share: number;
  fee_waiver: string | null;
  policy_version_id: string | null;
  r_municipality_code: string | null;
  r_external_id: string | null;
  r_family_name: string | null;
  r_given_name: string | null;
  v_municipality_code: string | null;
  v_number: string | null;
  u_copay_collected: number | null;
  c_kind: string | null;
  c_reason: string | null;
  c_units: number | null;
  c_fee: number | null;
  c_resident_copay: number | null;
};

function fromRaw(r: RawBooking): BookingRow {
  return {
    id: r.id,
    status: r.status,
    facilityId: r.facility_id,
    residentId: r.resident_id,
    serviceType: r.service_type as ServiceType,
    startDate: r.start_date,
    endDate: r.end_date,
    units: r.units,
    fee: r.fee,
    residentCopay: r.resident_copay,
    municipalityShare: r.municipality_share,
    cancellationFee: r.cancellation_fee,
    feeMunicipalityShare: r.fee_municipality_share,
    feeWaiver: r.fee_waiver,
    policyVersionId: r.policy_version_id,
    resident:
      r.r_municipality_code === null
        ? null
        : {
            municipalityCode: r.r_municipality_code,
            externalId: r.r_external_id,
            familyName: r.r_family_name ?? "",
            givenName: r.r_given_name ?? "",
          },
    voucher:
      r.v_municipality_code === null || r.v_number === null
        ? null
        : { municipalityCode: r.v_municipality_code, number: r.v_number },
    usageReport: r.u_copay_collected === null ? null : { copayCollected: r.u_copay_collected },
    correction:
      r.c_kind === null
        ? null
        : {
            kind: r.c_kind,
            reason: r.c_reason ?? "",
            units: r.c_units,
            fee: r.c_fee,
            residentCopay: r.c_resident_copay,
          },
  };
}

/** One SQL read with $1… parameters. */
export type Read = <T>(sql: string, params: unknown[]) => Promise<T[]>;

/** Reads through Prisma: inside a Prisma transaction, the transaction's. */
export const prismaRead =
  (db: Client): Read =>
  (sql, params) =>
    db.$queryRawUnsafe(sql, ...params);

/**
 * Reads on the driver (hub/db/driver.ts), which decodes a national-scale month's 36,000 rows at about half Prisma's
 * CPU, without parallel workers: PostgreSQL planned that read with two, which tripled its CPU (about 1.2 s against
 * 0.4 s a month) and took the cores that bookings made meanwhile need, for an answer that came no sooner on a 2-core
 * server. Nor with JIT compilation, which the server's default turns on for a read this size: compiling it took
 * ~50 ms of a month's ~0.4 s read and made it no faster. The settings hold for the read's own transaction.
 */
export function bulkRead(db: Db): Read {
  return <T>(sql: string, params: unknown[]) =>
    db.driverTransaction(async (tx) => {
      await tx.query(
        "SELECT set_config('max_parallel_workers_per_gather', '0', true), set_config('jit', 'off', true)",
      );
      return (await tx.query<T>(sql, params)).rows;
    });
}

/**
 * The bookings of an association's facilities whose service starts in [from, to) ("YYYY-MM-DD"), billed to one
 * municipality when `municipalityCode` is given, with what billing needs, in one joined read of only the columns
 * used. (Prisma's relation reads, one query per relation with one parameter per booking, took ~6 s for a
 * national-scale month of 36,000 bookings; this takes a fraction of a second.)
 */
export async function billableBookings(
  read: Read,
  filter: { associationId: string; from: string; to: string; municipalityCode?: string },
): Promise<BookingRow[]> {
  const rows = await read<RawBooking>(
    `SELECT b.id::text AS id, b.status::text AS status, b.facility_id::text AS facility_id,
        b.resident_id::text AS resident_id, b.service_type::text AS service_type,
        to_char(b.start_date, 'YYYY-MM-DD') AS start_date, to_char(b.end_date, 'YYYY-MM-DD') AS end_date,
        b.units, b.fee, b.resident_copay, b.municipality_share, b.cancellation_fee, b.fee_municipality_share,
        b.fee_waiver, b.policy_version_id::text AS policy_version_id,
        r.municipality_code::text AS r_municipality_code, r.external_id AS r_external_id,
        r.family_name AS r_family_name, r.given_name AS r_given_name,
        v.municipality_code::text AS v_municipality_code, v.number AS v_number,
        u.copay_collected AS u_copay_collected,
        c.kind::text AS c_kind, c.reason AS c_reason, c.units AS c_units, c.fee AS c_fee,
        c.resident_copay AS c_resident_copay
      FROM booking b
      JOIN facility f ON f.id = b.facility_id
      LEFT JOIN resident r ON r.id = b.resident_id
      LEFT JOIN voucher v ON v.id = b.voucher_id
      LEFT JOIN usage_report u ON u.booking_id = b.id
      -- The latest confirmed 過誤 correction, if any. Joined as a set, not looked up booking by booking: corrections
      -- are rare beside bookings, and a lookup per booking was ~60 ms of a national-scale month's ~0.4 s read.
      LEFT JOIN (SELECT DISTINCT ON (bc.booking_id) bc.booking_id, bc.kind, bc.reason, bc.units, bc.fee,
            bc.resident_copay
          FROM booking_correction bc WHERE bc.status = 'confirmed'
          ORDER BY bc.booking_id, bc.decided_at DESC NULLS FIRST, bc.id) c ON c.booking_id = b.id
      WHERE f.association_id = $1
        AND b.start_date >= $2::date AND b.start_date < $3::date
        AND ($4::text IS NULL OR COALESCE(v.municipality_code, r.municipality_code) = $4::text)`,
    [filter.associationId, filter.from, filter.to, filter.municipalityCode ?? null],
  );
  return rows.map(fromRaw);
}

/**
 * Every municipality's engine result for an association's month (or one municipality's). The bookings are read
 * with `read`: by default through `db`, which inside a transaction must be so.
 */
export async function computeMonth(
  db: Client,
  associationId: string,
  month: Month,
  now: Date,
  only?: string,
  read: Read = prismaRead(db),
): Promise<Map<string, EngineResult>> {
  const rows = await billableBookings(read, {
    associationId,
    from: formatDate(month.start),
    to: formatDate(month.end),
    ...(only ? { municipalityCode: only } : {}),
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
      await billableBookings(read, {
        associationId,
        from: formatDate(first.start),
        to: formatDate(month.start),
        ...(only ? { municipalityCode: only } : {}),
      })
    ).filter((b) => earlierFinal.has(`${municipalityOf(b)}|${b.startDate.slice(0, 7)}`));
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

  // Every municipality's setting (one row each at most): cheaper than naming 1,400 codes in the query.
  const settings = await db.municipalityBillingSetting.findMany({
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
        startDate: b.startDate,
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

/**
 * A draft line as a row of billing_line for copyRows and bulkInsert (every column, dates as "YYYY-MM-DD", which a
 * DATE column takes as it is).
 */
function lineRow(runId: string, l: DraftLine): Record<string, unknown> {
  return {
    runId,
    kind: l.kind,
    bookingId: l.bookingId,
    facilityId: l.facilityId,
    residentId: l.residentId,
    residentRef: l.residentRef,
    serviceType: l.serviceType,
    startDate: l.startDate,
    endDate: l.endDate,
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
    adjustsLineId: l.adjustsLineId,
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

/** One run's lines replaced (a finalization that found them changed): one municipality's, a few hundred at most. */
async function replaceLines(db: Client, runId: string, lines: DraftLine[]) {
  await db.billingLine.deleteMany({ where: { runId } });
  await bulkInsert(
    db,
    "billing_line",
    lines.map((l) => lineRow(runId, l)),
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
async function runTotals(db: Client, runIds: string[]): Promise<Map<string, Totals>> {
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

async function municipalityNames(db: Client, codes: string[]): Promise<Map<string, string>> {
  if (!codes.length) return new Map();
  // One array parameter: a national-scale month names 1,400 municipalities.
  const ms = await db.$queryRaw<{ code: string; name: string }[]>`
    SELECT code::text AS code, name FROM municipality WHERE code = ANY(${codes}::text[])`;
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
  db: Db,
  opts: { associationId: string; month: Month; municipalityCode?: string; actorId: string | null; now: Date },
): Promise<{ items: RunSummary[]; skipped: string[] }> {
  const { associationId, month, now } = opts;
  const prisma = db.prisma;
  if (opts.municipalityCode) {
    const m = await prisma.municipality.findUnique({ where: { code: opts.municipalityCode } });
    if (!m) throw problems.notFound("municipality");
  }
  const results = await computeMonth(prisma, associationId, month, now, opts.municipalityCode, bulkRead(db));
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
  const totals = new Map<string, Totals>();
  const updates: { id: string; total: number; createdBy: string | null }[] = [];
  // As Prisma's create would: created and updated now by the process clock.
  const at = new Date();
  const creates: Record<string, unknown>[] = [];
  const lines: Record<string, unknown>[] = [];
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
    totals.set(id, result.totals);
    if (prior) updates.push({ id, total: result.totals.amount, createdBy: opts.actorId ?? prior.createdBy });
    else {
      creates.push({
        id,
        associationId,
        municipalityCode: code,
        month: month.text,
        status: "draft",
        total: result.totals.amount,
        createdBy: opts.actorId,
        createdAt: at,
        updatedAt: at,
      });
    }
    for (const l of result.lines) lines.push(lineRow(id, l));
  }
  // One transaction for the month: every draft is replaced together, and never a finalized run. Set-based, with
  // the time a national-scale month needs (1,400 municipalities' runs and tens of thousands of lines): the runs
  // changed as one JSON parameter, the new runs and the lines through COPY (hub/db/driver.ts).
  await db.driverTransaction(async (tx) => {
    if (updates.length) {
      const changed = JSON.stringify(
        updates.map((u) => ({ id: u.id, total: u.total, created_by: u.createdBy })),
      );
      await tx.query(
        "DELETE FROM billing_line WHERE run_id IN (SELECT id FROM json_to_recordset($1::json) AS u(id uuid))",
        [changed],
      );
      const updated = await tx.query(
        `UPDATE billing_run r SET status = 'draft', total = u.total, reviewed_at = NULL, reviewed_by = NULL,
          created_by = u.created_by, updated_at = $2::timestamp
        FROM json_to_recordset($1::json) AS u(id uuid, total int, created_by uuid)
        WHERE r.id = u.id AND r.status <> 'finalized'`,
        [changed, now.toISOString()],
      );
      if (updated.count !== updates.length) {
        throw problems.conflict(
          "run_finalized",
          "A run of this month was finalized meanwhile; run the month again",
        );
      }
    }
    // A run of the month made meanwhile by someone else is a conflict, as an update of a run finalized meanwhile.
    try {
      await copyRows(tx, "billing_run", creates);
    } catch (e) {
      if (isUniqueViolation(e)) {
        throw problems.conflict("run_changed", "The month's runs changed meanwhile; run the month again");
      }
      throw e;
    }
    await copyRows(tx, "billing_line", lines);
  });
  const wanted = new Set(ids);
  const runs = (
    await prisma.billingRun.findMany({
      where: {
        associationId,
        month: month.text,
        ...(opts.municipalityCode ? { municipalityCode: opts.municipalityCode } : {}),
      },
      include: runInclude,
      orderBy: { municipalityCode: "asc" },
    })
  ).filter((r) => wanted.has(r.id));
  const names = await municipalityNames(
    prisma,
    runs.map((r) => r.municipalityCode),
  );
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

async function withFacilityNames(prisma: Client, totals: ReturnType<typeof totalsByFacility>) {
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
async function lineRefs(db: Client, ids: string[]): Promise<Map<string, LineRef>> {
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
  prisma: Client,
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

async function loadForChange(prisma: Client, runId: string, associationId: string) {
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
async function storeDocuments(db: Client, run: RunDetail, writers: Writers): Promise<void> {
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
