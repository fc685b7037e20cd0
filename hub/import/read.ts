import { parse } from "csv-parse/sync";
import iconv from "iconv-lite";

/** One data row of an import file: its 1-based line number (the header is line 1) and its cells by header. */
export type TableRow = { line: number; cells: Record<string, string> };
export type Table = { encoding: "utf-8" | "shift_jis" | "xlsx"; headers: string[]; rows: TableRow[] };

/** A problem with one cell, one row, or the file itself (line 0), as reported to the user. */
export type ImportError = { line: number; column: string; code: string; message: string };

export class ImportFileError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** UTF-8 (a BOM is dropped) when the bytes are valid UTF-8, else Shift_JIS (Windows code page 932). */
export function decodeText(bytes: Uint8Array): { text: string; encoding: "utf-8" | "shift_jis" } {
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes.subarray(start));
    return { text, encoding: "utf-8" };
  } catch {
    return { text: iconv.decode(Buffer.from(bytes), "cp932"), encoding: "shift_jis" };
  }
}

/** Parses CSV bytes into rows keyed by the (trimmed) header of the first line, with their line numbers. */
export function readCsv(bytes: Uint8Array): Table {
  const { text, encoding } = decodeText(bytes);
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      bom: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (err) {
    throw new ImportFileError("csv_unreadable", `The CSV could not be read: ${(err as Error).message}`);
  }
  const [head, ...data] = records;
  if (!head) throw new ImportFileError("empty_file", "The file has no header line");
  const headers = head.record.map((h) => h.trim());
  const rows = data
    .filter((r) => r.record.some((c) => c.trim() !== ""))
    .map((r) => ({ line: r.info.lines, cells: cellsOf(headers, r.record) }));
  return { encoding, headers, rows };
}

/** The first worksheet of an .xlsx workbook; dates become YYYY-MM-DD. */
export async function readXlsx(bytes: Uint8Array): Promise<Table> {
  const { default: ExcelJS } = await import("exceljs");
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer);
  } catch (err) {
    throw new ImportFileError("xlsx_unreadable", `The workbook could not be read: ${(err as Error).message}`);
  }
  const sheet = workbook.worksheets[0];
  if (!sheet || sheet.rowCount === 0) throw new ImportFileError("empty_file", "The workbook has no rows");
  const values = (rowNumber: number): string[] => {
    const row = sheet.getRow(rowNumber);
    const out: string[] = [];
    for (let c = 1; c <= row.cellCount; c++) out.push(cellText(row.getCell(c).value));
    return out;
  };
  const headers = values(1).map((h) => h.trim());
  const rows: TableRow[] = [];
  for (let r = 2; r <= sheet.rowCount; r++) {
    const record = values(r);
    if (record.some((c) => c.trim() !== "")) rows.push({ line: r, cells: cellsOf(headers, record) });
  }
  return { encoding: "xlsx", headers, rows };
}

/** Reads a file by its name: .xlsx as a workbook, anything else as CSV. */
export async function readTable(fileName: string, bytes: Uint8Array): Promise<Table> {
  return /\.xlsx$/i.test(fileName) ? readXlsx(bytes) : readCsv(bytes);
}

function cellsOf(headers: string[], record: string[]): Record<string, string> {
  const cells: Record<string, string> = {};
  headers.forEach((h, i) => {
    cells[h] = (record[i] ?? "").trim();
  });
  return cells;
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === "object") {
    const v = value as { text?: unknown; result?: unknown; richText?: { text: string }[] };
    if (v.richText) return v.richText.map((t) => t.text).join("");
    if (v.text !== undefined) return String(v.text);
    if (v.result !== undefined) return cellText(v.result);
    return "";
  }
  return String(value);
}
