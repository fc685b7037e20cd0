import { log } from "../hub/log.js";
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

type Entry = { id: string; name: JobName; payload: unknown; attemptsMade: number; attempts: number };

/**
 * The in-process twin of the BullMQ queue: same interface, same retry semantics, nothing survives a
 * restart (the outbox table is what makes notifications durable, not the queue).
 */
export class MemoryQueue implements JobQueue {
  readonly kind = "memory";
  private handlers?: JobHandlers;
  private pending = new Map<string, Entry>();
  private timers = new Set<NodeJS.Timeout>();
  private seq = 0;
  private closed = false;
  private stats = new Map(
    Object.values(QueueName).map((q) => [q as string, { completed: 0, failed: 0, active: 0 }]),
  );
  private idleWaiters: (() => void)[] = [];

  async add<N extends JobName>(name: N, payload: JobPayloads[N], opts: JobOptions = {}): Promise<void> {
    if (this.closed) return;
    const id = opts.jobId ?? `${name}:${++this.seq}`;
    if (this.pending.has(id)) return;
    const entry: Entry = { id, name, payload, attemptsMade: 0, attempts: opts.attempts ?? DEFAULT_ATTEMPTS };
    this.pending.set(id, entry);
    this.schedule(entry, opts.delayMs ?? 0);
  }

  async work(handlers: JobHandlers): Promise<void> {
    assertHandlers(handlers);
    this.handlers = handlers;
    for (const e of this.pending.values()) this.schedule(e, 0);
  }

  async ping() {
    return !this.closed;
  }

  async counts() {
    return totalCounts(await this.countsByQueue());
  }

  async countsByQueue() {
    const byQueue: Record<string, Record<string, number>> = {};
    for (const [queue, stats] of this.stats) {
      const pending = [...this.pending.values()].filter((e) => JOB_QUEUE[e.name] === queue).length;
      byQueue[queue] = { waiting: pending - stats.active, ...stats };
    }
    return byQueue;
  }

  private statsOf(name: JobName) {
    const stats = this.stats.get(JOB_QUEUE[name]);
    if (!stats) throw new Error(`no queue for job ${name}`);
    return stats;
  }

  /** Resolves when nothing is queued or running (for tests). */
  idle(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  async close() {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private schedule(entry: Entry, delayMs: number) {
    if (!this.handlers || this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.run(entry);
    }, delayMs);
    t.unref();
    this.timers.add(t);
  }

  private async run(entry: Entry) {
    const handler = this.handlers?.[entry.name] as ((p: unknown) => Promise<void>) | undefined;
    if (!handler || this.closed) return;
    const stats = this.statsOf(entry.name);
    stats.active++;
    entry.attemptsMade++;
    try {
      await handler(entry.payload);
      stats.completed++;
      this.pending.delete(entry.id);
    } catch (err) {
      if (entry.attemptsMade < entry.attempts) {
        this.schedule(entry, backoffMs(entry.attemptsMade));
      } else {
        stats.failed++;
        this.pending.delete(entry.id);
        log.error(
          { module: "jobs", job: entry.name, jobId: entry.id, attempts: entry.attemptsMade, err },
          "job failed",
        );
      }
    } finally {
      stats.active--;
    }
    if (this.pending.size === 0) for (const w of this.idleWaiters.splice(0)) w();
  }
}
