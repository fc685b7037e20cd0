/**
 * What an invoice carries besides its lines (issue 15, part 2): the association's issuer block and bank account
 * (edited by the association), and each municipality's invoice settings (edited by the prefecture or the
 * municipality): 支払期限, a seal space or 押印省略, how residents are named, and its 債権者コード per association.
 * Nothing here is hard-coded; the pure rules (the due date, what a complete issuer block is) are unit-tested.
 */
import { audit } from "../audit/audit.js";
import type { Prisma, PrismaClient } from "../db/client.js";
import { problems } from "../errors.js";
import type { Actor } from "../identity/actor.js";
import { addDays, formatDate } from "../inventory/dates.js";

type Db = PrismaClient | Prisma.TransactionClient;

export type IssuerProfile = {
  postalCode: string;
  address: string;
  presidentTitle: string;
  presidentName: string;
  responsibleName: string;
  contactName: string;
  phone: string;
  bankName: string;
  branchName: string;
  accountType: "普通" | "当座";
  accountNumber: string;
  accountHolderKana: string;
};

export type PaymentDue = "end_of_next_month" | "days_after_issue";
export type ResidentDisplay = "external_id" | "voucher_number" | "name";

export type MunicipalitySetting = {
  paymentDue: PaymentDue;
  paymentDays: number;
  sealRequired: boolean;
  residentDisplay: ResidentDisplay;
  creditorCodes: Record<string, string>;
};

export const EMPTY_ISSUER: IssuerProfile = {
  postalCode: "",
  address: "",
  presidentTitle: "会長",
  presidentName: "",
  responsibleName: "",
  contactName: "",
  phone: "",
  bankName: "",
  branchName: "",
  accountType: "普通",
  accountNumber: "",
  accountHolderKana: "",
};

export const DEFAULT_SETTING: MunicipalitySetting = {
  paymentDue: "end_of_next_month",
  paymentDays: 30,
  sealRequired: false,
  residentDisplay: "external_id",
  creditorCodes: {},
};

/** What an invoice cannot go out without: who issues it, who answers for it, and where to pay. */
const REQUIRED: (keyof IssuerProfile)[] = [
  "postalCode",
  "address",
  "presidentTitle",
  "presidentName",
  "responsibleName",
  "contactName",
  "phone",
  "bankName",
  "branchName",
  "accountNumber",
  "accountHolderKana",
];

/** The issuer fields still empty (an invoice is finalized only when there are none). */
export function missingIssuerFields(p: IssuerProfile | null): (keyof IssuerProfile)[] {
  return REQUIRED.filter((k) => !(p ?? EMPTY_ISSUER)[k].trim());
}

/**
 * 支払期限 of an invoice dated `issueDate` ("YYYY-MM-DD"): the last day of the following month, or a number of
 * days after the invoice date, as the municipality set.
 */
export function paymentDueDate(
  issueDate: string,
  s: Pick<MunicipalitySetting, "paymentDue" | "paymentDays">,
) {
  const [y, m] = issueDate.split("-").map(Number) as [number, number];
  if (s.paymentDue === "end_of_next_month") return formatDate(new Date(Date.UTC(y, m + 1, 0)));
  return formatDate(addDays(new Date(`${issueDate}T00:00:00Z`), s.paymentDays));
}

const issuerSelect = {
  postalCode: true,
  address: true,
  presidentTitle: true,
  presidentName: true,
  responsibleName: true,
  contactName: true,
  phone: true,
  bankName: true,
  branchName: true,
  accountType: true,
  accountNumber: true,
  accountHolderKana: true,
} as const;

export async function getIssuer(db: Db, associationId: string): Promise<IssuerProfile | null> {
  const p = await db.associationBillingProfile.findUnique({ where: { associationId }, select: issuerSelect });
  return p ? { ...p, accountType: p.accountType === "当座" ? "当座" : "普通" } : null;
}

export async function getSetting(db: Db, municipalityCode: string): Promise<MunicipalitySetting> {
  const s = await db.municipalityBillingSetting.findUnique({ where: { municipalityCode } });
  if (!s) return { ...DEFAULT_SETTING };
  return {
    paymentDue: s.paymentDue as PaymentDue,
    paymentDays: s.paymentDays,
    sealRequired: s.sealRequired,
    residentDisplay: s.residentDisplay as ResidentDisplay,
    creditorCodes: (s.creditorCodes ?? {}) as Record<string, string>,
  };
}

/** Saves an association's issuer block (its own staff only), audited with before and after. */
export async function saveIssuer(
  prisma: PrismaClient,
  actor: Actor,
  ip: string,
  associationId: string,
  next: IssuerProfile,
  now: Date,
): Promise<IssuerProfile> {
  const data = Object.fromEntries(
    Object.entries(next).map(([k, v]) => [k, typeof v === "string" ? v.trim() : v]),
  ) as IssuerProfile;
  return prisma.$transaction(async (tx) => {
    const before = await getIssuer(tx, associationId);
    await tx.associationBillingProfile.upsert({
      where: { associationId },
      create: { associationId, ...data, updatedBy: actor.userId },
      update: { ...data, updatedBy: actor.userId },
    });
    await audit(
      tx,
      actor,
      ip,
      {
        action: "billing.issuer.update",
        resourceType: "association",
        resourceId: associationId,
        detail: { before, after: data },
      },
      now,
    );
    return data;
  });
}

/** Saves a municipality's invoice settings (the prefecture or the municipality's own staff), audited. */
export async function saveSetting(
  prisma: PrismaClient,
  actor: Actor,
  ip: string,
  municipalityCode: string,
  next: MunicipalitySetting,
  now: Date,
): Promise<MunicipalitySetting> {
  const associations = new Set(
    (await prisma.association.findMany({ select: { id: true } })).map((a) => a.id),
  );
  const unknown = Object.keys(next.creditorCodes).filter((a) => !associations.has(a));
  if (unknown.length) {
    throw problems.unprocessable(
      "unknown_association",
      `債権者コード for an association that does not exist: ${unknown.join(", ")}`,
      unknown.map((a) => ({ path: `creditorCodes.${a}`, message: "no such association" })),
    );
  }
  const creditorCodes = Object.fromEntries(
    Object.entries(next.creditorCodes)
      .map(([a, c]) => [a, c.trim()] as const)
      .filter(([, c]) => c !== ""),
  );
  const data = { ...next, creditorCodes };
  return prisma.$transaction(async (tx) => {
    const before = await getSetting(tx, municipalityCode);
    await tx.municipalityBillingSetting.upsert({
      where: { municipalityCode },
      create: { municipalityCode, ...data, updatedBy: actor.userId },
      update: { ...data, updatedBy: actor.userId },
    });
    await audit(
      tx,
      actor,
      ip,
      {
        action: "billing.municipality_setting.update",
        resourceType: "municipality",
        resourceId: municipalityCode,
        detail: { before, after: data },
      },
      now,
    );
    return data;
  });
}

/** What a run's documents print besides its lines. */
export type InvoiceContext = {
  issuer: IssuerProfile;
  setting: MunicipalitySetting;
  creditorCode: string | null;
};

export async function invoiceContext(
  db: Db,
  run: { associationId: string; municipalityCode: string },
): Promise<InvoiceContext> {
  const [issuer, setting] = await Promise.all([
    getIssuer(db, run.associationId),
    getSetting(db, run.municipalityCode),
  ]);
  return {
    issuer: issuer ?? { ...EMPTY_ISSUER },
    setting,
    creditorCode: setting.creditorCodes[run.associationId] ?? null,
  };
}
