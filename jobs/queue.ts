/**
 * The job queue's contract (JobQueue) and the helpers every caller shares. The domain enqueues through this file and
 * jobs/names.ts only; jobs/handlers.ts says which code runs each job, jobs/cron.ts when the scheduled ones are queued.
 */
import { log } from "../hub/log.js";
import { withTimeout } from "../hub/time-limit.js";
import type { JobName, JobPayloads } from "./names.js";
import { JOB_NAMES } from "./names.js";

export type JobOptions = {
  /** Deterministic id: the same work is never queued twice while one is pending. */
  jobId?: string;
  delayMs?: number;
  attempts?: number;
};

export type JobHandler<N extends JobName> = (payload: JobPayloads[N]) => Promise<void>;
export type JobHandlers = { [N in JobName]: JobHandler<N> };

/** One interface, two implementations: BullMQ on Redis, and an in-process twin for the embedded default. */
export interface JobQueue {
  readonly kind: "bullmq" | "memory";
  add<N extends JobName>(name: N, payload: JobPayloads[N], opts?: JobOptions): Promise<void>;
  /** Starts consuming jobs in this process (the "workers" role). */
  work(handlers: JobHandlers): Promise<void>;
  /** True when the backing store answers. */
  ping(): Promise<boolean>;
  /** Counts per state over every queue, for operators and tests. */
  counts(): Promise<Record<string, number>>;
  /** Counts per queue and state (waiting, active, delayed, failed, completed), for /metrics. */
  countsByQueue(): Promise<Record<string, Record<string, number>>>;
  close(): Promise<void>;
}

/** Sums countsByQueue over the queues. */
export function totalCounts(byQueue: Record<string, Record<string, number>>): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const counts of Object.values(byQueue)) {
    for (const [state, n] of Object.entries(counts)) totals[state] = (totals[state] ?? 0) + n;
  }
  return totals;
}

export const DEFAULT_ATTEMPTS = 5;
/** Exponential backoff: 1 s, 2 s, 4 s, ... capped at 5 minutes. */
export const backoffMs = (attemptsMade: number) =>
  Math.min(1000 * 2 ** Math.max(0, attemptsMade - 1), 300_000);

export function assertHandlers(handlers: Partial<Record<string, unknown>>): asserts handlers is JobHandlers {
  const missing = JOB_NAMES.filter((n) => typeof handlers[n] !== "function");
  const unknown = Object.keys(handlers).filter((n) => !(JOB_NAMES as string[]).includes(n));
  if (missing.length || unknown.length) {
    throw new Error(
      `Job handlers do not match jobs/names.ts: missing [${missing.join(", ")}], unknown [${unknown.join(", ")}]`,
    );
  }
}

/** The longest a request waits to queue work that something else (a cron scan, the outbox) would also start. */
export const NUDGE_MS = 500;

/**
 * Queues a job to start work sooner, waiting at most NUDGE_MS: for work that is already durable (a message in the
 * outbox, a connection made due), so with the job store (Redis) down a request answers at once and the periodic scan
 * does the work once the store is back. True when queued. Outages are logged once elsewhere (hub/redis-state.ts).
 */
export async function nudge<N extends JobName>(
  queue: Pick<JobQueue, "add">,
  name: N,
  payload: JobPayloads[N],
  opts?: JobOptions,
): Promise<boolean> {
  try {
    await withTimeout(queue.add(name, payload, opts), NUDGE_MS);
    return true;
  } catch (err) {
    log.debug({ job: name, reason: (err as Error).message }, "not queued now; the periodic scan will do it");
    return false;
  }
}
