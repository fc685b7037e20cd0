import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { log, logToFiles } from "../../hub/log.js";
import { purgeExpired } from "../../hub/ops/retention.js";
import { TestClient } from "../support/client.js";
import { startTestHub, type TestHub } from "../support/hub.js";

/** The JSON lines written to the log files so far. */
async function logLines(dir: string): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  for (const name of await readdir(dir)) {
    if (!name.startsWith("hub.")) continue;
    for (const line of (await readFile(path.join(dir, name), "utf8")).split("\n")) {
      if (line.trim()) lines.push(JSON.parse(line));
    }
  }
  return lines;
}

describe("structured logs with request ids, and retention", () => {
  let t: TestHub;
  let dir: string;
  const level = log.level;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "hub-logs-"));
    await logToFiles(dir);
    log.level = "info";
    t = await startTestHub();
  }, 120_000);
  afterAll(async () => {
    log.level = level;
    await t?.close();
  });

  it("answers every request with a request id, keeping a plausible one the caller gave", async () => {
    const given = await fetch(new URL("api/facilities", t.url), {
      headers: { "X-Request-Id": "trace-0123456789" },
    });
    expect(given.headers.get("x-request-id")).toBe("trace-0123456789");
    const made = await fetch(new URL("api/facilities", t.url), { headers: { "X-Request-Id": "<script>" } });
    expect(made.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("logs one JSON line per request by path, with its id, and never what was sent", async () => {
    const client = new TestClient(t.url);
    await client.request(
      "POST",
      "api/auth/sign-in?email=someone%40example.jp",
      {
        email: "someone@example.jp",
        password: "never-in-the-log-2026",
      },
      { "X-Request-Id": "sign-in-attempt-42" },
    );
    await new Promise((r) => setTimeout(r, 300));
    const lines = await logLines(dir);
    const line = lines.find((l) => l.reqId === "sign-in-attempt-42");
    expect(line).toMatchObject({
      level: "info",
      msg: "request",
      method: "POST",
      path: "/api/auth/sign-in",
      service: "sango-hub",
    });
    expect(typeof line?.ms).toBe("number");
    expect(typeof line?.time).toBe("string");
    const text = JSON.stringify(lines);
    expect(text).not.toContain("never-in-the-log-2026");
    expect(text).not.toContain("someone@example.jp");
  });

  it("redacts secret fields wherever a module logs them", async () => {
    log
      .child({ module: "test" })
      .warn({ password: "p4ss", config: { token: "t0ken", apiKey: "k3y" } }, "redaction");
    await new Promise((r) => setTimeout(r, 300));
    const line = (await logLines(dir)).find((l) => l.msg === "redaction");
    expect(line).toMatchObject({
      password: "[redacted]",
      config: { token: "[redacted]", apiKey: "[redacted]" },
    });
  });

  it("purges log files, connector traffic records and connection logs past retention, keeping what is pending", async () => {
    const now = new Date("2026-11-26T03:35:00Z");
    const old = new Date("2026-05-01T00:00:00Z");
    const recent = new Date("2026-11-01T00:00:00Z");
    const files = await mkdtemp(path.join(tmpdir(), "hub-old-logs-"));
    await writeFile(path.join(files, "hub.2026-05-01.1.log"), "{}\n");
    await writeFile(path.join(files, "hub.2026-11-25.1.log"), "{}\n");
    const p = t.hub.prisma;
    await p.municipality.create({
      data: { code: "041009", name: "仙台市", kana: "せんだいし", kind: "市", region: "仙台" },
    });
    await p.association.create({ data: { id: "medical", name: "宮城県医師会" } });
    const facility = await p.facility.create({
      data: {
        name: "保持期間テスト",
        kind: "clinic",
        associationId: "medical",
        municipalityCode: "041009",
        address: "仙台市",
      },
    });
    const conn = await p.connection.create({
      data: { facilityId: facility.id, connector: "webhook", config: {} },
    });
    await p.inboundWebhook.createMany({
      data: [
        { connectionId: conn.id, webhookId: "old-applied", body: "{}", status: "applied", receivedAt: old },
        { connectionId: conn.id, webhookId: "old-pending", body: "{}", status: "pending", receivedAt: old },
        { connectionId: conn.id, webhookId: "recent", body: "{}", status: "applied", receivedAt: recent },
      ],
    });
    await p.connectionLog.createMany({
      data: [
        { connectionId: conn.id, facilityId: facility.id, kind: "sync", result: "ok", at: old },
        { connectionId: conn.id, facilityId: facility.id, kind: "push", result: "failed", at: recent },
      ],
    });
    const result = await purgeExpired(p, { logDir: files, days: 180, now });
    expect(result.logFiles).toEqual(["hub.2026-05-01.1.log"]);
    // The connection's log is kept as long as the connector traffic, then goes.
    expect(result.connectionLog).toBe(1);
    expect(
      await p.connectionLog.findMany({ where: { connectionId: conn.id }, select: { kind: true } }),
    ).toEqual([{ kind: "push" }]);
    expect(await readdir(files)).toEqual(["hub.2026-11-25.1.log"]);
    expect(result.inboundWebhooks).toBe(1);
    const left = await p.inboundWebhook.findMany({
      where: { connectionId: conn.id },
      orderBy: { webhookId: "asc" },
    });
    expect(left.map((w) => w.webhookId)).toEqual(["old-pending", "recent"]);
    await rm(files, { recursive: true });
  });
});
