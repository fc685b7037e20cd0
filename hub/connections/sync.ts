/**
 * Scheduled syncs: the cron sweep (job `connections.sync` without a connection) queues one job per connection
 * that is due, with a deterministic id per scheduled run (`sync-<connection>-<due time>`; BullMQ ids may not contain a colon), so the same run is
 * never queued twice however many cron processes tick; each job pulls through the connector and applies the
 * result (hub/connections/apply.ts), then records the connection's health and its next run.
 *
 * A failing connection backs off: the next run waits syncMinutes × 2^(failures − 1), at most BACKOFF_CAP_MINUTES.
 * A disabled one (by hand, or after repeated failures: store.recordFailure) is not scheduled.
 */
import type { Connector } from "../../connectors/contract.js";
import { loadRegistry } from "../../connectors/registry.js";
import { type JobQueue, nudge } from "../../jobs/queue.js";
import type { Hub } from "../context.js";
import type { PrismaClient } from "../db/client.js";
import { addDays, formatDate, tokyoToday } from "../inventory/dates.js";
import { log } from "../log.js";
import { applyChanges } from "./apply.js";
import { pulls } from "./health.js";
import { connectorContext, recordFailure, recordSuccess } from "./store.js";

/** Days from today a pull covers. */
export const SYNC_WINDOW_DAYS = 90;
export const BACKOFF_CAP_MINUTES = 6 * 60;

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
export async function syncConnection(hub: Hub, connectionId: string): Promise<SyncOutcome> {
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
  let result = { applied: 0, ignored: 0, conflicts: 0 };
  if (!value.notModified) {
    try {
      result = await applyChanges(
        hub.prisma,
        { id: conn.id, facilityId: conn.facilityId },
        value.changes,
        hub.now(),
        {
          ...(value.complete ? { complete: value.window ?? window } : {}),
        },
      );
    } catch (err) {
      log.error({ module: "connector", connectionId: conn.id, err }, "sync not applied");
      return failed(
        "apply_failed",
        "what the facility's system sent could not be saved (the error was logged)",
      );
    }
  }
  const now = hub.now();
  await recordSuccess(hub.prisma, conn.id, now, value.state);
  await hub.prisma.connection.update({
    where: { id: conn.id },
    data: { nextRunAt: nextRunAfter(now, conn.syncMinutes, 0) },
  });
  return value.notModified ? { outcome: "not_modified" } : { outcome: "synced", ...result };
}
