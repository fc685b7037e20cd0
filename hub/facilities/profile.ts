/**
 * Pure rules for editing a facility profile: which fields a facility may change, how submitted values are
 * tidied, and which fields a patch actually changes (the FacilityRevision `changes`). No I/O.
 */
import type { FacilityChanges } from "./mapper.js";

/** The profile fields a facility edits itself (FacilityPatch without `version`). */
export const EDITABLE_FIELDS = [
  "name",
  "kana",
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
] as const;

export type EditableField = (typeof EDITABLE_FIELDS)[number];
type ArrayField = "serviceArea" | "languages" | "accessibility";
export type EditableProfile = { [K in EditableField]: K extends ArrayField ? string[] : string };
export type ProfilePatch = Partial<EditableProfile>;

/** The request body of updateFacility, as validated against FacilityPatch. */
export type FacilityPatchBody = ProfilePatch & { version: number };

const ARRAY_FIELDS = new Set<EditableField>(["serviceArea", "languages", "accessibility"]);
const REQUIRED_TEXT = new Set<EditableField>(["name", "address"]);

export type FieldError = { path: string; message: string };

/**
 * Tidies a validated patch: trims text, writes postal codes as 123-4567, drops repeated list entries, and
 * keeps only editable fields. Returns the errors left after tidying (a name of only spaces).
 */
export function normalizePatch(body: FacilityPatchBody): {
  version: number;
  patch: ProfilePatch;
  errors: FieldError[];
} {
  const patch: ProfilePatch = {};
  const errors: FieldError[] = [];
  const source = body as Partial<Record<EditableField, unknown>>;
  for (const field of EDITABLE_FIELDS) {
    const value = source[field];
    if (value === undefined) continue;
    if (ARRAY_FIELDS.has(field)) {
      if (!Array.isArray(value)) {
        errors.push({ path: `/${field}`, message: "must be an array" });
        continue;
      }
      (patch as Record<string, string[]>)[field] = [...new Set(value.map((v) => String(v).trim()))];
      continue;
    }
    if (typeof value !== "string") {
      errors.push({ path: `/${field}`, message: "must be a string" });
      continue;
    }
    let text = value.trim();
    if (field === "postalCode" && /^[0-9]{7}$/.test(text)) text = `${text.slice(0, 3)}-${text.slice(3)}`;
    if (REQUIRED_TEXT.has(field) && text === "") {
      errors.push({ path: `/${field}`, message: "must not be blank" });
      continue;
    }
    (patch as Record<string, string>)[field] = text;
  }
  return { version: body.version, patch, errors };
}

/**
 * Lists compared by value. Every list here is a set (uniqueItems in the contract), so the order a form
 * submits them in is not a change.
 */
export function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const left = [...a].sort();
  const right = [...b].sort();
  return left.every((v, i) => v === right[i]);
}

/** The fields of `patch` whose value differs from `current`, as {field: {from, to}}; {} when nothing changes. */
export function diffProfile(current: EditableProfile, patch: ProfilePatch): FacilityChanges {
  const changes: FacilityChanges = {};
  for (const field of EDITABLE_FIELDS) {
    const to = patch[field];
    if (to === undefined) continue;
    const from = current[field];
    const same =
      Array.isArray(from) && Array.isArray(to) ? sameList(from, to) : !Array.isArray(to) && from === to;
    if (!same)
      changes[field] = { from: Array.isArray(from) ? [...from] : from, to: Array.isArray(to) ? [...to] : to };
  }
  return changes;
}

/** The column values to write for a diff: only the changed fields. */
export function changedValues(changes: FacilityChanges): ProfilePatch {
  const out: Record<string, unknown> = {};
  for (const [field, { to }] of Object.entries(changes)) out[field] = to;
  return out as ProfilePatch;
}
