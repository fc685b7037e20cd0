import type { Prisma, PrismaClient } from "../db/client.js";
import type { ResidentImportResult } from "./apply.js";
import { type FacilityImportRow, facilityNaturalKey, validateFacilities } from "./facilities.js";
import { validateMunicipalities } from "./municipalities.js";
import type { Table } from "./read.js";

/** The same report as the residents import. */
export type ImportResult = ResidentImportResult;

/** Runs `apply` in one transaction, or (dry run) against the client without writing. */
async function run(
  prisma: PrismaClient,
  dryRun: boolean,
  apply: (tx: Prisma.TransactionClient) => Promise<void>,
) {
  if (dryRun) await apply(prisma as unknown as Prisma.TransactionClient);
  else await prisma.$transaction(apply, { timeout: 120_000, maxWait: 30_000 });
}

/**
 * Municipalities (prefecture only): matched by 市町村コード, existing ones updated, new ones created; all or
 * nothing. A table with any error writes nothing.
 */
export async function importMunicipalities(
  prisma: PrismaClient,
  table: Table,
  opts: { dryRun: boolean },
): Promise<ImportResult> {
  const { rows, errors } = validateMunicipalities(table);
  const result: ImportResult = {
    dryRun: opts.dryRun,
    rows: table.rows.length,
    created: 0,
    updated: 0,
    errors,
  };
  if (errors.length) return result;
  await run(prisma, opts.dryRun, async (tx) => {
    const existing = new Set((await tx.municipality.findMany({ select: { code: true } })).map((m) => m.code));
    result.created = rows.filter((r) => !existing.has(r.code)).length;
    result.updated = rows.length - result.created;
    if (opts.dryRun) return;
    for (const r of rows) {
      const data = {
        name: r.name,
        kana: r.kana,
        kind: r.kind,
        region: r.region,
        allowedCidrs: r.allowedCidrs,
      };
      await tx.municipality.upsert({
        where: { code: r.code },
        create: { code: r.code, ...data },
        update: data,
      });
    }
  });
  return result;
}

const PROFILE_FIELDS = [
  "name",
  "kana",
  "kind",
  "associationId",
  "municipalityCode",
  "postalCode",
  "address",
  "access",
  "phone",
  "email",
  "website",
  "bookingUrl",
  "serviceArea",
  "languages",
  "accessibility",
  "description",
  "published",
] as const;

function profileOf(r: FacilityImportRow) {
  const { line: _line, id: _id, services: _services, ...profile } = r;
  return profile;
}

/**
 * Facilities (prefecture only): matched by 施設ID when given, else by (施設名, 市町村コード); existing ones are
 * updated (a new version with a revision listing the changed fields), new ones created; the listed service types
 * are created or their capacity updated (types not listed are left as they are). All or nothing.
 */
export async function importFacilities(
  prisma: PrismaClient,
  table: Table,
  opts: { dryRun: boolean; userId?: string | null },
): Promise<ImportResult> {
  const municipalities = await prisma.municipality.findMany({ select: { code: true } });
  const { rows, errors } = validateFacilities(table, {
    municipalityCodes: new Set(municipalities.map((m) => m.code)),
  });
  const result: ImportResult = {
    dryRun: opts.dryRun,
    rows: table.rows.length,
    created: 0,
    updated: 0,
    errors,
  };
  if (errors.length) return result;
  const found = await prisma.facility.findMany({
    select: { id: true, name: true, municipalityCode: true },
  });
  const byId = new Set(found.map((f) => f.id));
  const byKey = new Map<string, string[]>();
  for (const f of found) {
    const key = facilityNaturalKey(f.municipalityCode, f.name);
    byKey.set(key, [...(byKey.get(key) ?? []), f.id]);
  }
  const target = new Map<FacilityImportRow, string | null>();
  for (const r of rows) {
    if (r.id) {
      target.set(r, byId.has(r.id) ? r.id : null);
      continue;
    }
    const ids = byKey.get(facilityNaturalKey(r.municipalityCode, r.name)) ?? [];
    if (ids.length > 1) {
      errors.push({
        line: r.line,
        column: "name",
        code: "ambiguous",
        message: `${ids.length} facilities are named ${r.name} in ${r.municipalityCode}: give 施設ID`,
      });
    }
    target.set(r, ids[0] ?? null);
  }
  const claimed = new Map<string, number>();
  for (const r of rows) {
    const id = target.get(r);
    if (!id) continue;
    const first = claimed.get(id);
    if (first !== undefined) {
      errors.push({
        line: r.line,
        column: r.id ? "id" : "name",
        code: "duplicate",
        message: `The facility of line ${first} again`,
      });
    } else claimed.set(id, r.line);
  }
  if (errors.length) {
    errors.sort((a, b) => a.line - b.line);
    return result;
  }
  result.created = rows.filter((r) => !target.get(r)).length;
  result.updated = rows.length - result.created;
  if (opts.dryRun) return result;

  await run(prisma, false, async (tx) => {
    for (const r of rows) {
      const profile = profileOf(r);
      const id = target.get(r);
      let facilityId: string;
      if (!id) {
        const created = await tx.facility.create({ data: { ...(r.id ? { id: r.id } : {}), ...profile } });
        facilityId = created.id;
      } else {
        facilityId = id;
        const before = await tx.facility.findUniqueOrThrow({ where: { id } });
        const changes: Record<string, { from: unknown; to: unknown }> = {};
        for (const f of PROFILE_FIELDS) {
          if (JSON.stringify(before[f]) !== JSON.stringify(profile[f])) {
            changes[f] = { from: before[f], to: profile[f] };
          }
        }
        if (Object.keys(changes).length) {
          await tx.facility.update({ where: { id }, data: { ...profile, version: { increment: 1 } } });
          await tx.facilityRevision.create({
            data: {
              facilityId: id,
              version: before.version + 1,
              changedBy: opts.userId ?? null,
              changes: changes as Prisma.InputJsonObject,
            },
          });
        }
      }
      for (const s of r.services) {
        await tx.facilityService.upsert({
          where: { facilityId_serviceType: { facilityId, serviceType: s.serviceType } },
          create: { facilityId, serviceType: s.serviceType, capacity: s.capacity },
          update: { capacity: s.capacity },
        });
      }
    }
  });
  return result;
}
