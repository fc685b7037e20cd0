/**
 * Facility profiles: the public directory (情報公開) and a facility's own edits with their change history.
 * Directory reads go through FacilityDirectory, which sees every committed edit at once.
 */
import type { Prisma, PrismaClient } from "../db/client.js";
import { problems } from "../errors.js";
import type { FacilityDirectory } from "./directory.js";
import {
  type AssociationDto,
  type FacilityDto,
  type FacilityRevisionDto,
  type FacilityRow,
  facilityInclude,
  type MunicipalityDto,
  toAssociation,
  toFacility,
  toFacilityRevision,
  toMunicipality,
} from "./mapper.js";
import { changedValues, diffProfile, type FacilityPatchBody, normalizePatch } from "./profile.js";

export async function listMunicipalities(prisma: PrismaClient): Promise<MunicipalityDto[]> {
  const rows = await prisma.municipality.findMany({
    select: { code: true, name: true, kana: true, kind: true, region: true },
    orderBy: { code: "asc" },
  });
  return rows.map(toMunicipality);
}

export async function listAssociations(prisma: PrismaClient): Promise<AssociationDto[]> {
  const rows = await prisma.association.findMany({
    select: { id: true, name: true },
    orderBy: { id: "asc" },
  });
  return rows.map(toAssociation);
}

/** A published facility, or 404 (an unpublished one is answered exactly like an unknown one). */
export async function getPublicFacility(directory: FacilityDirectory, id: string): Promise<FacilityDto> {
  const facility = await directory.get(id);
  if (!facility) throw problems.notFound("facility");
  return facility;
}

/** The change history of a published facility, newest first. */
export async function listFacilityRevisions(
  prisma: PrismaClient,
  id: string,
): Promise<FacilityRevisionDto[]> {
  const facility = await prisma.facility.findFirst({ where: { id, published: true }, select: { id: true } });
  if (!facility) throw problems.notFound("facility");
  const rows = await prisma.facilityRevision.findMany({
    where: { facilityId: id },
    select: { version: true, changedAt: true, changedBy: true, changes: true },
    orderBy: { version: "desc" },
  });
  return rows.map(toFacilityRevision);
}

export type ProfileEdit = {
  facilityId: string;
  body: FacilityPatchBody;
  /** The staff user making the change (recorded in the revision). */
  userId: string;
  now: Date;
};

/**
 * Applies a facility's edit of its own profile. Optimistic concurrency: `body.version` must be the current
 * version, else 409 `version_conflict`. The profile update (version + 1) and its FacilityRevision commit
 * together; an edit that changes nothing returns the profile as it is, with no new version or revision.
 * The caller has already checked that the actor is this facility's staff.
 */
export async function updateFacilityProfile(prisma: PrismaClient, edit: ProfileEdit): Promise<FacilityDto> {
  const { version, patch, errors } = normalizePatch(edit.body);
  if (errors.length) throw problems.validation(errors);

  if (patch.serviceArea?.length) {
    const known = new Set(
      (
        await prisma.municipality.findMany({
          where: { code: { in: patch.serviceArea } },
          select: { code: true },
        })
      ).map((m) => m.code),
    );
    const unknown = patch.serviceArea.filter((code) => !known.has(code));
    if (unknown.length) {
      throw problems.unprocessable(
        "unknown_municipality",
        `Not a municipality of Miyagi: ${unknown.join(", ")}`,
        patch.serviceArea.flatMap((code, i) =>
          known.has(code)
            ? []
            : [{ path: `/serviceArea/${i}`, message: `unknown municipality code ${code}` }],
        ),
      );
    }
  }

  const row: FacilityRow = await prisma.$transaction(async (tx) => {
    const current = await tx.facility.findUnique({
      where: { id: edit.facilityId },
      include: facilityInclude,
    });
    if (!current) throw problems.notFound("facility");
    if (current.version !== version) throw versionConflict(current.version);

    const changes = diffProfile(current, patch);
    if (Object.keys(changes).length === 0) return current;

    // The version condition makes the check and the write one step: of two concurrent edits of the same
    // version, the second finds no row here and gets 409 instead of overwriting the first.
    const { count } = await tx.facility.updateMany({
      where: { id: edit.facilityId, version },
      data: { ...changedValues(changes), version: { increment: 1 }, updatedAt: edit.now },
    });
    if (count !== 1) throw versionConflict();
    await tx.facilityRevision.create({
      data: {
        facilityId: edit.facilityId,
        version: version + 1,
        changedBy: edit.userId,
        changedAt: edit.now,
        // Every value is a string or a list of strings.
        changes: changes as Prisma.InputJsonObject,
      },
    });
    return tx.facility.findUniqueOrThrow({ where: { id: edit.facilityId }, include: facilityInclude });
  });
  return toFacility(row);
}

function versionConflict(current?: number) {
  return problems.conflict(
    "version_conflict",
    current === undefined
      ? "Someone else changed this profile at the same moment; reload it and make your change again"
      : `This profile has changed since you loaded it (it is now version ${current}); reload it and make your change again`,
  );
}
