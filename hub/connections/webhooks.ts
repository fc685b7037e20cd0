/**
 * Inbound webhooks from facilities' systems (connectors with the `webhooks` capability): received durably, then
 * applied to the ledger.
 *
 * Receiving (`receiveWebhook`, POST /api/connections/{id}/webhook): the connector verifies the signature and
 * reads the body; the verified body is then stored in `inbound_webhook` BEFORE the request is acknowledged, once
 * per (connection, webhook-id): a retry of the same message is acknowledged again without a second row. Only
 * then is a processing job queued, fire-and-forget: a Redis outage (or any queue error) never refuses or loses a
 * delivery, the sweep (`connections.webhooks` without a connection, every few seconds) applies what is pending.
 *
 * Processing (`processWebhooks`): per connection, pending rows in id order (the order they were received), in
 * batches, each batch in one transaction that applies its changes through applyInTx (hub/connections/apply.ts:
 * duplicates and out-of-order revisions are ignored there, by external id + revision) and marks its rows
 * applied: a worker that dies mid-batch leaves the whole batch pending, so nothing is lost or applied twice.
 * A batch that fails is retried row by row; a row that keeps failing is given up after WEBHOOK_MAX_ATTEMPTS
 * passes (status `failed`, the error kept: a dead letter, replayed with `replayWebhooks`, or on its own from its
 * entry in the connection's log). Every delivery applied or given up gets a log entry in the same transaction, and
 * one refused at the door (bad signature, stale timestamp, not an event) is logged too (hub/connections/log.ts).
 *
 * One pass per connection at a time: a PostgreSQL advisory lock across processes, and within a process calls
 * for a connection already being processed join the next pass instead of queueing up (a burst of deliveries
 * costs a few passes, not one transaction each).
 */

import { createHash } from "node:crypto";
import axios from "axios";
import type { Connector, ConnectorContext, ExternalChange } from "../../connectors/contract.js";
import { loadRegistry } from "../../connectors/registry.js";
import type { Hub } from "../context.js";
import type { Connection, Prisma } from "../db/client.js";
import { DomainError, problems } from "../errors.js";
import { TX_OPTIONS } from "../inventory/inventory.js";
import { connectorLog, log } from "../log.js";
import { type ApplyResult, applyInTx } from "./apply.js";
import { RefusedDestination } from "./egress.js";
import { pulls, withStale } from "./health.js";
import { type LogEntryInput, writeLog } from "./log.js";
import { connectionSecret, recordFailure, recordSuccess } from "./store.js";

/** Rows applied in one transaction. */
export const WEBHOOK_BATCH = 100;
/**
 * On the embedded database (PGlite: one connection, one statement at a time) a batch holds every other request
 * while it runs, so batches are smaller, and while deliveries keep arriving, applying takes at most about half
 * of the database's time: acknowledging (which makes a delivery safe) goes first, applying catches up after.
 */
export const EMBEDDED_WEBHOOK_BATCH = 20;
const RECEIVING_MS = 200;
const lastReceived = new WeakMap<object, number>();
/** Passes a row may fail before it is given up (a dead letter). */
export const WEBHOOK_MAX_ATTEMPTS = 5;

export type Received = { received: true; duplicate: boolean; webhookId: string };

type Conn = Pick<
  Connection,
  "id" | "facilityId" | "connector" | "enabled" | "config" | "secretSealed" | "state"
>;

/** Contexts for reading webhooks make no HTTP calls; they share a client that reaches nothing, and one signal. */
const idleHttp = axios.create({
  adapter: () => Promise.reject(new RefusedDestination("reading a webhook makes no HTTP calls")),
});
const never = new AbortController().signal;

function readContext(hub: Hub, conn: Conn): ConnectorContext {
  let secret: string | null = null;
  try {
    secret = connectionSecret(hub, conn);
  } catch {
    // Sealed with another SECRET_KEY: nothing verifies, which the caller reports as a bad signature.
  }
  return {
    config: (conn.config ?? {}) as Record<string, unknown>,
    secret,
    state: (conn.state ?? {}) as Record<string, unknown>,
    http: idleHttp,
    log: connectorLog(conn.id),
    now: hub.now,
    signal: never,
  };
}

const receives = (c: Connector | undefined): c is Connector & Required<Pick<Connector, "parseWebhook">> =>
  !!c?.parseWebhook && c.manifest.capabilities.includes("webhooks");

/**
 * Calls made while one is running are gathered into the next, up to `max` at once: under load, concurrent
 * deliveries share one lookup and one insert (a group commit) instead of a statement each.
 */
class Batcher<I, O> {
  private waiting: { input: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  private running = false;
  constructor(
    private readonly run: (inputs: I[]) => Promise<O[]>,
    private readonly max: number,
  ) {}

  call(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      if (!this.running) {
        this.running = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush() {
    while (this.waiting.length) {
      const batch = this.waiting.splice(0, this.max);
      try {
        const out = await this.run(batch.map((b) => b.input));
        for (const [i, b] of batch.entries()) b.resolve(out[i] as O);
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    this.running = false;
  }
}

type Incoming = { connectionId: string; webhookId: string; body: string; receivedAt: Date };
type Batchers = { lookup: Batcher<string, Conn | null>; store: Batcher<Incoming, boolean> };
const batchersByDb = new WeakMap<object, Batchers>();

function batchers(hub: Hub): Batchers {
  let b = batchersByDb.get(hub.prisma);
  if (b) return b;
  const prisma = hub.prisma;
  b = {
    lookup: new Batcher(async (ids) => {
      const rows = await prisma.connection.findMany({
        where: { id: { in: [...new Set(ids)] } },
        select: {
          id: true,
          facilityId: true,
          connector: true,
          enabled: true,
          config: true,
          secretSealed: true,
          state: true,
        },
      });
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }, 200),
    // INSERT … ON CONFLICT DO NOTHING RETURNING: what comes back was new; the rest had been received before.
    store: new Batcher(async (rows) => {
      const inserted = await prisma.$queryRaw<{ c: string; w: string }[]>`
        INSERT INTO inbound_webhook (connection_id, webhook_id, body, received_at)
        SELECT * FROM unnest(
          ${rows.map((r) => r.connectionId)}::text[]::uuid[],
          ${rows.map((r) => r.webhookId)}::text[],
          ${rows.map((r) => r.body)}::text[],
          ${rows.map((r) => r.receivedAt.toISOString())}::text[]::timestamp[])
        ON CONFLICT (connection_id, webhook_id) DO NOTHING
        RETURNING connection_id::text AS c, webhook_id AS w`;
      const fresh = new Set(inserted.map((r) => `${r.c} ${r.w}`));
      // The same message twice in one batch: the first is the new one.
      return rows.map((r) => fresh.delete(`${r.connectionId} ${r.webhookId}`));
    }, 200),
  };
  batchersByDb.set(hub.prisma, b);
  return b;
}

/**
 * Verifies, stores and acknowledges one delivery. Problems: 404 `not_found` (no such connection, disabled, or
 * one that does not receive webhooks), 401 `invalid_signature` / `stale_timestamp`, 422 `invalid_payload`
 * (signed, but not the documented body), 503 `unavailable` when it could not be stored (the sender retries).
 */
export async function receiveWebhook(
  hub: Hub,
  connectionId: string,
  headers: Record<string, string | string[] | undefined>,
  rawBody: string,
): Promise<Received> {
  const b = batchers(hub);
  let conn: Conn | null;
  try {
    conn = await b.lookup.call(connectionId);
  } catch (err) {
    throw unavailable(connectionId, err);
  }
  const connector = conn ? (await loadRegistry()).get(conn.connector) : undefined;
  if (!conn?.enabled || !receives(connector)) throw problems.notFound("connection");

  const flat: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers)) flat[k.toLowerCase()] = Array.isArray(v) ? v.join(" ") : v;
  const parsed = connector.parseWebhook(readContext(hub, conn), { headers: flat, body: rawBody });
  if (!parsed.ok) {
    const e = parsed.error;
    await logRefused(hub, conn, e, flat["webhook-id"]);
    if (e.code === "invalid_signature") {
      const stale = e.at?.field === "webhook-timestamp";
      throw new DomainError(
        "unauthenticated",
        stale ? "stale_timestamp" : "invalid_signature",
        stale ? "The webhook's timestamp is not current" : "The webhook's signature is not valid",
        e.message,
      );
    }
    throw problems.unprocessable(
      "invalid_payload",
      `The body is not a valid event: ${e.message}`,
      e.at?.field ? [{ path: e.at.field, message: e.message }] : undefined,
    );
  }

  lastReceived.set(hub.prisma, Date.now());
  let stored: boolean;
  try {
    stored = await b.store.call({
      connectionId: conn.id,
      webhookId: parsed.value.id,
      body: rawBody,
      receivedAt: hub.now(),
    });
  } catch (err) {
    throw unavailable(conn.id, err);
  }
  if (stored) kickWebhooks(hub, conn.id, parsed.value.id);
  return { received: true, duplicate: !stored, webhookId: parsed.value.id };
}

/**
 * A delivery refused at the door (a bad signature, a stale timestamp, a body that is not an event) goes into the
 * connection's log, so the facility's IT vendor sees why; a log that cannot be written never changes the answer.
 */
async function logRefused(hub: Hub, conn: Conn, e: { code: string; at?: { field?: string } }, id?: string) {
  try {
    await writeLog(hub.prisma, {
      connectionId: conn.id,
      facilityId: conn.facilityId,
      at: hub.now(),
      kind: "webhook",
      result: "failed",
      failure: {
        code:
          e.code === "invalid_signature" && e.at?.field === "webhook-timestamp" ? "stale_timestamp" : e.code,
      },
      refs: id ? { webhookId: id.slice(0, 200) } : {},
    });
  } catch (err) {
    log.warn({ module: "connector", connectionId: conn.id, err }, "refused delivery not logged");
  }
}

function unavailable(connectionId: string, err: unknown): DomainError {
  log.error({ module: "connector", connectionId, err }, "webhook not stored");
  return new DomainError(
    "unavailable",
    "unavailable",
    "Temporarily unavailable",
    "The delivery was not stored; send it again",
  );
}

/**
 * Queues the processing of a connection's webhooks, without waiting and without ever failing. One job id per
 * delivery (BullMQ ids may not hold the sender's characters, hence the hash).
 */
export function kickWebhooks(hub: Pick<Hub, "queue">, connectionId: string, webhookId: string): void {
  const jobId = `webhook-${connectionId}-${createHash("sha256").update(webhookId).digest("hex").slice(0, 24)}`;
  try {
    void hub.queue.add("connections.webhooks", { connectionId }, { jobId }).catch(() => {});
  } catch {
    // A queue that throws instead of rejecting: the sweep applies the row.
  }
}

export type ProcessOptions = {
  batchSize?: number;
  /** Aborting stops the pass like a killed worker: the batch in progress rolls back. */
  signal?: AbortSignal;
  /** Called inside each batch's transaction, after its changes were applied and before it commits (tests). */
  onBatch?: (ids: bigint[]) => void | Promise<void>;
};

export type ProcessResult = ApplyResult & {
  /** Rows applied (their changes may have been duplicates). */
  webhooks: number;
  /** Rows that failed in this pass (tried again later), and those given up (dead letters). */
  retrying: number;
  deadLettered: number;
};

const empty = (): ProcessResult => ({
  applied: 0,
  ignored: 0,
  conflicts: 0,
  webhooks: 0,
  retrying: 0,
  deadLettered: 0,
});
const add = (a: ProcessResult, b: ProcessResult): ProcessResult => ({
  applied: a.applied + b.applied,
  ignored: a.ignored + b.ignored,
  conflicts: a.conflicts + b.conflicts,
  webhooks: a.webhooks + b.webhooks,
  retrying: a.retrying + b.retrying,
  deadLettered: a.deadLettered + b.deadLettered,
});

/** Applies the pending webhooks of one connection, or of every connection that has some (the sweep). */
export async function processWebhooks(
  hub: Hub,
  connectionId?: string,
  opts: ProcessOptions = {},
): Promise<ProcessResult> {
  const ids = connectionId
    ? [connectionId]
    : (
        await hub.prisma.$queryRaw<{ id: string }[]>`
          SELECT DISTINCT connection_id::text AS id FROM inbound_webhook WHERE status = 'pending'`
      ).map((r) => r.id);
  let total = empty();
  for (const id of ids) total = add(total, await coalesced(hub, id, opts));
  return total;
}

type Passes = { running?: Promise<ProcessResult>; queued?: Promise<ProcessResult> };
const passesByHub = new WeakMap<object, Map<string, Passes>>();

/** One pass at a time per connection in this process; callers during a pass share the one after it. */
function coalesced(hub: Hub, connectionId: string, opts: ProcessOptions): Promise<ProcessResult> {
  let byConn = passesByHub.get(hub.prisma);
  if (!byConn) {
    byConn = new Map();
    passesByHub.set(hub.prisma, byConn);
  }
  const passes = byConn.get(connectionId) ?? {};
  byConn.set(connectionId, passes);
  if (!passes.running) {
    const run = processConnection(hub, connectionId, opts).finally(() => {
      if (passes.running === run) passes.running = undefined;
    });
    passes.running = run;
    return run;
  }
  passes.queued ??= passes.running
    .catch(() => undefined)
    .then(() => {
      const run = processConnection(hub, connectionId, opts).finally(() => {
        if (passes.running === run) passes.running = undefined;
      });
      passes.running = run;
      passes.queued = undefined;
      return run;
    });
  return passes.queued;
}

type Row = { id: bigint; body: string; attempts: number; webhook_id: string };

async function processConnection(
  hub: Hub,
  connectionId: string,
  opts: ProcessOptions,
): Promise<ProcessResult> {
  const conn = await hub.prisma.connection.findUnique({
    where: { id: connectionId },
    select: {
      id: true,
      facilityId: true,
      connector: true,
      enabled: true,
      config: true,
      secretSealed: true,
      state: true,
    },
  });
  if (!conn) return empty();
  const connector = (await loadRegistry()).get(conn.connector);
  const pulled = pulls(connector, conn.config);
  const ctx = readContext(hub, conn);
  const read = (body: string): ExternalChange[] | string => {
    if (!connector?.readWebhook) return `the connector "${conn.connector}" does not read webhooks`;
    const r = connector.readWebhook(ctx, body);
    return r.ok ? r.value.changes : `${r.error.code}: ${r.error.message}`;
  };

  const embedded = hub.db.kind === "pglite";
  const full = Math.max(1, opts.batchSize ?? (embedded ? EMBEDDED_WEBHOOK_BATCH : WEBHOOK_BATCH));
  let size = full;
  const skip: bigint[] = [];
  let total = empty();
  for (;;) {
    opts.signal?.throwIfAborted();
    let claimed: Row[] = [];
    const started = Date.now();
    try {
      const done = await hub.prisma.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`webhooks:${conn.id}`}))`;
        claimed = await tx.$queryRaw<Row[]>`
          SELECT id, body, attempts, webhook_id FROM inbound_webhook
          WHERE connection_id = ${conn.id}::uuid AND status = 'pending' AND NOT (id = ANY(${skip}::bigint[]))
          ORDER BY id LIMIT ${size}
          FOR UPDATE`;
        if (!claimed.length) return null;
        const now = hub.now();
        const good: bigint[] = [];
        const unreadable: { id: bigint; error: string }[] = [];
        const changes: ExternalChange[] = [];
        const entries: LogEntryInput[] = [];
        const entry = (row: Row, c: ExternalChange[] | string): LogEntryInput => ({
          connectionId: conn.id,
          facilityId: conn.facilityId,
          at: now,
          kind: "webhook",
          result: typeof c === "string" ? "failed" : "ok",
          ...(typeof c === "string"
            ? { failure: { code: "invalid_payload" } }
            : {
                counts: {
                  bookings: c.filter((x) => x.kind === "booking").length,
                  availability: c.filter((x) => x.kind === "availability").length,
                },
              }),
          refs: {
            webhookId: row.webhook_id,
            ...(typeof c === "string"
              ? { webhookRows: [row.id.toString()] }
              : { externalIds: c.flatMap((x) => (x.kind === "booking" ? [x.externalId] : [])).slice(0, 20) }),
          },
        });
        for (const row of claimed) {
          const c = read(row.body);
          entries.push(entry(row, c));
          if (typeof c === "string") unreadable.push({ id: row.id, error: c });
          else {
            good.push(row.id);
            changes.push(...c);
          }
        }
        const result = changes.length
          ? await applyInTx(tx, { id: conn.id, facilityId: conn.facilityId }, changes, now)
          : { applied: 0, ignored: 0, conflicts: 0 };
        if (result.stale?.length) {
          // Availability updates older than what was applied: shown with the connection's skipped items.
          await tx.connection.update({
            where: { id: conn.id },
            data: { lastSkipped: withStale(null, result.stale, changes.length) as Prisma.InputJsonValue },
          });
        }
        await opts.onBatch?.(claimed.map((r) => r.id));
        opts.signal?.throwIfAborted();
        if (good.length) {
          await tx.$executeRaw`
            UPDATE inbound_webhook SET status = 'applied', processed_at = ${now}::timestamp,
              attempts = attempts + 1, error = NULL
            WHERE id = ANY(${good}::bigint[])`;
          // A connection that is only delivered to: a good delivery is its success (the failure count and the
          // last error clear). One that is also pulled keeps them until its pull succeeds.
          if (pulled) await tx.connection.update({ where: { id: conn.id }, data: { lastSuccessAt: now } });
          else await recordSuccess(tx, conn.id, now);
        }
        await writeLog(tx, ...entries);
        for (const u of unreadable) await giveUp(tx, u.id, u.error, now);
        if (unreadable.length) {
          await recordFailure(
            tx,
            conn.id,
            { code: "invalid_payload", message: unreadable[0]?.error ?? "" },
            now,
          );
        }
        return { ...result, webhooks: good.length, retrying: 0, deadLettered: unreadable.length };
      }, TX_OPTIONS);
      if (!done) return total;
      total = add(total, done);
      const took = Date.now() - started;
      if (embedded && Date.now() - (lastReceived.get(hub.prisma) ?? 0) < RECEIVING_MS) await sleep(took);
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      if (claimed.length > 1 || size > 1) {
        // Find the row at fault: the rest of this pass goes one row per transaction.
        size = 1;
        continue;
      }
      const row = claimed[0];
      if (!row) throw err;
      // The database's own message stays in the log; the row and the connection's health say what happened.
      log.error(
        { module: "connector", connectionId: conn.id, webhookRow: String(row.id), err },
        "webhook not applied",
      );
      const message = "the delivery could not be applied to the booking ledger (the error was logged)";
      const now = hub.now();
      if (row.attempts + 1 >= WEBHOOK_MAX_ATTEMPTS) {
        await hub.prisma.$transaction(async (tx) => {
          await giveUp(tx, row.id, message, now);
          await recordFailure(tx, conn.id, { code: "invalid_payload", message }, now);
          await writeLog(tx, {
            connectionId: conn.id,
            facilityId: conn.facilityId,
            at: now,
            kind: "webhook",
            result: "failed",
            failure: { code: "apply_failed" },
            refs: { webhookId: row.webhook_id, webhookRows: [row.id.toString()] },
          });
        }, TX_OPTIONS);
        total.deadLettered++;
      } else {
        await hub.prisma.inboundWebhook.update({
          where: { id: row.id },
          data: { attempts: { increment: 1 }, error: message },
        });
        total.retrying++;
      }
      skip.push(row.id);
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function giveUp(db: Prisma.TransactionClient, id: bigint, error: string, now: Date) {
  await db.inboundWebhook.update({
    where: { id },
    data: { status: "failed", attempts: { increment: 1 }, error: error.slice(0, 1000), processedAt: now },
  });
}

/** Dead letters of a connection (or the ones given) back in line, and processed soon. Returns how many. */
export async function replayWebhooks(hub: Hub, connectionId: string, ids?: bigint[]): Promise<number> {
  const { count } = await hub.prisma.inboundWebhook.updateMany({
    where: { connectionId, status: "failed", ...(ids ? { id: { in: ids } } : {}) },
    data: { status: "pending", attempts: 0, error: null, processedAt: null },
  });
  if (count) kickWebhooks(hub, connectionId, `replay@${hub.now().getTime()}`);
  return count;
}
