/**
 * What goes to the database driver itself (node-postgres, or PGlite), past Prisma: bulk writes through COPY in a
 * transaction, and reads of tens of thousands of rows. Prisma cannot send COPY, and around each statement it does
 * work that only shows at bulk sizes: it serialised a multi-megabyte parameter twice (to JSON text and back) before
 * sending it, and decoding a national-scale billing month's 36,000 bookings cost it about twice the driver's CPU.
 *
 * Bulk rows: for tens of thousands of them, the alternative (hub/db/bulk.ts: rows as one JSON parameter) costs
 * several times as much on both sides. On a national-scale billing month (34,000 lines) the server took ~1.3 s to
 * parse and insert the JSON and ~0.4 s to COPY the same rows.
 *
 * Rows travel in COPY's text format (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.2):
 * one line per row, columns separated by tabs, `\N` for NULL, and backslash escapes for the four characters that
 * would break a line or a column (backslash, tab, newline, carriage return). csv-stringify writes the same rows
 * as CSV in 2–3 times the time.
 *
 * Never call Prisma inside a driver transaction: the embedded database has one session, which the transaction
 * holds until it ends.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { PGlite, Transaction } from "@electric-sql/pglite";
import type pg from "pg";
import { from as copyFromStdin } from "pg-copy-streams";
import { checkedColumns, quotedTable, TABLE_COLUMNS_SQL } from "./bulk.js";

/** A transaction on the driver (node-postgres or PGlite), for what Prisma cannot send. */
export type DriverTx = {
  /** One statement with $1… parameters: its rows and how many rows it affected. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[]; count: number }>;
  /** `COPY <target> FROM` the text-format chunks; how many rows were copied. */
  copyFrom(target: string, chunks: Iterable<string>): Promise<number>;
};

export type DriverTransaction = <T>(fn: (tx: DriverTx) => Promise<T>) => Promise<T>;

/** Whether a driver error is a unique key's violation (SQLSTATE 23505), as a row copied over one already there. */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "23505";
}

/** Rows per chunk: the server parses one chunk while the next is formatted. */
const CHUNK = 2000;

/**
 * Copies `rows` into `table` (its SQL name); returns how many were copied. Keys are Prisma field names, as for
 * bulkInsert (their snake_case is the column, checked against the table), and every row has the first's keys.
 * Unlike bulkInsert, a row that collides with one already there fails the statement (and so the transaction):
 * the caller decides what a collision means.
 */
export async function copyRows(
  tx: DriverTx,
  table: string,
  rows: readonly Record<string, unknown>[],
): Promise<number> {
  const first = rows[0];
  if (!first) return 0;
  const fields = Object.keys(first);
  const quoted = quotedTable(table);
  const known = (await tx.query<{ name: string }>(TABLE_COLUMNS_SQL, [quoted])).rows.map((c) => c.name);
  const list = checkedColumns(table, fields, known)
    .map((c) => `"${c}"`)
    .join(", ");
  return tx.copyFrom(`${quoted} (${list})`, copyText(fields, rows));
}

/** The rows as COPY text-format lines, CHUNK rows per string. */
export function* copyText(
  fields: readonly string[],
  rows: readonly Record<string, unknown>[],
  chunk = CHUNK,
): Generator<string> {
  for (let i = 0; i < rows.length; i += chunk) {
    let text = "";
    for (const row of rows.slice(i, i + chunk)) {
      let line = "";
      for (let j = 0; j < fields.length; j++) {
        if (j) line += "\t";
        line += copyValue(row[fields[j] as string]);
      }
      text += `${line}\n`;
    }
    yield text;
  }
}

const ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** One value in COPY's text format. Dates as ISO text, which a DATE or TIMESTAMP column takes as Prisma stores it. */
export function copyValue(value: unknown): string {
  if (value === null || value === undefined) return "\\N";
  switch (typeof value) {
    case "string":
      return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c] as string) : value;
    case "number":
    case "bigint":
    case "boolean":
      return String(value);
    default:
      if (value instanceof Date) return value.toISOString();
      throw new Error(
        `copyRows: cannot copy ${Object.prototype.toString.call(value)} (arrays and JSON: bulkInsert)`,
      );
  }
}

/** Transactions on a node-postgres pool: a connection of the pool, with its time-outs, for the transaction's life. */
export function postgresTransaction(pool: pg.Pool): DriverTransaction {
  return async (fn) => {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      const result = await fn({
        query: async (sql, params) => {
          const r = await client.query(sql, params);
          return { rows: r.rows, count: r.rowCount ?? 0 };
        },
        copyFrom: async (target, chunks) => {
          const stream = client.query(copyFromStdin(`COPY ${target} FROM STDIN`));
          await pipeline(Readable.from(chunks), stream);
          return stream.rowCount;
        },
      });
      await client.query("COMMIT");
      return result;
    } catch (e) {
      await client.query("ROLLBACK").catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw e;
    } finally {
      // A connection that could not roll back is closed rather than given to the next request.
      client.release(broken);
    }
  };
}

/** Transactions on the embedded database, which takes COPY's data as a blob. */
export function pgliteTransaction(lite: PGlite): DriverTransaction {
  return (fn) =>
    lite.transaction((t: Transaction) =>
      fn({
        query: async <T>(sql: string, params?: unknown[]) => {
          const r = await t.query<T>(sql, params);
          return { rows: r.rows, count: r.affectedRows ?? 0 };
        },
        copyFrom: async (target, chunks) => {
          const r = await t.query(`COPY ${target} FROM '/dev/blob'`, [], { blob: new Blob([...chunks]) });
          return r.affectedRows ?? 0;
        },
      }),
    );
}
