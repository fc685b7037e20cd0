import type { JobQueue } from "../jobs/queue.js";
import type { AuditWriter } from "./audit/audit.js";
import type { Config } from "./config.js";
import type { Db, PrismaClient } from "./db/client.js";
import type { FacilityDirectory } from "./facilities/directory.js";
import type { NetworkGuard } from "./identity/lgwan.js";
import type { Limits } from "./identity/limits.js";
import type { Transport } from "./notify/transport.js";

/** The hub's services, built once per process and handed to handlers and job workers. */
export type Hub = {
  config: Config;
  db: Db;
  prisma: PrismaClient;
  queue: JobQueue;
  limits: Limits;
  /** The published facility directory, searched in memory. */
  directory: FacilityDirectory;
  networks: NetworkGuard;
  /** The request pipeline's audit rows, written together with those of concurrent requests. */
  audit: AuditWriter;
  /** Where outbox messages go: SMTP, or the local mailbox in the embedded default. */
  transport: Transport;
  /** The clock; tests inject their own. */
  now: () => Date;
  /** The demo's simulated facility calendars (fixtures/simulators), served at /demo/feeds/<id>.ics when given. */
  demoFeed?: (facilityId: string, now: Date) => string;
};
