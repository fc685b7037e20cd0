import { PLAN_CACHED, Prisma, type PrismaClient } from "../db/client.js";
import { hotRows } from "../db/hot.js";
import { unavailability } from "../db/unavailable.js";
import { type Actor, tenantOf } from "../identity/actor.js";

export type AuditEntry = {
  action: string;
  resourceType?: string;
  resourceId?: string;
  outcome?: "ok" | "denied" | "failed";
  detail?: Record<string, unknown>;
};

/** One audit_log row as written. */
export type AuditRow = {
  at: Date;
  actorId: string | null;
  actorRole: string | null;
  tenant: string;
  ip: string;
  action: string;
  resourceType: string;
  resourceId: string;
  outcome: string;
  detail: string;
};

export function auditRow(
  actor: Pick<Actor, "userId" | "role"> | Actor | null,
  ip: string,
  entry: AuditEntry,
  now: Date,
): AuditRow {
  return {
    at: now,
    actorId: actor?.userId ?? null,
    actorRole: actor?.role ?? null,
    tenant: actor && "sessionId" in actor ? tenantOf(actor) : "",
    ip,
    action: entry.action,
    resourceType: entry.resourceType ?? "",
    resourceId: entry.resourceId ?? "",
    outcome: entry.outcome ?? "ok",
    detail: JSON.stringify(entry.detail ?? {}),
  };
}

/**
 * Who, when, what, from which address: every staff access to personal data, every sign-in and export, written in
 * the caller's transaction when it gives one. (The request pipeline's own rows go through an AuditWriter.)
 */
export async function audit(
  prisma: PrismaClient | Prisma.TransactionClient,
  actor: Pick<Actor, "userId" | "role"> | Actor | null,
  ip: string,
  entry: AuditEntry,
  now = new Date(),
): Promise<void> {
  await insertAuditRows(prisma, [auditRow(actor, ip, entry, now)]);
}

/** Rows in one INSERT (one raw statement, whatever their number: its plan is cached like any hot statement's). */
async function insertAuditRows(
  prisma: PrismaClient | Prisma.TransactionClient,
  rows: AuditRow[],
): Promise<void> {
  const column = <K extends keyof AuditRow>(k: K) => rows.map((r) => r[k]);
  await hotRows(
    prisma,
    Prisma.sql`${PLAN_CACHED}
    INSERT INTO audit_log (at, actor_id, actor_role, tenant, ip, action, resource_type, resource_id, outcome, detail)
    SELECT at::timestamp, actor_id::uuid, actor_role, tenant, ip, action, resource_type, resource_id, outcome,
      detail::jsonb
    FROM unnest(${rows.map((r) => r.at.toISOString())}::text[], ${column("actorId")}::text[],
      ${column("actorRole")}::text[], ${column("tenant")}::text[], ${column("ip")}::text[],
      ${column("action")}::text[], ${column("resourceType")}::text[], ${column("resourceId")}::text[],
      ${column("outcome")}::text[], ${column("detail")}::text[])
      WITH ORDINALITY AS u (at, actor_id, actor_role, tenant, ip, action, resource_type, resource_id, outcome, detail, n)
    ORDER BY n`,
  );
}

/** The most rows one INSERT of an AuditWriter carries. */
const MAX_BATCH = 500;

/**
 * The audit rows of concurrent requests, written together (group commit): a row is written with the next INSERT,
 * which starts as soon as the one before it ends (at once when none is running), and its request answers only once
 * that INSERT committed, as before. Under load one INSERT carries the rows of many requests: an INSERT and a commit
 * of its own for every staff write was a fifth of what a booking cost the hub and the database. A batch the
 * database refuses is written again row by row, so a row it cannot take fails its own request only (when the
 * database is not there at all, the whole batch fails at once, as each request would have alone).
 */
export class AuditWriter {
  private queue: { row: AuditRow; settle: (err?: unknown) => void }[] = [];
  private writing = false;

  constructor(private readonly insert: (rows: AuditRow[]) => Promise<void>) {}

  static for(prisma: PrismaClient): AuditWriter {
    return new AuditWriter((rows) => insertAuditRows(prisma, rows));
  }

  write(
    actor: Pick<Actor, "userId" | "role"> | Actor | null,
    ip: string,
    entry: AuditEntry,
    now: Date,
  ): Promise<void> {
    const row = auditRow(actor, ip, entry, now);
    return new Promise((resolve, reject) => {
      this.queue.push({ row, settle: (err) => (err === undefined ? resolve() : reject(err)) });
      if (!this.writing) void this.writeQueued();
    });
  }

  private async writeQueued(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, MAX_BATCH);
        const failed = await this.insert(batch.map((b) => b.row)).then(
          () => undefined,
          (err: unknown) => err ?? new Error("the audit rows were not written"),
        );
        if (failed === undefined) for (const b of batch) b.settle();
        // The database not answering fails every row alike: trying each alone would make the last wait for all.
        else if (batch.length === 1 || unavailability(failed)) for (const b of batch) b.settle(failed);
        else {
          for (const b of batch) {
            await this.insert([b.row]).then(
              () => b.settle(),
              (err: unknown) => b.settle(err ?? failed),
            );
          }
        }
      }
    } finally {
      this.writing = false;
    }
  }
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
