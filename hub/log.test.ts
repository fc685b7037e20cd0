import { describe, expect, it } from "vitest";
import { expiredLogFiles, logDay, logDir } from "./log.js";

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

describe("logDay", () => {
  it("names a log file by the date in Tokyo, which turns at 15:00 UTC", () => {
    expect(logDay(new Date("2026-11-26T14:59:59Z"))).toBe("2026-11-26");
    expect(logDay(new Date("2026-11-26T15:00:00Z"))).toBe("2026-11-27");
    expect(logDay(new Date("2026-12-31T23:30:00Z"))).toBe("2027-01-01");
  });
});
