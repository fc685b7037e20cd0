import { validCidr } from "../network.js";
import { mapColumns, rowReader } from "./columns.js";
import type { ImportError, Table } from "./read.js";
import { isValidMunicipalityCode } from "./residents.js";

/** The municipalities column layout (documented in fixtures/import/README.md). */
export const MUNICIPALITY_COLUMNS = [
  { key: "code", ja: "市町村コード", required: true },
  { key: "name", ja: "市町村名", required: true },
  { key: "kana", ja: "市町村名カナ", required: true },
  { key: "kind", ja: "区分", required: true },
  { key: "region", ja: "広域圏", required: true },
  { key: "allowed_cidrs", ja: "LGWAN接続元", required: false },
] as const;

export type MunicipalityColumn = (typeof MUNICIPALITY_COLUMNS)[number]["key"];

export type MunicipalityImportRow = {
  line: number;
  code: string;
  name: string;
  kana: string;
  kind: "市" | "町" | "村";
  region: string;
  allowedCidrs: string[];
};

/**
 * Validates every row of a municipalities table, reporting every error by line and column; pure. Rows come back
 * only for lines without errors.
 */
export function validateMunicipalities(table: Table): {
  rows: MunicipalityImportRow[];
  errors: ImportError[];
} {
  const { columnOf, errors } = mapColumns(table, MUNICIPALITY_COLUMNS);
  if (errors.length) return { rows: [], errors };
  const rows: MunicipalityImportRow[] = [];
  const seen = new Map<string, number>();
  for (const { line, cells } of table.rows) {
    const r = rowReader(line, cells, columnOf, MUNICIPALITY_COLUMNS);
    r.tooLong("name", 50);
    r.tooLong("kana", 100);
    r.tooLong("region", 50);
    const code = r.get("code");
    if (code !== "") {
      if (!isValidMunicipalityCode(code)) {
        r.err("code", "bad_code", `"${code}" is not a municipality code (6 digits with check digit)`);
      } else {
        const first = seen.get(code);
        if (first !== undefined)
          r.err("code", "duplicate", `The code ${code} already appears on line ${first}`);
        else seen.set(code, line);
      }
    }
    const kind = r.get("kind");
    if (kind !== "" && kind !== "市" && kind !== "町" && kind !== "村") {
      r.err("kind", "bad_kind", "区分 is 市, 町 or 村");
    }
    const cidrs = r.list("allowed_cidrs");
    const bad = cidrs.filter((c) => !validCidr(c));
    if (bad.length) {
      r.err("allowed_cidrs", "bad_cidr", `Not an address or CIDR range: ${bad.join(", ")}`);
    }
    if (r.errors.length) {
      errors.push(...r.errors);
      continue;
    }
    rows.push({
      line,
      code,
      name: r.get("name"),
      kana: r.get("kana"),
      kind: kind as "市" | "町" | "村",
      region: r.get("region"),
      allowedCidrs: [...new Set(cidrs)],
    });
  }
  return { rows, errors };
}
