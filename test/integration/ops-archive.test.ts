import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import JSZip from "jszip";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../fixtures/seed.js";
import { type Db, openDb } from "../../hub/db/client.js";
import {
  type ArchiveMetadata,
  exportArchive,
  fromCsv,
  importArchive,
  selfReferenceOrder,
  toCsv,
} from "../../hub/ops/archive.js";
import { type OpsDb, OpsError, openOpsDb } from "../../hub/ops/sql.js";
import { compareSnapshots, snapshot } from "../../hub/ops/tables.js";
import { createScratchDatabase } from "../support/hub.js";

/**
 * Export → import round trip: on PostgreSQL when DATABASE_URL is set (scratch databases, created and dropped here),
 * else on PGlite. Demo data plus values a CSV easily gets wrong (NULL vs '', quotes, newlines, a self-reference).
 */
const server = process.env.DATABASE_URL;
const scratches: { drop(): Promise<void> }[] = [];

/** A new, migrated, empty instance of the kind under test. */
async function freshInstance(): Promise<OpsDb> {
  if (!server) return openOpsDb({ dataDir: "memory://", migrate: true });
  const s = await createScratchDatabase(server);
  scratches.push(s);
  return openOpsDb({ databaseUrl: s.url, dataDir: "memory://", migrate: true });
}

describe(`export and import of everything (${server ? "PostgreSQL" : "PGlite"})`, () => {
  let source: Db;
  let sourceOps: OpsDb;
  let dir = "";
  let archive = "";

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "ops-archive-"));
    archive = path.join(dir, "export.zip");
    const s = server ? await createScratchDatabase(server) : undefined;
    if (s) scratches.push(s);
    source = await openDb({ databaseUrl: s?.url, dataDir: "memory://" });
    await seedDemo(source.prisma, { residents: 25, hashPassword: async () => "not-a-real-hash" });
    const p = source.prisma;
    // Values a CSV round trip easily loses or confuses.
    const residents = await p.resident.findMany({ orderBy: { id: "asc" }, take: 3, select: { id: true } });
    await p.$executeRawUnsafe(
      `UPDATE resident SET email = $3, phone = NULL, address = $2 WHERE id = $1::uuid`,
      residents[0]?.id,
      'a,"b"\nc\\d {x} 宮城県　仙台市\r\n',
      // An empty e-mail address cannot be stored (it is NULL or in its normal form); quotes and a comma can.
      'o\'brien+"q",1@example.jp',
    );
    await p.$executeRawUnsafe(
      `UPDATE resident SET email = NULL, phone = '' WHERE id = $1::uuid`,
      residents[1]?.id,
    );
    await p.$executeRawUnsafe(
      `INSERT INTO audit_log (action, detail, ip) VALUES ('test', '{"k": "v,\\"q\\"", "n": null, "e": ""}', ''), ('test2', '[]', 'NULL')`,
    );
    // A voucher re-issued from one that sorts after it: import must insert the replaced one first.
    const vouchers = await p.voucher.findMany({ orderBy: { id: "asc" }, select: { id: true } });
    expect(vouchers.length).toBeGreaterThan(2);
    await p.$executeRawUnsafe(
      `UPDATE voucher SET replaces_id = $2::uuid WHERE id = $1::uuid`,
      vouchers[0]?.id,
      vouchers.at(-1)?.id,
    );
    sourceOps = server
      ? await openOpsDb({ databaseUrl: s?.url, dataDir: "memory://" })
      : {
          sql: (await import("../../hub/ops/sql.js")).pgliteSql(source.pglite as never),
          close: async () => {},
        };
  });

  afterAll(async () => {
    await sourceOps?.close();
    await source?.close();
    for (const s of scratches) await s.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("keeps NULL and the empty string apart in CSV", () => {
    const csv = toCsv(["a", "b", "c"], [[null, "", 'x,"y"\nz']]);
    expect(csv).toBe('a,b,c\n,"","x,""y""\nz"\n');
    expect(fromCsv(csv)).toEqual([
      ["a", "b", "c"],
      [null, "", 'x,"y"\nz'],
    ]);
  });

  it("orders the rows of a table that references itself, referenced rows first", () => {
    const table = {
      name: "voucher",
      columns: [
        { name: "id", type: "uuid", identityAlways: false },
        { name: "replaces_id", type: "uuid", identityAlways: false },
      ],
      foreignKeys: [{ columns: ["replaces_id"], refTable: "voucher", refColumns: ["id"] }],
    };
    const rows = [
      ["a", "c"],
      ["b", null],
      ["c", "b"],
      ["d", null],
    ];
    expect(selfReferenceOrder(table, rows).map((r) => r[0])).toEqual(["b", "c", "a", "d"]);
  });

  it("exports every table to CSV with metadata, and imports it into an empty instance losing nothing", async () => {
    const { metadata } = await exportArchive(sourceOps.sql, archive);
    expect(metadata.format).toBe("sango-archive");
    expect(metadata.migrations.length).toBeGreaterThan(5);
    expect(metadata.tables.map((t) => t.name)).not.toContain("_prisma_migrations");
    const names = metadata.tables.map((t) => t.name);
    // Foreign-key order: a table comes after the tables it references.
    expect(names.indexOf("municipality")).toBeLessThan(names.indexOf("resident"));
    expect(names.indexOf("resident")).toBeLessThan(names.indexOf("voucher"));
    expect(names.indexOf("voucher")).toBeLessThan(names.indexOf("booking"));
    expect(metadata.tables.find((t) => t.name === "resident")?.columns).toContainEqual({
      name: "birth_date",
      type: "date",
    });
    expect(metadata.sequences.find((s) => s.table === "audit_log")?.lastValue).toBe("2");

    const zip = await JSZip.loadAsync(readFileSync(archive));
    expect(Object.keys(zip.files).sort()).toEqual([...names.map((n) => `${n}.csv`), "metadata.json"].sort());
    const residentCsv = fromCsv(await (zip.file("resident.csv") as JSZip.JSZipObject).async("string"));
    expect(residentCsv[0]).toContain("family_name");
    expect(residentCsv.length - 1).toBe(metadata.tables.find((t) => t.name === "resident")?.rows);

    const target = await freshInstance();
    try {
      const r = await importArchive(target.sql, archive);
      expect(r.report).toContain("every count and checksum matches");
      const [a, b] = [await sourceOps.sql.tx((q) => snapshot(q)), await target.sql.tx((q) => snapshot(q))];
      const cmp = compareSnapshots(a, b);
      expect(cmp.differences).toEqual([]);
      expect(cmp.ok).toBe(true);
      const total = Object.values(b.tables).reduce((s, t) => s + t.rows, 0);
      expect(total).toBeGreaterThan(1000);
      expect(Object.keys(b.tables).length).toBe(metadata.tables.length);
      // The special values came back as they were.
      const rows = await target.sql.query<{ email: string | null; phone: string | null; address: string }>(
        "SELECT email, phone, address FROM resident ORDER BY id LIMIT 2",
      );
      expect(rows[0]).toEqual({
        email: 'o\'brien+"q",1@example.jp',
        phone: null,
        address: 'a,"b"\nc\\d {x} 宮城県　仙台市\r\n',
      });
      expect(rows[1]).toMatchObject({ email: null, phone: "" });
      // Sequences continue where the source's did.
      const [next] = await target.sql.query<{ id: string }>(
        "INSERT INTO audit_log (action) VALUES ('after import') RETURNING id::text AS id",
      );
      expect(next?.id).toBe("3");
      // The comparison can fail: one changed value is found.
      await target.sql.query("UPDATE audit_log SET ip = '' WHERE action = 'test2'");
      await target.sql.query("DELETE FROM audit_log WHERE action = 'after import'");
      const changed = compareSnapshots(a, await target.sql.tx((q) => snapshot(q)));
      expect(changed.ok).toBe(false);
      expect(changed.differences.map((d) => d.table)).toEqual(["audit_log"]);

      // Importing again into the now non-empty instance is refused.
      await expect(importArchive(target.sql, archive)).rejects.toThrow(/not empty/);
      await expect(importArchive(target.sql, archive)).rejects.toBeInstanceOf(OpsError);
    } finally {
      await target.close();
    }
  });

  it("refuses a tampered archive, a missing file, other migrations, and leaves the instance empty", async () => {
    const zip = await JSZip.loadAsync(readFileSync(archive));
    const tampered = path.join(dir, "tampered.zip");
    const csv = await (zip.file("municipality.csv") as JSZip.JSZipObject).async("string");
    zip.file("municipality.csv", csv.replace("仙台市", "仙台巿"));
    writeFileSync(tampered, await zip.generateAsync({ type: "nodebuffer" }));

    const other = await JSZip.loadAsync(readFileSync(archive));
    const meta = JSON.parse(
      await (other.file("metadata.json") as JSZip.JSZipObject).async("string"),
    ) as ArchiveMetadata;
    meta.migrations = meta.migrations.slice(0, -1);
    other.file("metadata.json", JSON.stringify(meta));
    const olderMigrations = path.join(dir, "older.zip");
    writeFileSync(olderMigrations, await other.generateAsync({ type: "nodebuffer" }));

    const notZip = path.join(dir, "not-a-zip.zip");
    writeFileSync(notZip, `hello ${randomBytes(4).toString("hex")}`);

    const target = await freshInstance();
    try {
      await expect(importArchive(target.sql, tampered)).rejects.toThrow(
        /municipality\.csv does not match its sha256/,
      );
      await expect(importArchive(target.sql, path.join(dir, "missing.zip"))).rejects.toThrow(
        /archive not found/,
      );
      await expect(importArchive(target.sql, notZip)).rejects.toThrow(/not a zip archive/);
      await expect(importArchive(target.sql, olderMigrations)).rejects.toThrow(/migrations differ/);
      const s = await target.sql.tx((q) => snapshot(q));
      expect(Object.values(s.tables).every((t) => t.rows === 0)).toBe(true);
    } finally {
      await target.close();
    }
  });

  it("rolls back everything when a row cannot be inserted", async () => {
    // A consistent archive (checksums recomputed) whose last table references a row that does not exist: the
    // tables before it were inserted in the same transaction and must be gone too.
    const zip = await JSZip.loadAsync(readFileSync(archive));
    const meta = JSON.parse(
      await (zip.file("metadata.json") as JSZip.JSZipObject).async("string"),
    ) as ArchiveMetadata;
    const child = meta.tables.find((t) => t.name === "child");
    if (!child) throw new Error("no child table");
    const rows = fromCsv(await (zip.file("child.csv") as JSZip.JSZipObject).async("string"));
    const col = rows[0]?.indexOf("resident_id") ?? -1;
    (rows[1] as (string | null)[])[col] = "00000000-0000-4000-8000-000000000000";
    const csv = toCsv(rows[0] as string[], rows.slice(1));
    zip.file("child.csv", csv);
    child.sha256 = (await import("node:crypto")).createHash("sha256").update(csv).digest("hex");
    zip.file("metadata.json", JSON.stringify(meta));
    const broken = path.join(dir, "broken.zip");
    writeFileSync(broken, await zip.generateAsync({ type: "nodebuffer" }));

    const target = await freshInstance();
    try {
      await expect(importArchive(target.sql, broken)).rejects.toThrow(/foreign key|violates/);
      const s = await target.sql.tx((q) => snapshot(q));
      expect(s.tables.municipality?.rows).toBe(0);
      expect(Object.values(s.tables).every((t) => t.rows === 0)).toBe(true);
    } finally {
      await target.close();
    }
  });
});
