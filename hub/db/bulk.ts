/**
 * Bulk loading for data sets (the demo seed at any scale, generated benchmark years): many rows in one statement
 * per chunk, on PostgreSQL and PGlite alike, through the same Prisma client as everything else.
 *
 * A chunk travels as ONE JSON parameter that the database expands into the table's own row type
 * (`json_populate_recordset`; json, not jsonb, which costs twice as much to parse), so a chunk of thousands of rows
 * is one round trip and the database does the type conversion. Prisma's createMany binds one parameter per value and costs the client about 0.2 ms a row, which
 * made loading 40× the prefecture (millions of rows) take many minutes.
 *
 * Keys are the Prisma field names; the column is their snake_case, the schema's @map convention (checked against
 * the table: an unknown key is an error, never silently dropped). Columns not given take their database default,
 * so Prisma-side defaults (@default(uuid()), @updatedAt) must be given by the caller. Rows that collide with one
 * already there on any unique key are skipped, so a load can be repeated.
 */
import type { Prisma, PrismaClient } from "./generated/client.js";

type Client = PrismaClient | Prisma.TransactionClient;

/** Rows per statement: large enough to amortise the round trip, small enough to keep a chunk's JSON a few MB. */
const CHUNK = 5000;

/** `startDate` → `start_date`. */
export function columnOf(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A value as JSON the row type accepts: dates as ISO text (a DATE column takes the date part), bigint as text. */
function jsonValue(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

/** `table` quoted for SQL, once its name is known to be a plain one. */
export function quotedTable(table: string): string {
  if (!/^[a-z_]+$/.test(table)) throw new Error(`bulk load: bad table name ${JSON.stringify(table)}`);
  return `"${table}"`;
}

/**
 * The columns of the table named by $1 (quotedTable's). pg_attribute, not information_schema.columns: the view
 * costs ~10 ms a call, this ~0.2 ms.
 */
export const TABLE_COLUMNS_SQL =
  "SELECT attname::text AS name FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped";

/**
 * The columns of `fields` in `table`, given the table's `known` columns: an unknown table or key is an error, never
 * a key silently dropped.
 */
export function checkedColumns(table: string, fields: readonly string[], known: readonly string[]): string[] {
  if (known.length === 0) throw new Error(`bulk load: no table ${table}`);
  const columns = fields.map(columnOf);
  const unknown = columns.filter((c) => !known.includes(c));
  if (unknown.length) throw new Error(`bulk load: ${table} has no column ${unknown.join(", ")}`);
  return columns;
}

/**
 * Inserts `rows` into `table` (its SQL name), skipping rows that are already there; returns how many were inserted.
 * Every row must have the same keys as the first.
 */
export async function bulkInsert(
  db: Client,
  table: string,
  rows: readonly Record<string, unknown>[],
  opts: { chunk?: number } = {},
): Promise<number> {
  const first = rows[0];
  if (!first) return 0;
  const fields = Object.keys(first);
  const quoted = quotedTable(table);
  const known = (await db.$queryRawUnsafe<{ name: string }[]>(TABLE_COLUMNS_SQL, quoted)).map((c) => c.name);
  const columns = checkedColumns(table, fields, known);
  const list = columns.map((c) => `"${c}"`).join(", ");
  const sql = `INSERT INTO ${quoted} (${list}) SELECT ${list} FROM json_populate_recordset(NULL::${quoted}, $1::json) ON CONFLICT DO NOTHING`;
  const size = opts.chunk ?? CHUNK;
  let inserted = 0;
  // Each chunk's JSON is made while the database inserts the chunk before (the statements still run one after
  // another, in order): on a national-scale billing month the two took about as long as each other.
  let previous: Promise<number> | undefined;
  for (let i = 0; i < rows.length; i += size) {
    const chunk = rows.slice(i, i + size);
    const json = JSON.stringify(
      chunk.map((r) => {
        const o: Record<string, unknown> = {};
        fields.forEach((f, j) => {
          o[columns[j] as string] = r[f] ?? null;
        });
        return o;
      }),
      jsonValue,
    );
    if (previous) inserted += await previous;
    // then() starts Prisma's lazy query; a failure is handled where it is awaited, never left unhandled.
    const current = db.$executeRawUnsafe(sql, json).then((n) => n);
    current.catch(() => {});
    previous = current;
    // Let the statement go out before making the next chunk's JSON.
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (previous) inserted += await previous;
  return inserted;
}

/**
 * Refreshes the planner's statistics of tables just loaded. Autovacuum analyzes them only a while later; until then
 * the planner takes a 120,000-row table for a small one and picks plans (hashing every child to find one resident's)
 * that make each query of the load's next steps scan whole tables. With `vacuum`, the tables are also vacuumed, as
 * autovacuum would a while after a large load: their pages are marked all-visible and their rows' commit status
 * recorded, which otherwise the first reads of each row do (a national-scale year's first billing paid for it).
 * Not inside a transaction.
 */
export async function analyze(db: Client, tables: string[], opts: { vacuum?: boolean } = {}): Promise<void> {
  for (const table of tables) {
    if (!/^[a-z_]+$/.test(table)) throw new Error(`analyze: bad table name ${JSON.stringify(table)}`);
    await db.$executeRawUnsafe(`${opts.vacuum ? "VACUUM (ANALYZE)" : "ANALYZE"} "${table}"`);
  }
}
