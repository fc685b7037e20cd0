import { purgeAudit } from "../hub/audit/audit.js";
import { expireHolds } from "../hub/bookings/actions.js";
import type { Hub } from "../hub/context.js";
import { dispatchOutbox } from "../hub/notify/outbox.js";
import type { JobHandlers } from "./queue.js";

/** The worker side of every job in jobs/names.ts. */
export function jobHandlers(hub: Hub): JobHandlers {
  return {
    "audit.purge": async () => {
      await purgeAudit(hub.prisma, hub.config.AUDIT_RETENTION_DAYS, hub.now());
    },
    "identity.purge": async () => {
      const now = hub.now();
      await hub.prisma.session.deleteMany({ where: { expiresAt: { lt: now } } });
      await hub.prisma.signInCode.deleteMany({
        where: { OR: [{ expiresAt: { lt: now } }, { usedAt: { not: null } }] },
      });
    },
    "bookings.expire-holds": async (payload) => {
      await expireHolds(hub.prisma, payload.now ? new Date(payload.now) : hub.now());
    },
    "outbox.dispatch": async () => {
      const { failed } = await dispatchOutbox(hub.prisma, hub.transport, hub.now());
      if (failed) throw new Error(`${failed} outbox message(s) could not be sent; they stay pending`);
    },
  };
}
