/**
 * A booking's entitlement: which voucher it draws on, and what the entitlement engine (hub/policies/entitlement.ts)
 * says about it under the policy version in force on the service date. The engine is pure; this module only
 * gathers its input from what the hold read and turns a refusal into a problem the caller can act on.
 */
import type { PrismaClient, ServiceType } from "../db/client.js";
import { problems } from "../errors.js";
import { checkEntitlement, type EntitlementAllowed } from "../policies/entitlement.js";
import type { CancellationRule, IncomeTier, StayRule } from "../policies/policy.js";
import { policyVersionById } from "../policies/store.js";
import { formatVoucherNumber } from "../vouchers/number.js";

/** The voucher a hold draws on, as readHoldContext found it (the resident's, chosen or the best active one). */
export type HoldVoucher = {
  id: string;
  number: string;
  municipalityCode: string;
  status: "active" | "revoked";
  validFrom: string;
  validUntil: string;
  usesCount: number;
  balances: Partial<Record<ServiceType, { cap: number; used: number; reserved: number }>>;
};

export type HoldChild = { birthDate: string; dueDate: string | null; multipleBirth: number };

export type EntitlementFacts = {
  voucher: HoldVoucher | null;
  child: HoldChild | null;
  incomeTier: IncomeTier;
  /** The voucher municipality's policy version in force on the start date. */
  policyVersionId: string | null;
};

export type Entitled = EntitlementAllowed & {
  voucher: HoldVoucher;
  policyVersionId: string;
  /** The version's cancellation rule: the booking's free-cancellation deadline and fee come from it. */
  cancellation: CancellationRule;
  /** For a stay: how the municipality counts it (per day, 1泊2日 = 2; per night, 1泊2日 = 1), said with the units. */
  stayCounting?: StayRule["stayCounting"];
};

export type EntitlementRequest = {
  serviceType: ServiceType;
  startDate: string;
  nights?: number;
  addOns?: string[];
};

/** Runs the engine for a request; 422 with every reason when the voucher does not cover it. */
export async function entitle(
  prisma: PrismaClient,
  facts: EntitlementFacts,
  request: EntitlementRequest,
): Promise<Entitled> {
  const { voucher, child } = facts;
  if (!voucher) {
    throw problems.unprocessable(
      "no_voucher",
      "This resident has no voucher; the municipality issues one (電子利用券) before a booking can be made",
      [{ path: "voucherId", message: "no voucher" }],
    );
  }
  if (!child) {
    throw problems.unprocessable(
      "child_not_registered",
      "The voucher names no child; the municipality registers the child's birth first",
      [{ path: "voucherId", message: "no child registered" }],
    );
  }
  const policy = facts.policyVersionId ? await policyVersionById(prisma, facts.policyVersionId) : undefined;
  if (!facts.policyVersionId || !policy) {
    throw problems.unprocessable(
      "no_policy",
      `No policy of ${voucher.municipalityCode} is in force on ${request.startDate}`,
      [{ path: "startDate", message: "no policy in force" }],
    );
  }
  const unitsOf = (k: "cap" | "used" | "reserved") =>
    Object.fromEntries(Object.entries(voucher.balances).map(([type, b]) => [type, b[k]]));
  const result = checkEntitlement({
    policy,
    voucher: {
      status: voucher.status,
      municipalityCode: voucher.municipalityCode,
      validFrom: voucher.validFrom,
      validUntil: voucher.validUntil,
      unitsByType: unitsOf("cap"),
      unitsUsed: unitsOf("used"),
      unitsReserved: unitsOf("reserved"),
      usesSoFar: voucher.usesCount,
    },
    child: {
      birthDate: child.birthDate,
      ...(child.dueDate ? { dueDate: child.dueDate } : {}),
      multipleBirth: child.multipleBirth,
    },
    resident: { incomeTier: facts.incomeTier },
    request: {
      serviceType: request.serviceType,
      startDate: request.startDate,
      ...(request.serviceType === "stay" ? { nights: request.nights ?? 1 } : {}),
      addOns: request.addOns ?? [],
    },
  });
  if (!result.allowed) {
    throw problems.unprocessable(
      "not_entitled",
      `The voucher ${formatVoucherNumber(voucher.number)} does not cover this booking: ` +
        result.reasons.map((r) => r.message).join("; "),
      result.reasons.map((r) => ({ path: r.field, code: r.code, message: r.message })),
    );
  }
  const stayCounting = request.serviceType === "stay" ? policy.services.stay?.stayCounting : undefined;
  return {
    ...result,
    voucher,
    policyVersionId: facts.policyVersionId,
    cancellation: policy.cancellation,
    ...(stayCounting ? { stayCounting } : {}),
  };
}

/** What POST /api/bookings/quote answers. */
export function toQuote(e: Entitled) {
  return {
    voucherId: e.voucher.id,
    voucherNumber: formatVoucherNumber(e.voucher.number),
    serviceType: e.serviceType,
    unitsNeeded: e.unitsNeeded,
    unitsRemainingAfter: e.unitsRemainingAfter,
    ...(e.stayCounting ? { stayCounting: e.stayCounting } : {}),
    fee: e.fee,
    residentCopay: e.residentCopay,
    municipalityShare: e.municipalityShare,
    lines: e.lines,
    policyVersion: {
      id: e.policyVersionId,
      version: e.policyVersion.version,
      effectiveFrom: e.policyVersion.effectiveFrom,
    },
  };
}
