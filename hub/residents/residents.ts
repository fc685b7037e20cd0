/**
 * Registering and editing residents by hand: municipality staff for their own residents, a resident for
 * their own contact details. Field rules are in ./validate.ts; this file adds what needs the database:
 * a contact (e-mail, mobile) belongs to one resident only, and a 宛名番号 is unique within a municipality.
 */
import { Prisma, type PrismaClient } from "../db/client.js";
import { DomainError, problems } from "../errors.js";
import { normaliseDestination, phoneVariants } from "../identity/destination.js";
import {
  type ChildData,
  type ChildInput,
  type ContactInput,
  checkChild,
  checkContact,
  checkMotherBeforeChildren,
  checkNewResident,
  checkResident,
  type FieldError,
  type ResidentData,
  type ResidentInput,
} from "./validate.js";

const children = { orderBy: { birthDate: "asc" } } satisfies Prisma.Resident$childrenArgs;
const NO_ID = "00000000-0000-0000-0000-000000000000";

function failIf(errors: FieldError[]) {
  if (errors.length) throw problems.validation(errors);
}

function isUniqueViolation(err: unknown): boolean {
  return (
    err instanceof Prisma.PrismaClientKnownRequestError && (err.code === "P2002" || err.code === "P2010")
  );
}

/**
 * 409 `contact_in_use` when another resident (or another resident's account) has this e-mail or mobile. The
 * contact comes normalised (./validate.ts), so it is compared with `=` as the sign-in does, never as a pattern.
 */
export async function assertContactFree(
  prisma: PrismaClient | Prisma.TransactionClient,
  self: string | null,
  contact: { email?: string | null; phone?: string | null },
): Promise<void> {
  const notSelf = { id: { not: self ?? NO_ID } };
  if (contact.email) {
    const email = contact.email;
    const [residents, users] = await Promise.all([
      prisma.resident.count({ where: { ...notSelf, email } }),
      prisma.user.count({
        where: { role: "resident", email, NOT: { residentId: self ?? NO_ID } },
      }),
    ]);
    if (residents + users > 0) {
      throw problems.conflict("contact_in_use", "Another resident already uses this e-mail address");
    }
  }
  if (contact.phone) {
    const d = normaliseDestination(contact.phone);
    if (d?.channel === "sms") {
      const taken = await prisma.resident.count({ where: { ...notSelf, phone: { in: phoneVariants(d) } } });
      if (taken > 0)
        throw problems.conflict("contact_in_use", "Another resident already uses this mobile number");
    }
  }
}

/** 409 `external_id_in_use` when another resident of the municipality has this 宛名番号. */
async function assertExternalIdFree(
  prisma: PrismaClient | Prisma.TransactionClient,
  municipalityCode: string,
  externalId: string | null | undefined,
  self: string | null,
): Promise<void> {
  if (!externalId) return;
  const taken = await prisma.resident.count({
    where: { municipalityCode, externalId, id: { not: self ?? NO_ID } },
  });
  if (taken > 0) throw externalIdInUse();
}

const externalIdInUse = () =>
  problems.conflict("external_id_in_use", "Another resident of this municipality has this 宛名番号");

/** A unique index may still refuse a row written concurrently: the same 409. */
async function mapUnique<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof DomainError) && isUniqueViolation(err)) throw externalIdInUse();
    throw err;
  }
}

export async function createResident(
  prisma: PrismaClient,
  municipalityCode: string,
  input: ResidentInput & { children: ChildInput[] },
  now: Date,
) {
  const { data, errors } = checkNewResident(input, now);
  failIf(errors);
  await assertContactFree(prisma, null, data.resident);
  await assertExternalIdFree(prisma, municipalityCode, data.resident.externalId, null);
  return mapUnique(() =>
    prisma.resident.create({
      data: {
        ...data.resident,
        familyName: data.resident.familyName as string,
        givenName: data.resident.givenName as string,
        municipalityCode,
        children: { create: data.children },
      },
      include: { children },
    }),
  );
}

/** Staff edit of their own municipality's resident (404 for anyone else's). */
export async function updateResident(
  prisma: PrismaClient,
  municipalityCode: string,
  residentId: string,
  input: ResidentInput,
  now: Date,
) {
  const existing = await prisma.resident.findFirst({
    where: { id: residentId, municipalityCode },
    include: { children },
  });
  if (!existing) throw problems.notFound("resident");
  const { data, errors } = checkResident(input, now);
  if (data.birthDate) {
    errors.push(...checkMotherBeforeChildren(data.birthDate, existing.children as ChildData[]));
  }
  failIf(errors);
  // Consent given again keeps the date it was first given.
  if (data.consentAt && existing.consentAt) delete data.consentAt;
  await assertContactFree(prisma, residentId, data);
  await assertExternalIdFree(prisma, municipalityCode, data.externalId, residentId);
  return mapUnique(() => prisma.resident.update({ where: { id: residentId }, data, include: { children } }));
}

/** A child added to their own municipality's resident. */
export async function addChild(
  prisma: PrismaClient,
  municipalityCode: string,
  residentId: string,
  input: ChildInput,
  now: Date,
) {
  const existing = await prisma.resident.findFirst({
    where: { id: residentId, municipalityCode },
    include: { children },
  });
  if (!existing) throw problems.notFound("resident");
  if (existing.children.length >= 10) {
    throw problems.unprocessable("too_many_children", "A resident has at most 10 children registered");
  }
  const { data, errors } = checkChild(input, now);
  if (data) errors.push(...checkMotherBeforeChildren(existing.birthDate, [data]));
  failIf(errors);
  await prisma.child.create({ data: { ...(data as ChildData), residentId } });
  return prisma.resident.findUniqueOrThrow({ where: { id: residentId }, include: { children } });
}

/** A resident corrects their own e-mail, mobile or language. */
export async function updateOwnContact(prisma: PrismaClient, residentId: string, input: ContactInput) {
  const { data, errors } = checkContact(input);
  failIf(errors);
  await assertContactFree(prisma, residentId, data);
  const update: ResidentData = data;
  return prisma.resident.update({ where: { id: residentId }, data: update, include: { children } });
}
