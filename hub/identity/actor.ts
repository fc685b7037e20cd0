import type { Role } from "../db/client.js";

/** Who is calling: the signed-in user with their tenant, as the policy layer sees them. */
export type Actor = {
  userId: string;
  role: Role;
  displayName: string;
  municipalityCode: string | null;
  facilityId: string | null;
  associationId: string | null;
  residentId: string | null;
  sessionId: string;
  /** false until the second factor is given, where the role needs one. */
  verified: boolean;
  csrfToken: string;
};

export const isStaff = (a: Actor | null): a is Actor => !!a && a.role !== "resident";

/** The tenant an actor belongs to, as written in the audit log: "municipality:041009", "facility:<id>", ... */
export function tenantOf(a: Actor): string {
  switch (a.role) {
    case "municipality":
      return `municipality:${a.municipalityCode}`;
    case "facility":
      return `facility:${a.facilityId}`;
    case "association":
      return `association:${a.associationId}`;
    case "resident":
      return `resident:${a.residentId}`;
    default:
      return a.role;
  }
}
