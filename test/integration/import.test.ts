import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoMunicipalities } from "../../fixtures/demo-data.js";
import { demoFacilitiesCsv } from "../../fixtures/import/reference-csv.js";
import { demoResidentsCsv, toCsv } from "../../fixtures/import/residents-csv.js";
import type { TestClient } from "../support/client.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { clientFor, DEMO_USERS } from "../support/sessions.js";

const file = (text: string | Buffer, fileName = "residents.csv") => ({
  fileName,
  contentBase64: Buffer.from(text).toString("base64"),
});

describe("residents import (移行)", () => {
  let t: TestHub;
  let sendai: TestClient;
  const count = () => t.hub.prisma.resident.count();
  const clean = demoResidentsCsv("041009", 10, { externalIdStart: 500001, emailPrefix: "it" });

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 20 });
    sendai = await clientFor(t, DEMO_USERS.municipality.own);
  }, 180_000);
  afterAll(() => t?.close());

  it("dry run reports what would happen and changes nothing", async () => {
    const before = await count();
    const res = await sendai.post("api/imports/residents", file(clean));
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({ dryRun: true, rows: 10, created: 10, updated: 0, errors: [] });
    expect(await count()).toBe(before);
  });

  it("a file with one bad row changes nothing and reports the line", async () => {
    const before = await count();
    const lines = clean.split("\r\n");
    lines[5] = (lines[5] ?? "").replace(/,\d{4}-\d{2}-\d{2},/, ",2026-02-30,");
    const res = await sendai.post("api/imports/residents?dryRun=false", file(lines.join("\r\n")));
    expect(res.status, res.text).toBe(422);
    expect(res.headers.get("content-type")).toMatch(/problem\+json/);
    expect(res.json.code).toBe("import_invalid");
    expect(res.json.errors).toEqual([
      expect.objectContaining({ line: 6, column: "birth_date", code: "bad_date" }),
    ]);
    expect(await count()).toBe(before);
  });

  it("a NUL in a cell is reported on its line (not a server error) and nothing is imported", async () => {
    const before = await count();
    const lines = clean.split("\r\n");
    const cells = (lines[3] ?? "").split(",");
    cells[2] = `${cells[2]}\u0000`;
    lines[3] = cells.join(",");
    for (const dryRun of [true, false]) {
      const res = await sendai.post(`api/imports/residents?dryRun=${dryRun}`, file(lines.join("\r\n")));
      expect(res.status, res.text).toBe(422);
      expect(res.json.code).toBe("import_invalid");
      expect(res.json.errors).toEqual([
        expect.objectContaining({ line: 4, column: "family_name", code: "invalid_text" }),
      ]);
    }
    expect(await count()).toBe(before);
  });

  it("a clean file imports fully, and a re-import updates instead of duplicating", async () => {
    const before = await count();
    const res = await sendai.post("api/imports/residents?dryRun=false", file(clean));
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ dryRun: false, rows: 10, created: 10, updated: 0 });
    expect(await count()).toBe(before + 10);
    const imported = await t.hub.prisma.resident.findFirstOrThrow({
      where: { municipalityCode: "041009", externalId: "500001" },
      include: { children: true },
    });
    expect(imported.email).toBe("it0001@example.jp");
    expect(imported.children).toHaveLength(1);

    const changed = clean
      .replace("it0001@example.jp", "changed0001@example.jp")
      .replace(/,一般,/, ",生活保護,");
    const again = await sendai.post("api/imports/residents?dryRun=false", file(changed));
    expect(again.status, again.text).toBe(200);
    expect(again.json).toMatchObject({ created: 0, updated: 10 });
    expect(await count()).toBe(before + 10);
    const after = await t.hub.prisma.resident.findUniqueOrThrow({
      where: { id: imported.id },
      include: { children: true },
    });
    expect(after.email).toBe("changed0001@example.jp");
    expect(after.incomeTier).toBe("welfare");
    expect(after.children).toHaveLength(1);
  });

  it("reads Shift_JIS uploads", async () => {
    const { toShiftJis } = await import("../../fixtures/import/residents-csv.js");
    const sjis = toShiftJis(demoResidentsCsv("041009", 3, { externalIdStart: 600001, emailPrefix: "sj" }));
    const res = await sendai.post("api/imports/residents", file(sjis));
    expect(res.status, res.text).toBe(200);
    expect(res.json.created).toBe(3);
  });

  it("refuses another municipality's rows", async () => {
    const before = await count();
    const natoriRows = demoResidentsCsv("042072", 2, { externalIdStart: 700001, emailPrefix: "nt" });
    const res = await sendai.post("api/imports/residents?dryRun=false", file(natoriRows));
    expect(res.status).toBe(422);
    expect(res.json.errors.map((e: { line: number; code: string }) => [e.line, e.code])).toEqual([
      [2, "other_municipality"],
      [3, "other_municipality"],
    ]);
    const natori = await clientFor(t, DEMO_USERS.municipality.other as string);
    const own = await natori.post("api/imports/residents?dryRun=false", file(natoriRows));
    expect(own.status, own.text).toBe(200);
    expect(await count()).toBe(before + 2);
  });

  it("admits municipality staff only, and audits the upload", async () => {
    for (const role of ["prefecture", "operator", "facility", "association", "resident"] as const) {
      const client = await clientFor(t, DEMO_USERS[role].own);
      const res = await client.post("api/imports/residents", file(clean));
      expect(res.status, role).toBe(403);
    }
    const entries = await t.hub.prisma.auditLog.count({ where: { action: "importResidents" } });
    expect(entries).toBeGreaterThan(0);
  });

  it("answers unreadable files with import_invalid", async () => {
    const res = await sendai.post("api/imports/residents", file("氏,名\n", "x.xlsx"));
    expect(res.status).toBe(422);
    expect(res.json.code).toBe("import_invalid");
  });
});

describe("municipalities and facilities import (移行, prefecture only)", () => {
  let t: TestHub;
  let pref: TestClient;
  const sample = (name: string) => readFileSync(new URL(`../../fixtures/import/${name}`, import.meta.url));
  /** The demo municipalities without LGWAN networks (networks would lock the demo staff out), plus extra rows. */
  const municipalitiesCsv = (extra: string[][] = [], rename?: string) =>
    toCsv([
      ["市町村コード", "市町村名", "市町村名カナ", "区分", "広域圏", "LGWAN接続元"],
      ...demoMunicipalities().map((m) => [
        m.code,
        rename && m.code === "042072" ? rename : m.name,
        m.kana,
        m.kind,
        m.region,
        "",
      ]),
      ...extra,
    ]);
  const SAPPORO = ["011002", "札幌市", "さっぽろし", "市", "道央", "10.9.0.0/16;2001:db8::/32"];
  const snapshot = async () => ({
    municipalities: await t.hub.prisma.municipality.findMany({ orderBy: { code: "asc" } }),
    facilities: await t.hub.prisma.facility.findMany({ orderBy: { id: "asc" } }),
    services: await t.hub.prisma.facilityService.findMany({
      orderBy: [{ facilityId: "asc" }, { serviceType: "asc" }],
    }),
  });

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 20 });
    pref = await clientFor(t, DEMO_USERS.prefecture.own);
  }, 180_000);
  afterAll(() => t?.close());

  it("dry runs report what would happen and change nothing", async () => {
    const before = await snapshot();
    const m = await pref.post(
      "api/imports/municipalities",
      file(sample("municipalities.csv"), "municipalities.csv"),
    );
    expect(m.status, m.text).toBe(200);
    expect(m.json).toEqual({ dryRun: true, rows: 35, created: 0, updated: 35, errors: [] });
    const f = await pref.post("api/imports/facilities", file(sample("facilities.csv"), "facilities.csv"));
    expect(f.status, f.text).toBe(200);
    expect(f.json).toEqual({ dryRun: true, rows: 70, created: 0, updated: 70, errors: [] });
    const byName = await pref.post("api/imports/facilities", file(sample("facilities-shift-jis.csv")));
    expect(byName.status, byName.text).toBe(200);
    expect(byName.json).toMatchObject({ created: 0, updated: 70 });
    expect(await snapshot()).toEqual(before);
  });

  it("a file with one bad row changes nothing and reports the line", async () => {
    const before = await snapshot();
    const m = await pref.post(
      "api/imports/municipalities?dryRun=false",
      file(municipalitiesCsv([SAPPORO, ["011003", "x", "x", "市", "道央", ""]])),
    );
    expect(m.status, m.text).toBe(422);
    expect(m.json.code).toBe("import_invalid");
    expect(m.json.errors).toEqual([expect.objectContaining({ line: 38, column: "code", code: "bad_code" })]);
    const lines = demoFacilitiesCsv({ ids: true }).split("\r\n");
    lines[4] = (lines[4] ?? "").replace(/,022-555-(\d{4}),/, ",22-555,");
    const f = await pref.post("api/imports/facilities?dryRun=false", file(lines.join("\r\n")));
    expect(f.status, f.text).toBe(422);
    expect(f.json.errors).toEqual([expect.objectContaining({ line: 5, column: "phone", code: "bad_phone" })]);
    expect(await snapshot()).toEqual(before);
  });

  it("a clean file applies fully, and a re-import updates instead of duplicating", async () => {
    const m = await pref.post("api/imports/municipalities?dryRun=false", file(municipalitiesCsv([SAPPORO])));
    expect(m.status, m.text).toBe(200);
    expect(m.json).toMatchObject({ dryRun: false, rows: 36, created: 1, updated: 35 });
    const sapporo = await t.hub.prisma.municipality.findUniqueOrThrow({ where: { code: "011002" } });
    expect(sapporo).toMatchObject({
      name: "札幌市",
      kind: "市",
      allowedCidrs: ["10.9.0.0/16", "2001:db8::/32"],
    });
    const again = await pref.post(
      "api/imports/municipalities?dryRun=false",
      file(municipalitiesCsv([SAPPORO], "名取市（改）")),
    );
    expect(again.json).toMatchObject({ created: 0, updated: 36 });
    expect(await t.hub.prisma.municipality.count()).toBe(36);
    expect((await t.hub.prisma.municipality.findUniqueOrThrow({ where: { code: "042072" } })).name).toBe(
      "名取市（改）",
    );

    const facilities = await t.hub.prisma.facility.count();
    const header = demoFacilitiesCsv({ count: 0 });
    const fresh = `${header},（架空）さっぽろ助産院,,助産所,助産師会,011002,060-0001,札幌市中央区1,,011-555-0001,,,,,ja;en,,,はい,visit:2\r\n`;
    const created = await pref.post("api/imports/facilities?dryRun=false", file(fresh));
    expect(created.status, created.text).toBe(200);
    expect(created.json).toMatchObject({ dryRun: false, rows: 1, created: 1, updated: 0 });
    expect(await t.hub.prisma.facility.count()).toBe(facilities + 1);
    const row = await t.hub.prisma.facility.findFirstOrThrow({
      where: { name: "（架空）さっぽろ助産院" },
      include: { services: true },
    });
    expect(row).toMatchObject({
      kind: "midwife_home",
      associationId: "midwife",
      languages: ["ja", "en"],
      version: 1,
    });
    expect(row.services).toEqual([expect.objectContaining({ serviceType: "visit", capacity: 2 })]);

    const changed = fresh.replace("011-555-0001", "011-555-0002").replace("visit:2", "visit:4;day:1");
    const updated = await pref.post("api/imports/facilities?dryRun=false", file(changed));
    expect(updated.status, updated.text).toBe(200);
    expect(updated.json).toMatchObject({ created: 0, updated: 1 });
    expect(await t.hub.prisma.facility.count()).toBe(facilities + 1);
    const after = await t.hub.prisma.facility.findUniqueOrThrow({
      where: { id: row.id },
      include: { services: { orderBy: { serviceType: "asc" } }, revisions: true },
    });
    expect(after).toMatchObject({ phone: "011-555-0002", version: 2 });
    expect(after.services.map((s) => [s.serviceType, s.capacity])).toEqual([
      ["day", 1],
      ["visit", 4],
    ]);
    expect(after.revisions).toEqual([
      expect.objectContaining({
        version: 2,
        changes: { phone: { from: "011-555-0001", to: "011-555-0002" } },
      }),
    ]);

    const all = await pref.post(
      "api/imports/facilities?dryRun=false",
      file(sample("facilities.csv"), "facilities.csv"),
    );
    expect(all.status, all.text).toBe(200);
    expect(all.json).toMatchObject({ created: 0, updated: 70 });
    expect(await t.hub.prisma.facility.count()).toBe(facilities + 1);
  });

  it("admits the prefecture only", async () => {
    for (const role of ["municipality", "operator", "facility", "association", "resident"] as const) {
      const client = await clientFor(t, DEMO_USERS[role].own);
      for (const kind of ["municipalities", "facilities"]) {
        const res = await client.post(`api/imports/${kind}`, file(sample(`${kind}.csv`), `${kind}.csv`));
        expect(res.status, `${role} ${kind}`).toBe(403);
      }
    }
  });
});
