/**
 * Municipal policy versions in the database (table policy_version).
 *
 * A row keeps the whole validated version as `rules` JSON; the columns `municipalityCode`, `version` and
 * `effectiveFrom` are authoritative and override what the JSON says. Versions are only ever added: a change is a
 * new version from a future date (Asia/Tokyo), after the latest existing one, so amounts already in effect are
 * never rewritten. There is no update or delete.
 */
import type { PrismaClient } from "../db/client.js";
import { problems } from "../errors.js";
import { formatDate, parseDate, tokyoToday } from "../inventory/dates.js";
import { monthsBetween, PRETERM_DAYS_BEFORE_DUE } from "./entitlement.js";
import {
  INCOME_TIERS,
  type PolicyVersion,
  policyVersionOn,
  SERVICE_TYPES,
  type ServiceType,
  validatePolicyVersion,
  withStatedCutoff,
} from "./policy.js";

/** A stored version as the API shows it. */
export interface StoredPolicyVersion extends PolicyVersion {
  /** Already applicable (effectiveFrom ≤ today in Tokyo): it is never edited. */
  inUse: boolean;
  createdAt: string;
}

/** A version as staff propose it: the rules without the municipality and version number. */
export type PolicyProposal = Omit<PolicyVersion, "municipalityCode" | "version">;

export interface PolicyChange {
  serviceType: ServiceType;
  /** e.g. "services.stay.unitFee", "services.day.copayPerUnit.exempt", "services.visit.maxUnits". */
  field: string;
  /** null when the service type is not offered on that side. */
  from: number | null;
  to: number | null;
}

export interface PolicyPreview {
  municipalityCode: string;
  effectiveFrom: string;
  /** The version the proposal would follow (the one in force on effectiveFrom), if any. */
  replaces: { version: number; effectiveFrom: string } | null;
  /** Residents with a child still within the proposal's eligibility window on effectiveFrom. */
  residentsAffected: number;
  childrenAffected: number;
  /** Vouchers do not exist yet: null until the voucher model lands. */
  vouchersAffected: number;
  changes: PolicyChange[];
}

type Row = {
  municipalityCode: string;
  version: number;
  effectiveFrom: Date;
  rules: unknown;
  note: string;
  createdAt: Date;
};

function toPolicy(row: Row, today: string): StoredPolicyVersion {
  const rules = (row.rules ?? {}) as PolicyVersion;
  const effectiveFrom = formatDate(row.effectiveFrom);
  const { note: _n, ...rest } = rules;
  return {
    ...rest,
    municipalityCode: row.municipalityCode,
    version: row.version,
    effectiveFrom,
    ...(row.note ? { note: row.note } : {}),
    inUse: effectiveFrom <= today,
    createdAt: row.createdAt.toISOString(),
  };
}

/** Today's calendar date in Asia/Tokyo, "YYYY-MM-DD". */
export function tokyoTodayText(now: Date): string {
  return formatDate(tokyoToday(now));
}

/** Every version of a municipality, newest effectiveFrom first. */
export async function listPolicyVersions(
  prisma: PrismaClient,
  municipalityCode: string,
  now: Date,
): Promise<StoredPolicyVersion[]> {
  const rows = await prisma.policyVersion.findMany({
    where: { municipalityCode },
    orderBy: [{ effectiveFrom: "desc" }, { version: "desc" }],
  });
  const today = tokyoTodayText(now);
  return rows.map((r) => toPolicy(r, today));
}

/** The version in force on `date` ("YYYY-MM-DD"), or undefined before the first one. */
export async function policyInForce(
  prisma: PrismaClient,
  municipalityCode: string,
  date: string,
  now: Date,
): Promise<StoredPolicyVersion | undefined> {
  const day = parseDate(date);
  if (!day) return undefined;
  const row = await prisma.policyVersion.findFirst({
    where: { municipalityCode, effectiveFrom: { lte: day } },
    orderBy: [{ effectiveFrom: "desc" }, { version: "desc" }],
  });
  return row ? toPolicy(row, tokyoTodayText(now)) : undefined;
}

/**
 * Checks a proposal against the rules of the municipality's existing versions: valid per validatePolicyVersion
 * (422 invalid_policy), effective strictly after today in Tokyo (422 effective_date_not_in_future) and after the
 * latest version's start (422 effective_date_not_after_latest). Returns the complete new version.
 */
async function prepare(
  prisma: PrismaClient,
  municipalityCode: string,
  body: unknown,
  now: Date,
): Promise<{ policy: PolicyVersion; existing: StoredPolicyVersion[] }> {
  const existing = await listPolicyVersions(prisma, municipalityCode, now);
  const nextVersion = existing.reduce((max, v) => Math.max(max, v.version), 0) + 1;
  const input = { ...(body as Record<string, unknown>), municipalityCode, version: nextVersion };
  const checked = validatePolicyVersion(input);
  if (!checked.ok) {
    throw problems.unprocessable("invalid_policy", "The rules are not valid", checked.errors);
  }
  // A version that leaves the cut-off's kind out gets the specification's 「前日10時」 (calendar days).
  const policy = withStatedCutoff(checked.policy);
  const today = tokyoTodayText(now);
  if (policy.effectiveFrom <= today) {
    throw problems.unprocessable(
      "effective_date_not_in_future",
      `A new version must start after today (${today}); amounts already in effect are never changed`,
      [{ path: "effectiveFrom", message: `must be after ${today}` }],
    );
  }
  const latest = existing[0];
  if (latest && policy.effectiveFrom <= latest.effectiveFrom) {
    throw problems.unprocessable(
      "effective_date_not_after_latest",
      `Version ${latest.version} starts on ${latest.effectiveFrom}; a new version must start after it`,
      [{ path: "effectiveFrom", message: `must be after ${latest.effectiveFrom}` }],
    );
  }
  return { policy, existing };
}

/** Adds a version (version = latest + 1). 409 version_conflict when another one was added at the same time. */
export async function createPolicyVersion(
  prisma: PrismaClient,
  municipalityCode: string,
  body: unknown,
  opts: { now: Date; createdBy?: string | null },
): Promise<StoredPolicyVersion> {
  const { policy } = await prepare(prisma, municipalityCode, body, opts.now);
  const { note, ...rules } = policy;
  try {
    const row = await prisma.policyVersion.create({
      data: {
        municipalityCode,
        version: policy.version,
        effectiveFrom: parseDate(policy.effectiveFrom) as Date,
        rules: rules as object,
        note: note ?? "",
        createdBy: opts.createdBy ?? null,
      },
    });
    return toPolicy(row, tokyoTodayText(opts.now));
  } catch (err) {
    if ((err as { code?: string })?.code === "P2002") {
      throw problems.conflict("version_conflict", "Another version was added at the same time; try again");
    }
    throw err;
  }
}

/** What a proposal would change, without saving anything. */
export async function previewPolicyVersion(
  prisma: PrismaClient,
  municipalityCode: string,
  body: unknown,
  now: Date,
): Promise<PolicyPreview> {
  const { policy, existing } = await prepare(prisma, municipalityCode, body, now);
  const current = policyVersionOn(existing, policy.effectiveFrom);

  const children = await prisma.child.findMany({
    where: { resident: { municipalityCode } },
    select: { residentId: true, birthDate: true, dueDate: true },
  });
  const residents = new Set<string>();
  let childrenAffected = 0;
  for (const c of children) {
    if (eligibleOn(policy, formatDate(c.birthDate), c.dueDate ? formatDate(c.dueDate) : undefined)) {
      residents.add(c.residentId);
      childrenAffected++;
    }
  }

  return {
    municipalityCode,
    effectiveFrom: policy.effectiveFrom,
    replaces: current ? { version: current.version, effectiveFrom: current.effectiveFrom } : null,
    residentsAffected: residents.size,
    childrenAffected,
    // Active vouchers still valid on the new version's first day: services they pay for from then on use it.
    vouchersAffected: await prisma.voucher.count({
      where: {
        municipalityCode,
        status: "active",
        validUntil: { gte: parseDate(policy.effectiveFrom) as Date },
      },
    }),
    changes: diffPolicies(current, policy),
  };
}

/** A child is affected when, on effectiveFrom, it is still below the age limit of some offered service. */
function eligibleOn(policy: PolicyVersion, birthDate: string, dueDate: string | undefined): boolean {
  const on = policy.effectiveFrom;
  for (const type of SERVICE_TYPES) {
    const rule = policy.services[type];
    if (!rule) continue;
    const el = rule.eligibility;
    const preterm =
      dueDate !== undefined &&
      (parseDate(dueDate)?.getTime() ?? 0) - (parseDate(birthDate)?.getTime() ?? 0) >=
        PRETERM_DAYS_BEFORE_DUE * 86_400_000;
    const from = preterm && el.useCorrectedAgeForPreterm && dueDate ? dueDate : birthDate;
    const age = from >= on ? 0 : monthsBetween(from, on);
    if (age < el.maxChildAgeMonths) return true;
  }
  return false;
}

/** unitFee, copay per tier and maxUnits per service type that differ. */
export function diffPolicies(before: PolicyVersion | undefined, after: PolicyVersion): PolicyChange[] {
  const out: PolicyChange[] = [];
  for (const type of SERVICE_TYPES) {
    const a = before?.services[type];
    const b = after.services[type];
    if (!a && !b) continue;
    const fields: [string, number | undefined, number | undefined][] = [
      ["unitFee", a?.unitFee, b?.unitFee],
      ...INCOME_TIERS.map(
        (tier) =>
          [`copayPerUnit.${tier}`, a?.copayPerUnit[tier], b?.copayPerUnit[tier]] as [
            string,
            number | undefined,
            number | undefined,
          ],
      ),
      ["maxUnits", a?.maxUnits, b?.maxUnits],
      ["maxUnitsMultipleBirth", a?.maxUnitsMultipleBirth, b?.maxUnitsMultipleBirth],
    ];
    for (const [field, from, to] of fields) {
      if (from === to) continue;
      out.push({ serviceType: type, field: `services.${type}.${field}`, from: from ?? null, to: to ?? null });
    }
  }
  return out;
}

/**
 * Versions by id, kept in memory once read: a stored version is never edited (only new versions are added), so
 * what was read once stays true. Saves parsing the rules JSON on the booking path.
 */
const versionsById = new Map<string, PolicyVersion>();

export async function policyVersionById(
  prisma: PrismaClient,
  id: string,
): Promise<PolicyVersion | undefined> {
  const cached = versionsById.get(id);
  if (cached) return cached;
  const row = await prisma.policyVersion.findUnique({ where: { id } });
  if (!row) return undefined;
  const { inUse: _u, createdAt: _c, ...policy } = toPolicy(row, "");
  if (versionsById.size > 10_000) versionsById.clear();
  versionsById.set(id, policy);
  return policy;
}
