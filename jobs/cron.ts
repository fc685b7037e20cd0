import cron from "node-cron";
import { log } from "../hub/log.js";
import { stateChanges } from "../hub/redis-state.js";
import type { JobName } from "./names.js";
import type { JobQueue } from "./queue.js";

/** Schedules in Asia/Tokyo. Cron only enqueues; a fixed job id per tick keeps two cron processes from doubling work. */
export const SCHEDULES: { name: JobName; cron: string }[] = [
  { name: "bookings.expire-holds", cron: "* * * * *" },
  // Hourly: reminders before free cancellation ends (or the day before, when it has already ended).
  { name: "bookings.remind", cron: "7 * * * *" },
  // Every 5 s: a message is sent within seconds even when whoever wrote it did not ask for a dispatch.
  { name: "outbox.dispatch", cron: "*/5 * * * * *" },
  { name: "identity.purge", cron: "17 * * * *" },
  { name: "audit.purge", cron: "30 3 * * *" },
  { name: "retention.purge", cron: "35 3 * * *" },
  // The waitlist: the sweep behind the fast path (hub/waitlist/kick.ts), offers past their deadline, past entries.
  { name: "waitlist.offer", cron: "* * * * *" },
  { name: "waitlist.expire-offers", cron: "* * * * *" },
  { name: "waitlist.end", cron: "5 0 * * *" },
  // Connectors: queue each connection's pull when it is due (its own interval, or its backoff). Every 5 s, so a
  // polled feed is read within its interval + a few seconds.
  { name: "connections.sync", cron: "*/5 * * * * *" },
  // Inbound webhooks left pending (queued while the queue was down, or failed once), and our bookings to push.
  { name: "connections.webhooks", cron: "*/5 * * * * *" },
  { name: "connections.push", cron: "*/10 * * * * *" },
  // Daily at 06:20 (quiet): remind facilities of missing usage reports near or after the month's deadline.
  { name: "usage.remind-reports", cron: "20 6 * * *" },
  // Every minute: e-mail announcements whose period has just started (once each).
  { name: "support.announcements", cron: "* * * * *" },
  // Daily at 03:45 (the quietest hour, after the audit purge): a backup, keeping BACKUP_GENERATIONS (hub/ops/backup.ts).
  { name: "ops.backup", cron: "45 3 * * *" },
];

export function startCron(queue: JobQueue): { stop(): void } {
  // Logged once when scheduling starts failing (the job store is down) and once when it works again, not per tick.
  const state = stateChanges<{ name: JobName; err: unknown }>(
    ({ name, err }) =>
      log.error(
        { module: "cron", job: name, reason: (err as Error)?.message },
        "scheduled jobs cannot be queued: the job store does not answer; they are skipped until it does",
      ),
    () => log.info({ module: "cron" }, "scheduled jobs are queued again"),
  );
  const tasks = SCHEDULES.map((s) =>
    cron.schedule(
      s.cron,
      (ctx) => {
        const tick = Math.floor((ctx?.triggeredAt ?? new Date()).getTime() / 1000);
        queue
          .add(s.name, {} as never, { jobId: `${s.name}@${tick}` })
          .then(state.ok, (err) => state.failed({ name: s.name, err }));
      },
      { timezone: "Asia/Tokyo", name: s.name, noOverlap: true },
    ),
  );
  return {
    stop: () => {
      for (const t of tasks) t.stop();
    },
  };
}
