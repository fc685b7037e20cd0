import { type ConnectionOptions, Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { log } from "../hub/log.js";
import { logRedisState, stateChanges } from "../hub/redis-state.js";
import { withTimeout } from "../hub/time-limit.js";
import { JOB_QUEUE, type JobName, type JobPayloads, QueueName } from "./names.js";
import {
  assertHandlers,
  backoffMs,
  DEFAULT_ATTEMPTS,
  type JobHandlers,
  type JobOptions,
  type JobQueue,
  totalCounts,
} from "./queue.js";

/**
 * The longest a caller waits for Redis: a job added, a ping, the counts. While Redis is down ioredis keeps commands
 * until it is back, so an unbounded call would hang its request or cron tick for the whole outage; bounded, the
 * caller goes on (the work is either durable elsewhere, e.g. the outbox, or queued again by the next tick) and a job
 * kept meanwhile is still added when Redis returns (job ids keep it single). Workers' own blocking waits are BullMQ's.
 */
export const REDIS_CALL_MS = 2_000;

/** Codes of a Redis connection that is down: logged once per outage by the shared connection (logRedisState). */
const CONNECTION_DOWN = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENOTFOUND",
]);
const isConnectionDown = (err: NodeJS.ErrnoException) =>
  CONNECTION_DOWN.has(err.code ?? "") || /connection is closed/i.test(err.message);

/** BullMQ on Redis: several worker processes share the queues; failed jobs are kept for inspection. */
export class BullQueue implements JobQueue {
  readonly kind = "bullmq";
  private readonly connection: Redis;
  private readonly queues: Map<QueueName, Queue>;
  private workers: Worker[] = [];
  /** Per queue, its errors other than the connection's, logged once until a job completes there again. */
  private readonly errors = new Map<QueueName, ReturnType<typeof stateChanges<Error>>>();

  constructor(redisUrl: string, prefix = "sango") {
    // BullMQ requires maxRetriesPerRequest: null on connections it blocks on.
    this.connection = new Redis(redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
    logRedisState(this.connection, "job queues (messages, pushes, waitlist offers, scheduled work wait)");
    this.queues = new Map(
      Object.values(QueueName).map((q) => {
        const queue = new Queue(q, { connection: this.conn(), prefix });
        // Without a listener BullMQ prints every reconnection error to stderr as plain text.
        queue.on("error", this.logOnce(q));
        return [q, queue];
      }),
    );
    this.prefix = prefix;
  }
  private readonly prefix: string;

  private logOnce(q: QueueName) {
    return (err: Error) => {
      if (isConnectionDown(err)) return;
      let state = this.errors.get(q);
      if (!state) {
        state = stateChanges<Error>(
          (e) => log.error({ module: "jobs", queue: q, err: e }, "job queue error"),
          () => log.info({ module: "jobs", queue: q }, "job queue works again"),
        );
        this.errors.set(q, state);
      }
      state.failed(err);
    };
  }

  private conn(): ConnectionOptions {
    return this.connection;
  }

  async add<N extends JobName>(name: N, payload: JobPayloads[N], opts: JobOptions = {}): Promise<void> {
    const queue = this.queues.get(JOB_QUEUE[name]);
    if (!queue) throw new Error(`no queue for job ${name}`);
    await withTimeout(
      queue.add(name, payload, {
        jobId: opts.jobId,
        delay: opts.delayMs,
        attempts: opts.attempts ?? DEFAULT_ATTEMPTS,
        backoff: { type: "custom" },
        removeOnComplete: { count: 1000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      }),
      REDIS_CALL_MS,
    );
  }

  async work(handlers: JobHandlers): Promise<void> {
    assertHandlers(handlers);
    for (const q of this.queues.keys()) {
      const worker = new Worker(
        q,
        async (job) => {
          const handler = handlers[job.name as JobName] as (p: unknown) => Promise<void>;
          if (!handler) throw new Error(`no handler for job ${job.name}`);
          await handler(job.data);
        },
        {
          connection: this.connection.duplicate({ maxRetriesPerRequest: null }),
          prefix: this.prefix,
          concurrency: 4,
          settings: { backoffStrategy: (attemptsMade: number) => backoffMs(attemptsMade) },
        },
      );
      // A job that failed its last try is logged here, as the in-process queue does; the worker's own errors once
      // until it completes a job again.
      worker.on("error", this.logOnce(q));
      worker.on("completed", () => this.errors.get(q)?.ok());
      worker.on("failed", (job, err) => {
        if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return;
        log.error(
          { module: "jobs", job: job.name, jobId: job.id, attempts: job.attemptsMade, err },
          "job failed",
        );
      });
      this.workers.push(worker);
    }
  }

  async ping() {
    try {
      return (await withTimeout(this.connection.ping(), REDIS_CALL_MS)) === "PONG";
    } catch {
      return false;
    }
  }

  async counts() {
    return totalCounts(await this.countsByQueue());
  }

  async countsByQueue() {
    const entries = await withTimeout(
      Promise.all(
        [...this.queues].map(
          async ([name, q]) =>
            [name, await q.getJobCounts("waiting", "active", "delayed", "completed", "failed")] as const,
        ),
      ),
      REDIS_CALL_MS,
    );
    return Object.fromEntries(entries);
  }

  async close() {
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.connection.disconnect();
  }
}
