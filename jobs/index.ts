import { registerWaitlistQueue } from "../hub/waitlist/kick.js";
import { MemoryQueue } from "./memory.js";
import type { JobQueue } from "./queue.js";

export type { JobQueue } from "./queue.js";

/** BullMQ when REDIS_URL is set, the in-process twin otherwise (BullMQ is loaded only then: it is slow to load). */
export async function createQueue(redisUrl?: string, prefix?: string): Promise<JobQueue> {
  const queue = redisUrl ? new (await import("./bullmq.js")).BullQueue(redisUrl, prefix) : new MemoryQueue();
  // Places freed inside a transaction (the ledger, capacity changes) kick the waitlist through this process's
  // queue (hub/waitlist/kick.ts), until the queue is closed.
  const unregister = registerWaitlistQueue(queue);
  const close = queue.close.bind(queue);
  queue.close = async () => {
    unregister();
    await close();
  };
  return queue;
}
