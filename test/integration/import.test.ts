import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoResidentsCsv } from "../../fixtures/import/residents-csv.js";
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
