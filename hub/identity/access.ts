import type { Prisma, Role } from "../db/client.js";
import { problems } from "../errors.js";
import type { Actor } from "./actor.js";

/**
 * The one place that decides who may do what. Two layers:
 *  1. operation access, declared per operation as `x-access` in schemas/openapi.yaml
 *     (`public`, `signed-in`, or a list of roles), checked before any handler runs;
 *  2. tenant scoping, the functions below, which handlers use for every read and write
 *     (a facility sees its own bookings, a municipality its own residents, a resident themself).
 * The prefecture reads everything and writes nothing here; the operator sees no personal data.
 */
export type Access = "public" | "signed-in" | Role[];

export function checkOperationAccess(
  access: Access | undefined,
  actor: Actor | null,
  allowUnverified: boolean,
): void {
  if (access === undefined) throw problems.forbidden("This operation declares no access rule");
  if (access === "public") return;
  if (!actor) throw problems.unauthenticated();
  if (!actor.verified && !allowUnverified) {
    throw problems.unauthenticated(
      "Enter the code from your authenticator app first",
      "second_factor_required",
    );
  }
  if (access === "signed-in") return;
  if (!access.includes(actor.role)) throw problems.forbidden(`The ${actor.role} role may not do this`);
}

/** Scoping of facility-owned data for writes: only the facility's own staff. */
export function assertOwnFacility(actor: Actor, facilityId: string): void {
  if (actor.role !== "facility" || actor.facilityId !== facilityId) {
    throw problems.forbidden("Only this facility's own staff may change it");
  }
}

/** Only the municipality's own staff. */
export function assertOwnMunicipality(actor: Actor, code: string): void {
  if (actor.role !== "municipality" || actor.municipalityCode !== code) {
    throw problems.forbidden("Only this municipality's own staff may change it");
  }
}

/**
 * Initial data migration of residents (personal data): only a municipality's own staff, and only into their
 * own municipality; the prefecture and the operator may not. Returns the municipality the caller imports into.
 */
export function residentImportMunicipality(actor: Actor): string {
  if (actor.role !== "municipality" || !actor.municipalityCode) {
    throw problems.forbidden("Only a municipality's own staff may import its residents");
  }
  return actor.municipalityCode;
}

/**
 * Initial data migration of municipalities and facilities (the prefecture's reference data): the prefecture
 * (県) only; municipalities, associations, facilities and the operator may not.
 */
export function assertReferenceImport(actor: Actor): void {
  if (actor.role !== "prefecture") {
    throw problems.forbidden("Only the prefecture may import municipalities and facilities");
  }
}

/** Reads of a municipality's settings: its own staff, the prefecture, the operator. */
export function assertCanReadMunicipality(actor: Actor, code: string): void {
  if (actor.role === "prefecture" || actor.role === "operator") return;
  assertOwnMunicipality(actor, code);
}

/** Reads of a municipality's policy versions (利用条件) by staff: its own staff and the prefecture (read-only). */
export function assertCanReadMunicipalityPolicies(actor: Actor, code: string): void {
  if (actor.role === "prefecture") return;
  if (actor.role !== "municipality" || actor.municipalityCode !== code) {
    throw problems.forbidden(
      "Only this municipality's own staff and the prefecture may see its policy versions",
    );
  }
}

/** Which bookings an actor may see. Anything outside is answered as 404, not 403, so ids cannot be probed. */
export function bookingScope(actor: Actor): Prisma.BookingWhereInput {
  switch (actor.role) {
    case "resident":
      return { residentId: actor.residentId ?? "00000000-0000-0000-0000-000000000000" };
    case "facility":
      return { facilityId: actor.facilityId ?? "00000000-0000-0000-0000-000000000000" };
    case "municipality":
      return { resident: { municipalityCode: actor.municipalityCode ?? "" } };
    case "prefecture":
      return {};
    default:
      return { id: "00000000-0000-0000-0000-000000000000" };
  }
}

/** Which residents an actor may see. */
export function residentScope(actor: Actor): Prisma.ResidentWhereInput {
  switch (actor.role) {
    case "resident":
      return { id: actor.residentId ?? "00000000-0000-0000-0000-000000000000" };
    case "municipality":
      return { municipalityCode: actor.municipalityCode ?? "" };
    case "prefecture":
      return {};
    default:
      return { id: "00000000-0000-0000-0000-000000000000" };
  }
}

/** Actions on a booking, by role: who may confirm, reject or cancel. Scope is checked separately. */
export function assertBookingAction(actor: Actor, action: "confirm" | "reject" | "cancel"): void {
  const allowed: Record<typeof action, Role[]> = {
    confirm: ["facility"],
    reject: ["facility"],
    cancel: ["resident", "facility", "municipality"],
  };
  if (!allowed[action].includes(actor.role)) throw problems.forbidden();
}

/** Which vouchers an actor may see: a resident their own, a municipality its own, the prefecture all. */
export function voucherScope(actor: Actor): Prisma.VoucherWhereInput {
  switch (actor.role) {
    case "resident":
      return { residentId: actor.residentId ?? "00000000-0000-0000-0000-000000000000" };
    case "municipality":
      return { municipalityCode: actor.municipalityCode ?? "" };
    case "prefecture":
      return {};
    default:
      return { id: "00000000-0000-0000-0000-000000000000" };
  }
}

/** Voucher writes (issue, revoke, re-issue): a municipality's own staff. Returns their municipality. */
export function voucherIssuer(actor: Actor): string {
  if (actor.role !== "municipality" || !actor.municipalityCode) {
    throw problems.forbidden("Only a municipality's own staff may issue or revoke its vouchers");
  }
  return actor.municipalityCode;
}

/** Who may see a voucher's QR payload: the resident it belongs to and the issuing municipality's staff. */
export function maySeeVoucherQr(
  actor: Actor,
  voucher: { residentId: string; municipalityCode: string },
): boolean {
  if (actor.role === "resident") return actor.residentId === voucher.residentId;
  return actor.role === "municipality" && actor.municipalityCode === voucher.municipalityCode;
}
