import { ident, type OpsQuery } from "./sql.js";

/** Prisma's migrations table (hub/db/migrate.ts): never exported as data, its applied names go in the metadata. */
export const MIGRATIONS_TABLE = "_prisma_migrations";
/** The database's own identity (one row): never exported, imported or compared; an import keeps the target's. */
export const INSTANCE_TABLE = "hub_instance";
/**
 * Cache-invalidation counters (hub/db/change-counters.ts): not data but a by-product of writes, bumped by triggers
 * as rows are restored or imported, so neither backed up (pg_dump --exclude-table-data), exported, nor compared.
 */
export const CHANGE_COUNTER_TABLE = "change_counter";

/** The database's instance id (hub_instance), or null for a database migrated before it existed. */
export async function instanceId(q: OpsQuery): Promise<string | null> {
  const [exists] = await q<{ t: string | null }>(`SELECT to_regclass('public.${INSTANCE_TABLE}')::text AS t`);
  if (!exists?.t) return null;
  const [row] = await q<{ id: string }>(
    `SELECT id::text AS id FROM ${INSTANCE_TABLE} ORDER BY created_at LIMIT 1`,
  );
  return row?.id ?? null;
}

export type Column = { name: string; type: string; identityAlways: boolean };
export type ForeignKey = { columns: string[]; refTable: string; refColumns: string[] };
export type TableInfo = { name: string; columns: Column[]; foreignKeys: ForeignKey[] };
export type TableState = { rows: number; checksum: string };
/** What two databases are compared by: per table its row count and checksum, and the migrations applied. */
export type Snapshot = { migrations: string[]; tables: Record<string, TableState> };

/**
 * The app's tables in the public schema, in foreign-key dependency order (a table after every table it references),
 * each with its columns (PostgreSQL types as `format_type` spells them, generated columns left out) and foreign keys.
 */
export async function listTables(q: OpsQuery): Promise<TableInfo[]> {
  const tables = await q<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> ALL($1) ORDER BY c.relname`,
    [[MIGRATIONS_TABLE, INSTANCE_TABLE, CHANGE_COUNTER_TABLE]],
  );
  const cols = await q<{ table: string; name: string; type: string; identity: string }>(
    `SELECT c.relname AS table, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
            a.attidentity AS identity
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      ORDER BY c.relname, a.attnum`,
  );
  const fks = await q<{ table: string; columns: string[]; ref_table: string; ref_columns: string[] }>(
    `SELECT c.relname AS table, r.relname AS ref_table,
            ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(n, i)
                    JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.i) AS columns,
            ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(n, i)
                    JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.i) AS ref_columns
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE k.contype = 'f' AND n.nspname = 'public'
      ORDER BY c.relname, k.conname`,
  );
  const info = new Map<string, TableInfo>(
    tables.map((t) => [t.name, { name: t.name, columns: [], foreignKeys: [] }]),
  );
  for (const c of cols) {
    info.get(c.table)?.columns.push({ name: c.name, type: c.type, identityAlways: c.identity === "a" });
  }
  for (const f of fks) {
    info.get(f.table)?.foreignKeys.push({
      columns: pgArray(f.columns),
      refTable: f.ref_table,
      refColumns: pgArray(f.ref_columns),
    });
  }
  return dependencyOrder([...info.values()]);
}

/** PGlite may hand back a name[]/text[] as its text form. */
function pgArray(v: string[] | string): string[] {
  if (Array.isArray(v)) return v;
  return v
    .replace(/^\{|\}$/g, "")
    .split(",")
    .filter(Boolean)
    .map((s) => s.replace(/^"|"$/g, ""));
}

/** Kahn's algorithm, alphabetical among equals; a cycle between tables (none in this schema) is an error. */
export function dependencyOrder(tables: TableInfo[]): TableInfo[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const deps = new Map(
    tables.map((t) => [
      t.name,
      new Set(t.foreignKeys.map((f) => f.refTable).filter((r) => r !== t.name && byName.has(r))),
    ]),
  );
  const out: TableInfo[] = [];
  while (deps.size) {
    const ready = [...deps.entries()].filter(([, d]) => d.size === 0).map(([n]) => n);
    if (!ready.length)
      throw new Error(`foreign keys form a cycle between tables: ${[...deps.keys()].join(", ")}`);
    for (const n of ready.sort()) {
      deps.delete(n);
      for (const d of deps.values()) d.delete(n);
      out.push(byName.get(n) as TableInfo);
    }
  }
  return out;
}

/** Migrations recorded as applied, in order. */
export async function appliedMigrations(q: OpsQuery): Promise<string[]> {
  const exists = await q<{ t: string | null }>(`SELECT to_regclass('public.${MIGRATIONS_TABLE}')::text AS t`);
  if (!exists[0]?.t) return [];
  const rows = await q<{ migration_name: string }>(
    `SELECT migration_name FROM ${ident(MIGRATIONS_TABLE)}
      WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`,
  );
  return rows.map((r) => r.migration_name);
}

/**
 * Row count and checksum of one table, computed by the database: md5 over every row's text form, sorted bytewise
 * (COLLATE "C", so the order never depends on the locale). Equal on two databases means equal contents.
 * Run it inside `OpsSql.tx` so the text forms (time zone, date style) are the same everywhere.
 */
export async function tableState(q: OpsQuery, table: string): Promise<TableState> {
  const [row] = await q<{ rows: string | number; checksum: string }>(
    `SELECT count(*) AS rows,
            md5(coalesce(string_agg(r.t, E'\\n' ORDER BY r.t COLLATE "C"), '')) AS checksum
       FROM (SELECT x::text AS t FROM ${ident(table)} x) r`,
  );
  return { rows: Number(row?.rows ?? 0), checksum: String(row?.checksum ?? "") };
}

export async function snapshot(q: OpsQuery, tables?: TableInfo[]): Promise<Snapshot> {
  const list = tables ?? (await listTables(q));
  const out: Snapshot = { migrations: await appliedMigrations(q), tables: {} };
  for (const t of list) out.tables[t.name] = await tableState(q, t.name);
  return out;
}

export type Difference = { table: string; expected?: TableState; actual?: TableState };

/** Tables whose count or checksum differ (or that exist on one side only), and whether the migrations agree. */
export function compareSnapshots(expected: Snapshot, actual: Snapshot) {
  const names = [...new Set([...Object.keys(expected.tables), ...Object.keys(actual.tables)])].sort();
  const differences: Difference[] = [];
  for (const table of names) {
    const e = expected.tables[table];
    const a = actual.tables[table];
    if (!e || !a || e.rows !== a.rows || e.checksum !== a.checksum)
      differences.push({ table, expected: e, actual: a });
  }
  const migrationsMatch = expected.migrations.join("\n") === actual.migrations.join("\n");
  return {
    ok: differences.length === 0 && migrationsMatch,
    differences,
    migrationsMatch,
    tables: names.length,
  };
}

/** A printable verification: one line per table, then the verdict. */
export function formatComparison(
  expected: Snapshot,
  actual: Snapshot,
  result: ReturnType<typeof compareSnapshots>,
): string {
  const lines: string[] = [];
  const bad = new Set(result.differences.map((d) => d.table));
  for (const name of Object.keys({ ...expected.tables, ...actual.tables }).sort()) {
    const e = expected.tables[name];
    const a = actual.tables[name];
    lines.push(
      `  ${bad.has(name) ? "MISMATCH" : "ok      "} ${name.padEnd(28)} rows ${String(a?.rows ?? "-").padStart(7)}` +
        (bad.has(name)
          ? ` (expected ${e?.rows ?? "-"}; checksum ${a?.checksum ?? "-"} vs ${e?.checksum ?? "-"})`
          : ""),
    );
  }
  if (!result.migrationsMatch) {
    lines.push(
      `  MISMATCH migrations: expected [${expected.migrations.join(", ")}], found [${actual.migrations.join(", ")}]`,
    );
  }
  const total = Object.values(actual.tables).reduce((s, t) => s + t.rows, 0);
  lines.push(
    result.ok
      ? `verified: ${result.tables} tables, ${total} rows, every count and checksum matches`
      : `VERIFICATION FAILED: ${result.differences.length} table(s) differ${result.migrationsMatch ? "" : ", migrations differ"}`,
  );
  return lines.join("\n");
}
