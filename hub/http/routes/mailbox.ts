import { problems } from "../../errors.js";
import type { Handlers } from "../types.js";

export const mailboxHandlers: Handlers = {
  /** Demo only: what the hub would have sent. Off unless DEMO_MAILBOX=true (set by `npm run demo`). */
  listMailbox: async ({ hub, query }) => {
    if (!hub.config.DEMO_MAILBOX) throw problems.notFound("mailbox");
    const to = typeof query.to === "string" && query.to ? query.to : undefined;
    const rows = await hub.prisma.mailboxMessage.findMany({
      where: to ? { to } : {},
      orderBy: { id: "desc" },
      take: Number(query.limit ?? 50),
    });
    return {
      body: {
        items: rows.map((m) => ({
          id: String(m.id),
          channel: m.channel,
          to: m.to,
          subject: m.subject,
          body: m.body,
          createdAt: m.createdAt.toISOString(),
        })),
      },
    };
  },
};
