import { describe, expect, it } from "vitest";
import { changedValues, diffProfile, type EditableProfile, normalizePatch, sameList } from "./profile.js";

const current: EditableProfile = {
  name: "（架空）みどり助産院",
  kana: "みどりじょさんいん",
  postalCode: "981-1224",
  address: "宮城県名取市増田1-2",
  access: "",
  phone: "022-555-0150",
  email: "info@midori.example.jp",
  website: "https://midori.example.jp/",
  bookingUrl: "",
  serviceArea: ["042072", "041009"],
  languages: ["ja"],
  accessibility: ["parking", "stroller"],
  description: "訪問ケアが中心です。",
};

describe("diffProfile", () => {
  it("lists only the fields whose value changes, with from and to", () => {
    expect(
      diffProfile(current, { phone: "022-555-0199", name: current.name, languages: ["ja", "en"] }),
    ).toEqual({
      phone: { from: "022-555-0150", to: "022-555-0199" },
      languages: { from: ["ja"], to: ["ja", "en"] },
    });
  });

  it("is empty when nothing changes", () => {
    expect(diffProfile(current, {})).toEqual({});
    expect(diffProfile(current, { ...current })).toEqual({});
  });

  it("compares lists by value, not by identity or order", () => {
    expect(diffProfile(current, { serviceArea: ["042072", "041009"] })).toEqual({});
    expect(diffProfile(current, { serviceArea: ["041009", "042072"] })).toEqual({});
    expect(diffProfile(current, { accessibility: [] })).toEqual({
      accessibility: { from: ["parking", "stroller"], to: [] },
    });
    expect(diffProfile(current, { serviceArea: ["042072"] })).toEqual({
      serviceArea: { from: ["042072", "041009"], to: ["042072"] },
    });
  });

  it("records an emptied text field", () => {
    expect(diffProfile(current, { website: "" })).toEqual({
      website: { from: "https://midori.example.jp/", to: "" },
    });
  });

  it("does not share arrays with its inputs", () => {
    const to = ["ja", "vi"];
    const changes = diffProfile(current, { languages: to });
    to.push("ko");
    expect(changes.languages?.to).toEqual(["ja", "vi"]);
  });

  it("gives the column values to write", () => {
    const changes = diffProfile(current, { phone: "022-555-0000", serviceArea: [] });
    expect(changedValues(changes)).toEqual({ phone: "022-555-0000", serviceArea: [] });
  });
});

describe("sameList", () => {
  it("is order-insensitive and length-sensitive", () => {
    expect(sameList(["a", "b"], ["b", "a"])).toBe(true);
    expect(sameList(["a"], ["a", "a"])).toBe(false);
    expect(sameList([], [])).toBe(true);
  });
});

describe("normalizePatch", () => {
  it("separates the version and trims text", () => {
    expect(normalizePatch({ version: 2, name: "  みどり助産院 ", access: " 駅から5分\n" })).toEqual({
      version: 2,
      patch: { name: "みどり助産院", access: "駅から5分" },
      errors: [],
    });
  });

  it("writes postal codes as 123-4567", () => {
    expect(normalizePatch({ version: 1, postalCode: "9811224" }).patch).toEqual({ postalCode: "981-1224" });
    expect(normalizePatch({ version: 1, postalCode: "981-1224" }).patch).toEqual({ postalCode: "981-1224" });
    expect(normalizePatch({ version: 1, postalCode: "" }).patch).toEqual({ postalCode: "" });
  });

  it("refuses a blank name or address", () => {
    expect(normalizePatch({ version: 1, name: "   " }).errors).toEqual([
      { path: "/name", message: "must not be blank" },
    ]);
    expect(normalizePatch({ version: 1, address: "\u3000" }).errors).toHaveLength(1);
  });

  it("keeps only editable fields", () => {
    const body = { version: 1, phone: "1", published: false, version2: 3 } as never;
    expect(normalizePatch(body).patch).toEqual({ phone: "1" });
  });

  it("drops repeated list entries", () => {
    expect(normalizePatch({ version: 1, languages: ["ja", "en", "ja"] }).patch).toEqual({
      languages: ["ja", "en"],
    });
  });
});
