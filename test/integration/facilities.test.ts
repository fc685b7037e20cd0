import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FacilityKind, ServiceType } from "../../hub/db/client.js";
import type { FacilityDto } from "../../hub/facilities/mapper.js";
import { TestClient } from "../support/client.js";
import { expectContract } from "../support/contract.js";
import { startTestHub, type TestHub } from "../support/hub.js";

type Row = {
  id: string;
  name: string;
  kana: string;
  kind: FacilityKind;
  municipalityCode: string;
  address: string;
  description: string;
  languages: string[];
  accessibility: string[];
  published: boolean;
  municipality: { region: string };
  services: { serviceType: ServiceType }[];
};

describe("facility directory and profile editing", () => {
  let t: TestHub;
  let anon: TestClient;
  let staff: TestClient;
  let staff2: TestClient;
  let ownId: string;
  let ownUserId: string;
  let otherId: string;
  let hiddenId: string;
  let rows: Row[];

  /** Response bodies are checked against the contract, as the portal relies on them. */
  const ids = (items: FacilityDto[]) => items.map((f) => f.id).sort();
  const published = () => rows.filter((r) => r.published);
  const listAll = async (query: string) => {
    const res = await anon.get(`api/facilities?limit=200&${query}`);
    expect(res.status, res.text).toBe(200);
    await expectContract("listFacilities", res);
    expect(res.json.total).toBe(res.json.items.length);
    return res.json.items as FacilityDto[];
  };

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 20 });
    const p = t.hub.prisma;
    const own = await p.user.findUniqueOrThrow({ where: { email: "facility@demo.example.jp" } });
    const other = await p.user.findUniqueOrThrow({ where: { email: "facility2@demo.example.jp" } });
    ownId = own.facilityId as string;
    ownUserId = own.id;
    otherId = other.facilityId as string;
    // One facility taken off the public directory.
    const hidden = await p.facility.findFirstOrThrow({
      where: { id: { notIn: [ownId, otherId] } },
      orderBy: { name: "asc" },
    });
    hiddenId = hidden.id;
    await p.facility.update({ where: { id: hiddenId }, data: { published: false } });
    rows = await p.facility.findMany({
      include: { municipality: { select: { region: true } }, services: { select: { serviceType: true } } },
    });

    anon = new TestClient(t.url);
    staff = new TestClient(t.url);
    staff2 = new TestClient(t.url);
    await staff.signIn("facility@demo.example.jp");
    await staff2.signIn("facility2@demo.example.jp");
  }, 180_000);
  afterAll(() => t?.close());

  describe("reference lists", () => {
    it("lists the 35 municipalities in code order, without their network rules", async () => {
      const res = await anon.get("api/municipalities");
      expect(res.status).toBe(200);
      await expectContract("listMunicipalities", res);
      const codes = res.json.items.map((m: { code: string }) => m.code);
      expect(codes).toHaveLength(35);
      expect(codes).toEqual([...codes].sort());
      expect(res.json.items[0]).toEqual({
        code: "041009",
        name: "仙台市",
        kana: expect.any(String),
        kind: "市",
        region: expect.any(String),
      });
    });

    it("lists the two associations", async () => {
      const res = await anon.get("api/associations");
      expect(res.status).toBe(200);
      await expectContract("listAssociations", res);
      expect(res.json.items.map((a: { id: string }) => a.id).sort()).toEqual(["medical", "midwife"]);
    });
  });

  describe("public facility list", () => {
    it("lists every published facility with a total, paged", async () => {
      const res = await anon.get("api/facilities");
      expect(res.status).toBe(200);
      await expectContract("listFacilities", res);
      expect(res.json.total).toBe(published().length);
      expect(res.json.total).toBeGreaterThanOrEqual(65);
      expect(res.json.items).toHaveLength(50);

      const rest = await anon.get("api/facilities?offset=50");
      expect(rest.json.total).toBe(res.json.total);
      expect(rest.json.items).toHaveLength(res.json.total - 50);
      const all = [...res.json.items, ...rest.json.items] as FacilityDto[];
      expect(new Set(all.map((f) => f.id)).size).toBe(all.length);
      expect(all.map((f) => f.id)).not.toContain(hiddenId);

      const small = await anon.get("api/facilities?limit=5&offset=10");
      expect(small.json.items.map((f: FacilityDto) => f.id)).toEqual(all.slice(10, 15).map((f) => f.id));
    });

    it("orders by municipality code, then kana", async () => {
      const all = await listAll("");
      for (let i = 1; i < all.length; i++) {
        const [a, b] = [all[i - 1] as FacilityDto, all[i] as FacilityDto];
        expect(a.municipalityCode <= b.municipalityCode).toBe(true);
      }
      const sendai = all.filter((f) => f.municipalityCode === "041009").map((f) => f.kana);
      expect(sendai.length).toBeGreaterThan(1);
    });

    it("gives services, association, municipality and region with each facility", async () => {
      const all = await listAll("");
      const own = all.find((f) => f.id === ownId) as FacilityDto;
      expect(own).toMatchObject({
        associationId: "medical",
        associationName: expect.any(String),
        municipalityCode: "041009",
        municipalityName: "仙台市",
        region: expect.any(String),
        version: 1,
      });
      expect(own.services.map((s) => s.serviceType)).toEqual(["stay", "day"]);
      expect(own.services[1]?.timeBlocks[0]).toMatchObject({
        code: expect.any(String),
        start: expect.any(String),
      });
    });

    it.each([
      ["municipality=041009", (r: Row) => r.municipalityCode === "041009"],
      ["kind=midwife_home", (r: Row) => r.kind === "midwife_home"],
      ["serviceType=visit", (r: Row) => r.services.some((s) => s.serviceType === "visit")],
      ["serviceType=stay", (r: Row) => r.services.some((s) => s.serviceType === "stay")],
      ["language=en", (r: Row) => r.languages.includes("en")],
      ["accessibility=wheelchair", (r: Row) => r.accessibility.includes("wheelchair")],
      [
        "kind=clinic&serviceType=day&accessibility=parking",
        (r: Row) =>
          r.kind === "clinic" &&
          r.services.some((s) => s.serviceType === "day") &&
          r.accessibility.includes("parking"),
      ],
    ])("filters by %s", async (query, match) => {
      const expected = published().filter(match);
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(published().length);
      expect(ids(await listAll(query))).toEqual(expected.map((r) => r.id).sort());
    });

    it("filters by region through the municipality", async () => {
      const region = rows.find((r) => r.municipalityCode !== "041009")?.municipality.region as string;
      const expected = published().filter((r) => r.municipality.region === region);
      const got = await listAll(`region=${encodeURIComponent(region)}`);
      expect(ids(got)).toEqual(expected.map((r) => r.id).sort());
      expect(got.every((f) => f.region === region)).toBe(true);
      expect(await listAll("region=nowhere")).toEqual([]);
    });

    it("searches name, kana (also typed in katakana), address and description", async () => {
      const own = rows.find((r) => r.id === ownId) as Row;
      const word = own.name.replace("（架空）", "").slice(0, 2);
      const byName = await listAll(`q=${encodeURIComponent(word)}`);
      expect(ids(byName)).toEqual(
        published()
          .filter((r) => [r.name, r.kana, r.address, r.description].some((v) => v.includes(word)))
          .map((r) => r.id)
          .sort(),
      );
      expect(ids(byName)).toContain(ownId);

      const katakana = own.kana
        .slice(0, 3)
        .replace(/[\u3041-\u3096]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60));
      expect(ids(await listAll(`q=${encodeURIComponent(katakana)}`))).toContain(ownId);

      const town = own.address.replace(/^宮城県仙台市/, "").slice(0, 3);
      expect(ids(await listAll(`q=${encodeURIComponent(town)}`))).toContain(ownId);

      const midwives = await listAll(`q=${encodeURIComponent("乳房ケア")}`);
      expect(ids(midwives)).toEqual(
        published()
          .filter((r) => r.description.includes("乳房ケア"))
          .map((r) => r.id)
          .sort(),
      );
    });

    it("needs every word of a search to match, and treats % and _ as plain characters", async () => {
      const both = await listAll(`q=${encodeURIComponent("仙台市\u3000助産院")}`);
      expect(both.length).toBeGreaterThan(0);
      expect(both.every((f) => f.address.includes("仙台市") && /助産院/.test(f.name + f.description))).toBe(
        true,
      );
      expect(await listAll("q=%25")).toEqual([]);
      expect(await listAll("q=_")).toEqual([]);
      expect(await listAll("q=%5C")).toEqual([]);
      expect(await listAll(`q=${encodeURIComponent("存在しない施設名")}`)).toEqual([]);
    });

    it("rejects filter values outside the contract", async () => {
      for (const q of [
        "kind=spa",
        "serviceType=night",
        "municipality=12",
        "limit=0",
        "limit=500",
        "language=EN",
      ]) {
        const res = await anon.get(`api/facilities?${q}`);
        expect(res.status, q).toBe(400);
        expect(res.json.code).toBe("validation_failed");
      }
    });
  });

  describe("public profile", () => {
    it("returns one facility", async () => {
      const res = await anon.get(`api/facilities/${ownId}`);
      expect(res.status).toBe(200);
      await expectContract("getFacility", res);
      expect(res.json.id).toBe(ownId);
    });

    it("answers 404 for an unknown or unpublished facility, and for their history", async () => {
      for (const path of [
        "api/facilities/00000000-0000-4000-8000-000000000000",
        `api/facilities/${hiddenId}`,
        `api/facilities/${hiddenId}/revisions`,
        "api/facilities/00000000-0000-4000-8000-000000000000/revisions",
      ]) {
        const res = await anon.get(path);
        expect(res.status, path).toBe(404);
        expect(res.headers.get("content-type")).toMatch(/problem\+json/);
        expect(res.json.code).toBe("not_found");
      }
    });

    it("answers 400 for a malformed id", async () => {
      const res = await anon.get("api/facilities/not-a-uuid");
      expect(res.status).toBe(400);
    });
  });

  describe("editing one's own profile", () => {
    it("saves a change, records a revision, and shows it publicly at once", async () => {
      const before = (await anon.get(`api/facilities/${ownId}`)).json as FacilityDto;
      const res = await staff.patch(`api/facilities/${ownId}`, {
        version: before.version,
        phone: "022-555-9999",
        languages: [...before.languages, "vi"],
        description: `${before.description} Lactation support in English.`,
        name: before.name,
      });
      expect(res.status, res.text).toBe(200);
      await expectContract("updateFacility", res);
      expect(res.json).toMatchObject({ phone: "022-555-9999", version: before.version + 1 });

      const shown = await anon.get(`api/facilities/${ownId}`);
      expect(shown.json).toMatchObject({ phone: "022-555-9999", version: before.version + 1 });
      expect(shown.json.languages).toContain("vi");
      expect(ids(await listAll("language=vi"))).toContain(ownId);
      expect(ids(await listAll("q=LACTATION"))).toEqual([ownId]);

      const revisions = await anon.get(`api/facilities/${ownId}/revisions`);
      expect(revisions.status).toBe(200);
      await expectContract("listFacilityRevisions", revisions);
      expect(revisions.json.items).toHaveLength(1);
      const [rev] = revisions.json.items;
      expect(rev).toEqual({
        version: before.version + 1,
        changedAt: expect.any(String),
        changedBy: ownUserId,
        changes: {
          phone: { from: before.phone, to: "022-555-9999" },
          languages: { from: before.languages, to: [...before.languages, "vi"] },
          description: {
            from: before.description,
            to: `${before.description} Lactation support in English.`,
          },
        },
      });
      expect(rev).not.toHaveProperty("id");

      // The edit is in the audit log (staff write), with the facility as the resource.
      const audit = await t.hub.prisma.auditLog.findFirst({
        where: { action: "updateFacility", resourceId: ownId },
      });
      expect(audit?.actorId).toBe(ownUserId);
    });

    it("lists revisions newest first", async () => {
      const current = (await anon.get(`api/facilities/${ownId}`)).json as FacilityDto;
      const res = await staff.patch(`api/facilities/${ownId}`, {
        version: current.version,
        access: "仙台駅から徒歩7分",
      });
      expect(res.status, res.text).toBe(200);
      const revisions = (await anon.get(`api/facilities/${ownId}/revisions`)).json.items as {
        version: number;
      }[];
      expect(revisions.map((r) => r.version)).toEqual([current.version + 1, current.version]);
    });

    it("returns the profile unchanged, with no new revision, when nothing changes", async () => {
      const current = (await anon.get(`api/facilities/${ownId}`)).json as FacilityDto;
      const count = await t.hub.prisma.facilityRevision.count({ where: { facilityId: ownId } });
      const res = await staff.patch(`api/facilities/${ownId}`, {
        version: current.version,
        phone: current.phone,
        languages: [...current.languages].reverse(),
        name: `  ${current.name} `,
      });
      expect(res.status, res.text).toBe(200);
      expect(res.json).toEqual(current);
      expect(await t.hub.prisma.facilityRevision.count({ where: { facilityId: ownId } })).toBe(count);
    });

    it("refuses a stale version with 409 version_conflict and changes nothing", async () => {
      const current = (await anon.get(`api/facilities/${ownId}`)).json as FacilityDto;
      const res = await staff.patch(`api/facilities/${ownId}`, {
        version: current.version - 1,
        phone: "022-555-0000",
      });
      expect(res.status).toBe(409);
      expect(res.json.code).toBe("version_conflict");
      expect((await anon.get(`api/facilities/${ownId}`)).json).toEqual(current);
    });

    it("lets only one of two simultaneous edits of the same version through", async () => {
      const current = (await anon.get(`api/facilities/${ownId}`)).json as FacilityDto;
      const results = await Promise.all([
        staff.patch(`api/facilities/${ownId}`, { version: current.version, phone: "022-555-1111" }),
        staff.patch(`api/facilities/${ownId}`, { version: current.version, phone: "022-555-2222" }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      const after = (await anon.get(`api/facilities/${ownId}`)).json as FacilityDto;
      expect(after.version).toBe(current.version + 1);
      const revisions = await t.hub.prisma.facilityRevision.findMany({
        where: { facilityId: ownId, version: after.version },
      });
      expect(revisions).toHaveLength(1);
      const changes = (revisions[0]?.changes ?? {}) as Record<string, { to: string }>;
      expect(changes.phone?.to).toBe(after.phone);
    });

    it("refuses unknown municipalities in the service area with 422, listing them", async () => {
      const current = (await anon.get(`api/facilities/${ownId}`)).json as FacilityDto;
      const res = await staff.patch(`api/facilities/${ownId}`, {
        version: current.version,
        serviceArea: ["041009", "049999", "130001"],
      });
      expect(res.status).toBe(422);
      expect(res.json.code).toBe("unknown_municipality");
      expect(res.json.detail).toContain("049999");
      expect(res.json.errors.map((e: { path: string }) => e.path)).toEqual([
        "/serviceArea/1",
        "/serviceArea/2",
      ]);

      const ok = await staff.patch(`api/facilities/${ownId}`, {
        version: current.version,
        serviceArea: ["041009", "042072"],
      });
      expect(ok.status, ok.text).toBe(200);
      expect(ok.json.serviceArea).toEqual(["041009", "042072"]);
    });

    it("refuses unknown fields and invalid values with 400 validation_failed", async () => {
      const current = (await anon.get(`api/facilities/${ownId}`)).json as FacilityDto;
      for (const body of [
        { version: current.version, published: false },
        { version: current.version, municipalityCode: "042072" },
        { version: current.version, website: "javascript:alert(1)" },
        { version: current.version, name: "" },
        { version: current.version, name: "   " },
        { phone: "022-555-0000" },
        { version: current.version },
      ]) {
        const res = await staff.patch(`api/facilities/${ownId}`, body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.json.code).toBe("validation_failed");
      }
      expect((await anon.get(`api/facilities/${ownId}`)).json.version).toBe(current.version);
    });

    it("refuses another facility's staff with 403", async () => {
      const current = (await anon.get(`api/facilities/${ownId}`)).json as FacilityDto;
      const res = await staff2.patch(`api/facilities/${ownId}`, {
        version: current.version,
        phone: "022-555-6666",
      });
      expect(res.status).toBe(403);
      expect(res.json.code).toBe("forbidden");
      const mine = await staff2.patch(`api/facilities/${otherId}`, { version: 1, phone: "022-555-7777" });
      expect(mine.status, mine.text).toBe(200);
    });

    it("refuses anonymous callers with 401 and writes without the CSRF token with 403", async () => {
      const res = await anon.patch(`api/facilities/${ownId}`, { version: 1, phone: "022-555-0000" });
      expect(res.status).toBe(401);
      const noCsrf = await staff.request(
        "PATCH",
        `api/facilities/${ownId}`,
        { version: 1, phone: "1" },
        {
          "x-csrf-token": "wrong",
        },
      );
      expect(noCsrf.status).toBe(403);
      expect(noCsrf.json.code).toBe("csrf_failed");
    });
  });
});
