import { mapColumns, rowReader } from "./columns.js";
import type { ImportError, Table } from "./read.js";
import { isValidMunicipalityCode, LANGUAGE, POSTAL } from "./residents.js";

/** The facilities column layout (documented in fixtures/import/README.md). */
export const FACILITY_COLUMNS = [
  { key: "id", ja: "施設ID", required: false },
  { key: "name", ja: "施設名", required: true },
  { key: "kana", ja: "施設名カナ", required: false },
  { key: "kind", ja: "種別", required: true },
  { key: "association", ja: "所属団体", required: true },
  { key: "municipality_code", ja: "市町村コード", required: true },
  { key: "postal_code", ja: "郵便番号", required: false },
  { key: "address", ja: "住所", required: true },
  { key: "access", ja: "アクセス", required: false },
  { key: "phone", ja: "電話番号", required: false },
  { key: "email", ja: "メールアドレス", required: false },
  { key: "website", ja: "ウェブサイト", required: false },
  { key: "booking_url", ja: "予約URL", required: false },
  { key: "service_area", ja: "訪問対象市町村", required: false },
  { key: "languages", ja: "対応言語", required: false },
  { key: "accessibility", ja: "バリアフリー", required: false },
  { key: "description", ja: "紹介文", required: false },
  { key: "published", ja: "公開", required: false },
  { key: "services", ja: "サービス", required: true },
] as const;

export type FacilityColumn = (typeof FACILITY_COLUMNS)[number]["key"];
export type FacilityKindName = "hospital" | "clinic" | "midwife_home";
export type ServiceTypeName = "stay" | "day" | "visit";

const KINDS: Record<string, FacilityKindName> = {
  病院: "hospital",
  hospital: "hospital",
  診療所: "clinic",
  クリニック: "clinic",
  clinic: "clinic",
  助産所: "midwife_home",
  助産院: "midwife_home",
  midwife_home: "midwife_home",
};
const ASSOCIATIONS: Record<string, "medical" | "midwife"> = {
  医師会: "medical",
  宮城県医師会: "medical",
  medical: "medical",
  助産師会: "midwife",
  宮城県助産師会: "midwife",
  midwife: "midwife",
};
const SERVICES: Record<string, ServiceTypeName> = {
  stay: "stay",
  宿泊: "stay",
  短期入所: "stay",
  day: "day",
  日帰り: "day",
  通所: "day",
  visit: "visit",
  訪問: "visit",
};
const BOOLEANS: Record<string, boolean> = {
  true: true,
  "1": true,
  yes: true,
  はい: true,
  公開: true,
  false: false,
  "0": false,
  no: false,
  いいえ: false,
  非公開: false,
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^0\d{1,4}-?\d{1,4}-?\d{3,4}$/;
const TAG = /^[a-z][a-z_]{0,29}$/;

export function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return (u.protocol === "https:" || u.protocol === "http:") && text.length <= 500;
  } catch {
    return false;
  }
}

/** `stay:3;day:5;visit:2` (or 宿泊:3 …): each service type at most once, capacity 1–999. */
export function parseServices(text: string): { serviceType: ServiceTypeName; capacity: number }[] | null {
  const out: { serviceType: ServiceTypeName; capacity: number }[] = [];
  for (const item of text.split(/[;；、]/).map((s) => s.trim())) {
    if (item === "") continue;
    const m = /^([^:：=]+)[:：=]\s*(\d{1,3})$/.exec(item);
    const type = m ? SERVICES[(m[1] ?? "").trim().toLowerCase()] : undefined;
    const capacity = Number(m?.[2]);
    if (!type || capacity < 1 || out.some((s) => s.serviceType === type)) return null;
    out.push({ serviceType: type, capacity });
  }
  return out.length ? out : null;
}

/** What a facility is, as a table row (the import's columns; the demo data's facilities have the same shape). */
export type FacilityFields = {
  name: string;
  kana: string;
  kind: FacilityKindName;
  associationId: "medical" | "midwife";
  municipalityCode: string;
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
  published: boolean;
};

/** A validated row; `id` is null when the file gives none (then matched by name + municipality). */
export type FacilityImportRow = FacilityFields & {
  line: number;
  id: string | null;
  services: { serviceType: ServiceTypeName; capacity: number }[];
};

export const facilityNaturalKey = (municipalityCode: string, name: string) => `${municipalityCode}/${name}`;

/**
 * Validates every row of a facilities table, reporting every error by line and column; pure (the known
 * municipality codes come in). Rows come back only for lines without errors.
 */
export function validateFacilities(
  table: Table,
  ctx: { municipalityCodes: ReadonlySet<string> },
): { rows: FacilityImportRow[]; errors: ImportError[] } {
  const { columnOf, errors } = mapColumns(table, FACILITY_COLUMNS);
  if (errors.length) return { rows: [], errors };
  const rows: FacilityImportRow[] = [];
  const seenIds = new Map<string, number>();
  const seenKeys = new Map<string, number>();
  for (const { line, cells } of table.rows) {
    const r = rowReader(line, cells, columnOf, FACILITY_COLUMNS);
    r.tooLong("name", 100);
    r.tooLong("kana", 200);
    r.tooLong("address", 200);
    r.tooLong("access", 500);
    r.tooLong("description", 2000);
    const known = (key: FacilityColumn, code: string) => {
      if (!isValidMunicipalityCode(code)) {
        r.err(key, "bad_code", `"${code}" is not a municipality code (6 digits with check digit)`);
        return false;
      }
      if (!ctx.municipalityCodes.has(code)) {
        r.err(key, "unknown_municipality", `No municipality has the code ${code}`);
        return false;
      }
      return true;
    };
    const id = r.get("id").toLowerCase();
    if (id !== "") {
      if (!UUID.test(id)) r.err("id", "bad_uuid", `"${r.get("id")}" is not a UUID`);
      else {
        const first = seenIds.get(id);
        if (first !== undefined) r.err("id", "duplicate", `施設ID ${id} already appears on line ${first}`);
        else seenIds.set(id, line);
      }
    }
    const code = r.get("municipality_code");
    if (code !== "") known("municipality_code", code);
    const name = r.get("name");
    if (name !== "" && code !== "") {
      const key = facilityNaturalKey(code, name);
      const first = seenKeys.get(key);
      if (first !== undefined) {
        r.err("name", "duplicate", `A facility ${name} in ${code} already appears on line ${first}`);
      } else seenKeys.set(key, line);
    }
    const kindText = r.get("kind");
    const kind = KINDS[kindText.toLowerCase()];
    if (kindText !== "" && !kind)
      r.err("kind", "bad_kind", "種別 is 病院, 診療所 or 助産所 (hospital/clinic/midwife_home)");
    const assocText = r.get("association");
    const associationId = ASSOCIATIONS[assocText.toLowerCase()];
    if (assocText !== "" && !associationId) {
      r.err("association", "bad_association", "所属団体 is 医師会 or 助産師会 (medical/midwife)");
    } else if (kind && associationId && (kind === "midwife_home") !== (associationId === "midwife")) {
      r.err("association", "bad_association", "助産所 belong to 助産師会, 病院 and 診療所 to 医師会");
    }
    const postal = r.get("postal_code");
    if (postal !== "" && !POSTAL.test(postal))
      r.err("postal_code", "bad_postal_code", "郵便番号 is 123-4567");
    const phone = r.get("phone");
    if (phone !== "" && (!PHONE.test(phone) || ![10, 11].includes(phone.replace(/-/g, "").length))) {
      r.err("phone", "bad_phone", `"${phone}" is not a phone number (e.g. 022-123-4567)`);
    }
    const email = r.get("email").toLowerCase();
    if (email !== "" && (!EMAIL.test(email) || email.length > 254)) {
      r.err("email", "bad_email", `"${r.get("email")}" is not an e-mail address`);
    }
    for (const key of ["website", "booking_url"] as const) {
      const url = r.get(key);
      if (url !== "" && !isHttpUrl(url)) r.err(key, "bad_url", `"${url}" is not an http(s) address`);
    }
    const serviceArea = [...new Set(r.list("service_area"))];
    for (const c of serviceArea) if (!known("service_area", c)) break;
    const languages = [...new Set(r.list("languages").map((l) => l.toLowerCase()))];
    const badLanguage = languages.find((l) => !LANGUAGE.test(l));
    if (badLanguage) r.err("languages", "bad_language", `"${badLanguage}" is not a language code`);
    const accessibility = [...new Set(r.list("accessibility"))];
    const badTag = accessibility.find((t) => !TAG.test(t));
    if (badTag) r.err("accessibility", "bad_tag", `"${badTag}" is not a tag (e.g. wheelchair, parking)`);
    const publishedText = r.get("published").toLowerCase();
    const published = publishedText === "" ? true : BOOLEANS[publishedText];
    if (published === undefined) r.err("published", "bad_boolean", "公開 is はい or いいえ (true/false)");
    const servicesText = r.get("services");
    const services = servicesText === "" ? null : parseServices(servicesText);
    if (servicesText !== "" && !services) {
      r.err(
        "services",
        "bad_services",
        "サービス is e.g. stay:3;day:5;visit:2 (each type once, capacity 1–999)",
      );
    }
    if (r.errors.length || !kind || !associationId || !services) {
      errors.push(...r.errors);
      continue;
    }
    rows.push({
      line,
      id: id || null,
      name,
      kana: r.get("kana"),
      kind,
      associationId,
      municipalityCode: code,
      postalCode: postal,
      address: r.get("address"),
      access: r.get("access"),
      phone,
      email,
      website: r.get("website"),
      bookingUrl: r.get("booking_url"),
      serviceArea,
      languages: languages.length ? languages : ["ja"],
      accessibility,
      description: r.get("description"),
      published: published as boolean,
      services,
    });
  }
  return { rows, errors };
}
