/**
 * The hub's hottest statements, past Prisma's client on PostgreSQL: every request's session, every hold's context
 * and its write. Prisma spends more of the hub's CPU around such a statement (its query interpreter, tracing hooks,
 * result mapping) than node-postgres does sending it and reading its row: in the bench's hold round Prisma's runtime
 * was a fifth of the hub's time, and taking the two reads past it saved about a tenth.
 *
 * The statement is written as for Prisma (`Prisma.sql` with ${…} parameters) and goes through Prisma wherever it must:
 * on the embedded database (PGlite has one session, which Prisma's adapter hands out in turn) and in a transaction
 * (which lives on Prisma's connection). A statement outside a transaction commits alone, as through Prisma. Errors
 * arrive as the driver's (a `code` with the SQLSTATE, a `constraint`) or, on those paths, as Prisma's: the HTTP layer
 * reads unavailability in both (hub/db/unavailable.ts), and a caller that interprets an error must read both kinds
 * (as hub/bookings/holds.ts isUniqueViolation does).
 */
import { createHash } from "node:crypto";
import type pg from "pg";
import { Prisma, type PrismaClient } from "./generated/client.js";

/**
 * Marks a hot statement for plan caching: put it first in the SQL text (`$queryRaw\`${PLAN_CACHED} SELECT …\``).
 *
 * Prisma's PostgreSQL adapter sends every statement unnamed, so the server parses and plans it afresh each time:
 * for the hold's two large statements that planning was most of the database's time per hold (about 4 ms of
 * parse and bind each under load, against well under 1 ms to execute). A marked statement is prepared once per
 * connection under a name made from its text; after a few executions PostgreSQL keeps a generic plan and binding
 * costs next to nothing. Only marked statements are named, because node-postgres and the server keep every named
 * statement for the connection's life: the set must stay small and fixed (no texts that vary with the input, such
 * as IN lists). Harmless on PGlite, where it is just a comment.
 */
const PLAN_CACHED_TEXT = "/* plan-cached */";
export const PLAN_CACHED = Prisma.raw(PLAN_CACHED_TEXT);

const statementNames = new Map<string, string>();
/** The statement's name for node-postgres; "" is the protocol's unnamed statement (planned each time). */
export function statementNameFor(sql: string): string {
  if (!sql.startsWith(PLAN_CACHED_TEXT)) return "";
  let name = statementNames.get(sql);
  if (!name) {
    name = `hub_${createHash("sha1").update(sql).digest("hex").slice(0, 24)}`;
    statementNames.set(sql, name);
  }
  return name;
}

const pools = new WeakMap<object, pg.Pool>();

/** Lets hotRows send `prisma`'s statements on `pool` (the pool its adapter uses). */
export function sendHotReadsOn(prisma: PrismaClient, pool: pg.Pool): void {
  pools.set(prisma, pool);
}

/** The rows of a statement, on the driver when `prisma` is the PostgreSQL client itself, else through Prisma. */
export async function hotRows<T>(
  prisma: PrismaClient | Prisma.TransactionClient,
  query: Prisma.Sql,
): Promise<T[]> {
  const pool = pools.get(prisma);
  if (!pool) return prisma.$queryRaw<T[]>(query);
  const { rows } = await pool.query<T & pg.QueryResultRow>({
    name: statementNameFor(query.text) || undefined,
    text: query.text,
    values: query.values.map(asParameter),
  });
  return rows;
}

/**
 * A parameter as Prisma sends it: instants as ISO text in UTC (node-postgres would send local time with its offset,
 * which a `::timestamp` cast drops), big integers as text.
 */
function asParameter(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(asParameter);
  return value;
}
