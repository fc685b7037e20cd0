import { PLAN_CACHED, type Prisma, type PrismaClient } from "../db/client.js";
import { type Actor, tenantOf } from "../identity/actor.js";

export type AuditEntry = {
  action: string;
  resourceType?: string;
  resourceId?: string;
  outcome?: "ok" | "denied" | "failed";
  detail?: Record<string, unknown>;
};

/**
 * Who, when, what, from which address: every staff access to personal data, every sign-in and export.
 * Written after every staff write, so it is one raw INSERT rather than a (far costlier) Prisma model query.
 */
export async function audit(
  prisma: PrismaClient | Prisma.TransactionClient,
  actor: Pick<Actor, "userId" | "role"> | Actor | null,
  ip: string,
  entry: AuditEntry,
  now = new Date(),
): Promise<void> {
  const tenant = actor && "sessionId" in actor ? tenantOf(actor) : "";
  await prisma.$executeRaw`${PLAN_CACHED}
    INSERT INTO audit_log (at, actor_id, actor_role, tenant, ip, action, resource_type, resource_id, outcome, detail)
    VALUES (${now}::timestamp, ${actor?.userId ?? null}::uuid, ${actor?.role ?? null}::text, ${tenant}, ${ip},
      ${entry.action}, ${entry.resourceType ?? ""}, ${entry.resourceId ?? ""}, ${entry.outcome ?? "ok"},
      ${JSON.stringify(entry.detail ?? {})}::jsonb)`;
}

export async function purgeAudit(
  prisma: PrismaClient,
  retentionDays: number,
  now = new Date(),
): Promise<number> {
  const before = new Date(now.getTime() - retentionDays * 86_400_000);
  const { count } = await prisma.auditLog.deleteMany({ where: { at: { lt: before } } });
  return count;
}
