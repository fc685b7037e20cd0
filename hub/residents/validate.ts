/**
 * Validation of residents registered or edited by hand (staff) and of contact details a resident corrects
 * themself. Pure: the database checks (contact and 宛名番号 uniqueness) live in ./residents.ts.
 * Formats are the import's (hub/import/residents.ts), contacts are normalised as the resident code sign-in
 * normalises what a resident types (hub/identity/destination.ts), so a stored contact is found at sign-in.
 */
import { normaliseDestination } from "../identity/destination.js";
import { EXTERNAL_ID, LANGUAGE, POSTAL, parseDate } from "../import/residents.js";
import { daysBetween, tokyoToday } from "../inventory/dates.js";

export type IncomeTier = "general" | "exempt" | "welfare";
export type FieldError = { path: string; message: string; code: string };

export type ChildInput = {
  name: string;
  birthDate: string;
  dueDate?: string | null;
  multipleBirth: number;
};

export type ContactInput = {
  email?: string | null;
  phone?: string | null;
  preferredLanguage?: string;
};

export type ResidentInput = ContactInput & {
  familyName?: string;
  givenName?: string;
  kana?: string;
  birthDate?: string | null;
  postalCode?: string;
  address?: string;
  incomeTier?: IncomeTier;
  consent?: boolean;
  externalId?: string | null;
};

export type ChildData = { name: string; birthDate: Date; dueDate: Date | null; multipleBirth: number };

/** Only the fields that were given; `null` clears an optional field. */
export type ResidentData = {
  familyName?: string;
  givenName?: string;
  kana?: string;
  birthDate?: Date | null;
  postalCode?: string;
  address?: string;
  email?: string | null;
  phone?: string | null;
  preferredLanguage?: string;
  incomeTier?: IncomeTier;
  consentAt?: Date | null;
  externalId?: string | null;
};

export type Checked<T> = { data: T; errors: FieldError[] };

/** A due date this far from the birth date (either way) is a typing error: 20 weeks. */
export const MAX_DUE_DATE_OFFSET_DAYS = 20 * 7;

const blank = (v: string | null | undefined) => v === null || v === undefined || v.trim() === "";

/** An e-mail address as the sign-in normalises it (NFKC, lower case); null clears it. */
export function normaliseEmail(input: string | null): { value: string | null } | { error: string } {
  if (blank(input)) return { value: null };
  const d = normaliseDestination(input as string);
  if (d?.channel !== "email") return { error: "not an e-mail address" };
  return { value: d.address };
}

/** A mobile number (070/080/090, SMS) as 09012345678; null clears it. */
export function normalisePhone(input: string | null): { value: string | null } | { error: string } {
  if (blank(input)) return { value: null };
  const d = normaliseDestination(input as string);
  if (d?.channel !== "sms") return { error: "not a mobile number (e.g. 090-1234-5678)" };
  return { value: d.national };
}

/** E-mail, phone and language: the fields a resident may change themself. */
export function checkContact(input: ContactInput, prefix = ""): Checked<ResidentData> {
  const data: ResidentData = {};
  const errors: FieldError[] = [];
  if (input.email !== undefined) {
    const r = normaliseEmail(input.email);
    if ("error" in r) errors.push({ path: `${prefix}email`, code: "bad_email", message: r.error });
    else data.email = r.value;
  }
  if (input.phone !== undefined) {
    const r = normalisePhone(input.phone);
    if ("error" in r) errors.push({ path: `${prefix}phone`, code: "bad_phone", message: r.error });
    else data.phone = r.value;
  }
  if (input.preferredLanguage !== undefined) {
    if (!LANGUAGE.test(input.preferredLanguage)) {
      errors.push({
        path: `${prefix}preferredLanguage`,
        code: "bad_language",
        message: "not a language code (e.g. ja, en, pt-BR)",
      });
    } else data.preferredLanguage = input.preferredLanguage;
  }
  return { data, errors };
}

/** A calendar date no later than today in Tokyo. */
function pastDate(text: string, now: Date, path: string, errors: FieldError[]): Date | null {
  const d = parseDate(text);
  if (!d) {
    errors.push({ path, code: "bad_date", message: `"${text}" is not a date (YYYY-MM-DD)` });
    return null;
  }
  if (d.getTime() > tokyoToday(now).getTime()) {
    errors.push({ path, code: "future_date", message: "a birth date cannot be in the future" });
    return null;
  }
  return d;
}

/** One child: birth date not in the future, due date within 20 weeks of it, 1–5 babies. */
export function checkChild(input: ChildInput, now: Date, prefix = ""): Checked<ChildData | null> {
  const errors: FieldError[] = [];
  const name = input.name.trim();
  if (name.length > 100)
    errors.push({ path: `${prefix}name`, code: "too_long", message: "at most 100 characters" });
  const birthDate = pastDate(input.birthDate, now, `${prefix}birthDate`, errors);
  let dueDate: Date | null = null;
  if (!blank(input.dueDate)) {
    dueDate = parseDate(input.dueDate as string);
    if (!dueDate) {
      errors.push({ path: `${prefix}dueDate`, code: "bad_date", message: "not a date (YYYY-MM-DD)" });
    } else if (birthDate && Math.abs(daysBetween(birthDate, dueDate)) > MAX_DUE_DATE_OFFSET_DAYS) {
      errors.push({
        path: `${prefix}dueDate`,
        code: "due_date_out_of_range",
        message: "the due date must be within 20 weeks of the birth date",
      });
    }
  }
  if (!Number.isInteger(input.multipleBirth) || input.multipleBirth < 1 || input.multipleBirth > 5) {
    errors.push({
      path: `${prefix}multipleBirth`,
      code: "bad_number",
      message: "the number of babies, 1 to 5",
    });
  }
  if (errors.length || !birthDate) return { data: null, errors };
  return { data: { name, birthDate, dueDate, multipleBirth: input.multipleBirth }, errors };
}

/** The resident's own fields (not the children), only those given. */
export function checkResident(input: ResidentInput, now: Date): Checked<ResidentData> {
  const { data, errors } = checkContact(input);
  const text = (key: "familyName" | "givenName" | "kana" | "address", max: number, required: boolean) => {
    const v = input[key];
    if (v === undefined) return;
    const t = v.trim();
    if (required && t === "") errors.push({ path: key, code: "required", message: "must not be empty" });
    else if (t.length > max)
      errors.push({ path: key, code: "too_long", message: `at most ${max} characters` });
    else data[key] = t;
  };
  text("familyName", 50, true);
  text("givenName", 50, true);
  text("kana", 100, false);
  text("address", 200, false);
  if (input.birthDate !== undefined) {
    data.birthDate = input.birthDate === null ? null : pastDate(input.birthDate, now, "birthDate", errors);
  }
  if (input.postalCode !== undefined) {
    const p = input.postalCode.trim();
    if (p !== "" && !POSTAL.test(p)) {
      errors.push({ path: "postalCode", code: "bad_postal_code", message: "郵便番号 is 123-4567" });
    } else data.postalCode = p;
  }
  if (input.externalId !== undefined) {
    const id = blank(input.externalId) ? null : (input.externalId as string).trim();
    if (id !== null && !EXTERNAL_ID.test(id)) {
      errors.push({
        path: "externalId",
        code: "bad_external_id",
        message: "宛名番号 is 1–20 letters, digits or hyphens",
      });
    } else data.externalId = id;
  }
  if (input.incomeTier !== undefined) data.incomeTier = input.incomeTier;
  if (input.consent !== undefined) data.consentAt = input.consent ? now : null;
  return { data, errors };
}

/** A new resident with their children: every field checked, every error reported at once. */
export function checkNewResident(
  input: ResidentInput & { children: ChildInput[] },
  now: Date,
): Checked<{ resident: ResidentData; children: ChildData[] }> {
  const { data: resident, errors } = checkResident(input, now);
  if (input.children.length < 1 || input.children.length > 5) {
    errors.push({ path: "children", code: "bad_number", message: "one to five children" });
  }
  const children: ChildData[] = [];
  input.children.forEach((c, i) => {
    const r = checkChild(c, now, `children/${i}/`);
    errors.push(...r.errors);
    if (r.data) children.push(r.data);
  });
  errors.push(...checkMotherBeforeChildren(resident.birthDate ?? null, children));
  return { data: { resident, children }, errors };
}

/** The resident's own birth date must come before each child's (the import checks the same). */
export function checkMotherBeforeChildren(birthDate: Date | null, children: ChildData[]): FieldError[] {
  if (!birthDate) return [];
  return children.some((c) => c.birthDate.getTime() <= birthDate.getTime())
    ? [{ path: "birthDate", code: "bad_date", message: "must be before the children's birth dates" }]
    : [];
}
