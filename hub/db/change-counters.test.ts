import { describe, expect, it } from "vitest";
import { SharedVersionRead } from "./change-counters.js";

/** A read that answers when told to, counting how often it was started. */
function controlledRead() {
  const pending: ((v: string) => void)[] = [];
  let reads = 0;
  const read = () => {
    reads++;
    return new Promise<string>((resolve) => pending.push(resolve));
  };
  const answer = async (v: string) => {
    while (!pending.length) await new Promise((r) => setImmediate(r));
    pending.shift()?.(v);
  };
  return { read, answer, reads: () => reads };
}

describe("SharedVersionRead", () => {
  it("answers requests arriving together with one read", async () => {
    const c = controlledRead();
    const shared = new SharedVersionRead(c.read);
    const all = Promise.all([shared.next(), shared.next(), shared.next()]);
    await c.answer("7");
    expect(await all).toEqual(["7", "7", "7"]);
    expect(c.reads()).toBe(1);
  });

  it("never gives a request a read that started before it arrived", async () => {
    const c = controlledRead();
    const shared = new SharedVersionRead(c.read);
    const first = shared.next();
    while (c.reads() === 0) await new Promise((r) => setImmediate(r));
    // Arrives while the first read runs: it must wait for a read of its own.
    const second = shared.next();
    const third = shared.next();
    await c.answer("1");
    expect(await first).toBe("1");
    await c.answer("2");
    expect(await Promise.all([second, third])).toEqual(["2", "2"]);
    expect(c.reads()).toBe(2);
  });

  it("starts afresh after a failed read", async () => {
    let n = 0;
    const shared = new SharedVersionRead(async () => {
      n++;
      if (n === 1) throw new Error("database down");
      return "5";
    });
    await expect(shared.next()).rejects.toThrow("database down");
    expect(await shared.next()).toBe("5");
  });
});
