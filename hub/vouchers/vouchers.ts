/**
 * Vouchers (電子利用券) in the database: issued by a municipality's staff under the policy version in force today
 * (Asia/Tokyo), with a validity window and per-service-type unit caps taken from that version; revoked and
 * re-issued with a reason. Bookings reserve, release and consume units (hub/bookings/holds.ts and ledger.ts).
 *
 * Serial numbers are allocated per municipality under a transaction-scoped advisory lock, which also serialises
 * the "one active voucher per resident and child" check. The resident's notification is written to the outbox
 * in the same transaction (sent only if the voucher commits).
 */
import { randomUUID } from "node:crypto";
import { bulkInsert } from "../db/bulk.js";
import type { Prisma, PrismaClient, ServiceType } from "../db/client.js";
import { DomainError, problems } from "../errors.js";
import { addDays, formatDate, parseDate } from "../inventory/dates.js";
import { enqueueMessage, OUTBOX_TOPIC_MESSAGE } from "../notify/outbox.js";
import type { Message } from "../notify/transport.js";
import { type PolicyVersion, SERVICE_TYPES, stayCountingOf } from "../policies/policy.js";
import { tokyoTodayText } from "../policies/store.js";
import { formatVoucherNumber, MAX_SERIAL, makeVoucherNumber, parseVoucherNumber } from "./number.js";
import { signVoucherQr } from "./qr.js";

type Tx = Prisma.TransactionClient;

export const BULK_TX_OPTIONS = { maxWait: 30_000, timeout: 120_000 } as const;
const TX_OPTIONS = { maxWait: 15_000, timeout: 20_000 } as const;

export interface IssueContext {
  now: Date;
  /** With the trailing slash, e.g. https://sango-care.example/ */
  publicUrl: string;
  issuedBy?: string | null;
  /** false: write no notification (demo seeding). Default true. */
  notify?: boolean;
}

export interface VoucherDto {
  id: string;
  number: string;
  status: "active" | "revoked";
  validFrom: string;
  validUntil: string;
  municipalityCode: string;
  residentId: string;
  childId: string | null;
  policyVersion: { id: string; version: number; effectiveFrom: string };
  balances: { serviceType: ServiceType; cap: number; reserved: number; used: number; remaining: number }[];
  /** How the voucher's policy version counts a stay's units; null when it offers no stays. */
  stayCounting: "per_day" | "per_night" | null;
  usesCount: number;
  issuedAt: string;
  revokedAt: string | null;
  revokedReason: string | null;
  replacesId: string | null;
  qrPayload: string | null;
}

export const voucherInclude = {
  // rules: for how the policy counts a stay (Prisma reads each distinct version once, not once per voucher).
  policyVersion: { select: { id: true, version: true, effectiveFrom: true, rules: true } },
  balances: true,
} satisfies Prisma.VoucherInclude;

export type VoucherRow = Prisma.VoucherGetPayload<{ include: typeof voucherInclude }>;

/** Balances in service-type order, with what is left. */
export function toBalanceDtos(
  balances: { serviceType: ServiceType; cap: number; reserved: number; used: number }[],
): VoucherDto["balances"] {
  const order = (t: ServiceType) => SERVICE_TYPES.indexOf(t);
  return [...balances]
    .sort((a, b) => order(a.serviceType) - order(b.serviceType))
    .map((b) => ({
      serviceType: b.serviceType,
      cap: b.cap,
      reserved: b.reserved,
      used: b.used,
      remaining: Math.max(0, b.cap - b.used - b.reserved),
    }));
}

/** The API shape. `secretKey` only when the caller may see the QR payload (owner resident, municipality staff). */
export function toVoucherDto(row: VoucherRow, secretKey: Buffer | null): VoucherDto {
  return {
    id: row.id,
    number: formatVoucherNumber(row.number),
    status: row.status,
    validFrom: formatDate(row.validFrom),
    validUntil: formatDate(row.validUntil),
    municipalityCode: row.municipalityCode,
    residentId: row.residentId,
    childId: row.childId,
    policyVersion: {
      id: row.policyVersion.id,
      version: row.policyVersion.version,
      effectiveFrom: formatDate(row.policyVersion.effectiveFrom),
    },
    balances: toBalanceDtos(row.balances),
    stayCounting: stayCountingOf(row.policyVersion.rules),
    usesCount: row.usesCount,
    issuedAt: row.issuedAt.toISOString(),
    revokedAt: row.revokedAt ? row.revokedAt.toISOString() : null,
    revokedReason: row.revokedReason,
    replacesId: row.replacesId,
    qrPayload: secretKey ? signVoucherQr(secretKey, row.number) : null,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Terms: validity and caps (pure).

/** `date` + `months` calendar months, the day clamped to the month's length ("2025-01-31" + 1 → "2025-02-28"). */
export function addMonths(date: string, months: number): string {
  const y = Number(date.slice(0, 4));
  const m = Number(date.slice(5, 7)) - 1 + months;
  const d = Number(date.slice(8, 10));
  const year = y + Math.floor(m / 12);
  const month = ((m % 12) + 12) % 12;
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return formatDate(new Date(Date.UTC(year, month, Math.min(d, last))));
}

const dayBefore = (date: string) => formatDate(addDays(parseDate(date) as Date, -1));

/**
 * Validity: from today, or the child's birth date if later, until the day before the child's first birthday —
 * or earlier when every offered service's eligibility (maxChildAgeMonths), or the policy's voucherValidity, ends
 * sooner. Without a child (issued during pregnancy) only voucherValidity applies, else one year. null when the
 * window is empty (the child is too old).
 */
export function voucherValidity(
  policy: Pick<PolicyVersion, "services" | "voucherValidity">,
  today: string,
  childBirthDate: string | null,
): { validFrom: string; validUntil: string } | null {
  const validFrom = childBirthDate && childBirthDate > today ? childBirthDate : today;
  const ends: string[] = [];
  if (childBirthDate) {
    const eligibleMonths = Math.max(
      0,
      ...SERVICE_TYPES.map((t) => policy.services[t]?.eligibility.maxChildAgeMonths ?? 0),
    );
    ends.push(dayBefore(addMonths(childBirthDate, Math.min(12, eligibleMonths || 12))));
    if (policy.voucherValidity?.kind === "until_child_age_months") {
      ends.push(dayBefore(addMonths(childBirthDate, policy.voucherValidity.months)));
    }
  }
  if (policy.voucherValidity?.kind === "days_from_issue") {
    ends.push(formatDate(addDays(parseDate(validFrom) as Date, policy.voucherValidity.days - 1)));
  }
  if (!ends.length) ends.push(dayBefore(addMonths(validFrom, 12)));
  const validUntil = [...ends].sort()[0] as string;
  return validUntil < validFrom ? null : { validFrom, validUntil };
}

/** Unit caps per offered service type; the multiple-birth cap for twins or more. */
export function voucherCaps(
  policy: Pick<PolicyVersion, "services">,
  multipleBirth: number,
): { serviceType: ServiceType; cap: number }[] {
  const out: { serviceType: ServiceType; cap: number }[] = [];
  for (const t of SERVICE_TYPES) {
    const rule = policy.services[t];
    if (!rule) continue;
    out.push({ serviceType: t, cap: multipleBirth > 1 ? rule.maxUnitsMultipleBirth : rule.maxUnits });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Issue, revoke, re-issue.

interface IssueOptions {
  childId?: string | null;
  replacesId?: string;
  /** used/reserved per service type carried over from a replaced voucher. */
  carry?: Map<ServiceType, { used: number; reserved: number }>;
  usesCount?: number;
}

/** Serialises voucher numbering and issuing within one municipality until the transaction ends. */
async function lockMunicipality(tx: Tx, municipalityCode: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`voucher:${municipalityCode}`}))`;
}

async function nextSerial(tx: Tx, municipalityCode: string): Promise<number> {
  const prefix = municipalityCode.slice(0, 5);
  // A range, not LIKE 'prefix%': LIKE cannot use the index under most collations, so each issue scanned every
  // voucher in the hub (at national scale, 120,000 for each one issued). Numbers are digits, so the next prefix
  // bounds the range.
  // ("99999" has no next prefix of five digits: "a" sorts after every digit.)
  const upper = prefix === "99999" ? "a" : String(Number(prefix) + 1).padStart(5, "0");
  const rows = await tx.$queryRaw<{ max: number | bigint | null }[]>`
    SELECT coalesce(max(substring(number from 6 for 7)::int), 0) AS max
    FROM voucher WHERE number >= ${prefix} AND number < ${upper} AND length(number) = 13`;
  const next = Number(rows[0]?.max ?? 0) + 1;
  if (next > MAX_SERIAL) throw problems.conflict("serials_exhausted", "No voucher numbers are left");
  return next;
}

/** What issuing reads about a resident: the children (youngest first) and the municipality's name for the notice. */
const residentForIssue = {
  children: { orderBy: { birthDate: "desc" } },
  municipality: { select: { name: true } },
} satisfies Prisma.ResidentInclude;
type ResidentForIssue = Prisma.ResidentGetPayload<{ include: typeof residentForIssue }>;

/** The policy version in force today (Asia/Tokyo) for the municipality's vouchers, if any. */
interface IssueTerms {
  today: string;
  version: { id: string; policy: PolicyVersion } | null;
}

async function termsInForce(tx: Tx, municipalityCode: string, now: Date): Promise<IssueTerms> {
  const today = tokyoTodayText(now);
  const row = await tx.policyVersion.findFirst({
    where: { municipalityCode, effectiveFrom: { lte: parseDate(today) as Date } },
    orderBy: [{ effectiveFrom: "desc" }, { version: "desc" }],
    select: { id: true, rules: true },
  });
  return { today, version: row ? { id: row.id, policy: row.rules as unknown as PolicyVersion } : null };
}

/** A voucher to be written: for whom, under which terms. */
interface VoucherPlan {
  child: ResidentForIssue["children"][number] | null;
  validity: { validFrom: string; validUntil: string };
  caps: { serviceType: ServiceType; cap: number }[];
}

/**
 * What issuing a voucher to `resident` would create, or the problem why it cannot be issued (thrown). Without a
 * `childId` the voucher is for the youngest child, if any; `null` issues one without a child (pregnancy).
 * `active`: the resident's active vouchers (one per child at most).
 */
export function planVoucher(
  resident: ResidentForIssue,
  active: readonly { childId: string | null; number: string }[],
  terms: IssueTerms,
  childId?: string | null,
): VoucherPlan {
  let child: VoucherPlan["child"] = null;
  if (childId) {
    child = resident.children.find((c) => c.id === childId) ?? null;
    if (!child) throw problems.notFound("child of this resident");
  } else if (childId === undefined) {
    child = resident.children[0] ?? null;
  }
  const existing = active.find((v) => v.childId === (child?.id ?? null));
  if (existing) {
    throw problems.conflict(
      "active_voucher_exists",
      `This resident already has an active voucher (${formatVoucherNumber(existing.number)}) for this child`,
    );
  }
  if (!terms.version) {
    throw problems.unprocessable(
      "no_policy",
      `No policy of ${resident.municipalityCode} is in force on ${terms.today}`,
    );
  }
  const policy = terms.version.policy;
  const validity = voucherValidity(policy, terms.today, child ? formatDate(child.birthDate) : null);
  if (!validity) {
    throw problems.unprocessable(
      "child_not_eligible",
      "The child is past the age this municipality's vouchers cover",
      [{ path: "childId", message: "child too old for a voucher" }],
    );
  }
  const caps = voucherCaps(policy, child?.multipleBirth ?? 1);
  if (!caps.length) throw problems.unprocessable("no_services", "The policy in force offers no service");
  return { child, validity, caps };
}

/** Issues one voucher inside the caller's transaction. Problems are thrown before anything is written. */
async function issueInTx(
  tx: Tx,
  municipalityCode: string,
  residentId: string,
  ctx: IssueContext,
  opts: IssueOptions = {},
): Promise<VoucherRow> {
  await lockMunicipality(tx, municipalityCode);
  const resident = await tx.resident.findFirst({
    where: { id: residentId, municipalityCode },
    include: residentForIssue,
  });
  if (!resident) throw problems.notFound("resident");
  const active = await tx.voucher.findMany({
    where: { residentId, status: "active" },
    select: { childId: true, number: true },
  });
  const terms = await termsInForce(tx, municipalityCode, ctx.now);
  const { child, validity, caps } = planVoucher(resident, active, terms, opts.childId);
  const number = makeVoucherNumber(municipalityCode, await nextSerial(tx, municipalityCode));
  const row = await tx.voucher.create({
    data: {
      number,
      municipalityCode,
      residentId,
      childId: child?.id ?? null,
      policyVersionId: (terms.version as NonNullable<IssueTerms["version"]>).id,
      validFrom: parseDate(validity.validFrom) as Date,
      validUntil: parseDate(validity.validUntil) as Date,
      usesCount: opts.usesCount ?? 0,
      issuedBy: ctx.issuedBy ?? null,
      issuedAt: ctx.now,
      replacesId: opts.replacesId ?? null,
      balances: {
        create: caps.map((c) => ({
          serviceType: c.serviceType,
          cap: c.cap,
          used: opts.carry?.get(c.serviceType)?.used ?? 0,
          reserved: opts.carry?.get(c.serviceType)?.reserved ?? 0,
        })),
      },
    },
    include: voucherInclude,
  });
  const message = issuedMessage(resident, resident.municipality.name, number, validity, ctx.publicUrl);
  if (message && ctx.notify !== false) {
    await enqueueMessage(tx, { ...message, about: { residentId, municipalityCode } });
  }
  return row;
}

/**
 * Issues one voucher inside the caller's transaction, through the same checks and numbering as issueVoucher: an
 * approved online application (hub/applications) registers the resident and issues in one transaction.
 */
export function issueVoucherInTx(
  tx: Tx,
  municipalityCode: string,
  input: { residentId: string; childId?: string | null },
  ctx: IssueContext,
): Promise<VoucherRow> {
  return issueInTx(tx, municipalityCode, input.residentId, ctx, { childId: input.childId });
}

/** The notice to the resident: e-mail when they have an address, else SMS, else none. */
export function issuedMessage(
  resident: { familyName: string; givenName: string; email: string | null; phone: string | null },
  municipalityName: string,
  number: string,
  validity: { validFrom: string; validUntil: string },
  publicUrl: string,
): Message | null {
  const shown = formatVoucherNumber(number);
  const link = `${publicUrl}sign-in`;
  if (resident.email) {
    return {
      channel: "email",
      to: resident.email,
      subject: `【${municipalityName}】産後ケア利用券（電子利用券）を発行しました`,
      text: [
        `${resident.familyName} ${resident.givenName} 様`,
        "",
        `${municipalityName}の産後ケア事業の利用券（電子利用券）を発行しました。`,
        "",
        `利用券番号: ${shown}`,
        `有効期間: ${validity.validFrom} から ${validity.validUntil} まで`,
        "",
        "次のリンクからサインインすると、残りの利用回数とQRコードを確認できます。",
        link,
        "",
        "このメールに心当たりがない場合は、お住まいの市町村の担当窓口にご連絡ください。",
      ].join("\n"),
    };
  }
  if (resident.phone) {
    return {
      channel: "sms",
      to: resident.phone,
      text: `${municipalityName}: 産後ケア利用券を発行しました。番号 ${shown}（${validity.validUntil}まで）。確認: ${link}`,
    };
  }
  return null;
}

/** Issues one voucher for a resident of `municipalityCode` (404 when the resident is elsewhere). */
export async function issueVoucher(
  prisma: PrismaClient,
  municipalityCode: string,
  input: { residentId: string; childId?: string | null },
  ctx: IssueContext,
): Promise<VoucherRow> {
  return prisma.$transaction(
    (tx) => issueInTx(tx, municipalityCode, input.residentId, ctx, { childId: input.childId }),
    TX_OPTIONS,
  );
}

/**
 * Writes planned vouchers (serials in turn from the next free one), their balances and, unless `ctx.notify` is
 * false, the residents' notices, set-based: a few statements whatever the count. The caller holds the
 * municipality's lock. Returns the new vouchers' ids in the order planned.
 */
async function writeVouchers(
  tx: Tx,
  municipalityCode: string,
  terms: IssueTerms,
  planned: readonly { resident: ResidentForIssue; plan: VoucherPlan }[],
  ctx: IssueContext,
): Promise<string[]> {
  if (!planned.length || !terms.version) return [];
  let serial = await nextSerial(tx, municipalityCode);
  if (serial + planned.length - 1 > MAX_SERIAL) {
    throw problems.conflict("serials_exhausted", "No voucher numbers are left");
  }
  const vouchers: Prisma.VoucherCreateManyInput[] = [];
  const balances: Prisma.VoucherBalanceCreateManyInput[] = [];
  const notices: { topic: string; payload: Message }[] = [];
  for (const { resident, plan } of planned) {
    const id = randomUUID();
    const number = makeVoucherNumber(municipalityCode, serial++);
    vouchers.push({
      id,
      number,
      municipalityCode,
      residentId: resident.id,
      childId: plan.child?.id ?? null,
      policyVersionId: terms.version.id,
      validFrom: parseDate(plan.validity.validFrom) as Date,
      validUntil: parseDate(plan.validity.validUntil) as Date,
      issuedBy: ctx.issuedBy ?? null,
      issuedAt: ctx.now,
    });
    for (const c of plan.caps) balances.push({ voucherId: id, ...c });
    const message = issuedMessage(resident, resident.municipality.name, number, plan.validity, ctx.publicUrl);
    if (message && ctx.notify !== false) {
      notices.push({
        topic: OUTBOX_TOPIC_MESSAGE,
        payload: { ...message, about: { residentId: resident.id, municipalityCode } },
      });
    }
  }
  // bulkInsert skips a row that collides; here none may (the municipality is locked), so a skip is a bug.
  if ((await bulkInsert(tx, "voucher", vouchers)) !== vouchers.length) {
    throw new Error(`writeVouchers: a voucher number of ${municipalityCode} was already taken`);
  }
  await bulkInsert(tx, "voucher_balance", balances);
  await bulkInsert(tx, "outbox", notices);
  return vouchers.map((v) => v.id as string);
}

/**
 * Issues a voucher (for the youngest child) to every resident of the municipality who has a child and has never
 * had a voucher, without notifications: for seeding demo data, where thousands are issued at once. Residents whose
 * child is past the age the policy covers are skipped. Returns how many were issued.
 */
export async function issueMissingVouchers(
  prisma: PrismaClient,
  municipalityCode: string,
  now: Date,
): Promise<number> {
  return prisma.$transaction(async (tx) => {
    await lockMunicipality(tx, municipalityCode);
    const terms = await termsInForce(tx, municipalityCode, now);
    if (!terms.version) return 0;
    const residents = await tx.resident.findMany({
      where: { municipalityCode, vouchers: { none: {} }, children: { some: {} } },
      include: residentForIssue,
      orderBy: { id: "asc" },
    });
    const planned: { resident: ResidentForIssue; plan: VoucherPlan }[] = [];
    for (const resident of residents) {
      try {
        planned.push({ resident, plan: planVoucher(resident, [], terms) });
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
      }
    }
    const ctx = { now, publicUrl: "", notify: false };
    return (await writeVouchers(tx, municipalityCode, terms, planned, ctx)).length;
  }, BULK_TX_OPTIONS);
}

/**
 * Issues one voucher to each resident (their youngest child), all in ONE transaction: if any resident fails,
 * nothing is issued and 422 `bulk_issue_failed` lists every failure by position. Checked and written set-based
 * (the same checks as issuing one, from three reads), so a municipality's batch takes a few statements.
 */
export async function issueVouchers(
  prisma: PrismaClient,
  municipalityCode: string,
  residentIds: string[],
  ctx: IssueContext,
): Promise<VoucherRow[]> {
  return prisma.$transaction(async (tx) => {
    await lockMunicipality(tx, municipalityCode);
    const ids = [...new Set(residentIds)];
    const residents = new Map(
      (
        await tx.resident.findMany({
          where: { id: { in: ids }, municipalityCode },
          include: residentForIssue,
        })
      ).map((r) => [r.id, r]),
    );
    const active = new Map<string, { childId: string | null; number: string }[]>();
    for (const v of await tx.voucher.findMany({
      where: { residentId: { in: ids }, status: "active" },
      select: { residentId: true, childId: true, number: true },
    })) {
      active.set(v.residentId, [...(active.get(v.residentId) ?? []), v]);
    }
    const terms = await termsInForce(tx, municipalityCode, ctx.now);
    const planned: { resident: ResidentForIssue; plan: VoucherPlan }[] = [];
    const errors: NonNullable<DomainError["errors"]> = [];
    const seen = new Set<string>();
    for (const [i, residentId] of residentIds.entries()) {
      if (seen.has(residentId)) {
        errors.push({
          path: `residentIds/${i}`,
          code: "duplicate",
          message: `${residentId} is listed twice`,
        });
        continue;
      }
      seen.add(residentId);
      try {
        const resident = residents.get(residentId);
        if (!resident) throw problems.notFound("resident");
        planned.push({ resident, plan: planVoucher(resident, active.get(residentId) ?? [], terms) });
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        errors.push({ path: `residentIds/${i}`, code: err.code, message: `${residentId}: ${err.detail}` });
      }
    }
    if (errors.length) {
      throw problems.unprocessable(
        "bulk_issue_failed",
        `${errors.length} of ${residentIds.length} residents could not be issued a voucher; nothing was issued`,
        errors,
      );
    }
    const written = await writeVouchers(tx, municipalityCode, terms, planned, ctx);
    const rows = new Map(
      (await tx.voucher.findMany({ where: { id: { in: written } }, include: voucherInclude })).map((v) => [
        v.id,
        v,
      ]),
    );
    return written.map((id) => rows.get(id) as VoucherRow);
  }, BULK_TX_OPTIONS);
}

async function revokeInTx(
  tx: Tx,
  municipalityCode: string,
  voucherId: string,
  reason: string,
  now: Date,
): Promise<VoucherRow> {
  const n = await tx.voucher.updateMany({
    where: { id: voucherId, municipalityCode, status: "active" },
    data: { status: "revoked", revokedAt: now, revokedReason: reason },
  });
  const row = await tx.voucher.findFirst({
    where: { id: voucherId, municipalityCode },
    include: voucherInclude,
  });
  if (!row) throw problems.notFound("voucher");
  if (n.count === 0) throw problems.conflict("voucher_not_active", "The voucher is already revoked");
  return row;
}

/** Revokes an active voucher of the municipality with a reason (409 voucher_not_active when already revoked). */
export async function revokeVoucher(
  prisma: PrismaClient,
  municipalityCode: string,
  voucherId: string,
  reason: string,
  now: Date,
): Promise<VoucherRow> {
  return prisma.$transaction((tx) => revokeInTx(tx, municipalityCode, voucherId, reason, now), TX_OPTIONS);
}

/**
 * Revokes a voucher and issues its replacement (same resident and child, the policy in force today), carrying
 * over used and reserved units and the use count, so re-issuing never gives units back.
 */
export async function reissueVoucher(
  prisma: PrismaClient,
  municipalityCode: string,
  voucherId: string,
  reason: string,
  ctx: IssueContext,
): Promise<VoucherRow> {
  return prisma.$transaction(async (tx) => {
    await lockMunicipality(tx, municipalityCode);
    const old = await revokeInTx(tx, municipalityCode, voucherId, reason, ctx.now);
    const carry = new Map(old.balances.map((b) => [b.serviceType, { used: b.used, reserved: b.reserved }]));
    const replacement = await issueInTx(tx, municipalityCode, old.residentId, ctx, {
      childId: old.childId,
      replacesId: old.id,
      carry,
      usesCount: old.usesCount,
    });
    // Open bookings move with their reserved units, so they are released or redeemed on the replacement.
    await tx.booking.updateMany({
      where: { voucherId: old.id, status: { in: ["requested", "confirmed"] } },
      data: { voucherId: replacement.id },
    });
    return replacement;
  }, TX_OPTIONS);
}

// ---------------------------------------------------------------------------------------------------------------
// Reads.

export interface VoucherFilter {
  status?: "active" | "revoked";
  residentId?: string;
  municipalityCode?: string;
  /** A voucher number, whole or in part, as typed (hyphens and full-width digits allowed). */
  q?: string;
}

export function voucherWhere(scope: Prisma.VoucherWhereInput, f: VoucherFilter): Prisma.VoucherWhereInput {
  const and: Prisma.VoucherWhereInput[] = [scope];
  if (f.status) and.push({ status: f.status });
  if (f.residentId) and.push({ residentId: f.residentId });
  if (f.municipalityCode) and.push({ municipalityCode: f.municipalityCode });
  if (f.q !== undefined && f.q.trim() !== "") {
    const parsed = parseVoucherNumber(f.q);
    const digits = parsed.ok ? parsed.number : f.q.normalize("NFKC").replace(/\D/g, "");
    // Letters only (no digit at all) can match no number.
    and.push(digits ? { number: { contains: digits } } : { id: "00000000-0000-0000-0000-000000000000" });
  }
  return { AND: and };
}

export async function listVouchers(
  prisma: PrismaClient,
  where: Prisma.VoucherWhereInput,
  page: { limit: number; offset: number },
): Promise<{ total: number; items: VoucherRow[] }> {
  const [total, items] = await Promise.all([
    prisma.voucher.count({ where }),
    prisma.voucher.findMany({
      where,
      include: voucherInclude,
      orderBy: [{ issuedAt: "desc" }, { number: "desc" }],
      take: page.limit,
      skip: page.offset,
    }),
  ]);
  return { total, items };
}
