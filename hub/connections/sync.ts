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
 * connection's success, its state and its health are recorded only once the last slice is in.
 */
import { createHash } from "node:crypto";
import type { Connector, ExternalChange, PullResult } from "../../connectors/contract.js";
import { loadRegistry } from "../../connectors/registry.js";
import { type JobQueue, nudge } from "../../jobs/queue.js";
import type { Hub } from "../context.js";
import { Prisma, type PrismaClient } from "../db/client.js";
import { addDays, formatDate, tokyoToday } from "../inventory/dates.js";
import { log } from "../log.js";
import { type ApplyProgress, type ApplyResult, applyChanges } from "./apply.js";
import { pulls, withStale } from "./health.js";
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
  const failed = async (code: string, message: string): Promise<SyncOutcome> => {
    const { failures } = await recordFailure(hub.prisma, conn.id, { code, message }, hub.now());
    await hub.prisma.connection.update({
      where: { id: conn.id },
      data: { nextRunAt: nextRunAfter(hub.now(), conn.syncMinutes, failures) },
    });
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
  if (!pulled.ok) return failed(pulled.error.code, pulled.error.message);

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
  await recordSuccess(hub.prisma, conn.id, now, state);
  await hub.prisma.connection.update({
    where: { id: conn.id },
    data: {
      nextRunAt: nextRunAfter(now, conn.syncMinutes, 0),
      // What this pull left out, for the connection's health (a 304 read nothing new: the last report stands).
      ...(value.notModified
        ? {}
        : {
            lastSkipped:
              (withStale(
                value.skipped ? { ...value.skipped, imported: value.changes.length } : null,
                result.stale ?? [],
                value.changes.length,
              ) as Prisma.InputJsonValue | null) ?? Prisma.DbNull,
          }),
    },
  });
  const { applied, ignored, conflicts } = result;
  return value.notModified ? { outcome: "not_modified" } : { outcome: "synced", applied, ignored, conflicts };
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
