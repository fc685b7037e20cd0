/**
 * Retention (SLA: logs kept 180 days): the daily job deletes application log files, the connector traffic
 * records (webhook deliveries received, pushes sent) and the connections' logs (connection_log) past their period. Audit entries have their own purge
 * (hub/audit/audit.ts, AUDIT_RETENTION_DAYS). Records still pending or being retried are never deleted.
 */
import type { PrismaClient } from "../db/client.js";
import { log, purgeLogFiles } from "../log.js";

export type RetentionResult = {
  logFiles: string[];
  inboundWebhooks: number;
  connectorPushes: number;
  connectionLog: number;
};

export async function purgeExpired(
  prisma: PrismaClient,
  opts: { logDir?: string; days: number; now: Date },
): Promise<RetentionResult> {
  const before = new Date(opts.now.getTime() - opts.days * 86_400_000);
  const logFiles = opts.logDir ? await purgeLogFiles(opts.logDir, opts.days, opts.now) : [];
  const webhooks = await prisma.inboundWebhook.deleteMany({
    where: { receivedAt: { lt: before }, status: { in: ["applied", "failed"] } },
  });
  const pushes = await prisma.connectorPush.deleteMany({
    where: { createdAt: { lt: before }, status: { in: ["acknowledged", "failed"] } },
  });
  const entries = await prisma.connectionLog.deleteMany({ where: { at: { lt: before } } });
  const result = {
    logFiles,
    inboundWebhooks: webhooks.count,
    connectorPushes: pushes.count,
    connectionLog: entries.count,
  };
  log.info({ module: "retention", ...result, logFiles: logFiles.length, days: opts.days }, "retention purge");
  return result;
}
