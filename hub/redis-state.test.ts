import { describe, expect, it } from "vitest";
import { stateChanges } from "./redis-state.js";

describe("stateChanges", () => {
  it("reports going down and coming back once each, however often either is seen", () => {
    const seen: string[] = [];
    const state = stateChanges<string>(
      (err) => seen.push(`down: ${err}`),
      () => seen.push("up"),
    );
    state.ok();
    state.failed("refused");
    state.failed("refused again");
    state.ok();
    state.ok();
    state.failed("reset");
    expect(seen).toEqual(["down: refused", "up", "down: reset"]);
  });
});
