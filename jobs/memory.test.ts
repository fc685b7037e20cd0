import { describe, expect, it } from "vitest";
import { MemoryQueue } from "./memory.js";
import { JOB_NAMES } from "./names.js";
import { assertHandlers, type JobHandlers } from "./queue.js";

const noop = async () => {};
const handlers = (over: Partial<JobHandlers> = {}) =>
  ({ ...Object.fromEntries(JOB_NAMES.map((n) => [n, noop])), ...over }) as JobHandlers;

describe("in-memory job queue", () => {
  it("runs queued jobs once the worker starts, deduplicating by job id", async () => {
    const q = new MemoryQueue();
    const seen: string[] = [];
    await q.add("audit.purge", {}, { jobId: "same" });
    await q.add("audit.purge", {}, { jobId: "same" });
    await q.work(handlers({ "audit.purge": async () => void seen.push("purge") }));
    await q.idle();
    expect(seen).toEqual(["purge"]);
    await q.close();
  });

  it("retries a failing job with backoff until it succeeds", async () => {
    const q = new MemoryQueue();
    let calls = 0;
    await q.work(
      handlers({
        "identity.purge": async () => {
          calls++;
          if (calls < 2) throw new Error("transient");
        },
      }),
    );
    await q.add("identity.purge", {}, { attempts: 3 });
    await q.idle();
    expect(calls).toBe(2);
    expect((await q.counts()).completed).toBe(1);
    await q.close();
  });

  it("refuses handler maps that do not match the job names", () => {
    expect(() => assertHandlers({})).toThrow(/missing/);
    expect(() => assertHandlers({ ...handlers(), "no.such.job": noop })).toThrow(/unknown \[no.such.job\]/);
  });
});
