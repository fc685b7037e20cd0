import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { BullQueue } from "../../jobs/bullmq.js";
import { JOB_NAMES } from "../../jobs/names.js";
import type { JobHandlers } from "../../jobs/queue.js";

const REDIS_URL = process.env.REDIS_URL;

const noop = async () => {};
const handlers = (over: Partial<JobHandlers>) =>
  ({ ...Object.fromEntries(JOB_NAMES.map((n) => [n, noop])), ...over }) as JobHandlers;

/** The BullMQ side of the job interface, against a real Redis (CI sets REDIS_URL). */
describe.skipIf(!REDIS_URL)("BullMQ job queue", () => {
  it("runs jobs, retries failures with backoff and deduplicates by job id", async () => {
    const q = new BullQueue(REDIS_URL as string, `test-${randomBytes(4).toString("hex")}`);
    try {
      expect(await q.ping()).toBe(true);
      let purges = 0;
      let attempts = 0;
      const done = new Promise<void>((resolve) => {
        void q.work(
          handlers({
            "audit.purge": async () => {
              purges++;
            },
            "identity.purge": async () => {
              attempts++;
              if (attempts < 2) throw new Error("transient");
              resolve();
            },
          }),
        );
      });
      await q.add("audit.purge", {}, { jobId: "once" });
      await q.add("audit.purge", {}, { jobId: "once" });
      await q.add("identity.purge", {}, { attempts: 3 });
      await done;
      await new Promise((r) => setTimeout(r, 300));
      expect(purges).toBe(1);
      expect(attempts).toBe(2);
      const counts = await q.counts();
      expect(counts.completed).toBeGreaterThanOrEqual(2);
    } finally {
      await q.close();
    }
  });
});
