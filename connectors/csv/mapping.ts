/**
 * CSV files → canonical changes, the pure part (no I/O). Two layouts, told apart by their header (README.md in
 * this folder): bookings (予約番号, 改訂, 状態, 種類, 開始日, 終了日, 時間帯, 経路) and capacity (種類, 日付, 時間帯,
 * 受入枠, 使用中). English column names are accepted too. Encodings: UTF-8 with or without BOM, and Shift_JIS
 * (Windows code page 932, as Excel saves "CSV (コンマ区切り)"): a BOM means UTF-8, else valid UTF-8 is UTF-8, else
 * Shift_JIS. CRLF or LF. Every problem is reported with its line (1 = the header) and column; nothing throws.
 *
 * Also the writing side (`toCsv`), so a downloaded file uploads again unchanged.
 */
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import iconv from "iconv-lite";
import type { ExternalBooking, ExternalChange, FileReport, ServiceType } from "../contract.js";

/** A connection's configuration (schemas/connectors/csv.schema.json). */
export type CsvConfig = {
  /** Words the facility's file uses for time blocks, e.g. { "午前": "am", "午後": "pm" }. */
  timeBlockAliases?: Record<string, string>;
};

export type CsvLayout = "bookings" | "capacity";
export type CsvEncoding = "utf-8" | "utf-8-bom" | "shift_jis";

/** One data line that became a change: its line number, and whether 改訂 was left blank (revision = upload time). */
export type CsvRow = { line: number; change: ExternalChange; autoRevision: boolean };

export type CsvRead = {
  report: FileReport;
  layout: CsvLayout | null;
  encoding: CsvEncoding | null;
  /** The changes with their lines, in file order (report.changes are the same objects). */
  rows: CsvRow[];
  /** Lines listing the hub's own bookings (経路 = ハブ): shown in downloads for reference, ignored on upload. */
  hubLines: number;
  /** The column names as the file spells them, by key (for messages about a change). */
  columns: Partial<Record<ColumnKey, string>>;
};

/** The most data lines in one file. */
export const MAX_LINES = 20_000;
/** The longest stay accepted (nights), as the hub (hub/connections/merge.ts). */
export const MAX_NIGHTS = 30;
const MAX_REVISION = 2_147_483_647;

export type ColumnKey =
  | "externalId"
  | "revision"
  | "status"
  | "serviceType"
  | "startDate"
  | "endDate"
  | "timeBlock"
  | "source"
  | "date"
  | "capacity"
  | "taken";

/** Japanese header first (what downloads write), then the English names also accepted. */
export const COLUMNS: Record<ColumnKey, readonly string[]> = {
  externalId: ["予約番号", "external_id", "externalid", "booking_id"],
  revision: ["改訂", "revision"],
  status: ["状態", "status"],
  serviceType: ["種類", "service_type", "servicetype"],
  startDate: ["開始日", "start_date", "startdate"],
  endDate: ["終了日", "end_date", "enddate"],
  timeBlock: ["時間帯", "time_block", "timeblock"],
  source: ["経路", "source"],
  date: ["日付", "date"],
  capacity: ["受入枠", "capacity"],
  taken: ["使用中", "taken"],
};

export const BOOKING_COLUMNS: ColumnKey[] = [
  "externalId",
  "revision",
  "status",
  "serviceType",
  "startDate",
  "endDate",
  "timeBlock",
  "source",
];
export const CAPACITY_COLUMNS: ColumnKey[] = ["serviceType", "date", "timeBlock", "capacity", "taken"];
/** Extra columns downloads add for reading; ignored on upload. */
export const CAPACITY_INFO_COLUMNS = ["予約数", "空き", "休業"] as const;

const SERVICE_WORDS: Record<string, ServiceType> = {
  stay: "stay",
  宿泊: "stay",
  宿泊型: "stay",
  ショートステイ: "stay",
  day: "day",
  デイ: "day",
  デイサービス: "day",
  デイサービス型: "day",
  デイケア: "day",
  日帰り: "day",
  通所: "day",
  visit: "visit",
  訪問: "visit",
  訪問型: "visit",
  アウトリーチ: "visit",
  アウトリーチ型: "visit",
};
const STATUS_WORDS: Record<string, "confirmed" | "cancelled"> = {
  confirmed: "confirmed",
  確定: "confirmed",
  予約: "confirmed",
  予約済: "confirmed",
  予約済み: "confirmed",
  cancelled: "cancelled",
  canceled: "cancelled",
  取消: "cancelled",
  取消し: "cancelled",
  取り消し: "cancelled",
  キャンセル: "cancelled",
};
const SOURCE_WORDS: Record<string, "facility" | "hub"> = {
  "": "facility",
  施設: "facility",
  facility: "facility",
  ハブ: "hub",
  hub: "hub",
};
const WHOLE_DAY = new Set(["", "-", "ー", "終日", "なし", "whole day", "all day"]);

/** Full-width letters, digits and spaces as half-width, trimmed: what Excel users type. */
const norm = (s: string) => s.normalize("NFKC").trim();

/** Decodes a file's bytes: BOM → UTF-8; valid UTF-8 → UTF-8; else Shift_JIS. UTF-16 is refused. */
export function decode(bytes: Uint8Array): { text: string; encoding: CsvEncoding } | { error: string } {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return {
      error: "the file is UTF-16 (Excel's 'Unicode text'); save it as 'CSV UTF-8' or 'CSV (コンマ区切り)'",
    };
  }
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(
      bytes.subarray(bom ? 3 : 0),
    );
    return { text, encoding: bom ? "utf-8-bom" : "utf-8" };
  } catch {
    return { text: iconv.decode(Buffer.from(bytes), "cp932"), encoding: "shift_jis" };
  }
}

type Problem = { line: number; field?: string; message: string };

/** Reads an uploaded file. `now` gives the revision of bookings whose 改訂 is blank. */
export function readCsvFile(config: CsvConfig, bytes: Uint8Array, now: Date): CsvRead {
  const out: CsvRead = {
    report: { changes: [], errors: [], lines: 0 },
    layout: null,
    encoding: null,
    rows: [],
    hubLines: 0,
    columns: {},
  };
  const problem = (p: Problem) => out.report.errors.push(p);
  const decoded = decode(bytes);
  if ("error" in decoded) {
    problem({ line: 1, message: decoded.error });
    return out;
  }
  out.encoding = decoded.encoding;
  let records: { record: string[]; info: { lines: number } }[];
  try {
    // csv-parse counts a CRLF inside a quoted cell as two lines: lines are counted here from the raw records.
    const parsed = parse(decoded.text, {
      raw: true,
      relax_column_count: true,
      skip_empty_lines: false,
      bom: true,
    }) as unknown as { record: string[]; raw: string }[];
    let line = 1;
    records = parsed.map((r) => {
      const at = line;
      line += r.raw.match(/\r\n|\r|\n/g)?.length ?? 0;
      return { record: r.record, info: { lines: at } };
    });
    while (records[0]?.record.every((c) => c.trim() === "")) records.shift();
  } catch (err) {
    const e = err as { code?: string; message?: string; lines?: number };
    const line = e.code === "CSV_QUOTE_NOT_CLOSED" ? openQuoteLine(decoded.text) : (e.lines ?? 1);
    const what =
      e.code === "CSV_QUOTE_NOT_CLOSED"
        ? `a quote (") opened on this line is never closed`
        : `the CSV cannot be read: ${e.message ?? err}`;
    problem({ line: Math.max(1, line), message: what });
    return out;
  }
  const [head, ...data] = records;
  if (!head) {
    problem({ line: 1, message: "the file is empty: the first line must be the header" });
    return out;
  }
  const headers = head.record.map((h) => norm(h).toLowerCase());
  const index: Partial<Record<ColumnKey, number>> = {};
  for (const [key, names] of Object.entries(COLUMNS) as [ColumnKey, readonly string[]][]) {
    const i = headers.findIndex((h) => names.includes(h));
    if (i >= 0) {
      index[key] = i;
      out.columns[key] = head.record[i]?.trim() ?? names[0];
    }
  }
  const layout: CsvLayout | null =
    index.externalId !== undefined
      ? "bookings"
      : index.capacity !== undefined || index.taken !== undefined
        ? "capacity"
        : null;
  if (!layout) {
    problem({
      line: 1,
      message:
        "the header is not one of the layouts: bookings need 予約番号, 状態, 種類, 開始日; capacity needs 種類, 日付 and 受入枠 or 使用中",
    });
    return out;
  }
  out.layout = layout;
  const required: ColumnKey[] =
    layout === "bookings" ? ["externalId", "status", "serviceType", "startDate"] : ["serviceType", "date"];
  const missing = required.filter((k) => index[k] === undefined);
  for (const k of missing)
    problem({ line: 1, field: COLUMNS[k][0], message: `the column ${COLUMNS[k][0]} is missing` });
  if (missing.length) return out;

  const rows = data.filter((r) => r.record.some((c) => c.trim() !== ""));
  out.report.lines = rows.length;
  if (rows.length > MAX_LINES) {
    problem({
      line: 1,
      message: `the file has ${rows.length} lines; at most ${MAX_LINES} fit in one upload`,
    });
    return out;
  }
  const seen = new Map<string, number>();
  const nowSeconds = Math.floor(now.getTime() / 1000);
  for (const r of rows) {
    const cell = (k: ColumnKey) => (index[k] === undefined ? "" : norm(r.record[index[k] as number] ?? ""));
    const field = (k: ColumnKey) => out.columns[k] ?? COLUMNS[k][0];
    const errors: Problem[] = [];
    const bad = (k: ColumnKey, message: string) =>
      errors.push({ line: r.info.lines, field: field(k), message });
    const ctx: RowContext = { cell, bad, config };
    if (layout === "bookings") {
      const source = SOURCE_WORDS[cell("source").toLowerCase()];
      if (!source) bad("source", `must be 施設 or ハブ (got "${cell("source")}")`);
      if (source === "hub") {
        out.hubLines++;
        continue;
      }
      const b = bookingRow(ctx, nowSeconds);
      if (b && !errors.length) {
        const earlier = seen.get(b.change.externalId);
        if (earlier) bad("externalId", `${b.change.externalId} is already on line ${earlier}`);
        else seen.set(b.change.externalId, r.info.lines);
      }
      if (b && !errors.length) out.rows.push({ line: r.info.lines, ...b });
    } else {
      const a = capacityRow(ctx);
      if (a && !errors.length) {
        const key = `${a.serviceType}|${a.date}|${a.timeBlock ?? ""}`;
        const earlier = seen.get(key);
        if (earlier) bad("date", `the same day and time block is already on line ${earlier}`);
        else seen.set(key, r.info.lines);
      }
      if (a && !errors.length) out.rows.push({ line: r.info.lines, change: a, autoRevision: false });
    }
    out.report.errors.push(...errors);
  }
  out.report.changes = out.rows.map((r) => r.change);
  return out;
}

/** The line where a quoted field that never closes begins. */
function openQuoteLine(text: string): number {
  let line = 1;
  let quoted = false;
  let openedOn = 1;
  let fieldStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') i++;
        else quoted = false;
      } else if (c === "\n") line++;
      continue;
    }
    if (c === '"' && fieldStart) {
      quoted = true;
      openedOn = line;
    }
    if (c === "\n") line++;
    fieldStart = c === "," || c === "\n" || c === "\r";
  }
  return quoted ? openedOn : line;
}

type RowContext = {
  cell: (k: ColumnKey) => string;
  bad: (k: ColumnKey, message: string) => void;
  config: CsvConfig;
};

function bookingRow(
  { cell, bad, config }: RowContext,
  nowSeconds: number,
): { change: ExternalBooking; autoRevision: boolean } | null {
  // A leading apostrophe is how downloads keep Excel from reading an id as a formula.
  const externalId = cell("externalId").replace(/^'(?=[=+\-@])/, "");
  let ok = true;
  const no = (k: ColumnKey, message: string) => {
    bad(k, message);
    ok = false;
  };
  if (externalId === "") no("externalId", "is empty");
  else if (externalId.length > 200) no("externalId", "is longer than 200 characters");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  else if (/[\u0000-\u001f\u007f]/.test(externalId)) no("externalId", "holds control characters");

  const revisionText = cell("revision").replace(/,/g, "");
  let revision = nowSeconds;
  const autoRevision = revisionText === "";
  if (!autoRevision) {
    if (!/^\d+$/.test(revisionText) || Number(revisionText) > MAX_REVISION) {
      no("revision", `must be a whole number from 0 to ${MAX_REVISION}, or blank (got "${revisionText}")`);
    } else revision = Number(revisionText);
  }
  const status = STATUS_WORDS[cell("status").toLowerCase()];
  if (!status) no("status", `must be confirmed (確定) or cancelled (取消) (got "${cell("status")}")`);
  const serviceType = serviceOf(cell("serviceType"));
  if (!serviceType)
    no("serviceType", `must be stay (宿泊), day (デイ) or visit (訪問) (got "${cell("serviceType")}")`);
  const start = dateOf(cell("startDate"));
  if (!start) no("startDate", dateMessage(cell("startDate")));
  const endText = cell("endDate");
  let end = endText === "" ? null : dateOf(endText);
  if (endText !== "" && !end) no("endDate", dateMessage(endText));
  const timeBlock = blockOf(cell("timeBlock"), config);
  if (!ok || !serviceType || !start || !status) return null;

  if (serviceType === "stay") {
    end ??= addDays(start, 1);
    if (end <= start) no("endDate", "a stay ends after it starts (1泊2日: the next day)");
    else if (daysBetween(start, end) > MAX_NIGHTS) no("endDate", `a stay is at most ${MAX_NIGHTS} nights`);
    if (timeBlock !== "") no("timeBlock", "stays have no time block: leave it blank");
  } else {
    end ??= start;
    if (end !== start) no("endDate", "day care and visits end on the day they start");
  }
  if (!ok) return null;
  return {
    change: {
      kind: "booking",
      externalId,
      revision,
      status,
      serviceType,
      startDate: start,
      endDate: end,
      ...(timeBlock ? { timeBlock } : {}),
    },
    autoRevision,
  };
}

function capacityRow({
  cell,
  bad,
  config,
}: RowContext): Extract<ExternalChange, { kind: "availability" }> | null {
  let ok = true;
  const no = (k: ColumnKey, message: string) => {
    bad(k, message);
    ok = false;
  };
  const serviceType = serviceOf(cell("serviceType"));
  if (!serviceType)
    no("serviceType", `must be stay (宿泊), day (デイ) or visit (訪問) (got "${cell("serviceType")}")`);
  const date = dateOf(cell("date"));
  if (!date) no("date", dateMessage(cell("date")));
  const timeBlock = blockOf(cell("timeBlock"), config);
  if (serviceType === "stay" && timeBlock !== "") no("timeBlock", "stays have no time block: leave it blank");
  const count = (k: "capacity" | "taken") => {
    const text = cell(k);
    if (text === "") return undefined;
    if (!/^\d+$/.test(text) || Number(text) > 1000) {
      no(k, `must be a whole number from 0 to 1000, or blank (got "${text}")`);
      return undefined;
    }
    return Number(text);
  };
  const capacity = count("capacity");
  const taken = count("taken");
  if (ok && capacity === undefined && taken === undefined) no("capacity", "give 受入枠, 使用中 or both");
  // 改訂 (optional): orders the updates of one day and block; a lower one than applied last is left out (stale).
  const revisionText = cell("revision").replace(/,/g, "");
  if (revisionText !== "" && (!/^\d+$/.test(revisionText) || Number(revisionText) > MAX_REVISION)) {
    no("revision", `must be a whole number from 0 to ${MAX_REVISION}, or blank (got "${revisionText}")`);
  }
  if (!ok || !serviceType || !date) return null;
  return {
    kind: "availability",
    serviceType,
    date,
    ...(timeBlock ? { timeBlock } : {}),
    ...(capacity !== undefined ? { capacity } : {}),
    ...(taken !== undefined ? { taken } : {}),
    ...(revisionText !== "" ? { revision: Number(revisionText) } : {}),
  };
}

const serviceOf = (text: string): ServiceType | undefined => SERVICE_WORDS[text.toLowerCase()];

function blockOf(text: string, config: CsvConfig): string {
  if (WHOLE_DAY.has(text.toLowerCase())) return "";
  const alias = Object.entries(config.timeBlockAliases ?? {}).find(([k]) => norm(k) === text);
  return alias ? alias[1] : text;
}

const dateMessage = (text: string) =>
  text === "" ? "is empty" : `must be a date such as 2026-12-10 or 2026/12/10 (got "${text}")`;

/** "2026-12-10", "2026/12/10", "2026/1/5" (as Excel writes dates), "2026年12月10日", "20261210" → "YYYY-MM-DD". */
export function dateOf(text: string): string | null {
  const m =
    /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(text) ??
    /^(\d{4})年(\d{1,2})月(\d{1,2})日$/.exec(text) ??
    /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 2000 || y > 2100) return null;
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return date.toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

const daysBetween = (from: string, to: string) =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);

/** A cell Excel would run as a formula gets a leading apostrophe (and loses it again on upload, for ids). */
const defuse = (v: string | number) => (typeof v === "string" && /^[=+\-@\t\r]/.test(v) ? `'${v}` : v);

/**
 * A CSV file of rows in a layout's column order, with the Japanese headers: UTF-8 with a BOM (Excel reads it as
 * UTF-8), or Shift_JIS for older Excel; CRLF line ends.
 */
export function toCsv(
  header: readonly string[],
  rows: readonly (readonly (string | number)[])[],
  encoding: "utf-8" | "sjis",
): Buffer {
  const text = stringify([header, ...rows.map((r) => r.map(defuse))], { record_delimiter: "windows" });
  return encoding === "sjis"
    ? iconv.encode(text, "cp932")
    : Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, "utf8")]);
}

/** The Japanese headers of a layout, in order. */
export const headerOf = (keys: readonly ColumnKey[]) => keys.map((k) => COLUMNS[k][0] as string);
