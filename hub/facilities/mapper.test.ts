import { describe, expect, it } from "vitest";
import {
  type FacilityRow,
  parseTimeBlocks,
  toAssociation,
  toFacility,
  toFacilityRevision,
  toMunicipality,
} from "./mapper.js";

const FACILITY_ID = "3f0c2a1e-5b7d-4c8e-9f10-2a3b4c5d6e7f";

function facilityRow(overrides: Partial<FacilityRow> = {}): FacilityRow {
  return {
    id: FACILITY_ID,
    name: "（架空）あおば産婦人科病院",
    kana: "あおばさんふじんかびょういん",
    kind: "hospital",
    associationId: "medical",
    municipalityCode: "041009",
    postalCode: "980-0811",
    address: "宮城県仙台市青葉区一番町1丁目2-3",
    access: "最寄り駅から徒歩5分",
    phone: "022-555-0101",
    email: "info@aoba.example.jp",
    website: "https://aoba.example.jp/",
    bookingUrl: "",
    serviceArea: [],
    languages: ["ja", "en"],
    accessibility: ["wheelchair"],
    description: "産後ケア専用のお部屋があります。",
    published: true,
    version: 3,
    createdAt: new Date("2026-04-01T00:00:00Z"),
    updatedAt: new Date("2026-04-02T01:02:03.456Z"),
    association: { name: "宮城県医師会" },
    municipality: { name: "仙台市", region: "仙台" },
    services: [
      {
        facilityId: FACILITY_ID,
        serviceType: "visit",
        capacity: 2,
        timeBlocks: [{ code: "am", start: "09:00", end: "11:00" }],
        holdMinutes: 1440,
      },
      { facilityId: FACILITY_ID, serviceType: "stay", capacity: 3, timeBlocks: [], holdMinutes: 2880 },
    ],
    ...overrides,
  };
}

describe("toFacility", () => {
  it("maps a row to the API shape with names, region, ISO dates and services in stay/day/visit order", () => {
    const f = toFacility(facilityRow());
    expect(f).toMatchObject({
      id: FACILITY_ID,
      associationName: "宮城県医師会",
      municipalityName: "仙台市",
      region: "仙台",
      version: 3,
      updatedAt: "2026-04-02T01:02:03.456Z",
    });
    expect(f.services.map((s) => s.serviceType)).toEqual(["stay", "visit"]);
    expect(f.services[1]).toEqual({
      serviceType: "visit",
      capacity: 2,
      timeBlocks: [{ code: "am", start: "09:00", end: "11:00" }],
      holdMinutes: 1440,
    });
  });

  it("leaves out internal columns", () => {
    const f = toFacility(facilityRow()) as Record<string, unknown>;
    expect(f.published).toBeUndefined();
    expect(f.createdAt).toBeUndefined();
    expect(f.association).toBeUndefined();
    expect(JSON.parse(JSON.stringify(f))).toEqual(f);
  });

  it("copies lists, so the result can be changed without touching the row", () => {
    const row = facilityRow();
    const f = toFacility(row);
    f.languages.push("vi");
    expect(row.languages).toEqual(["ja", "en"]);
  });

  it("fails loudly on stored time blocks that do not fit the schema", () => {
    const row = facilityRow({
      services: [
        {
          facilityId: FACILITY_ID,
          serviceType: "day",
          capacity: 1,
          timeBlocks: [{ code: "x" }],
          holdMinutes: 60,
        },
      ],
    });
    expect(() => toFacility(row)).toThrow(/time blocks/);
  });
});

describe("parseTimeBlocks", () => {
  it("accepts an empty list and null (whole day)", () => {
    expect(parseTimeBlocks([])).toEqual([]);
    expect(parseTimeBlocks(null)).toEqual([]);
  });

  it("drops unknown keys", () => {
    expect(parseTimeBlocks([{ code: "pm", start: "13:00", end: "15:00", note: "x" }])).toEqual([
      { code: "pm", start: "13:00", end: "15:00" },
    ]);
  });

  it("rejects bad times, codes and shapes", () => {
    expect(() => parseTimeBlocks([{ code: "pm", start: "25:00", end: "15:00" }])).toThrow();
    expect(() => parseTimeBlocks([{ code: "P M", start: "13:00", end: "15:00" }])).toThrow();
    expect(() => parseTimeBlocks({ code: "pm" })).toThrow();
    expect(() => parseTimeBlocks("09:00-15:00")).toThrow();
  });
});

describe("toFacilityRevision", () => {
  it("keeps version, author, ISO time and changes, and nothing that is a BigInt", () => {
    const r = toFacilityRevision({
      id: 12n,
      version: 4,
      changedAt: new Date("2026-05-01T09:00:00Z"),
      changedBy: "8a1b2c3d-0000-4000-8000-000000000001",
      changes: { phone: { from: "022-555-0101", to: "022-555-0199" } },
    } as Parameters<typeof toFacilityRevision>[0]);
    expect(r).toEqual({
      version: 4,
      changedAt: "2026-05-01T09:00:00.000Z",
      changedBy: "8a1b2c3d-0000-4000-8000-000000000001",
      changes: { phone: { from: "022-555-0101", to: "022-555-0199" } },
    });
    expect(() => JSON.stringify(r)).not.toThrow();
  });

  it("rejects stored changes that are not {field: {from, to}}", () => {
    const base = { version: 2, changedAt: new Date(), changedBy: null };
    expect(() => toFacilityRevision({ ...base, changes: ["phone"] })).toThrow();
    expect(() => toFacilityRevision({ ...base, changes: { phone: "x" } })).toThrow();
  });
});

describe("municipalities and associations", () => {
  it("expose only public columns", () => {
    const row = {
      code: "041009",
      name: "仙台市",
      kana: "せんだいし",
      kind: "市",
      region: "仙台",
      allowedCidrs: ["10.0.0.0/8"],
    };
    expect(toMunicipality(row)).toEqual({
      code: "041009",
      name: "仙台市",
      kana: "せんだいし",
      kind: "市",
      region: "仙台",
    });
    expect(toAssociation({ id: "midwife", name: "宮城県助産師会", extra: 1 } as never)).toEqual({
      id: "midwife",
      name: "宮城県助産師会",
    });
  });
});
