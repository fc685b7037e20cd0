import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { audit, purgeAudit } from "../../hub/audit/audit.js";
import { startTestHub, type TestHub } from "../support/hub.js";

describe("audit retention", () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(() => t?.close());

  it("purges entries older than the retention period and keeps the rest", async () => {
    const now = new Date("2026-11-25T00:00:00Z");
    const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);
    const actor = { userId: "00000000-0000-4000-8000-000000000001", role: "prefecture" as const };
    await audit(t.hub.prisma, actor, "192.0.2.1", { action: "resident.read" }, daysAgo(181));
    await audit(t.hub.prisma, actor, "192.0.2.1", { action: "resident.read" }, daysAgo(179));
    await audit(t.hub.prisma, null, "192.0.2.1", { action: "auth.sign_in", outcome: "denied" }, daysAgo(1));
    expect(await purgeAudit(t.hub.prisma, 180, now)).toBe(1);
    const left = await t.hub.prisma.auditLog.findMany({ orderBy: { at: "asc" } });
    expect(left.map((e) => e.at)).toEqual([daysAgo(179), daysAgo(1)]);
  });
});
