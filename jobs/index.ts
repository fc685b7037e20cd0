import { BullQueue } from "./bullmq.js";
import { MemoryQueue } from "./memory.js";
import type { JobQueue } from "./queue.js";

export type { JobQueue } from "./queue.js";

/** BullMQ when REDIS_URL is set, the in-process twin otherwise. */
export function createQueue(redisUrl?: string, prefix?: string): JobQueue {
  return redisUrl ? new BullQueue(redisUrl, prefix) : new MemoryQueue();
}
