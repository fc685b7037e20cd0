import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "../../hub/db/client.js";
import { hotRows } from "../../hub/db/hot.js";
import { startTestHub, type TestHub } from "../support/hub.js";

/**
 * The hottest reads go past Prisma on PostgreSQL (hub/db/hot.ts): they must read exactly what Prisma would, on both
 * engines, also inside a transaction (which stays on Prisma's connection).
 */
describe("hot reads", () => {
  let t: TestHub;
  const zone = process.env.TZ;
  beforeAll(async () => {
    // A process in Tokyo time, as a hub run on a Japanese server may be (Node applies TZ when it is assigned).
    process.env.TZ = "Asia/Tokyo";
    t = await startTestHub();
  });
  afterAll(async () => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
    await t?.close();
  });

  // An instant in the morning in Tokyo and the evening before in UTC: sent in local time with its offset, as
  // node-postgres would by itself, a ::timestamp cast would move it by the process's offset.
  const at = new Date("2026-12-07T23:30:00.250Z");
  const query = () =>
    Prisma.sql`SELECT to_char(${at}::timestamp, 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS at_text,
      ${"仙台市"}::text AS name, ${null}::uuid AS nothing, ${42}::int AS n, ${true}::boolean AS yes,
      ${["a", "b"]}::text[] AS list, ${JSON.stringify({ k: [1, 2] })}::jsonb AS doc,
      ${String(2n ** 40n)}::int8::text AS big`;

  it("reads what Prisma reads, instants in UTC", async () => {
    const expected = await t.hub.prisma.$queryRaw<Record<string, unknown>[]>(query());
    const [row] = await hotRows<Record<string, unknown>>(t.hub.prisma, query());
    expect(row).toEqual(expected[0]);
    expect(row).toEqual({
      at_text: "2026-12-07T23:30:00.250",
      name: "仙台市",
      nothing: null,
      n: 42,
      yes: true,
      list: ["a", "b"],
      doc: { k: [1, 2] },
      big: "1099511627776",
    });
  });

  it("reads inside a transaction on the transaction's connection", async () => {
    const seen = await t.hub.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`CREATE TEMPORARY TABLE hot_read_probe (v int) ON COMMIT DROP`;
      await tx.$executeRaw`INSERT INTO hot_read_probe VALUES (7)`;
      // Only this transaction's session sees its temporary table.
      return hotRows<{ v: number }>(tx, Prisma.sql`SELECT v FROM hot_read_probe`);
    });
    expect(seen).toEqual([{ v: 7 }]);
  });
});
