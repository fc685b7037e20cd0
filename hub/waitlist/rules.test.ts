import { describe, expect, it } from "vitest";
import { formatDate } from "../inventory/dates.js";
import {
  afterLapse,
  checkRange,
  compareQueue,
  type FreePlaces,
  firstFit,
  isPast,
  lastStart,
  MAX_WAIT_DAYS,
  offerDeadline,
  type Wanted,
} from "./rules.js";

const d = (s: string) => new Date(`${s}T00:00:00Z`);
const at = (iso: string) => new Date(iso);

/** Free places from a compact list: "2026-12-01" (one place on the whole-day slot) or "2026-12-01/am". */
function free(...keys: string[]): FreePlaces {
  const out: FreePlaces = new Map();
  for (const k of keys) {
    const [day = "", block = ""] = k.split("/");
    const m = out.get(day) ?? new Map<string, number>();
    m.set(block, (m.get(block) ?? 0) + 1);
    out.set(day, m);
  }
  return out;
}

const stay = (from: string, to: string, nights = 1): Wanted => ({
  serviceType: "stay",
  fromDate: d(from),
  toDate: d(to),
  nights,
  timeBlock: "",
});
const day = (from: string, to: string, timeBlock = ""): Wanted => ({
  serviceType: "day",
  fromDate: d(from),
  toDate: d(to),
  nights: 1,
  timeBlock,
});

describe("compareQueue", () => {
  const entry = (id: string, priority: number, createdAt: string, offersMade = 0) => ({
    id,
    priority,
    offersMade,
    createdAt: at(createdAt),
  });

  it("puts higher priority first, then first come first served", () => {
    const line = [
      entry("c", 0, "2026-11-01T03:00:00Z"),
      entry("a", 0, "2026-11-01T01:00:00Z"),
      entry("p", 5, "2026-11-02T00:00:00Z"),
      entry("b", 0, "2026-11-01T02:00:00Z"),
    ].sort(compareQueue);
    expect(line.map((e) => e.id)).toEqual(["p", "a", "b", "c"]);
  });

  it("sends an entry whose offer lapsed behind those of its priority that never had one, not behind higher ones", () => {
    const line = [
      entry("lapsed", 0, "2026-11-01T00:00:00Z", 1),
      entry("fresh", 0, "2026-11-05T00:00:00Z"),
      entry("low", -1, "2026-10-01T00:00:00Z"),
      entry("urgent-lapsed", 3, "2026-11-09T00:00:00Z", 1),
    ].sort(compareQueue);
    expect(line.map((e) => e.id)).toEqual(["urgent-lapsed", "fresh", "lapsed", "low"]);
  });

  it("orders entries made at the same instant by id, so every reader sees one line", () => {
    const same = "2026-11-01T00:00:00Z";
    expect([entry("b", 0, same), entry("a", 0, same)].sort(compareQueue).map((e) => e.id)).toEqual([
      "a",
      "b",
    ]);
  });
});

describe("firstFit", () => {
  const today = d("2026-12-01");

  it("gives a stay the earliest start where every night is free and within the range", () => {
    const places = free("2026-12-02", "2026-12-04", "2026-12-05", "2026-12-06");
    expect(firstFit(stay("2026-12-01", "2026-12-10"), places, [""], today)).toEqual({
      startDate: "2026-12-02",
      nights: 1,
      timeBlock: "",
    });
    // Two nights: 12-02 alone is not enough (12-03 is full); 12-04 + 12-05 are.
    expect(firstFit(stay("2026-12-01", "2026-12-10", 2), places, [""], today)?.startDate).toBe("2026-12-04");
    // The second night would fall outside the range.
    expect(firstFit(stay("2026-12-05", "2026-12-05", 2), places, [""], today)).toBeNull();
    expect(firstFit(stay("2026-12-05", "2026-12-06", 2), places, [""], today)?.startDate).toBe("2026-12-05");
  });

  it("never offers a date before today, nor after the range", () => {
    const places = free("2026-11-30", "2026-12-01", "2026-12-09");
    expect(firstFit(stay("2026-11-28", "2026-12-05"), places, [""], today)?.startDate).toBe("2026-12-01");
    expect(firstFit(stay("2026-12-02", "2026-12-08"), places, [""], today)).toBeNull();
  });

  it("gives day care the block asked for, or any block in the service's order", () => {
    const places = free("2026-12-02/pm", "2026-12-03/am");
    expect(firstFit(day("2026-12-01", "2026-12-05"), places, ["am", "pm"], today)).toEqual({
      startDate: "2026-12-02",
      nights: 1,
      timeBlock: "pm",
    });
    expect(firstFit(day("2026-12-01", "2026-12-05", "am"), places, ["am", "pm"], today)?.startDate).toBe(
      "2026-12-03",
    );
    expect(firstFit(day("2026-12-01", "2026-12-05", "ev"), places, ["am", "pm"], today)).toBeNull();
  });

  it("finds nothing in an empty vacancy", () => {
    expect(firstFit(stay("2026-12-01", "2026-12-31", 3), new Map(), [""], today)).toBeNull();
  });
});

describe("dates of an entry", () => {
  it("knows the last start date of a stay and when an entry is past", () => {
    expect(formatDate(lastStart(stay("2026-12-01", "2026-12-10", 3)))).toBe("2026-12-08");
    expect(formatDate(lastStart(day("2026-12-01", "2026-12-10")))).toBe("2026-12-10");
    expect(isPast(stay("2026-12-01", "2026-12-10", 3), d("2026-12-08"))).toBe(false);
    expect(isPast(stay("2026-12-01", "2026-12-10", 3), d("2026-12-09"))).toBe(true);
    expect(isPast(day("2026-12-01", "2026-12-10"), d("2026-12-10"))).toBe(false);
    expect(isPast(day("2026-12-01", "2026-12-10"), d("2026-12-11"))).toBe(true);
  });
});

describe("offers", () => {
  it("lapse once back to waiting, then end", () => {
    expect(afterLapse(1)).toBe("waiting");
    expect(afterLapse(2)).toBe("ended");
  });

  it("never outlast the hold they reserve", () => {
    const now = at("2026-12-01T00:00:00Z");
    expect(offerDeadline(now, 120, at("2026-12-02T00:00:00Z")).toISOString()).toBe(
      "2026-12-01T02:00:00.000Z",
    );
    expect(offerDeadline(now, 120, at("2026-12-01T01:00:00Z")).toISOString()).toBe(
      "2026-12-01T01:00:00.000Z",
    );
    expect(offerDeadline(now, 30, null).toISOString()).toBe("2026-12-01T00:30:00.000Z");
  });
});

describe("checkRange", () => {
  const today = d("2026-12-01");
  const codeOf = (r: ReturnType<typeof checkRange>) => (r.ok ? "ok" : r.code);

  it("accepts a range from today on", () => {
    expect(codeOf(checkRange("stay", d("2026-12-01"), d("2026-12-01"), 1, today))).toBe("ok");
    expect(codeOf(checkRange("day", d("2026-12-03"), d("2026-12-20"), undefined, today))).toBe("ok");
  });

  it("refuses reversed, past and overlong ranges, stays longer than the range and nights for day care", () => {
    expect(codeOf(checkRange("stay", d("2026-12-05"), d("2026-12-04"), 1, today))).toBe("invalid_range");
    expect(codeOf(checkRange("stay", d("2026-11-30"), d("2026-12-04"), 1, today))).toBe("date_in_past");
    const far = new Date(d("2026-12-01").getTime() + MAX_WAIT_DAYS * 86_400_000);
    expect(codeOf(checkRange("stay", d("2026-12-01"), far, 1, today))).toBe("range_too_long");
    expect(codeOf(checkRange("stay", d("2027-12-03"), d("2027-12-04"), 1, today))).toBe("date_too_far");
    expect(codeOf(checkRange("stay", d("2026-12-01"), d("2026-12-02"), 3, today))).toBe("invalid_nights");
    expect(codeOf(checkRange("visit", d("2026-12-01"), d("2026-12-02"), 2, today))).toBe(
      "nights_not_allowed",
    );
    expect(codeOf(checkRange("visit", d("2026-12-01"), d("2026-12-02"), 1, today))).toBe("ok");
  });
});
