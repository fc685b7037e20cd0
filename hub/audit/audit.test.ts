import { describe, expect, it } from "vitest";
import { type AuditRow, AuditWriter } from "./audit.js";

const staff = { userId: "00000000-0000-4000-8000-000000000001", role: "facility" as const };
const at = new Date("2026-12-08T01:00:00Z");
const entry = (action: string) => ({ action, detail: { path: `/api/${action}` } });

/** An insert that completes when told to, recording the rows of each call. */
function controlledInsert(
  refuse: (rows: AuditRow[]) => boolean = () => false,
  error: () => Error = () => new Error("refused"),
) {
  const calls: AuditRow[][] = [];
  const pending: (() => void)[] = [];
  const insert = (rows: AuditRow[]) => {
    calls.push(rows);
    return new Promise<void>((resolve, reject) =>
      pending.push(() => (refuse(rows) ? reject(error()) : resolve())),
    );
  };
  // Completes every insert, also those started meanwhile, until none has been started for a few turns.
  const finishAll = async () => {
    for (let idle = 0; idle < 5; idle++) {
      await new Promise((r) => setImmediate(r));
      if (pending.length) idle = 0;
      while (pending.length) pending.shift()?.();
    }
  };
  return { insert, calls, finishAll };
}

describe("AuditWriter", () => {
  it("writes one row at once when nothing else is being written", async () => {
    const db = controlledInsert();
    const writer = new AuditWriter(db.insert);
    const written = writer.write(staff, "10.0.0.1", entry("createBooking"), at);
    expect(db.calls).toHaveLength(1);
    expect(db.calls[0]).toEqual([
      {
        at,
        actorId: staff.userId,
        actorRole: "facility",
        tenant: "",
        ip: "10.0.0.1",
        action: "createBooking",
        resourceType: "",
        resourceId: "",
        outcome: "ok",
        detail: '{"path":"/api/createBooking"}',
      },
    ]);
    await db.finishAll();
    await expect(written).resolves.toBeUndefined();
  });

  it("writes the rows that arrived while an insert ran together, in their order, and answers each once stored", async () => {
    const db = controlledInsert();
    const writer = new AuditWriter(db.insert);
    let stored = 0;
    const writes = ["a", "b", "c", "d"].map((a) =>
      writer.write(staff, "ip", entry(a), at).then(() => stored++),
    );
    // "a" went alone; b, c and d wait for it, then go in one insert.
    expect(db.calls.map((rows) => rows.map((r) => r.action))).toEqual([["a"]]);
    expect(stored).toBe(0);
    await db.finishAll();
    await Promise.all(writes);
    expect(db.calls.map((rows) => rows.map((r) => r.action))).toEqual([["a"], ["b", "c", "d"]]);
    expect(stored).toBe(4);
  });

  it("fails only the request whose row the database refuses", async () => {
    const db = controlledInsert((rows) => rows.some((r) => r.action === "bad"));
    const writer = new AuditWriter(db.insert);
    const first = writer.write(staff, "ip", entry("first"), at);
    const rest = ["good1", "bad", "good2"].map((a) =>
      writer.write(staff, "ip", entry(a), at).then(
        () => `${a} stored`,
        (err: Error) => `${a} ${err.message}`,
      ),
    );
    await db.finishAll();
    await first;
    expect(await Promise.all(rest)).toEqual(["good1 stored", "bad refused", "good2 stored"]);
    // The refused batch was written again row by row.
    expect(db.calls.map((rows) => rows.map((r) => r.action))).toEqual([
      ["first"],
      ["good1", "bad", "good2"],
      ["good1"],
      ["bad"],
      ["good2"],
    ]);
  });

  it("fails a whole batch at once when the database is not there, without trying each row", async () => {
    const down = () => Object.assign(new Error("Connection terminated unexpectedly"), { code: "57P01" });
    const db = controlledInsert(() => true, down);
    const writer = new AuditWriter(db.insert);
    const all = ["a", "b", "c"].map((a) =>
      writer.write(staff, "ip", entry(a), at).then(
        () => `${a} stored`,
        (err: Error) => `${a} ${err.message}`,
      ),
    );
    await db.finishAll();
    expect(await Promise.all(all)).toEqual([
      "a Connection terminated unexpectedly",
      "b Connection terminated unexpectedly",
      "c Connection terminated unexpectedly",
    ]);
    expect(db.calls.map((rows) => rows.map((r) => r.action))).toEqual([["a"], ["b", "c"]]);
  });

  it("starts again with the next row after a refused one", async () => {
    const db = controlledInsert((rows) => rows[0]?.action === "bad");
    const writer = new AuditWriter(db.insert);
    const bad = expect(writer.write(staff, "ip", entry("bad"), at)).rejects.toThrow("refused");
    await db.finishAll();
    await bad;
    const next = writer.write(staff, "ip", entry("next"), at);
    await db.finishAll();
    await expect(next).resolves.toBeUndefined();
  });
});
