/** Which job queue a process uses: chosen once, at start, from the configuration. */
import { MemoryQueue } from "./memory.js";
import type { JobQueue } from "./queue.js";

export type { JobQueue } from "./queue.js";

/** BullMQ when REDIS_URL is set, the in-process twin otherwise (BullMQ is loaded only then: it is slow to load). */
export async function createQueue(redisUrl?: string, prefix?: string): Promise<JobQueue> {
  return redisUrl ? new (await import("./bullmq.js")).BullQueue(redisUrl, prefix) : new MemoryQueue();
}
