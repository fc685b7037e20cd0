import type { PrismaClient } from "../db/client.js";
import type { Actor } from "./actor.js";

/** The `Me` schema of the API: who is signed in, their tenant, the session's state and CSRF token. */
export type Me = {
  id: string;
  role: Actor["role"];
  displayName: string;
  email: string | null;
  locale: string;
  verified: boolean;
  totpEnabled: boolean;
  /** Whether this account must use a second factor (its role is in TOTP_REQUIRED_ROLES, or it enrolled one). */
  secondFactorRequired: boolean;
  /** Unused recovery codes, when a second factor is set up. */
  recoveryCodesRemaining: number;
  csrfToken: string;
  municipalityCode: string | null;
  facilityId: string | null;
  associationId: string | null;
  residentId: string | null;
  tenantName: string | null;
};

export const PREFECTURE_NAME = "宮城県";

export async function meFor(
  prisma: PrismaClient,
  actor: Actor,
  totpRequiredRoles: readonly string[] = [],
): Promise<Me> {
  const user = await prisma.user.findUniqueOrThrow({
    where: { id: actor.userId },
    select: {
      email: true,
      locale: true,
      totpEnabled: true,
      _count: { select: { recoveryCodes: { where: { usedAt: null } } } },
      municipality: { select: { name: true } },
      facility: { select: { name: true } },
      association: { select: { name: true } },
      resident: { select: { municipality: { select: { name: true } } } },
    },
  });
  const tenantName =
    actor.role === "prefecture"
      ? PREFECTURE_NAME
      : (user.municipality?.name ??
        user.facility?.name ??
        user.association?.name ??
        user.resident?.municipality.name ??
        null);
  return {
    id: actor.userId,
    role: actor.role,
    displayName: actor.displayName,
    email: user.email,
    locale: user.locale,
    verified: actor.verified,
    totpEnabled: user.totpEnabled,
    secondFactorRequired: user.totpEnabled || totpRequiredRoles.includes(actor.role),
    recoveryCodesRemaining: user._count.recoveryCodes,
    csrfToken: actor.csrfToken,
    municipalityCode: actor.municipalityCode,
    facilityId: actor.facilityId,
    associationId: actor.associationId,
    residentId: actor.residentId,
    tenantName,
  };
}
