import { describe, expect, it } from "vitest";
import type { FacilityDto } from "../facilities/mapper.js";
import { searchEntry } from "../facilities/search.js";
import { buildEntries, matchesVacancy, RecentKeys } from "./vacancy.js";

const facility = (over: Partial<FacilityDto> = {}): FacilityDto => ({
  id: "f1",
  name: "（架空）テスト助産所",
  kana: "てすと",
  kind: "midwife_home",
  associationId: "midwife",
  associationName: "宮城県助産師会",
  municipalityCode: "041009",
  municipalityName: "仙台市",
  region: "仙台都市圏",
  postalCode: "",
  address: "仙台市青葉区",
  access: "",
  phone: "",
  email: "",
  website: "",
  bookingUrl: "",
  serviceArea: ["041009", "042072"],
  languages: ["ja"],
  accessibility: [],
  description: "",
  services: [
    { serviceType: "stay", capacity: 2, timeBlocks: [], holdMinutes: 1440 },
    {
      serviceType: "visit",
      capacity: 1,
      timeBlocks: [
        { code: "am", start: "09:00", end: "11:00" },
        { code: "pm", start: "13:00", end: "15:00" },
      ],
      holdMinutes: 1440,
    },
  ],
  version: 1,
  updatedAt: "2026-01-01T00:00:00.000Z",
  ...over,
});

const parsed = (json: string) =>
  JSON.parse(json) as { services: { blocks: { free: (number | null)[] }[] }[] };

describe("buildEntries", () => {
  it("fills days without a slot row from the default capacity, overlays slot rows, closes closure days", () => {
    const [entry] = buildEntries(
      [facility()],
      {
        slots: [
          ["f1", "stay", "", [1, 2], [0, -1], "2026-11-20T01:00:00.000Z"],
          ["f1", "visit", "pm", [0], [0], "2026-11-21T02:00:00.000Z"],
        ],
        closures: [
          ["f1", null, [3]],
          ["f1", "visit", [1]],
        ],
      },
      { offset: 0, days: 4 },
      undefined,
    );
    if (!entry) throw new Error("no entry");
    const item = parsed(entry.json);
    expect(item.services.map((s) => s.blocks.map((b) => b.free))).toEqual([
      [[2, 0, null, null]],
      [
        [1, null, 1, null],
        [0, null, 1, null],
      ],
    ]);
    expect(entry.freePlaces).toBe(2 + 1 + 1 + 1);
    expect(JSON.parse(entry.json).asOf).toBe("2026-11-21T02:00:00.000Z");
  });

  it("cuts a range out of a longer window and keeps only the service asked for", () => {
    const [entry] = buildEntries(
      [facility()],
      {
        slots: [["f1", "stay", "", [5, 6], [1, 0], "2026-11-20T01:00:00.000Z"]],
        closures: [["f1", "stay", [7]]],
      },
      { offset: 5, days: 3 },
      "stay",
    );
    if (!entry) throw new Error("no entry");
    expect(parsed(entry.json).services.map((s) => s.blocks[0]?.free)).toEqual([[1, 0, null]]);
    // A facility without the service is left out; its profile time is its freshness when no slot changed.
    expect(buildEntries([facility()], { slots: [], closures: [] }, { offset: 0, days: 1 }, "day")).toEqual(
      [],
    );
    const [plain] = buildEntries([facility()], { slots: [], closures: [] }, { offset: 0, days: 1 }, "stay");
    expect(JSON.parse(plain?.json ?? "{}").asOf).toBe("2026-01-01T00:00:00.000Z");
  });
});

describe("matchesVacancy", () => {
  const entry = searchEntry(facility({ municipalityCode: "041009", serviceArea: ["041009", "042072"] }));
  it("finds a visiting facility by a municipality it visits, others by where they are", () => {
    expect(matchesVacancy(entry, { serviceType: "visit", municipality: "042072" })).toBe(true);
    expect(matchesVacancy(entry, { serviceType: "stay", municipality: "042072" })).toBe(false);
    expect(matchesVacancy(entry, { municipality: "042072" })).toBe(false);
    expect(matchesVacancy(entry, { serviceType: "visit", municipality: "043010" })).toBe(false);
    expect(matchesVacancy(entry, { municipality: "041009", kind: "midwife_home" })).toBe(true);
    expect(matchesVacancy(entry, { kind: "hospital" })).toBe(false);
  });
});

describe("RecentKeys", () => {
  it("says first once per window for each key", () => {
    const recent = new RecentKeys(1000, 10);
    expect(recent.first("a", 0)).toBe(true);
    expect(recent.first("a", 999)).toBe(false);
    expect(recent.first("b", 999)).toBe(true);
    expect(recent.first("a", 1000)).toBe(true);
    expect(recent.first("a", 1500)).toBe(false);
  });

  it("forgets the oldest keys beyond its size", () => {
    const recent = new RecentKeys(1000, 2);
    recent.first("a", 0);
    recent.first("b", 1);
    recent.first("c", 2);
    expect(recent.first("b", 3)).toBe(false);
    expect(recent.first("c", 3)).toBe(false);
    expect(recent.first("a", 3)).toBe(true);
  });
});
