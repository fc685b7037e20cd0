import { PGlite } from "@electric-sql/pglite";
import { describe, expect, it } from "vitest";
import { applyMigrations, readMigrations, type SqlRunner } from "../../hub/db/migrate.js";

function runner(lite: PGlite): SqlRunner {
  return {
    exec: async (sql) => void (await lite.exec(sql)),
    query: async (sql, params) => (await lite.query(sql, params)).rows as Record<string, unknown>[],
    withLock: (fn) => fn(),
  };
}

describe("migrations", () => {
  it("apply once, in order, recorded like Prisma records them", async () => {
    const lite = await PGlite.create();
    const all = readMigrations();
    expect(await applyMigrations(runner(lite))).toEqual(all.map((m) => m.name));
    expect(await applyMigrations(runner(lite))).toEqual([]);
    const rows = (
      await lite.query<{ migration_name: string; checksum: string }>(
        `SELECT migration_name, checksum FROM "_prisma_migrations" ORDER BY migration_name`,
      )
    ).rows;
    expect(rows.map((r) => r.migration_name)).toEqual(all.map((m) => m.name));
    expect(rows[0]?.checksum).toMatch(/^[0-9a-f]{64}$/);
    await lite.close();
  });

  it("roll back a failing migration completely and refuse edited ones", async () => {
    const lite = await PGlite.create();
    const bad = [
      { name: "1_bad", sql: "CREATE TABLE t1 (id int); SELECT no_such_function();", checksum: "x" },
    ];
    await expect(applyMigrations(runner(lite), bad)).rejects.toThrow(/1_bad failed/);
    expect((await lite.query(`SELECT to_regclass('t1') AS t`)).rows[0]).toEqual({ t: null });
    const good = [{ name: "1_good", sql: "CREATE TABLE t2 (id int);", checksum: "a" }];
    await applyMigrations(runner(lite), good);
    await expect(applyMigrations(runner(lite), [{ ...good[0]!, checksum: "b" }])).rejects.toThrow(/changed/);
    await lite.close();
  });
});
