import type { Hub } from "../context.js";
import { log } from "../log.js";
import { type BackupResult, createBackup } from "./backup.js";

/**
 * The daily `ops.backup` job (jobs/cron.ts). On PostgreSQL it runs pg_dump; on the embedded default it dumps the
 * hub's own live PGlite instance (no second process may open its directory). An in-memory database
 * (DATA_DIR=memory://, tests) has nothing to keep unless BACKUP_DIR is set.
 */
export async function runScheduledBackup(hub: Hub): Promise<BackupResult | undefined> {
  const { config } = hub;
  if (!config.DATABASE_URL && config.DATA_DIR === "memory://" && !config.BACKUP_DIR) return undefined;
  const result = await createBackup({ config, lite: hub.db.pglite, now: hub.now() });
  log.info({ module: "backup", file: result.file, removed: result.removed.length }, "backup made");
  return result;
}
