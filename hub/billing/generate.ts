/**
 * A generated year of billing data, for the integration tests and the bench: residents of several
 * municipalities, two policy versions per municipality (the rules change mid-year: fees up, copay down), and
 * bookings of the associations' facilities with the amounts recorded as the entitlement engine records them
 * (fee = units × unit fee + add-ons, copay = units × unit copay + add-on copay, less 減免; share = fee − copay).
 * Deterministic for a seed (ids aside). Not used by the running hub. Rows go in through bulkInsert: at 40× the
 * prefecture a year is 760,000 bookings.
 */
import { randomUUID } from "node:crypto";
import { mulberry32 } from "../../fixtures/demo-data.js";
import { analyze, bulkInsert } from "../db/bulk.js";
import type { Prisma, PrismaClient } from "../db/client.js";
import { addDays } from "../inventory/dates.js";

export type GeneratedYear = {
  months: string[];
  municipalities: string[];
  bookings: number;
  units: number;
  residents: number;
};

/** A small deterministic PRNG: the demo data's. */
export const prng = mulberry32;

const UNIT_FEE = [
  { stay: 30_000, day: 15_000, visit: 9_000 },
  { stay: 33_000, day: 16_500, visit: 9_900 },
] as const;
const UNIT_COPAY = [
  { stay: 3_000, day: 1_500, visit: 1_000 },
  { stay: 2_000, day: 1_000, visit: 500 },
] as const;

export async function generateYear(
  prisma: PrismaClient,
  opts: {
    /** First month, "YYYY-MM"; twelve months from it. */
    from: string;
    municipalities: string[];
    /** Residents to generate; "existing": book for the residents of those municipalities already there instead. */
    residents: number | "existing";
    /** Bookings to create (about 1.4 units each). */
    bookings: number;
    seed?: number;
    /** Mark this many used bookings per month as "used" without a report, etc.: discrepancies. */
    withDiscrepancies?: boolean;
  },
): Promise<GeneratedYear> {
  const rand = prng(opts.seed ?? 42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const [fy, fm] = opts.from.split("-").map(Number) as [number, number];
  const months = Array.from({ length: 12 }, (_, i) =>
    new Date(Date.UTC(fy, fm - 1 + i, 1)).toISOString().slice(0, 7),
  );
  const facilities = await prisma.facility.findMany({
    select: { id: true, associationId: true, services: { select: { serviceType: true } } },
    orderBy: { id: "asc" },
  });
  if (!facilities.length) throw new Error("generateYear needs facilities");

  // Two policy versions per municipality: one from the first month, one from the seventh (rules change). Each
  // copies the rules of the municipality's latest version (else any version), read in one query for all.
  const wanted = new Set(opts.municipalities);
  const latest = new Map<string, { version: number; rules: Prisma.JsonValue }>();
  let anyRules: Prisma.JsonValue | undefined;
  for (const p of await prisma.policyVersion.findMany({
    select: { municipalityCode: true, version: true, rules: true },
    orderBy: [{ municipalityCode: "asc" }, { version: "asc" }],
  })) {
    anyRules ??= p.rules;
    if (wanted.has(p.municipalityCode)) latest.set(p.municipalityCode, p);
  }
  const versions = new Map<string, [string, string]>();
  const versionRows: Prisma.PolicyVersionCreateManyInput[] = [];
  for (const code of opts.municipalities) {
    const base = latest.get(code);
    const v = (base?.version ?? 0) + 1;
    const ids: [string, string] = [randomUUID(), randomUUID()];
    for (const [i, id] of ids.entries()) {
      versionRows.push({
        id,
        municipalityCode: code,
        version: v + i,
        effectiveFrom: new Date(`${months[i * 6]}-0${2 + (v % 7)}T00:00:00Z`),
        rules: (base?.rules ?? anyRules ?? {}) as Prisma.InputJsonValue,
        note: `generated: rules change mid-year (${i === 0 ? "before" : "after"})`,
      });
    }
    versions.set(code, ids);
  }
  await bulkInsert(prisma, "policy_version", versionRows);

  const now = new Date();
  let residents: { id: string; municipalityCode: string }[];
  if (opts.residents === "existing") {
    residents = (
      await prisma.resident.findMany({
        where: { municipalityCode: { in: opts.municipalities } },
        select: { id: true, municipalityCode: true },
        orderBy: { id: "asc" },
      })
    ).filter((r) => wanted.has(r.municipalityCode));
    if (!residents.length) throw new Error("generateYear: no residents in those municipalities");
  } else {
    const generated = Array.from({ length: opts.residents }, (_, i) => ({
      id: randomUUID(),
      municipalityCode: opts.municipalities[i % opts.municipalities.length] as string,
      familyName: "生成",
      givenName: `利用者${i + 1}`,
      externalId: i % 3 === 0 ? null : `A${String(i + 1).padStart(7, "0")}`,
      updatedAt: now,
    }));
    await bulkInsert(prisma, "resident", generated);
    residents = generated;
  }

  let units = 0;
  const bookings: Prisma.BookingCreateManyInput[] = [];
  const reports: Prisma.UsageReportCreateManyInput[] = [];
  for (let n = 0; n < opts.bookings; n++) {
    const r = pick(residents);
    const f = pick(facilities);
    const types = f.services.map((s) => s.serviceType);
    const serviceType = types.length ? pick(types) : "day";
    const monthIdx = Math.floor(rand() * 12);
    const month = months[monthIdx] as string;
    const day = 1 + Math.floor(rand() * 28);
    const start = new Date(`${month}-${String(day).padStart(2, "0")}T00:00:00Z`);
    const nights = serviceType === "stay" ? 1 + Math.floor(rand() * 3) : 0;
    const u = serviceType === "stay" ? nights : 1;
    const vi = monthIdx < 6 ? 0 : 1;
    const policyVersionId = (versions.get(r.municipalityCode) as [string, string])[vi];
    const addOn = rand() < 0.1;
    let fee = u * UNIT_FEE[vi][serviceType] + (addOn ? 2_000 : 0);
    let copay = u * UNIT_COPAY[vi][serviceType] + (addOn ? 500 : 0);
    if (rand() < 0.2) copay = 0; // 減免 (e.g. 住民税非課税世帯)
    if (copay > fee) fee = copay;
    const roll = rand();
    const status =
      roll < 0.55
        ? "reported"
        : roll < 0.8
          ? "used"
          : roll < 0.88
            ? "cancelled"
            : roll < 0.94
              ? "cancelled"
              : "confirmed";
    const withFee = status === "cancelled" && roll < 0.88;
    const cancellationFee = withFee ? Math.round(fee * 0.5) : 0;
    const feeResidentShare = withFee ? Math.round(cancellationFee * 0.3) : 0;
    const id = randomUUID();
    if (status === "used" || status === "reported") units += u;
    bookings.push({
      id,
      updatedAt: now,
      residentId: r.id,
      facilityId: f.id,
      serviceType,
      startDate: start,
      endDate: addDays(start, nights),
      status: opts.withDiscrepancies || status !== "confirmed" ? status : "used",
      source: "staff",
      policyVersionId,
      units: u,
      fee,
      residentCopay: copay,
      municipalityShare: fee - copay,
      cancelReason: status === "cancelled" ? "resident_request" : null,
      cancellationFee,
      feeResidentShare,
      feeMunicipalityShare: cancellationFee - feeResidentShare,
    });
    if (status === "reported" || (opts.withDiscrepancies && status === "cancelled" && rand() < 0.05)) {
      reports.push({
        id: randomUUID(),
        updatedAt: now,
        bookingId: id,
        facilityId: f.id,
        municipalityCode: r.municipalityCode,
        month,
        care: ["maternal_check", "rest"],
        copayCollected: opts.withDiscrepancies && rand() < 0.03 ? copay + 500 : copay,
      });
    }
  }
  await bulkInsert(prisma, "booking", bookings);
  await bulkInsert(prisma, "usage_report", reports);
  await analyze(prisma, ["policy_version", "resident", "booking", "usage_report"]);
  return {
    months,
    municipalities: opts.municipalities,
    bookings: bookings.length,
    units,
    residents: residents.length,
  };
}

/** What the ledger says an association × municipality × month must be billed now, computed independently. */
export async function ledgerTotal(
  prisma: PrismaClient,
  where: { associationId: string; municipalityCode?: string; from: string; to?: string },
): Promise<number> {
  const start = new Date(`${where.from}-01T00:00:00Z`);
  const [y, m] = (where.to ?? where.from).split("-").map(Number) as [number, number];
  const end = new Date(Date.UTC(y, m, 1));
  const rows = await prisma.booking.findMany({
    where: {
      facility: { associationId: where.associationId },
      startDate: { gte: start, lt: end },
      ...(where.municipalityCode ? { resident: { municipalityCode: where.municipalityCode } } : {}),
    },
    select: { status: true, municipalityShare: true, feeMunicipalityShare: true },
  });
  let total = 0;
  for (const b of rows) {
    if (b.status === "used" || b.status === "reported") total += b.municipalityShare;
    else if (b.status === "cancelled") total += b.feeMunicipalityShare;
  }
  return total;
}
