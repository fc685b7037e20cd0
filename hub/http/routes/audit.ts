import type { Prisma } from "../../db/client.js";
import type { Handlers } from "../types.js";

/** The audit log, newest first (prefecture only; the read itself is audited by the app). */
export const auditHandlers: Handlers = {
  listAuditLog: async (req) => {
    const { actorId, action, resourceType, resourceId, from, to, limit, offset } = req.query as {
      actorId?: string;
      action?: string;
      resourceType?: string;
      resourceId?: string;
      from?: string;
      to?: string;
      limit: number;
      offset: number;
    };
    const at: Prisma.DateTimeFilter = {};
    if (from) at.gte = new Date(from);
    if (to) at.lte = new Date(to);
    const where: Prisma.AuditLogWhereInput = {
      ...(actorId ? { actorId } : {}),
      ...(action ? { action } : {}),
      ...(resourceType ? { resourceType } : {}),
      ...(resourceId ? { resourceId } : {}),
      ...(from || to ? { at } : {}),
    };
    const [total, rows] = await Promise.all([
      req.hub.prisma.auditLog.count({ where }),
      req.hub.prisma.auditLog.findMany({
        where,
        orderBy: [{ at: "desc" }, { id: "desc" }],
        take: limit,
        skip: offset,
      }),
    ]);
    return {
      body: {
        total,
        items: rows.map((e) => ({
          id: e.id.toString(),
          at: e.at.toISOString(),
          actorId: e.actorId,
          actorRole: e.actorRole,
          action: e.action,
          resourceType: e.resourceType,
          resourceId: e.resourceId,
          tenant: e.tenant,
          ip: e.ip,
          outcome: e.outcome,
          detail: e.detail ?? {},
        })),
      },
    };
  },
};
