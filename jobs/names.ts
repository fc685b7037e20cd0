/**
 * Every queue, job name and payload in one place. Start-up fails if a job has no handler
 * (see `assertHandlers`), so adding a name here forces its worker to exist.
 */
export const QueueName = {
  maintenance: "maintenance",
  bookings: "bookings",
  outbox: "outbox",
  waitlist: "waitlist",
  connections: "connections",
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export type JobPayloads = {
  /** Expire requested bookings whose hold deadline has passed. */
  "bookings.expire-holds": { now?: string };
  /** Remind confirmed bookings whose free-cancellation deadline is near (or that start tomorrow), once each. */
  "bookings.remind": { now?: string };
  /** Send undispatched outbox rows to their topics. */
  "outbox.dispatch": Record<string, never>;
  /** Delete audit entries past the retention period (180 days by default). */
  "audit.purge": Record<string, never>;
  /** Delete application log files and connector traffic records past LOG_RETENTION_DAYS (hub/ops/retention.ts). */
  "retention.purge": Record<string, never>;
  /** Delete expired sessions and used or expired sign-in codes. */
  "identity.purge": Record<string, never>;
  /**
   * Offer freed places to the waitlist: for one facility and service (written to the outbox by the change that
   * freed them, hub/waitlist/kick.ts), or for every facility and service with someone waiting (the sweep).
   */
  "waitlist.offer": { facilityId?: string; serviceType?: "stay" | "day" | "visit" };
  /** Withdraw offers not answered by their deadline; the places go to the next entries. */
  "waitlist.expire-offers": { now?: string };
  /** End waiting entries whose dates have passed. */
  "waitlist.end": { now?: string };
  /** Pull one connection and apply what it returned; without one, queue every connection that is due. */
  "connections.sync": { connectionId?: string };
  /**
   * Apply stored inbound webhooks: one connection's (queued on receipt), or every connection's pending ones (the
   * sweep behind it, so a delivery acknowledged while the queue was down is applied all the same).
   */
  "connections.webhooks": { connectionId?: string };
  /** Send our bookings' changes to facilities' systems (one connection, or all), alert on unacknowledged ones. */
  "connections.push": { connectionId?: string };
  /** E-mail facilities whose usage reports (実績報告) of a month are missing near or after the deadline, once a month. */
  "usage.remind-reports": { now?: string };
  /** E-mail announcements (お知らせ) with sendEmail whose period has started, once each (hub/support). */
  "support.announcements": { now?: string };
  /** Back up the database (pg_dump, or the PGlite data dir) and keep the newest BACKUP_GENERATIONS (hub/ops/backup.ts). */
  "ops.backup": Record<string, never>;
};
export type JobName = keyof JobPayloads;

export const JOB_QUEUE: { [K in JobName]: QueueName } = {
  "bookings.expire-holds": QueueName.bookings,
  "bookings.remind": QueueName.bookings,
  "outbox.dispatch": QueueName.outbox,
  "audit.purge": QueueName.maintenance,
  "retention.purge": QueueName.maintenance,
  "identity.purge": QueueName.maintenance,
  "waitlist.offer": QueueName.waitlist,
  "waitlist.expire-offers": QueueName.waitlist,
  "waitlist.end": QueueName.waitlist,
  "connections.sync": QueueName.connections,
  "connections.webhooks": QueueName.connections,
  "connections.push": QueueName.connections,
  "usage.remind-reports": QueueName.maintenance,
  "support.announcements": QueueName.maintenance,
  "ops.backup": QueueName.maintenance,
};

export const JOB_NAMES = Object.keys(JOB_QUEUE) as JobName[];
