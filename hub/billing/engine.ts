/**
 * The billing engine (請求): one association's month of services for one municipality → billing lines, totals and
 * the discrepancies to look at before finalizing. Pure: no I/O, no clock (today is given), the same input always
 * gives the same output. The I/O around it lives in hub/billing/runs.ts.
 *
 * Rules, decided here:
 * - A booking is billed to the municipality that issued its voucher (else the resident's municipality), by the
 *   association its facility belongs to, in the month of its service (start) date.
 * - A use (`used` or `reported`) is billed the booking's `municipalityShare`: units × fee − copay under the policy
 *   version recorded on the booking, 減免 and add-ons included (what the entitlement engine decided at booking).
 * - A `cancelled` booking with `feeMunicipalityShare` > 0 is billed that share of the cancellation fee.
 * - Anything else is billed nothing. A cancellation whose resident claimed a no-fee reason that nobody has decided
 *   yet (`feeWaiver` = "claimed") is free until then and listed as a discrepancy; declined, its fee is billed
 *   (as an adjustment when its month is already finalized).
 * - A finalized run never changes. When a booking of an earlier finalized month now should be billed a different
 *   amount than every finalized line for it adds up to (cancelled after billing, amounts changed, a use redeemed
 *   after its month was finalized), the draft gets an `adjustment` line for the difference, pointing at the last
 *   finalized line of the booking (none for a use first billed late).
 * - Money is integer yen; the run's total is the sum of its lines.
 * - A confirmed 過誤 correction of a use is billed instead of the booking's amounts: 取消 bills nothing, 修正 the
 *   corrected units, fee and copay; for a finalized month that is an adjustment naming the line it corrects.
 * - Every line adds up: 委託料 − 利用者負担額 + キャンセル料 − キャンセル料の利用者負担 = 請求額 (fee − residentCopay +
 *   cancellationFee − cancellationCopay = amount), and so does every total. A use fills the first two, a
 *   cancellation fee the next two; an adjustment carries each column's difference (what is billable now less what
 *   the finalized lines billed), with the amounts before (訂正前) and after (訂正後).
 */

export type ServiceType = "stay" | "day" | "visit";
export type BillingLineKind = "use" | "cancellation_fee" | "adjustment";

export type BillableBooking = {
  id: string;
  status: string;
  facilityId: string;
  residentId: string | null;
  /** The resident as the municipality knows them (宛名番号), else the voucher number; "" when neither. */
  residentRef: string;
  serviceType: ServiceType;
  /** "YYYY-MM-DD" */
  startDate: string;
  endDate: string;
  units: number;
  fee: number;
  residentCopay: number;
  municipalityShare: number;
  cancellationFee: number;
  feeMunicipalityShare: number;
  /** "claimed" while the resident's own no-fee reason awaits the facility's or municipality's decision. */
  feeWaiver?: string | null;
  policyVersionId: string | null;
  /** A confirmed 過誤 correction of a use: billed instead of what the booking recorded. */
  correction?: Correction | null;
};

/** 取消 (the use is not billed at all) or 修正 (units, fee and copay as they should have been), with a reason. */
export type Correction =
  | { kind: "void"; reason: string }
  | { kind: "amend"; reason: string; units: number; fee: number; residentCopay: number };

export type ReportFact = {
  bookingId: string;
  /** The booking's status now (a report may outlive its use being undone). */
  bookingStatus: string;
  copayCollected: number;
  expectedCopay: number;
  facilityId: string;
  residentRef: string;
  startDate: string;
};

/** The money columns of a line; they add up: fee − residentCopay + cancellationFee − cancellationCopay = amount. */
export type LineColumns = {
  units: number;
  /** 委託料 of a use. */
  fee: number;
  /** 利用者負担額 of a use. */
  residentCopay: number;
  /** キャンセル料 (the whole fee). */
  cancellationFee: number;
  /** The resident's part of the cancellation fee. */
  cancellationCopay: number;
  /** 請求額: what the municipality is billed. */
  amount: number;
};

const COLUMNS = ["units", "fee", "residentCopay", "cancellationFee", "cancellationCopay", "amount"] as const;
const NONE: LineColumns = {
  units: 0,
  fee: 0,
  residentCopay: 0,
  cancellationFee: 0,
  cancellationCopay: 0,
  amount: 0,
};

/** Whether a line's columns add up (see LineColumns). */
export const addsUp = (l: LineColumns) =>
  l.fee - l.residentCopay + l.cancellationFee - l.cancellationCopay === l.amount;

/** A line of a finalized run, as far as adjustments need it (columns left out count as 0). */
export type FinalizedLine = Partial<LineColumns> & {
  id: string;
  bookingId: string;
  amount: number;
  /** "YYYY-MM" of the run it belongs to. */
  month: string;
};

export type DraftLine = LineColumns & {
  kind: BillingLineKind;
  bookingId: string | null;
  facilityId: string;
  residentId: string | null;
  residentRef: string;
  serviceType: ServiceType | null;
  startDate: string | null;
  endDate: string | null;
  policyVersionId: string | null;
  note: string;
  adjustsLineId: string | null;
  /** An adjustment: what the finalized lines billed for the booking (訂正前) and what is billable now (訂正後). */
  amountBefore: number | null;
  amountAfter: number | null;
};

export type DiscrepancyCode =
  | "unredeemed"
  | "unreported"
  | "report_without_use"
  | "copay_mismatch"
  | "fee_waiver_pending";

export type Discrepancy = {
  code: DiscrepancyCode;
  bookingId: string;
  facilityId: string;
  residentRef: string;
  startDate: string;
  status: string;
  expected?: number;
  actual?: number;
};

export type Totals = LineColumns & { lines: number };

export type FacilityTotals = Totals & { facilityId: string };

export type EngineInput = {
  /** "YYYY-MM" being billed. */
  month: string;
  /** Today in Asia/Tokyo, "YYYY-MM-DD": a confirmed booking that started before it was not redeemed. */
  today: string;
  /** Every booking of the month (any status) of the association's facilities for the municipality. */
  bookings: readonly BillableBooking[];
  /** The usage reports of the month's bookings. */
  reports: readonly ReportFact[];
  /**
   * Bookings of earlier months whose run is finalized (for adjustments), in their current state; bookings of
   * the billed month itself in this list are ignored.
   */
  earlierBookings: readonly BillableBooking[];
  /** Every line, with a booking, of this association × municipality's finalized runs. */
  finalizedLines: readonly FinalizedLine[];
};

export type EngineResult = {
  lines: DraftLine[];
  discrepancies: Discrepancy[];
  totals: Totals;
  byFacility: FacilityTotals[];
};

const USED = new Set(["used", "reported"]);

/** What a booking should be billed now, and as what kind of line (null: nothing). */
export function billable(b: BillableBooking): { kind: "use" | "cancellation_fee"; amount: number } | null {
  if (USED.has(b.status)) {
    if (b.correction?.kind === "void") return null;
    if (b.correction?.kind === "amend") {
      return { kind: "use", amount: b.correction.fee - b.correction.residentCopay };
    }
    return { kind: "use", amount: b.municipalityShare };
  }
  if (b.status === "cancelled" && b.feeMunicipalityShare > 0) {
    return { kind: "cancellation_fee", amount: b.feeMunicipalityShare };
  }
  return null;
}

/** The columns a booking is billable for now, as a line of `kind` (a use or a cancellation fee), else none. */
function columnsOf(b: BillableBooking): LineColumns {
  const bill = billable(b);
  if (bill?.kind === "use") {
    const c = b.correction?.kind === "amend" ? b.correction : b;
    return { ...NONE, units: c.units, fee: c.fee, residentCopay: c.residentCopay, amount: bill.amount };
  }
  if (bill?.kind === "cancellation_fee") {
    // The resident's part is what the municipality does not pay: the columns add up by construction.
    return {
      ...NONE,
      cancellationFee: b.cancellationFee,
      cancellationCopay: b.cancellationFee - bill.amount,
      amount: bill.amount,
    };
  }
  return { ...NONE };
}

function lineOf(b: BillableBooking, kind: BillingLineKind, columns: LineColumns): DraftLine {
  return {
    kind,
    bookingId: b.id,
    facilityId: b.facilityId,
    residentId: b.residentId,
    residentRef: b.residentRef,
    serviceType: b.serviceType,
    startDate: b.startDate,
    endDate: b.endDate,
    ...columns,
    policyVersionId: b.policyVersionId,
    note: "",
    adjustsLineId: null,
    amountBefore: null,
    amountAfter: null,
  };
}

const byStartThenId = (a: { startDate: string | null; bookingId: string | null }, b: typeof a) =>
  (a.startDate ?? "").localeCompare(b.startDate ?? "") ||
  (a.bookingId ?? "").localeCompare(b.bookingId ?? "");

export function sumLines(lines: readonly Partial<LineColumns>[]): Totals {
  const t: Totals = { lines: 0, ...NONE };
  for (const l of lines) {
    t.lines++;
    for (const c of COLUMNS) t[c] += l[c] ?? 0;
  }
  return t;
}

export function totalsByFacility(
  lines: readonly (Partial<LineColumns> & { facilityId: string })[],
): FacilityTotals[] {
  const groups = new Map<string, (typeof lines)[number][]>();
  for (const l of lines) {
    const g = groups.get(l.facilityId);
    if (g) g.push(l);
    else groups.set(l.facilityId, [l]);
  }
  return [...groups]
    .map(([facilityId, ls]) => ({ facilityId, ...sumLines(ls) }))
    .sort((a, b) => a.facilityId.localeCompare(b.facilityId));
}

/** The month's lines (uses, cancellation fees, adjustments), discrepancies and totals. */
export function computeBilling(input: EngineInput): EngineResult {
  const lines: DraftLine[] = [];
  for (const b of input.bookings) {
    const bill = billable(b);
    if (bill) lines.push(lineOf(b, bill.kind, columnsOf(b)));
  }
  lines.sort(byStartThenId);

  // Adjustments of earlier finalized months: per booking, the sum of its finalized lines' columns.
  const billed = new Map<string, { sum: LineColumns; last: FinalizedLine }>();
  for (const l of input.finalizedLines) {
    const cur = billed.get(l.bookingId);
    if (!cur) billed.set(l.bookingId, { sum: { ...NONE, ...pickColumns(l) }, last: l });
    else {
      for (const c of COLUMNS) cur.sum[c] += l[c] ?? 0;
      if (l.month > cur.last.month || (l.month === cur.last.month && compareIds(l.id, cur.last.id) > 0)) {
        cur.last = l;
      }
    }
  }
  const adjustments: DraftLine[] = [];
  const seen = new Set<string>();
  for (const b of input.earlierBookings) {
    if (b.startDate.slice(0, 7) >= input.month || seen.has(b.id)) continue;
    seen.add(b.id);
    const after = columnsOf(b);
    const prior = billed.get(b.id);
    const before = prior?.sum ?? NONE;
    if (after.amount === before.amount) continue;
    const diff = { ...NONE };
    for (const c of COLUMNS) diff[c] = after[c] - before[c];
    const line = lineOf(b, "adjustment", diff);
    line.adjustsLineId = prior?.last.id ?? null;
    line.amountBefore = before.amount;
    line.amountAfter = after.amount;
    line.note = adjustmentNote(b, prior !== undefined);
    adjustments.push(line);
  }
  adjustments.sort(byStartThenId);
  lines.push(...adjustments);

  return {
    lines,
    discrepancies: findDiscrepancies(input),
    totals: sumLines(lines),
    byFacility: totalsByFacility(lines),
  };
}

/** Why an adjustment line exists, in Japanese for the clerk (the month in 和暦 is added by the documents). */
function adjustmentNote(b: BillableBooking, wasBilled: boolean): string {
  const [y, m] = b.startDate.split("-").map(Number) as [number, number];
  const month = `${y}年${m}月分`;
  if (b.correction && USED.has(b.status)) {
    return `${month} 過誤${b.correction.kind === "void" ? "取消" : "修正"}（${b.correction.reason}）`;
  }
  if (!wasBilled) {
    return b.status === "cancelled"
      ? `${month} 請求確定後に生じたキャンセル料`
      : `${month} 請求確定後に使用済となった利用`;
  }
  if (b.status === "cancelled") return `${month} 請求後のキャンセル（既請求額の取消）`;
  if (!USED.has(b.status)) return `${month} 請求後の取消（既請求額の取消）`;
  return `${month} 金額の訂正`;
}

function pickColumns(l: Partial<LineColumns>): Partial<LineColumns> {
  const out: Partial<LineColumns> = {};
  for (const c of COLUMNS) if (l[c] !== undefined) out[c] = l[c];
  return out;
}

/** Numeric ids (BigInt as text) compare by value. */
function compareIds(a: string, b: string): number {
  return a.length - b.length || a.localeCompare(b);
}

/** What to look at before finalizing, oldest service first. */
export function findDiscrepancies(input: Pick<EngineInput, "today" | "bookings" | "reports">): Discrepancy[] {
  const out: Discrepancy[] = [];
  const reported = new Set(input.reports.map((r) => r.bookingId));
  for (const b of input.bookings) {
    const base = {
      bookingId: b.id,
      facilityId: b.facilityId,
      residentRef: b.residentRef,
      startDate: b.startDate,
      status: b.status,
    };
    if (b.status === "confirmed" && b.startDate < input.today) out.push({ code: "unredeemed", ...base });
    if (b.status === "used" && !reported.has(b.id)) out.push({ code: "unreported", ...base });
    if (b.status === "cancelled" && b.feeWaiver === "claimed")
      out.push({ code: "fee_waiver_pending", ...base });
  }
  for (const r of input.reports) {
    const base = {
      bookingId: r.bookingId,
      facilityId: r.facilityId,
      residentRef: r.residentRef,
      startDate: r.startDate,
      status: r.bookingStatus,
    };
    if (!USED.has(r.bookingStatus)) out.push({ code: "report_without_use", ...base });
    else if (r.copayCollected !== r.expectedCopay) {
      out.push({ code: "copay_mismatch", ...base, expected: r.expectedCopay, actual: r.copayCollected });
    }
  }
  const order: Record<DiscrepancyCode, number> = {
    unredeemed: 0,
    unreported: 1,
    report_without_use: 2,
    copay_mismatch: 3,
    fee_waiver_pending: 4,
  };
  return out.sort(
    (a, b) =>
      a.startDate.localeCompare(b.startDate) ||
      order[a.code] - order[b.code] ||
      a.bookingId.localeCompare(b.bookingId),
  );
}

/**
 * Whether a run has nothing to bill (a total of ¥0): finalized, it gets no invoice number and no documents and is
 * listed as 請求なし, so a clerk never receives a numbered ¥0 invoice.
 */
export const nothingToBill = (run: { total: number }) => run.total === 0;

/** "医-2026-11-041009": the invoice number of a finalized run. */
export function invoiceNumber(associationId: string, month: string, municipalityCode: string): string {
  const prefix = associationId === "medical" ? "医" : associationId === "midwife" ? "助" : associationId;
  return `${prefix}-${month}-${municipalityCode}`;
}

/** Whether two computations bill the same lines (a reviewed run must still match when it is finalized). */
export function sameLines(a: readonly DraftLine[], b: readonly DraftLine[]): boolean {
  if (a.length !== b.length) return false;
  const key = (l: DraftLine) =>
    [
      l.kind,
      l.bookingId,
      l.facilityId,
      ...COLUMNS.map((c) => l[c]),
      l.adjustsLineId,
      l.amountBefore,
      l.amountAfter,
    ].join("|");
  const ka = a.map(key).sort();
  const kb = b.map(key).sort();
  return ka.every((k, i) => k === kb[i]);
}
