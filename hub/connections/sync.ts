/**
 * Scheduled syncs: the cron sweep (job `connections.sync` without a connection) queues one job per connection
 * that is due, with a deterministic id per scheduled run (`sync-<connection>-<due time>`; BullMQ ids may not contain a colon), so the same run is
 * never queued twice however many cron processes tick; each job pulls through the connector and applies the
 * result (hub/connections/apply.ts), then records the connection's health and its next run.
 *
 * A failing connection backs off: the next run waits syncMinutes × 2^(failures − 1), at most BACKOFF_CAP_MINUTES.
 * A disabled one (by hand, or after repeated failures: store.recordFailure) is not scheduled.
 *
 * A pull is applied in slices of APPLY_BATCH changes, each in its own transaction (one transaction for a
 * calendar of thousands of events outlived its time limit and was retried from scratch for ever). Each slice
 * records in the same transaction how far the pull got (connection.apply_progress: a digest of the pulled
 * content, the changes done); a retry that pulls the same content continues after them, and the connector
 * state of the first attempt (the revisions those slices were applied with) is the one kept. The complete
 * pull's review of vanished bookings runs with the last slice, over every id the pull mentioned. The
 * connection's success, its state and its health are recorded only once the last slice is in, in one transaction
 * with the sync's entry in the connection's log (hub/connections/log.ts); a failure likewise. A feed that answers
 * 410 Gone pauses the connection.
 */
import { createHash } from "node:crypto";
import type { Connector, ExternalChange, PullResult, PullSkipped } from "../../connectors/contract.js";
import { loadRegistry } from "../../connectors/registry.js";
import { type JobQueue, nudge } from "../../jobs/queue.js";
import type { Hub } from "../context.js";
import { Prisma, type PrismaClient } from "../db/client.js";
import { addDays, formatDate, tokyoToday } from "../inventory/dates.js";
import { TX_OPTIONS } from "../inventory/inventory.js";
import { log } from "../log.js";
import { type ApplyProgress, type ApplyResult, applyChanges } from "./apply.js";
import { pulls, withStale } from "./health.js";
import { type LogEntryInput, pauseGone, writeLog } from "./log.js";
import { connectorContext, recordFailure, recordSuccess } from "./store.js";

/** Days from today a pull covers. */
export const SYNC_WINDOW_DAYS = 90;
export const BACKOFF_CAP_MINUTES = 6 * 60;
/** Changes applied per transaction: well inside TX_OPTIONS' time limit on PGlite and PostgreSQL alike. */
export const APPLY_BATCH = 500;

/**
 * A digest of what a pull says (not of revisions a connector assigns by the clock, e.g. iCal events without
 * LAST-MODIFIED): the same content pulled again continues where the last attempt stopped.
 */
export function pullDigest(changes: readonly ExternalChange[], window: { from: string; to: string }): string {
  const hash = createHash("sha256").update(JSON.stringify(window));
  for (const c of changes) {
    const { revision: _r, ...content } = c as ExternalChange & { revision?: number };
    hash.update(JSON.stringify(content));
  }
  return hash.digest("hex");
}

export type SyncOptions = {
  /** Changes per transaction (tests use small slices). */
  batchSize?: number;
  /** Called after each slice has been committed, with how many changes are in (progress logging; tests). */
  onBatch?: (done: number, total: number) => void | Promise<void>;
};

/** When to run next: the interval, or a backoff after failures. */
export function nextRunAfter(now: Date, syncMinutes: number, failures: number): Date {
  const minutes =
    failures > 0 ? Math.min(BACKOFF_CAP_MINUTES, syncMinutes * 2 ** Math.min(failures - 1, 20)) : syncMinutes;
  return new Date(now.getTime() + minutes * 60_000);
}

/** Queues a sync for every enabled pull connection that is due. Returns how many were queued. */
export async function queueDueSyncs(prisma: PrismaClient, queue: JobQueue, now: Date): Promise<number> {
  const registry = await loadRegistry();
  const candidates = await prisma.connection.findMany({
    where: { enabled: true, OR: [{ nextRunAt: null }, { nextRunAt: { lte: now } }] },
    select: { id: true, connector: true, config: true, nextRunAt: true },
  });
  const due = candidates.filter((c) => pulls(registry.get(c.connector), c.config));
  for (const c of due) {
    await queue.add(
      "connections.sync",
      { connectionId: c.id },
      { jobId: `sync-${c.id}-${(c.nextRunAt ?? new Date(0)).getTime()}`, attempts: 1 },
    );
  }
  return due.length;
}

/** "Sync now": queued at once (when the job store answers within NUDGE_MS), at most once a minute per connection. */
export async function queueSyncNow(queue: JobQueue, connectionId: string, now: Date): Promise<boolean> {
  const minute = Math.floor(now.getTime() / 60_000);
  return nudge(
    queue,
    "connections.sync",
    { connectionId },
    { jobId: `sync-now-${connectionId}-${minute}`, attempts: 1 },
  );
}

export type SyncOutcome =
  | { outcome: "skipped"; reason: string }
  | { outcome: "not_modified" }
  | { outcome: "synced"; applied: number; ignored: number; conflicts: number }
  | { outcome: "failed"; code: string; message: string };

/** Pulls one connection and applies what it returned; records health and the next run either way. */
export async function syncConnection(
  hub: Hub,
  connectionId: string,
  opts: SyncOptions = {},
): Promise<SyncOutcome> {
  const conn = await hub.prisma.connection.findUnique({ where: { id: connectionId } });
  if (!conn) return { outcome: "skipped", reason: "no such connection" };
  if (!conn.enabled) return { outcome: "skipped", reason: "disabled" };
  const connector = (await loadRegistry()).get(conn.connector);
  if (!connector?.pull || !pulls(connector, conn.config))
    return { outcome: "skipped", reason: "the connector does not pull" };

  const started = hub.now();
  const today = tokyoToday(started);
  const window = { from: formatDate(today), to: formatDate(addDays(today, SYNC_WINDOW_DAYS - 1)) };
  const failed = async (code: string, message: string, status?: number): Promise<SyncOutcome> => {
    // The failure, the next run and the log entry together; an endpoint that answered 410 Gone pauses the
    // connection (no more pulls or pushes until it is enabled again).
    await hub.prisma.$transaction(async (tx) => {
      const { failures } = await recordFailure(tx, conn.id, { code, message }, hub.now());
      await tx.connection.update({
        where: { id: conn.id },
        data: { nextRunAt: nextRunAfter(hub.now(), conn.syncMinutes, failures) },
      });
      if (status === 410) await pauseGone(tx, conn.id, "the feed");
      await writeLog(tx, {
        connectionId: conn.id,
        facilityId: conn.facilityId,
        at: hub.now(),
        kind: "sync",
        result: "failed",
        failure: { code, ...(status ? { status } : {}) },
        durationMs: hub.now().getTime() - started.getTime(),
      });
    }, TX_OPTIONS);
    return { outcome: "failed", code, message };
  };

  let pulled: Awaited<ReturnType<NonNullable<Connector["pull"]>>>;
  try {
    pulled = await connector.pull(connectorContext(hub, conn), window);
  } catch (err) {
    // A connector throws only for a bug; it is still this connection's failure, not the worker's. Its message
    // stays in the log: what staff see names the kind of failure only.
    log.error({ module: "connector", connectionId: conn.id, err }, "connector failed");
    return failed("connector_error", "the connector failed unexpectedly (the error was logged)");
  }
  if (!pulled.ok) return failed(pulled.error.code, pulled.error.message, pulled.error.status);

  const { value } = pulled;
  let result: ApplyResult = { applied: 0, ignored: 0, conflicts: 0 };
  let state = value.state;
  if (!value.notModified) {
    try {
      const applied = await applyInSlices(hub, conn, value, window, opts);
      result = applied.result;
      state = applied.state;
    } catch (err) {
      log.error({ module: "connector", connectionId: conn.id, err }, "sync not applied");
      return failed(
        "apply_failed",
        "what the facility's system sent could not be saved (the error was logged)",
      );
    }
  }
  const now = hub.now();
  const skippedReport = value.notModified
    ? null
    : withStale(
        value.skipped ? { ...value.skipped, imported: value.changes.length } : null,
        result.stale ?? [],
        value.changes.length,
      );
  await hub.prisma.$transaction(async (tx) => {
    await recordSuccess(tx, conn.id, now, state);
    await tx.connection.update({
      where: { id: conn.id },
      data: {
        nextRunAt: nextRunAfter(now, conn.syncMinutes, 0),
        // What this pull left out, for the connection's health (a 304 read nothing new: the last report stands).
        ...(value.notModified
          ? {}
          : { lastSkipped: (skippedReport as Prisma.InputJsonValue | null) ?? Prisma.DbNull }),
      },
    });
    await writeLog(tx, syncLogEntry(conn, value, result, started, now, skippedReport));
  }, TX_OPTIONS);
  const { applied, ignored, conflicts } = result;
  return value.notModified ? { outcome: "not_modified" } : { outcome: "synced", applied, ignored, conflicts };
}

/** Booking ids listed in a sync's log entry (the counts cover the rest). */
export const LOGGED_IDS = 50;
/** Skipped items listed in a sync's log entry (connection.last_skipped keeps the last pull's in full). */
export const LOGGED_SKIPPED = 50;

/** A successful pull as its log entry (pure): counts, the first booking ids, what was left out and why. */
export function syncLogEntry(
  conn: { id: string; facilityId: string },
  value: PullResult,
  result: ApplyResult,
  started: Date,
  now: Date,
  /** What was left out, when more than the pull's own report (availability updates older than applied: stale). */
  report: Pick<PullSkipped, "counts" | "items"> | null = value.skipped ?? null,
): LogEntryInput {
  const ids = value.changes.flatMap((c) => (c.kind === "booking" ? [c.externalId] : []));
  const skipped = report ?? value.skipped;
  const skippedTotal = Object.values(skipped?.counts ?? {}).reduce((a, n) => a + (Number(n) || 0), 0);
  return {
    connectionId: conn.id,
    facilityId: conn.facilityId,
    at: now,
    kind: "sync",
    result: value.notModified ? "not_modified" : "ok",
    counts: value.notModified
      ? {}
      : {
          read: value.skipped?.read ?? value.changes.length,
          imported: value.changes.length,
          skipped: skippedTotal,
          applied: result.applied,
          ignored: result.ignored,
          conflicts: result.conflicts,
        },
    refs: ids.length
      ? {
          externalIds: ids.slice(0, LOGGED_IDS),
          ...(ids.length > LOGGED_IDS ? { more: ids.length - LOGGED_IDS } : {}),
        }
      : {},
    ...(skipped && skippedTotal
      ? { skipped: { counts: skipped.counts, items: skipped.items.slice(0, LOGGED_SKIPPED) } }
      : {}),
    durationMs: now.getTime() - started.getTime(),
  };
}

/**
 * Applies a pull slice by slice, continuing after the slices an earlier attempt at the same content committed.
 * Returns the counts of the slices applied now and the connector state to keep.
 */
async function applyInSlices(
  hub: Hub,
  conn: { id: string; facilityId: string; applyProgress: unknown; applyState: unknown },
  value: PullResult,
  window: { from: string; to: string },
  opts: SyncOptions,
): Promise<{ result: ApplyResult; state: Record<string, unknown> }> {
  const size = Math.max(1, opts.batchSize ?? APPLY_BATCH);
  const changes = value.changes;
  const digest = pullDigest(changes, value.window ?? window);
  const before = conn.applyProgress as ApplyProgress | null;
  const resumed =
    before?.digest === digest && before.total === changes.length && before.done < changes.length;
  const start = resumed ? before.done : 0;
  // The state the first attempt's slices were applied with (the revisions it assigned), when continuing it.
  const state =
    resumed && conn.applyState && typeof conn.applyState === "object"
      ? (conn.applyState as Record<string, unknown>)
      : value.state;
  if (resumed)
    log.info(
      { module: "connector", connectionId: conn.id, done: start, total: changes.length },
      "sync continues",
    );
  const complete = value.complete ? (value.window ?? window) : undefined;
  const mentioned = complete
    ? new Set(changes.flatMap((c) => (c.kind === "booking" ? [c.externalId] : [])))
    : undefined;
  const result: ApplyResult = { applied: 0, ignored: 0, conflicts: 0 };
  // At least one slice: an empty complete pull still reviews what vanished.
  for (let from = start; from < changes.length || from === start; from += size) {
    const to = Math.min(changes.length, from + size);
    const last = to >= changes.length;
    const r = await applyChanges(
      hub.prisma,
      { id: conn.id, facilityId: conn.facilityId },
      changes.slice(from, to),
      hub.now(),
      {
        ...(last && complete
          ? { complete, ...(mentioned ? { mentioned } : {}), unreadable: value.unreadable ?? [] }
          : {}),
        progress: {
          value: last ? null : { digest, done: to, total: changes.length },
          // Saved with the first slice of an attempt, cleared with the last.
          ...(last ? { state: null } : from === start && !resumed ? { state: value.state } : {}),
        },
      },
    );
    result.applied += r.applied;
    result.ignored += r.ignored;
    result.conflicts += r.conflicts;
    if (r.stale) result.stale = [...(result.stale ?? []), ...r.stale];
    await opts.onBatch?.(to, changes.length);
    if (last) break;
  }
  return { result, state };
}
