import { randomUUID } from "node:crypto";
import type { Prisma, PrismaClient } from "../db/client.js";
import { normaliseEmail } from "../identity/email.js";
import type { ImportError, Table } from "./read.js";
import { columnOfHeader, type ResidentImportRow, residentKey, validateResidents } from "./residents.js";

export type ResidentImportResult = {
  dryRun: boolean;
  rows: number;
  created: number;
  updated: number;
  errors: ImportError[];
};

const CHUNK = 500;

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Validates a residents table against the database and, unless `dryRun`, writes it all or nothing in one
 * transaction: residents are matched by (municipality code, 宛名番号), existing ones updated, new ones created,
 * with their child. A table with any error writes nothing.
 */
export async function importResidents(
  prisma: PrismaClient,
  table: Table,
  opts: { municipalityCode: string; dryRun: boolean; onProgress?: (done: number, total: number) => void },
): Promise<ResidentImportResult> {
  const municipalities = await prisma.municipality.findMany({ select: { code: true } });
  const emailHeader = table.headers.find((h) => columnOfHeader(h) === "email");
  const emails = emailHeader
    ? [
        ...new Set(
          table.rows.map((r) => normaliseEmail(r.cells[emailHeader] ?? "")).filter((e): e is string => !!e),
        ),
      ]
    : [];
  const existingEmails = new Map<string, string>();
  for (const part of chunks(emails, 1000)) {
    const found = await prisma.resident.findMany({
      where: { email: { in: part } },
      select: { email: true, municipalityCode: true, externalId: true },
    });
    for (const r of found) {
      if (r.email) existingEmails.set(r.email, residentKey(r.municipalityCode, r.externalId ?? ""));
    }
  }
  const { rows, errors } = validateResidents(table, {
    municipalityCodes: new Set(municipalities.map((m) => m.code)),
    ownMunicipality: opts.municipalityCode,
    existingEmails,
    onProgress: opts.onProgress,
  });
  const result: ResidentImportResult = {
    dryRun: opts.dryRun,
    rows: table.rows.length,
    created: 0,
    updated: 0,
    errors,
  };
  if (errors.length) return result;

  const apply = async (tx: Prisma.TransactionClient) => {
    const existing = new Map<string, { id: string; children: { id: string; birthDate: Date }[] }>();
    for (const part of chunks(rows, 1000)) {
      const found = await tx.resident.findMany({
        where: { municipalityCode: opts.municipalityCode, externalId: { in: part.map((r) => r.externalId) } },
        select: { id: true, externalId: true, children: { select: { id: true, birthDate: true } } },
      });
      for (const r of found) existing.set(r.externalId ?? "", r);
    }
    const fresh = rows.filter((r) => !existing.has(r.externalId));
    const updates = rows.filter((r) => existing.has(r.externalId));
    result.created = fresh.length;
    result.updated = updates.length;
    if (opts.dryRun) return;

    const ids = fresh.map(() => randomUUID());
    for (const part of chunks(fresh.map((r, i) => ({ r, id: ids[i] as string })))) {
      await tx.resident.createMany({ data: part.map(({ r, id }) => ({ id, ...residentData(r) })) });
    }
    const newChildren = fresh.flatMap((r, i) =>
      r.child ? [{ residentId: ids[i] as string, ...r.child }] : [],
    );
    for (const part of chunks(newChildren)) await tx.child.createMany({ data: part });

    for (const r of updates) {
      const before = existing.get(r.externalId);
      if (!before) continue;
      await tx.resident.update({ where: { id: before.id }, data: residentData(r) });
      if (!r.child) continue;
      const child = r.child;
      const same =
        before.children.find((c) => c.birthDate.getTime() === child.birthDate.getTime()) ??
        (before.children.length === 1 ? before.children[0] : undefined);
      if (same) await tx.child.update({ where: { id: same.id }, data: child });
      else await tx.child.create({ data: { residentId: before.id, ...child } });
    }
  };
  if (opts.dryRun) await apply(prisma as unknown as Prisma.TransactionClient);
  else await prisma.$transaction(apply, { timeout: 120_000, maxWait: 30_000 });
  return result;
}

function residentData(r: ResidentImportRow) {
  return {
    municipalityCode: r.municipalityCode,
    externalId: r.externalId,
    familyName: r.familyName,
    givenName: r.givenName,
    kana: r.kana,
    birthDate: r.birthDate,
    postalCode: r.postalCode,
    address: r.address,
    email: r.email,
    phone: r.phone,
    preferredLanguage: r.preferredLanguage,
    incomeTier: r.incomeTier,
    consentAt: r.consentAt,
  };
}
