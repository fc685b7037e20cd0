import { describe, expect, it } from "vitest";
import { TimedOut, withTimeout } from "./time-limit.js";

describe("withTimeout", () => {
  it("gives the promise's value or error when it settles in time", async () => {
    await expect(withTimeout(Promise.resolve(7), 1000)).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error("no")), 1000)).rejects.toThrow("no");
  });

  it("rejects with TimedOut when it does not, and a late rejection is not left unhandled", async () => {
    let reject: (e: Error) => void = () => {};
    const hanging = new Promise<number>((_, r) => {
      reject = r;
    });
    await expect(withTimeout(hanging, 10)).rejects.toBeInstanceOf(TimedOut);
    reject(new Error("late"));
    await new Promise((r) => setTimeout(r, 10));
  });
});
