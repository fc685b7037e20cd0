import { describe, expect, it } from "vitest";
import { expiredLogFiles, logDir } from "./log.js";

describe("log files", () => {
  it("expire after the retention period, by the day in their name", () => {
    const names = [
      "hub.2026-05-29.1.log",
      "hub.2026-05-30.1.log",
      "hub.2026-05-30.2.log",
      "hub.2026-05-31.1.log",
      "hub.2026-11-26.1.log",
      "notes.txt",
      "hub.log",
      "other.2020-01-01.1.log",
    ];
    // 180 days before 2026-11-26 is 2026-05-30: that day is kept, the days before it go.
    expect(expiredLogFiles(names, "2026-11-26", 180)).toEqual(["hub.2026-05-29.1.log"]);
    expect(expiredLogFiles(names, "2026-11-26", 179)).toEqual([
      "hub.2026-05-29.1.log",
      "hub.2026-05-30.1.log",
      "hub.2026-05-30.2.log",
    ]);
  });

  it("go under DATA_DIR unless LOG_DIR says otherwise, and nowhere for an in-memory hub", () => {
    expect(logDir({ DATA_DIR: "/srv/hub" })).toBe("/srv/hub/logs");
    expect(logDir({ DATA_DIR: "/srv/hub", LOG_DIR: "/var/log/hub" })).toBe("/var/log/hub");
    expect(logDir({ DATA_DIR: "memory://" })).toBeUndefined();
  });
});
