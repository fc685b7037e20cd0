/**
 * Issue 12, part 1: the migration that brings stored e-mail addresses to their one normal form normalises
 * existing rows, and refuses — naming the rows, changing nothing — when two rows would collide. On the engine
 * the tests run on (PGlite, or a scratch PostgreSQL database when DATABASE_URL is set).
 */
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { applyMigrations, readMigrations, type SqlRunner } from "../../hub/db/migrate.js";
import { createScratchDatabase } from "../support/hub.js";

const MIGRATION = "20261201000000_identity_exact_match";
const all = readMigrations();
const before = all.filter((m) => m.name < MIGRATION);
const upTo = all.filter((m) => m.name <= MIGRATION);

async function freshDatabase(): Promise<{ db: SqlRunner; close(): Promise<void> }> {
  if (process.env.DATABASE_URL) {
    const scratch = await createScratchDatabase(process.env.DATABASE_URL);
    const client = new pg.Client({ connectionString: scratch.url });
    await client.connect();
    return {
      db: {
        exec: async (sql) => void (await client.query(sql)),
        query: async (sql, params) => (await client.query(sql, params as unknown[])).rows,
        withLock: (fn) => fn(),
      },
      close: async () => {
        await client.end();
        await scratch.drop();
      },
    };
  }
  const lite = await PGlite.create();
  return {
    db: {
      exec: async (sql) => void (await lite.exec(sql)),
      query: async (sql, params) => (await lite.query(sql, params)).rows as Record<string, unknown>[],
      withLock: (fn) => fn(),
    },
    close: () => lite.close(),
  };
}

async function seedRows(db: SqlRunner, users: [string, string][], residents: [string, string][]) {
  await db.exec(
    `INSERT INTO municipality (code, name, kana, kind, region, updated_at) VALUES ('041009', '仙台市', 'せんだいし', 'city', '仙台', now())`,
  );
  for (const [id, email] of users) {
    await db.query(
      `INSERT INTO app_user (id, role, email, display_name, updated_at) VALUES ($1, 'facility', $2, 'x', now())`,
      [id, email],
    );
  }
  for (const [id, email] of residents) {
    await db.query(
      `INSERT INTO resident (id, municipality_code, family_name, given_name, email, updated_at) VALUES ($1, '041009', 'a', 'b', $2, now())`,
      [id, email],
    );
  }
}

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

describe(`migration ${MIGRATION}`, () => {
  it("normalises existing addresses (case, spacing, width) and then refuses any other form", async () => {
    const { db, close } = await freshDatabase();
    try {
      await applyMigrations(db, before);
      await seedRows(
        db,
        [[uuid(1), " Staff@Demo.Example.JP "]],
        [
          [uuid(2), "ＨＡＮＡＫＯ＠ＥＸＡＭＰＬＥ．ＪＰ"],
          [uuid(3), "residen_0042@example.jp"],
          [uuid(4), "  "],
        ],
      );
      await applyMigrations(db, upTo);
      expect(await db.query(`SELECT email FROM app_user`)).toEqual([{ email: "staff@demo.example.jp" }]);
      expect(await db.query(`SELECT id, email FROM resident ORDER BY id`)).toEqual([
        { id: uuid(2), email: "hanako@example.jp" },
        { id: uuid(3), email: "residen_0042@example.jp" },
        { id: uuid(4), email: null },
      ]);
      await expect(
        db.query(`UPDATE resident SET email = 'Hanako@example.jp' WHERE id = $1`, [uuid(2)]),
      ).rejects.toThrow(/resident_email_normalised/);
    } finally {
      await close();
    }
  });

  it("stops, naming the rows and changing nothing, when two addresses differ only in case", async () => {
    const { db, close } = await freshDatabase();
    try {
      await applyMigrations(db, before);
      await seedRows(
        db,
        [],
        [
          [uuid(5), "Hanako@example.jp"],
          [uuid(6), "hanako@EXAMPLE.jp"],
        ],
      );
      await expect(applyMigrations(db, upTo)).rejects.toThrow(
        new RegExp(`${MIGRATION} failed: resident rows that share an e-mail address.*${uuid(5)}, ${uuid(6)}`),
      );
      expect(await db.query(`SELECT email FROM resident ORDER BY id`)).toEqual([
        { email: "Hanako@example.jp" },
        { email: "hanako@EXAMPLE.jp" },
      ]);
    } finally {
      await close();
    }
  });
});
