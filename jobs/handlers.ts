import { purgeAudit } from "../hub/audit/audit.js";
import { expireHolds } from "../hub/bookings/actions.js";
import { sendReminders } from "../hub/bookings/reminders.js";
import { runPushJob } from "../hub/connections/push.js";
import { queueDueSyncs, syncConnection } from "../hub/connections/sync.js";
import { processWebhooks } from "../hub/connections/webhooks.js";
import type { Hub } from "../hub/context.js";
import { logDir } from "../hub/log.js";
import { drainOutbox, nudgeOutbox } from "../hub/notify/outbox.js";
import { runScheduledBackup } from "../hub/ops/job.js";
import { purgeExpired } from "../hub/ops/retention.js";
import { sendAnnouncementEmails } from "../hub/support/announcements.js";
import { sendReportReminders } from "../hub/usage/usage-reports.js";
import { endPastEntries, expireOffers, runOfferJob } from "../hub/waitlist/offers.js";
import type { JobHandlers } from "./queue.js";

/**
 * The worker side of every job in jobs/names.ts. Every job but the dispatch itself asks for a dispatch when it ends, as
 * a write request does (hub/http/app.ts): what it wrote to the outbox (messages, waitlist offers, pushes) goes out at
 * once rather than at the cron's next dispatch; a job that wrote nothing costs one empty dispatch per 100 ms window.
 */
export function jobHandlers(hub: Hub): JobHandlers {
  const handlers = ownHandlers(hub);
  for (const name of Object.keys(handlers) as (keyof JobHandlers)[]) {
    if (name === "outbox.dispatch") continue;
    const run = handlers[name] as (payload: unknown) => Promise<void>;
    (handlers as Record<string, (payload: unknown) => Promise<void>>)[name] = async (payload) => {
      await run(payload);
      nudgeOutbox(hub.queue);
    };
  }
  return handlers;
}

function ownHandlers(hub: Hub): JobHandlers {
  return {
    "audit.purge": async () => {
      await purgeAudit(hub.prisma, hub.config.AUDIT_RETENTION_DAYS, hub.now());
    },
    "retention.purge": async () => {
      const days = hub.config.LOG_RETENTION_DAYS;
      await purgeExpired(hub.prisma, { logDir: logDir(hub.config), days, now: hub.now() });
    },
    "identity.purge": async () => {
      const now = hub.now();
      await hub.prisma.session.deleteMany({ where: { expiresAt: { lt: now } } });
      await hub.prisma.signInCode.deleteMany({
        where: { OR: [{ expiresAt: { lt: now } }, { usedAt: { not: null } }] },
      });
      // The codes proving an applicant's e-mail (hub/applications), on the same terms.
      await hub.prisma.applicationEmailCode.deleteMany({
        where: { OR: [{ expiresAt: { lt: now } }, { usedAt: { not: null } }] },
      });
    },
    "bookings.expire-holds": async (payload) => {
      await expireHolds(hub.prisma, payload.now ? new Date(payload.now) : hub.now());
    },
    "bookings.remind": async (payload) => {
      await sendReminders(hub.prisma, payload.now ? new Date(payload.now) : hub.now());
    },
    "outbox.dispatch": async () => {
      // A failed send is retried by the outbox itself (backoff in the row); the job fails only if the
      // dispatch could not run at all (e.g. the database is unreachable).
      await drainOutbox(hub.prisma, hub.transport, hub.now, { jobs: hub.queue });
    },
    "waitlist.offer": async (payload) => {
      await runOfferJob(hub, payload);
    },
    "waitlist.expire-offers": async (payload) => {
      await expireOffers(hub, payload.now ? new Date(payload.now) : hub.now());
    },
    "waitlist.end": async (payload) => {
      await endPastEntries(hub.prisma, payload.now ? new Date(payload.now) : hub.now());
    },
    "connections.sync": async (payload) => {
      if (payload.connectionId) await syncConnection(hub, payload.connectionId);
      else await queueDueSyncs(hub.prisma, hub.queue, hub.now());
    },
    "connections.webhooks": async (payload) => {
      await processWebhooks(hub, payload.connectionId);
    },
    "connections.push": async (payload) => {
      await runPushJob(hub, payload);
    },
    "usage.remind-reports": async (payload) => {
      await sendReportReminders(hub.prisma, payload.now ? new Date(payload.now) : hub.now());
    },
    "support.announcements": async (payload) => {
      await sendAnnouncementEmails(hub.prisma, payload.now ? new Date(payload.now) : hub.now());
    },
    "ops.backup": async () => {
      await runScheduledBackup(hub);
    },
  };
}
