/**
 * Every queue, job name and payload in one place. Start-up fails if a job has no handler
 * (see `assertHandlers`), so adding a name here forces its worker to exist.
 */
export const QueueName = {
  maintenance: "maintenance",
  bookings: "bookings",
  outbox: "outbox",
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export type JobPayloads = {
  /** Expire requested bookings whose hold deadline has passed. */
  "bookings.expire-holds": { now?: string };
  /** Send undispatched outbox rows to their topics. */
  "outbox.dispatch": Record<string, never>;
  /** Delete audit entries past the retention period (180 days by default). */
  "audit.purge": Record<string, never>;
  /** Delete expired sessions and used or expired sign-in codes. */
  "identity.purge": Record<string, never>;
};
export type JobName = keyof JobPayloads;

export const JOB_QUEUE: { [K in JobName]: QueueName } = {
  "bookings.expire-holds": QueueName.bookings,
  "outbox.dispatch": QueueName.outbox,
  "audit.purge": QueueName.maintenance,
  "identity.purge": QueueName.maintenance,
};

export const JOB_NAMES = Object.keys(JOB_QUEUE) as JobName[];
