import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addsUp,
  type BillableBooking,
  billable,
  computeBilling,
  type EngineInput,
  findDiscrepancies,
  invoiceNumber,
  type ReportFact,
  sameLines,
  sumLines,
  totalsByFacility,
} from "./engine.js";

let n = 0;
function booking(over: Partial<BillableBooking> = {}): BillableBooking {
  n++;
  return {
    id: `b${String(n).padStart(4, "0")}`,
    status: "used",
    facilityId: "f1",
    residentId: `r${n}`,
    residentRef: `R${n}`,
    serviceType: "day",
    startDate: "2026-10-05",
    endDate: "2026-10-05",
    units: 1,
    fee: 20_000,
    residentCopay: 3_000,
    municipalityShare: 17_000,
    cancellationFee: 0,
    feeMunicipalityShare: 0,
    policyVersionId: "pv1",
    ...over,
  };
}

const input = (over: Partial<EngineInput> = {}): EngineInput => ({
  month: "2026-10",
  today: "2026-11-10",
  bookings: [],
  reports: [],
  earlierBookings: [],
  finalizedLines: [],
  ...over,
});

const report = (b: BillableBooking, copayCollected = b.residentCopay): ReportFact => ({
  bookingId: b.id,
  bookingStatus: b.status,
  copayCollected,
  expectedCopay: b.residentCopay,
  facilityId: b.facilityId,
  residentRef: b.residentRef,
  startDate: b.startDate,
});

describe("billable", () => {
  it("bills a use its municipality share, 減免 and add-ons included", () => {
    expect(billable(booking({ status: "used", municipalityShare: 12_345 }))).toEqual({
      kind: "use",
      amount: 12_345,
    });
    expect(billable(booking({ status: "reported", municipalityShare: 9 }))).toEqual({
      kind: "use",
      amount: 9,
    });
  });
  it("bills the municipality's share of a cancellation fee, and nothing for a free cancellation", () => {
    expect(billable(booking({ status: "cancelled", feeMunicipalityShare: 5_000 }))).toEqual({
      kind: "cancellation_fee",
      amount: 5_000,
    });
    expect(billable(booking({ status: "cancelled", feeMunicipalityShare: 0 }))).toBeNull();
  });
  it.each(["requested", "confirmed", "rejected", "expired", "no_show"])("bills nothing for %s", (status) => {
    expect(billable(booking({ status }))).toBeNull();
  });
});

describe("computeBilling", () => {
  it("makes one line per billable booking with totals and per-facility totals", () => {
    const a = booking({
      facilityId: "f1",
      units: 2,
      fee: 60_000,
      residentCopay: 6_000,
      municipalityShare: 54_000,
    });
    const b = booking({ facilityId: "f2", status: "reported", startDate: "2026-10-01" });
    const c = booking({
      facilityId: "f2",
      status: "cancelled",
      cancellationFee: 10_000,
      feeMunicipalityShare: 5_000,
      startDate: "2026-10-20",
    });
    const d = booking({ status: "cancelled" });
    const e = booking({ status: "rejected" });
    const r = computeBilling(input({ bookings: [a, b, c, d, e], reports: [report(b)] }));
    expect(r.lines.map((l) => [l.kind, l.bookingId, l.amount])).toEqual([
      ["use", b.id, 17_000],
      ["use", a.id, 54_000],
      ["cancellation_fee", c.id, 5_000],
    ]);
    const fee = r.lines.find((l) => l.kind === "cancellation_fee");
    // The cancellation fee and the resident's part of it have columns of their own: the line adds up.
    expect(fee).toMatchObject({
      units: 0,
      fee: 0,
      residentCopay: 0,
      cancellationFee: 10_000,
      cancellationCopay: 5_000,
      amount: 5_000,
    });
    const none = { cancellationFee: 0, cancellationCopay: 0 };
    expect(r.totals).toEqual({
      lines: 3,
      units: 3,
      fee: 80_000,
      residentCopay: 9_000,
      cancellationFee: 10_000,
      cancellationCopay: 5_000,
      amount: 76_000,
    });
    expect(r.byFacility).toEqual([
      { facilityId: "f1", lines: 1, units: 2, fee: 60_000, residentCopay: 6_000, ...none, amount: 54_000 },
      {
        facilityId: "f2",
        lines: 2,
        units: 1,
        fee: 20_000,
        residentCopay: 3_000,
        cancellationFee: 10_000,
        cancellationCopay: 5_000,
        amount: 22_000,
      },
    ]);
    for (const l of [...r.lines, r.totals, ...r.byFacility]) expect(addsUp(l)).toBe(true);
  });

  it("keeps the amounts of the policy version recorded on each booking (rules changed mid-month)", () => {
    const old = booking({
      policyVersionId: "v1",
      fee: 20_000,
      residentCopay: 3_000,
      municipalityShare: 17_000,
    });
    const neu = booking({
      policyVersionId: "v2",
      fee: 22_000,
      residentCopay: 2_000,
      municipalityShare: 20_000,
    });
    const r = computeBilling(input({ bookings: [old, neu] }));
    expect(r.lines.map((l) => [l.policyVersionId, l.amount])).toEqual([
      ["v1", 17_000],
      ["v2", 20_000],
    ]);
    expect(r.totals.amount).toBe(37_000);
  });

  it("is empty for a month with nothing billable", () => {
    const r = computeBilling(
      input({ bookings: [booking({ status: "confirmed", startDate: "2026-12-01" })] }),
    );
    expect(r).toEqual({
      lines: [],
      discrepancies: [],
      totals: {
        lines: 0,
        units: 0,
        fee: 0,
        residentCopay: 0,
        cancellationFee: 0,
        cancellationCopay: 0,
        amount: 0,
      },
      byFacility: [],
    });
  });

  it("adds a negative adjustment for a booking cancelled after its month was finalized", () => {
    const b = booking({ startDate: "2026-09-10", endDate: "2026-09-10", status: "cancelled" });
    const r = computeBilling(
      input({
        earlierBookings: [b],
        finalizedLines: [
          {
            id: "41",
            bookingId: b.id,
            units: 1,
            fee: 20_000,
            residentCopay: 3_000,
            cancellationFee: 0,
            cancellationCopay: 0,
            amount: 17_000,
            month: "2026-09",
          },
        ],
      }),
    );
    expect(r.lines).toHaveLength(1);
    // Each column is what is billable now less what was billed: the adjustment adds up too.
    expect(r.lines[0]).toMatchObject({
      kind: "adjustment",
      bookingId: b.id,
      amount: -17_000,
      adjustsLineId: "41",
      units: -1,
      fee: -20_000,
      residentCopay: -3_000,
      amountBefore: 17_000,
      amountAfter: 0,
    });
    expect(addsUp(r.lines[0]!)).toBe(true);
    expect(r.totals.amount).toBe(-17_000);
  });

  it("adjusts to the cancellation fee share when a billed use is cancelled with a fee", () => {
    const b = booking({ startDate: "2026-09-10", status: "cancelled", feeMunicipalityShare: 4_000 });
    const r = computeBilling(
      input({
        earlierBookings: [b],
        finalizedLines: [{ id: "7", bookingId: b.id, amount: 17_000, month: "2026-09" }],
      }),
    );
    expect(r.lines.map((l) => l.amount)).toEqual([-13_000]);
    expect(r.lines[0]).toMatchObject({ amountBefore: 17_000, amountAfter: 4_000 });
  });

  it("adds a positive adjustment when amounts grew, and refers to the last finalized line", () => {
    const b = booking({ startDate: "2026-08-10", municipalityShare: 20_000 });
    const r = computeBilling(
      input({
        earlierBookings: [b],
        finalizedLines: [
          { id: "9", bookingId: b.id, amount: 17_000, month: "2026-08" },
          { id: "10", bookingId: b.id, amount: 1_000, month: "2026-09" },
        ],
      }),
    );
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatchObject({ kind: "adjustment", amount: 2_000, adjustsLineId: "10", units: 1 });
  });

  it("bills late a use redeemed after its month was finalized, and nothing when all is settled", () => {
    const late = booking({ startDate: "2026-09-03" });
    const settled = booking({ startDate: "2026-09-04" });
    const r = computeBilling(
      input({
        earlierBookings: [late, settled],
        finalizedLines: [{ id: "3", bookingId: settled.id, amount: 17_000, month: "2026-09" }],
      }),
    );
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatchObject({
      kind: "adjustment",
      bookingId: late.id,
      amount: 17_000,
      adjustsLineId: null,
    });
  });

  it("ignores bookings of the billed month or later in the earlier list", () => {
    const b = booking({ startDate: "2026-10-03" });
    const r = computeBilling(input({ earlierBookings: [b] }));
    expect(r.lines).toEqual([]);
  });

  it("never bills twice: the ledger (finalized lines + this draft) equals what is billable now", () => {
    const arb = fc.array(
      fc.record({
        share: fc.integer({ min: 0, max: 100_000 }),
        feeShare: fc.integer({ min: 0, max: 20_000 }),
        status: fc.constantFrom("used", "reported", "cancelled", "confirmed", "no_show"),
        billedParts: fc.array(fc.integer({ min: -50_000, max: 100_000 }), { maxLength: 3 }),
      }),
      { maxLength: 30 },
    );
    fc.assert(
      fc.property(arb, (rows) => {
        const earlier = rows.map((r, i) =>
          booking({
            id: `e${i}`,
            startDate: "2026-09-15",
            status: r.status,
            municipalityShare: r.share,
            feeMunicipalityShare: r.feeShare,
          }),
        );
        const finalizedLines = rows.flatMap((r, i) =>
          r.billedParts.map((amount, j) => ({
            id: String(i * 10 + j),
            bookingId: `e${i}`,
            amount,
            month: "2026-09",
          })),
        );
        const result = computeBilling(input({ earlierBookings: earlier, finalizedLines }));
        const ledger = finalizedLines.reduce((s, l) => s + l.amount, 0) + result.totals.amount;
        const billableNow = earlier.reduce((s, b) => s + (billable(b)?.amount ?? 0), 0);
        expect(ledger).toBe(billableNow);
        expect(result.lines.every((l) => l.kind === "adjustment" && l.amount !== 0)).toBe(true);
      }),
    );
  });
});

describe("discrepancies", () => {
  it("lists a confirmed booking whose date has passed, and not one still to come", () => {
    const past = booking({ status: "confirmed", startDate: "2026-10-30" });
    const today = booking({ status: "confirmed", startDate: "2026-11-10" });
    const d = findDiscrepancies({ today: "2026-11-10", bookings: [past, today], reports: [] });
    expect(d.map((x) => [x.code, x.bookingId])).toEqual([["unredeemed", past.id]]);
  });
  it("lists a redemption with no report, but not a reported one", () => {
    const used = booking({ status: "used" });
    const withReport = booking({ status: "used" });
    const d = findDiscrepancies({
      today: "2026-11-10",
      bookings: [used, withReport],
      reports: [report(withReport)],
    });
    expect(d.map((x) => [x.code, x.bookingId])).toEqual([["unreported", used.id]]);
  });
  it("lists a report whose booking is not used, and a copay collected that differs", () => {
    const cancelled = booking({ status: "cancelled" });
    const paidMore = booking({ status: "reported", residentCopay: 3_000 });
    const d = findDiscrepancies({
      today: "2026-11-10",
      bookings: [cancelled, paidMore],
      reports: [report(cancelled), report(paidMore, 3_500)],
    });
    expect(d).toEqual([
      expect.objectContaining({ code: "report_without_use", bookingId: cancelled.id, status: "cancelled" }),
      expect.objectContaining({
        code: "copay_mismatch",
        bookingId: paidMore.id,
        expected: 3_000,
        actual: 3_500,
      }),
    ]);
  });
  it("lists a resident's undecided claim of a free cancellation, which bills nothing until declined", () => {
    const claimed = booking({ status: "cancelled", feeWaiver: "claimed" });
    const decided = booking({ status: "cancelled", feeWaiver: "accepted" });
    const declined = booking({ status: "cancelled", feeWaiver: "declined", feeMunicipalityShare: 9_000 });
    const d = findDiscrepancies({ today: "2026-11-10", bookings: [claimed, decided, declined], reports: [] });
    expect(d.map((x) => [x.code, x.bookingId])).toEqual([["fee_waiver_pending", claimed.id]]);
    expect(billable(claimed)).toBeNull();
    expect(billable(declined)).toEqual({ kind: "cancellation_fee", amount: 9_000 });
  });
  it("comes out of computeBilling oldest first", () => {
    const a = booking({ status: "used", startDate: "2026-10-20" });
    const b = booking({ status: "confirmed", startDate: "2026-10-02" });
    const r = computeBilling(input({ bookings: [a, b] }));
    expect(r.discrepancies.map((x) => x.code)).toEqual(["unredeemed", "unreported"]);
  });
});

describe("lines that add up", () => {
  it("every line, adjustment and total: 委託料 − 利用者負担額 + キャンセル料 − その利用者負担 = 請求額", () => {
    const state = fc.record({
      status: fc.constantFrom("used", "reported", "cancelled", "confirmed", "no_show"),
      units: fc.integer({ min: 1, max: 7 }),
      fee: fc.integer({ min: 0, max: 100_000 }),
      copayPart: fc.double({ min: 0, max: 1, noNaN: true }),
      cancellationFee: fc.integer({ min: 0, max: 50_000 }),
      residentPart: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    const asBooking = (
      id: string,
      startDate: string,
      x: ReturnType<typeof state.generate>["value"],
    ): BillableBooking => {
      const copay = Math.floor(x.fee * x.copayPart);
      const feeShare = x.cancellationFee - Math.floor(x.cancellationFee * x.residentPart);
      return booking({
        id,
        startDate,
        endDate: startDate,
        status: x.status,
        units: x.units,
        fee: x.fee,
        residentCopay: copay,
        municipalityShare: x.fee - copay,
        cancellationFee: x.cancellationFee,
        feeMunicipalityShare: feeShare,
      });
    };
    // A booking billed in September (as it was then), and as it is now: October's draft adjusts it.
    fc.assert(
      fc.property(
        fc.array(fc.tuple(state, state), { maxLength: 20 }),
        fc.array(state, { maxLength: 20 }),
        (earlier, now) => {
          const finalized = earlier.flatMap(([then], i) => {
            const sept = computeBilling(
              input({ month: "2026-09", bookings: [asBooking(`e${i}`, "2026-09-10", then)] }),
            );
            return sept.lines.map((l) => ({
              ...l,
              id: String(i + 1),
              bookingId: l.bookingId as string,
              month: "2026-09",
            }));
          });
          const r = computeBilling(
            input({
              bookings: now.map((x, i) => asBooking(`n${i}`, "2026-10-10", x)),
              earlierBookings: earlier.map(([, later], i) => asBooking(`e${i}`, "2026-09-10", later)),
              finalizedLines: finalized,
            }),
          );
          for (const l of [...r.lines, r.totals, ...r.byFacility])
            expect(addsUp(l), JSON.stringify(l)).toBe(true);
          for (const l of r.lines.filter((x) => x.kind === "adjustment")) {
            expect(l.amount).toBe((l.amountAfter ?? 0) - (l.amountBefore ?? 0));
          }
        },
      ),
    );
  });
});

describe("helpers", () => {
  it("numbers invoices per association, month and municipality", () => {
    expect(invoiceNumber("medical", "2026-11", "041009")).toBe("医-2026-11-041009");
    expect(invoiceNumber("midwife", "2026-11", "042072")).toBe("助-2026-11-042072");
  });
  it("sums and groups", () => {
    const ls = [
      { facilityId: "b", units: 1, fee: 10, residentCopay: 1, amount: 9 },
      { facilityId: "a", units: 2, fee: 20, residentCopay: 2, amount: 18 },
      { facilityId: "b", units: 0, fee: 0, residentCopay: 0, amount: -9 },
    ];
    expect(sumLines(ls)).toEqual({
      lines: 3,
      units: 3,
      fee: 30,
      residentCopay: 3,
      cancellationFee: 0,
      cancellationCopay: 0,
      amount: 18,
    });
    expect(totalsByFacility(ls).map((f) => [f.facilityId, f.amount, f.lines])).toEqual([
      ["a", 18, 1],
      ["b", 0, 2],
    ]);
  });
  it("compares line sets regardless of order", () => {
    const a = booking();
    const b = booking({ status: "cancelled", feeMunicipalityShare: 1 });
    const r1 = computeBilling(input({ bookings: [a, b] })).lines;
    const r2 = computeBilling(input({ bookings: [b, a] })).lines;
    expect(sameLines(r1, [...r2].reverse())).toBe(true);
    const r3 = computeBilling(input({ bookings: [a, { ...b, feeMunicipalityShare: 2 }] })).lines;
    expect(sameLines(r1, r3)).toBe(false);
  });
});
