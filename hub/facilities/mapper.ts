/**
 * Pure mapping from Prisma rows to the API shapes of schemas/openapi.yaml (Facility, FacilityService,
 * FacilityRevision, Municipality, Association). No I/O; shared by the public and the facility-staff routes.
 */
import { z } from "zod";
import type { FacilityKind, Prisma, ServiceType } from "../db/client.js";

/** What a facility read includes, so every route maps the same row shape. */
export const facilityInclude = {
  services: true,
  association: { select: { name: true } },
  municipality: { select: { name: true, region: true } },
} as const satisfies Prisma.FacilityInclude;

export type FacilityRow = Prisma.FacilityGetPayload<{ include: typeof facilityInclude }>;
export type FacilityServiceRow = FacilityRow["services"][number];

export type TimeBlock = { code: string; start: string; end: string };

export type FacilityServiceDto = {
  serviceType: ServiceType;
  capacity: number;
  timeBlocks: TimeBlock[];
  holdMinutes: number;
};

/** The API `Facility`. */
export type FacilityDto = {
  id: string;
  name: string;
  kana: string;
  kind: FacilityKind;
  associationId: string;
  associationName: string;
  municipalityCode: string;
  municipalityName: string;
  region: string;
  postalCode: string;
  address: string;
  access: string;
  phone: string;
  email: string;
  website: string;
  bookingUrl: string;
  serviceArea: string[];
  languages: string[];
  accessibility: string[];
  description: string;
  services: FacilityServiceDto[];
  version: number;
  updatedAt: string;
};

export type FieldChange = { from: unknown; to: unknown };
export type FacilityChanges = Record<string, FieldChange>;

/** The API `FacilityRevision` (the row's BigInt id is internal and never leaves the hub). */
export type FacilityRevisionDto = {
  version: number;
  changedAt: string;
  changedBy: string | null;
  changes: FacilityChanges;
};

const HHMM = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;
const timeBlockSchema = z.object({
  code: z.string().regex(/^[a-z0-9_-]{1,20}$/),
  start: z.string().regex(HHMM),
  end: z.string().regex(HHMM),
});
const timeBlocksSchema = z.array(timeBlockSchema);
const changesSchema = z.record(z.string(), z.object({ from: z.unknown(), to: z.unknown() }));

/**
 * The `time_blocks` JSON column, checked against the TimeBlock schema. Only validated writes fill it, so a
 * value that does not fit is a bug or a hand-edited row: it fails loudly (500, logged) instead of reaching
 * residents as a half-readable schedule.
 */
export function parseTimeBlocks(value: Prisma.JsonValue, where = "time blocks"): TimeBlock[] {
  const parsed = timeBlocksSchema.safeParse(value ?? []);
  if (!parsed.success) {
    throw new Error(`${where}: stored time blocks are not valid: ${parsed.error.issues[0]?.message ?? ""}`);
  }
  // Rebuild each block so unknown stored keys never reach the API.
  return parsed.data.map(({ code, start, end }) => ({ code, start, end }));
}

const SERVICE_ORDER: Record<ServiceType, number> = { stay: 0, day: 1, visit: 2 };

export function toFacilityService(row: FacilityServiceRow): FacilityServiceDto {
  return {
    serviceType: row.serviceType,
    capacity: row.capacity,
    timeBlocks: parseTimeBlocks(row.timeBlocks, `facility ${row.facilityId} ${row.serviceType}`),
    holdMinutes: row.holdMinutes,
  };
}

export function toFacility(row: FacilityRow): FacilityDto {
  return {
    id: row.id,
    name: row.name,
    kana: row.kana,
    kind: row.kind,
    associationId: row.associationId,
    associationName: row.association.name,
    municipalityCode: row.municipalityCode,
    municipalityName: row.municipality.name,
    region: row.municipality.region,
    postalCode: row.postalCode,
    address: row.address,
    access: row.access,
    phone: row.phone,
    email: row.email,
    website: row.website,
    bookingUrl: row.bookingUrl,
    serviceArea: [...row.serviceArea],
    languages: [...row.languages],
    accessibility: [...row.accessibility],
    description: row.description,
    services: [...row.services]
      .sort((a, b) => SERVICE_ORDER[a.serviceType] - SERVICE_ORDER[b.serviceType])
      .map(toFacilityService),
    version: row.version,
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toFacilityRevision(row: {
  version: number;
  changedAt: Date;
  changedBy: string | null;
  changes: Prisma.JsonValue;
}): FacilityRevisionDto {
  const parsed = changesSchema.safeParse(row.changes ?? {});
  if (!parsed.success) throw new Error(`facility revision ${row.version}: stored changes are not valid`);
  return {
    version: row.version,
    changedAt: row.changedAt.toISOString(),
    changedBy: row.changedBy,
    changes: Object.fromEntries(
      Object.entries(parsed.data).map(([field, c]) => [field, { from: c.from ?? null, to: c.to ?? null }]),
    ),
  };
}

export type MunicipalityDto = { code: string; name: string; kana: string; kind: string; region: string };

/** Only the public columns: a municipality's allowed networks (LGWAN) are not for everyone. */
export function toMunicipality(row: MunicipalityDto): MunicipalityDto {
  return { code: row.code, name: row.name, kana: row.kana, kind: row.kind, region: row.region };
}

export type AssociationDto = { id: string; name: string };

export function toAssociation(row: AssociationDto): AssociationDto {
  return { id: row.id, name: row.name };
}
