import { normaliseEmail } from "../identity/email.js";
import { mapColumns } from "./columns.js";
import type { ImportError, Table } from "./read.js";

/**
 * The residents column layout (documented in fixtures/import/README.md). Each column has a Japanese header
 * and an English alias; either may be used, in any order. Unknown headers are errors (typos would otherwise
 * silently drop data).
 */
export const RESIDENT_COLUMNS = [
  { key: "municipality_code", ja: "市町村コード", required: true },
  { key: "external_id", ja: "宛名番号", required: true },
  { key: "family_name", ja: "氏", required: true },
  { key: "given_name", ja: "名", required: true },
  { key: "kana", ja: "氏名カナ", required: false },
  { key: "birth_date", ja: "生年月日", required: false },
  { key: "postal_code", ja: "郵便番号", required: false },
  { key: "address", ja: "住所", required: false },
  { key: "email", ja: "メールアドレス", required: false },
  { key: "phone", ja: "携帯電話番号", required: false },
  { key: "preferred_language", ja: "希望言語", required: false },
  { key: "income_tier", ja: "所得区分", required: false },
  { key: "consent_at", ja: "同意日", required: false },
  { key: "child_name", ja: "子の氏名", required: false },
  { key: "child_birth_date", ja: "子の生年月日", required: false },
  { key: "due_date", ja: "出産予定日", required: false },
  { key: "multiple_birth", ja: "多胎", required: false },
] as const;

export type ResidentColumn = (typeof RESIDENT_COLUMNS)[number]["key"];
export type IncomeTierName = "general" | "exempt" | "welfare";

const INCOME_TIERS: Record<string, IncomeTierName> = {
  一般: "general",
  general: "general",
  非課税: "exempt",
  住民税非課税: "exempt",
  exempt: "exempt",
  生活保護: "welfare",
  welfare: "welfare",
};

/** A validated row, ready to be written. */
export type ResidentImportRow = {
  line: number;
  municipalityCode: string;
  externalId: string;
  familyName: string;
  givenName: string;
  kana: string;
  birthDate: Date | null;
  postalCode: string;
  address: string;
  email: string | null;
  phone: string | null;
  preferredLanguage: string;
  incomeTier: IncomeTierName;
  consentAt: Date | null;
  child: { name: string; birthDate: Date; dueDate: Date | null; multipleBirth: number } | null;
};

export type ResidentValidationContext = {
  /** Every known municipality code. */
  municipalityCodes: ReadonlySet<string>;
  /** The importing staff member's municipality: rows of any other are refused. */
  ownMunicipality: string;
  /** E-mail addresses already held by a resident, mapped to that resident's "code/externalId" key. */
  existingEmails?: ReadonlyMap<string, string>;
  /** Called every 100 rows and at the end (the CLI's progress bar). */
  onProgress?: (done: number, total: number) => void;
};

export type ResidentValidation = { rows: ResidentImportRow[]; errors: ImportError[] };

const BY_HEADER = new Map<string, ResidentColumn>(
  RESIDENT_COLUMNS.flatMap((c) => [
    [c.ja, c.key],
    [c.key, c.key],
  ]),
);

/** 全国地方公共団体コード: five digits and a check digit (weights 6,5,4,3,2, modulus 11). */
export function isValidMunicipalityCode(code: string): boolean {
  if (!/^\d{6}$/.test(code)) return false;
  let sum = 0;
  for (let i = 0; i < 5; i++) sum += Number(code.charAt(i)) * (6 - i);
  return (11 - (sum % 11)) % 10 === Number(code.charAt(5));
}

/** The column a header names (Japanese header or English alias, case-insensitive), if any. */
export function columnOfHeader(header: string): ResidentColumn | undefined {
  return BY_HEADER.get(header) ?? BY_HEADER.get(header.toLowerCase());
}

export const residentKey = (code: string, externalId: string) => `${code}/${externalId}`;

/** A real calendar date as YYYY-MM-DD or YYYY/M/D (2026-02-30 is refused); null when it is not one. */
export function parseDate(text: string): Date | null {
  const m = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$/.exec(text);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  if (y < 1900 || y > 2100) return null;
  return date;
}

/** Japanese phone numbers: 10 or 11 digits starting with 0, hyphens allowed. */
const PHONE = /^0\d{1,4}-?\d{1,4}-?\d{3,4}$/;
/** 宛名番号, 郵便番号 and language code formats; also used when staff register a resident by hand. */
export const EXTERNAL_ID = /^[0-9A-Za-z-]{1,20}$/;
export const POSTAL = /^\d{3}-?\d{4}$/;
export const LANGUAGE = /^[a-z]{2}(-[A-Za-z]{2,4})?$/;

/**
 * Validates every row of a residents table and reports EVERY error with its line number and column;
 * pure (the database facts it needs come in `ctx`). Rows come back only for lines without errors.
 */
export function validateResidents(table: Table, ctx: ResidentValidationContext): ResidentValidation {
  const { columnOf, errors } = mapColumns(table, RESIDENT_COLUMNS);
  if (errors.length) return { rows: [], errors };

  const rows: ResidentImportRow[] = [];
  const seenIds = new Map<string, number>();
  const seenEmails = new Map<string, number>();
  let done = 0;
  for (const { line, cells } of table.rows) {
    if (++done % 100 === 0) ctx.onProgress?.(done, table.rows.length);
    const v: Partial<Record<ResidentColumn, string>> = {};
    for (const [h, key] of columnOf) v[key] = cells[h] ?? "";
    const rowErrors: ImportError[] = [];
    const err = (key: ResidentColumn, code: string, message: string) =>
      rowErrors.push({ line, column: key, code, message });
    const get = (key: ResidentColumn) => v[key] ?? "";
    for (const c of RESIDENT_COLUMNS) {
      if (c.required && get(c.key) === "") err(c.key, "required", `${c.ja} is required`);
    }
    const tooLong = (key: ResidentColumn, max: number) => {
      if (get(key).length > max) err(key, "too_long", `At most ${max} characters`);
    };
    tooLong("family_name", 50);
    tooLong("given_name", 50);
    tooLong("kana", 100);
    tooLong("address", 200);
    tooLong("child_name", 100);

    const code = get("municipality_code");
    if (code !== "") {
      if (!isValidMunicipalityCode(code)) {
        err(
          "municipality_code",
          "bad_code",
          `"${code}" is not a municipality code (6 digits with check digit)`,
        );
      } else if (!ctx.municipalityCodes.has(code)) {
        err("municipality_code", "unknown_municipality", `No municipality has the code ${code}`);
      } else if (code !== ctx.ownMunicipality) {
        err(
          "municipality_code",
          "other_municipality",
          `Only residents of ${ctx.ownMunicipality} may be imported`,
        );
      }
    }
    const externalId = get("external_id");
    if (externalId !== "") {
      if (!EXTERNAL_ID.test(externalId)) {
        err("external_id", "bad_external_id", "宛名番号 is 1–20 letters, digits or hyphens");
      } else {
        const key = residentKey(code, externalId);
        const first = seenIds.get(key);
        if (first !== undefined) {
          err("external_id", "duplicate", `宛名番号 ${externalId} already appears on line ${first}`);
        } else seenIds.set(key, line);
      }
    }
    const date = (key: ResidentColumn): Date | null => {
      const text = get(key);
      if (text === "") return null;
      const d = parseDate(text);
      if (!d) err(key, "bad_date", `"${text}" is not a date (YYYY-MM-DD)`);
      return d;
    };
    const birthDate = date("birth_date");
    const consentAt = date("consent_at");
    const childBirth = date("child_birth_date");
    const dueDate = date("due_date");

    const postal = get("postal_code");
    if (postal !== "" && !POSTAL.test(postal)) err("postal_code", "bad_postal_code", "郵便番号 is 123-4567");
    // The one normal form the sign-in compares with `=` (hub/identity/email.ts); blank stays blank.
    const email = get("email") === "" ? "" : (normaliseEmail(get("email")) ?? "");
    if (get("email") !== "") {
      if (email === "") {
        err("email", "bad_email", `"${get("email")}" is not an e-mail address`);
      } else {
        const first = seenEmails.get(email);
        const owner = ctx.existingEmails?.get(email);
        if (first !== undefined) {
          err("email", "duplicate", `This e-mail address already appears on line ${first}`);
        } else if (owner !== undefined && owner !== residentKey(code, externalId)) {
          err("email", "duplicate", "Another resident already has this e-mail address");
        } else seenEmails.set(email, line);
      }
    }
    const phone = get("phone");
    if (phone !== "" && (!PHONE.test(phone) || ![10, 11].includes(phone.replace(/-/g, "").length))) {
      err("phone", "bad_phone", `"${phone}" is not a phone number (e.g. 090-1234-5678)`);
    }
    const language = get("preferred_language") || "ja";
    if (!LANGUAGE.test(language))
      err("preferred_language", "bad_language", `"${language}" is not a language code`);
    const tierText = get("income_tier");
    const incomeTier = tierText === "" ? "general" : INCOME_TIERS[tierText.toLowerCase()];
    if (!incomeTier)
      err("income_tier", "bad_income_tier", "所得区分 is 一般, 非課税 or 生活保護 (general/exempt/welfare)");
    const multipleText = get("multiple_birth");
    const multipleBirth = multipleText === "" ? 1 : Number(multipleText);
    if (!Number.isInteger(multipleBirth) || multipleBirth < 1 || multipleBirth > 5) {
      err("multiple_birth", "bad_number", "多胎 is the number of babies, 1 to 5");
    }
    const childGiven = ["child_name", "due_date", "multiple_birth"].some(
      (k) => get(k as ResidentColumn) !== "",
    );
    if (childGiven && get("child_birth_date") === "") {
      err("child_birth_date", "required", "子の生年月日 is required when a child is given");
    }
    if (birthDate && childBirth && birthDate >= childBirth) {
      err("birth_date", "bad_date", "生年月日 must be before the child's birth date");
    }

    if (rowErrors.length) {
      errors.push(...rowErrors);
      continue;
    }
    rows.push({
      line,
      municipalityCode: code,
      externalId,
      familyName: get("family_name"),
      givenName: get("given_name"),
      kana: get("kana"),
      birthDate,
      postalCode: postal,
      address: get("address"),
      email: email || null,
      phone: phone || null,
      preferredLanguage: language,
      incomeTier: incomeTier as IncomeTierName,
      consentAt,
      child: childBirth ? { name: get("child_name"), birthDate: childBirth, dueDate, multipleBirth } : null,
    });
  }
  ctx.onProgress?.(table.rows.length, table.rows.length);
  return { rows, errors };
}
