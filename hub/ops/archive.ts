import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import JSZip from "jszip";
import { ident, OpsError, type OpsQuery, type OpsSql } from "./sql.js";
import {
  appliedMigrations,
  compareSnapshots,
  formatComparison,
  listTables,
  type Snapshot,
  snapshot,
  type TableInfo,
} from "./tables.js";

/** The archive format (docs/operations.md): one zip, `<table>.csv` per table and `metadata.json`. */
export const ARCHIVE_FORMAT = "sango-archive";
export const ARCHIVE_VERSION = 1;

export type ArchiveTable = {
  name: string;
  file: string;
  columns: { name: string; type: string }[];
  rows: number;
  /** sha256 of the CSV file's bytes. */
  sha256: string;
  /** md5 over the rows' text forms as the database computes it (hub/ops/tables.ts), to compare after import. */
  checksum: string;
};
export type ArchiveSequence = {
  table: string;
  column: string;
  sequence: string;
  lastValue: string;
  isCalled: boolean;
};
export type ArchiveMetadata = {
  format: typeof ARCHIVE_FORMAT;
  version: number;
  exportedAt: string;
  source: "postgres" | "pglite";
  migrations: string[];
  /** In foreign-key dependency order: importing them in this order never breaks a reference. */
  tables: ArchiveTable[];
  sequences: ArchiveSequence[];
};

/** NULL is an unquoted empty field, an empty string a quoted one (`""`): they stay different. */
export function toCsv(header: string[], rows: (string | null)[][]): string {
  return stringify([header, ...rows], { quoted_match: /^$/, record_delimiter: "\n" });
}

export function fromCsv(text: string): (string | null)[][] {
  return parse(text, {
    cast: (value, context) => (context.quoting ? value : value === "" ? null : value),
  }) as (string | null)[][];
}

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

/** Every column's value in PostgreSQL's own text form (`col::text`), the rows in a stable order. */
async function readRows(q: OpsQuery, t: TableInfo): Promise<(string | null)[][]> {
  if (!t.columns.length) return [];
  const select = t.columns.map((c, i) => `x.${ident(c.name)}::text AS c${i}`).join(", ");
  const rows = await q<Record<string, string | null>>(
    `SELECT ${select} FROM ${ident(t.name)} x ORDER BY x::text COLLATE "C"`,
  );
  return rows.map((r) => t.columns.map((_, i) => r[`c${i}`] ?? null));
}

async function readSequences(q: OpsQuery): Promise<ArchiveSequence[]> {
  const owned = await q<{ table: string; column: string; sequence: string }>(
    `SELECT c.relname AS table, a.attname AS column,
            pg_get_serial_sequence(quote_ident(c.relname), a.attname) AS sequence
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
        AND pg_get_serial_sequence(quote_ident(c.relname), a.attname) IS NOT NULL
      ORDER BY c.relname, a.attname`,
  );
  const out: ArchiveSequence[] = [];
  for (const s of owned) {
    const [v] = await q<{ last_value: string; is_called: boolean }>(
      `SELECT last_value::text AS last_value, is_called FROM ${s.sequence}`,
    );
    out.push({ ...s, lastValue: String(v?.last_value), isCalled: Boolean(v?.is_called) });
  }
  return out;
}

export type ExportResult = { file: string; metadata: ArchiveMetadata };

/** Exports every table of the database to one zip, read in one snapshot. Written to a temp name, then renamed. */
export async function exportArchive(sql: OpsSql, file: string, now = new Date()): Promise<ExportResult> {
  const zip = new JSZip();
  const metadata = await sql.tx(
    async (q) => {
      const tables = await listTables(q);
      const state = await snapshot(q, tables);
      const meta: ArchiveMetadata = {
        format: ARCHIVE_FORMAT,
        version: ARCHIVE_VERSION,
        exportedAt: now.toISOString(),
        source: sql.kind,
        migrations: state.migrations,
        tables: [],
        sequences: await readSequences(q),
      };
      for (const t of tables) {
        const rows = await readRows(q, t);
        const csv = toCsv(
          t.columns.map((c) => c.name),
          rows,
        );
        const name = `${t.name}.csv`;
        zip.file(name, csv);
        meta.tables.push({
          name: t.name,
          file: name,
          columns: t.columns.map((c) => ({ name: c.name, type: c.type })),
          rows: rows.length,
          sha256: sha256(csv),
          checksum: state.tables[t.name]?.checksum ?? "",
        });
      }
      return meta;
    },
    { snapshot: true },
  );
  zip.file("metadata.json", `${JSON.stringify(metadata, null, 2)}\n`);
  const out = path.resolve(file);
  await mkdir(path.dirname(out), { recursive: true });
  const tmp = `${out}.tmp`;
  try {
    await writeFile(tmp, await zip.generateAsync({ type: "nodebuffer", compression: "DEFLATE" }));
    await rename(tmp, out);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return { file: out, metadata };
}

export type ImportResult = { tables: number; rows: number; report: string };

const BATCH = 1000;

/**
 * Imports an archive into an EMPTY instance (migrations applied, no rows in any table), in one transaction: every
 * file's sha256 is checked first, then the tables are filled in foreign-key order, each column cast back from its
 * text form, the sequences set, and every table's count and checksum compared with the archive before committing.
 * Anything wrong and nothing is written.
 */
export async function importArchive(sql: OpsSql, file: string): Promise<ImportResult> {
  if (!existsSync(file)) throw new OpsError(`archive not found: ${file}`);
  let zip: JSZip;
  try {
    zip = await JSZip.loadAsync(await readFile(file));
  } catch {
    throw new OpsError(`${file} is not a zip archive`);
  }
  const metaFile = zip.file("metadata.json");
  if (!metaFile) throw new OpsError(`${file} has no metadata.json: not an export of this hub`);
  let meta: ArchiveMetadata;
  try {
    meta = JSON.parse(await metaFile.async("string")) as ArchiveMetadata;
  } catch {
    throw new OpsError("metadata.json is not valid JSON");
  }
  if (meta.format !== ARCHIVE_FORMAT || meta.version !== ARCHIVE_VERSION) {
    throw new OpsError(`unsupported archive: format ${meta.format} version ${meta.version}`);
  }
  const csv = new Map<string, string>();
  for (const t of meta.tables) {
    const entry = zip.file(t.file);
    if (!entry) throw new OpsError(`the archive is incomplete: ${t.file} is missing`);
    const bytes = await entry.async("uint8array");
    if (sha256(bytes) !== t.sha256) {
      throw new OpsError(
        `the archive was altered or damaged: ${t.file} does not match its sha256 in metadata.json`,
      );
    }
    csv.set(t.name, Buffer.from(bytes).toString("utf8"));
  }

  return sql.tx(async (q) => {
    const migrations = await appliedMigrations(q);
    if (migrations.join("\n") !== meta.migrations.join("\n")) {
      throw new OpsError(
        `the archive's migrations differ from this instance's: archive [${meta.migrations.join(", ")}], ` +
          `instance [${migrations.join(", ")}]. Import it with the version of the hub that exported it.`,
      );
    }
    const tables = await listTables(q);
    assertSameShape(meta, tables);
    const nonEmpty: string[] = [];
    for (const t of tables) {
      const [r] = await q<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${ident(t.name)}) AS any`);
      if (r?.any) nonEmpty.push(t.name);
    }
    if (nonEmpty.length) {
      throw new OpsError(
        `the target instance is not empty (rows in ${nonEmpty.slice(0, 8).join(", ")}${nonEmpty.length > 8 ? ", …" : ""}): ` +
          "import only into a new, empty instance (or erase this one first)",
      );
    }
    let total = 0;
    for (const t of tables) {
      const rows = fromCsv(csv.get(t.name) ?? "");
      const header = rows.shift() ?? [];
      const names = t.columns.map((c) => c.name);
      if (header.join(",") !== names.join(",")) {
        throw new OpsError(
          `${t.name}.csv: its header [${header.join(", ")}] is not the table's columns [${names.join(", ")}]`,
        );
      }
      const ordered = selfReferenceOrder(t, rows);
      await insertRows(q, t, ordered);
      total += ordered.length;
    }
    for (const s of meta.sequences) {
      await q("SELECT setval($1::regclass, $2::bigint, $3::boolean)", [s.sequence, s.lastValue, s.isCalled]);
    }
    const expected: Snapshot = {
      migrations: meta.migrations,
      tables: Object.fromEntries(meta.tables.map((t) => [t.name, { rows: t.rows, checksum: t.checksum }])),
    };
    const actual = await snapshot(q, tables);
    const result = compareSnapshots(expected, actual);
    const report = formatComparison(expected, actual, result);
    if (!result.ok)
      throw new OpsError(`the imported data does not match the archive; nothing was imported\n${report}`);
    return { tables: tables.length, rows: total, report };
  });
}

function assertSameShape(meta: ArchiveMetadata, tables: TableInfo[]) {
  const there = new Map(meta.tables.map((t) => [t.name, t]));
  const problems: string[] = [];
  for (const t of tables) {
    const a = there.get(t.name);
    if (!a) {
      problems.push(`${t.name}: not in the archive`);
      continue;
    }
    const mine = t.columns.map((c) => `${c.name} ${c.type}`).join(", ");
    const theirs = a.columns.map((c) => `${c.name} ${c.type}`).join(", ");
    if (mine !== theirs) problems.push(`${t.name}: columns (${theirs}) in the archive, (${mine}) here`);
    there.delete(t.name);
  }
  for (const name of there.keys()) problems.push(`${name}: in the archive, not in this instance`);
  if (problems.length)
    throw new OpsError(`the archive's tables do not match this instance:\n  ${problems.join("\n  ")}`);
}

/** Rows of a table that references itself (a re-issued voucher points at the one it replaces): referenced rows first. */
export function selfReferenceOrder(t: TableInfo, rows: (string | null)[][]): (string | null)[][] {
  const self = t.foreignKeys.filter((f) => f.refTable === t.name);
  if (!self.length || rows.length < 2) return rows;
  const index = (cols: string[]) => cols.map((c) => t.columns.findIndex((x) => x.name === c));
  const keyOf = (row: (string | null)[], idx: number[]) =>
    idx.some((i) => row[i] === null) ? undefined : idx.map((i) => row[i]).join("\u0000");
  const byKey = self.map((f) => {
    const idx = index(f.refColumns);
    const m = new Map<string, number>();
    rows.forEach((r, n) => {
      const k = keyOf(r, idx);
      if (k !== undefined) m.set(k, n);
    });
    return { m, fkIdx: index(f.columns) };
  });
  const out: (string | null)[][] = [];
  const state = new Uint8Array(rows.length); // 0 new, 1 visiting, 2 done
  const visit = (start: number) => {
    const stack: [number, boolean][] = [[start, false]];
    while (stack.length) {
      const [n, expanded] = stack.pop() as [number, boolean];
      if (expanded) {
        state[n] = 2;
        out.push(rows[n] as (string | null)[]);
        continue;
      }
      if (state[n] !== 0) continue;
      state[n] = 1;
      stack.push([n, true]);
      for (const { m, fkIdx } of byKey) {
        const k = keyOf(rows[n] as (string | null)[], fkIdx);
        const parent = k === undefined ? undefined : m.get(k);
        if (parent !== undefined && state[parent] === 0) stack.push([parent, false]);
      }
    }
  };
  for (let n = 0; n < rows.length; n++) visit(n);
  return out;
}

async function insertRows(q: OpsQuery, t: TableInfo, rows: (string | null)[][]) {
  if (!rows.length) return;
  const cols = t.columns;
  const overriding = cols.some((c) => c.identityAlways) ? " OVERRIDING SYSTEM VALUE" : "";
  const statement =
    `INSERT INTO ${ident(t.name)} (${cols.map((c) => ident(c.name)).join(", ")})${overriding} ` +
    `SELECT ${cols.map((c, i) => `u.c${i}::${c.type}`).join(", ")} ` +
    `FROM unnest(${cols.map((_, i) => `$${i + 1}::text[]`).join(", ")}) AS u(${cols.map((_, i) => `c${i}`).join(", ")})`;
  for (let start = 0; start < rows.length; start += BATCH) {
    const batch = rows.slice(start, start + BATCH);
    await q(
      statement,
      cols.map((_, i) => batch.map((r) => r[i] ?? null)),
    );
  }
}
