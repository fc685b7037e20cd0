import type { Prisma, PrismaClient } from "../db/client.js";
import { type Actor, tenantOf } from "../identity/actor.js";

export type AuditEntry = {
  action: string;
  resourceType?: string;
  resourceId?: string;
  outcome?: "ok" | "denied" | "failed";
  detail?: Record<string, unknown>;
};

/** Who, when, what, from which address: every staff access to personal data, every sign-in and export. */
export async function audit(
  prisma: PrismaClient | Prisma.TransactionClient,
  actor: Pick<Actor, "userId" | "role"> | Actor | null,
  ip: string,
  entry: AuditEntry,
  now = new Date(),
): Promise<void> {
  await prisma.auditLog.create({
    data: {
      at: now,
      actorId: actor?.userId ?? null,
      actorRole: actor?.role ?? null,
      tenant: actor && "sessionId" in actor ? tenantOf(actor) : "",
      ip,
      action: entry.action,
      resourceType: entry.resourceType ?? "",
      resourceId: entry.resourceId ?? "",
      outcome: entry.outcome ?? "ok",
      detail: (entry.detail ?? {}) as Prisma.InputJsonValue,
    },
  });
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
