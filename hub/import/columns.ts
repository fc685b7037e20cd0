import { textProblem } from "../db/text.js";
import type { ImportError, Table } from "./read.js";

/** One column of an import layout: English key (alias), Japanese header, and whether it must be present. */
export type ColumnSpec = { readonly key: string; readonly ja: string; readonly required: boolean };

/**
 * Maps a table's headers to the columns of a layout (Japanese header or English alias, case-insensitive) and
 * reports unknown, duplicate and missing columns on line 1, a table without data rows on line 0, and every cell
 * holding text the database cannot store on its line, exactly as the residents import does.
 */
export function mapColumns<K extends string>(
  table: Table,
  columns: readonly { key: K; ja: string; required: boolean }[],
): { columnOf: Map<string, K>; errors: ImportError[] } {
  const byHeader = new Map<string, K>(
    columns.flatMap((c) => [
      [c.ja, c.key],
      [c.key, c.key],
    ]),
  );
  const errors: ImportError[] = [];
  const columnOf = new Map<string, K>();
  for (const h of table.headers) {
    if (h === "") continue;
    const key = byHeader.get(h) ?? byHeader.get(h.toLowerCase());
    if (!key) {
      errors.push({ line: 1, column: h, code: "unknown_column", message: `Unknown column "${h}"` });
      continue;
    }
    if ([...columnOf.values()].includes(key)) {
      errors.push({ line: 1, column: h, code: "duplicate_column", message: `Column "${h}" appears twice` });
      continue;
    }
    columnOf.set(h, key);
  }
  const present = new Set(columnOf.values());
  for (const c of columns) {
    if (c.required && !present.has(c.key)) {
      errors.push({
        line: 1,
        column: c.ja,
        code: "missing_column",
        message: `The column ${c.ja} (${c.key}) is required`,
      });
    }
  }
  if (!errors.length && table.rows.length === 0) {
    errors.push({ line: 0, column: "", code: "no_rows", message: "The file has no data rows" });
  }
  // Text the database cannot store (a NUL byte, or an unpaired surrogate from a workbook) would fail the import
  // half-way as a server error: each such cell is reported here, with its line.
  for (const { line, cells } of table.rows) {
    for (const [header, text] of Object.entries(cells)) {
      const problem = textProblem(text);
      if (problem) {
        errors.push({
          line,
          column: columnOf.get(header) ?? header,
          code: "invalid_text",
          message: `The cell ${problem}`,
        });
      }
    }
  }
  return { columnOf, errors };
}

/** The cells of one row by column key, and an error collector for that row. */
export function rowReader<K extends string>(
  line: number,
  cells: Record<string, string>,
  columnOf: Map<string, K>,
  columns: readonly { key: K; ja: string; required: boolean }[],
) {
  const v: Partial<Record<K, string>> = {};
  for (const [h, key] of columnOf) v[key] = cells[h] ?? "";
  const errors: ImportError[] = [];
  const get = (key: K) => v[key] ?? "";
  const err = (key: K, code: string, message: string) => errors.push({ line, column: key, code, message });
  for (const c of columns) if (c.required && get(c.key) === "") err(c.key, "required", `${c.ja} is required`);
  const tooLong = (key: K, max: number) => {
    if (get(key).length > max) err(key, "too_long", `At most ${max} characters`);
  };
  /** A `;`-separated list (full-width ； and 、 too), empty items dropped. */
  const list = (key: K) =>
    get(key)
      .split(/[;；、]/)
      .map((s) => s.trim())
      .filter(Boolean);
  return { get, err, tooLong, list, errors };
}
