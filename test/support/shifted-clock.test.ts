import { describe, expect, it } from "vitest";
import { tokyoDate } from "./dates.js";

describe.runIf(process.env.TEST_CLOCK_UTC)("the shifted test clock", () => {
  it("starts the file at the wanted time of the UTC day and keeps ticking", async () => {
    const [hh, mm] = (process.env.TEST_CLOCK_UTC as string).split(":").map(Number);
    const now = new Date();
    const minutes = now.getUTCHours() * 60 + now.getUTCMinutes();
    const wanted = (hh as number) * 60 + (mm as number);
    expect((minutes - wanted + 1440) % 1440).toBeLessThan(10);
    expect(Math.abs(Date.now() - now.getTime())).toBeLessThan(1000);
    const before = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    expect(Date.now()).toBeGreaterThan(before);
    expect(new Date(0)).toBeInstanceOf(Date);
    expect(new Date(2026, 0, 1).getFullYear()).toBe(2026);
    // After 15:00 UTC, Tokyo is already on the next day.
    expect(tokyoDate().getUTCDate() === now.getUTCDate()).toBe((hh as number) < 15);
  });
});
