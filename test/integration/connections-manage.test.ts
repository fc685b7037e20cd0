/**
 * Managing connections (hub/connections/manage.ts): a facility sets its own connector, checked against the
 * connector's schema; operators see every connection's health; the review queue and its resolutions.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyChanges } from "../../hub/connections/apply.js";
import { recordFailure, WARN_AFTER_FAILURES } from "../../hub/connections/store.js";
import type { TestClient } from "../support/client.js";
import { expectContract, expectProblem } from "../support/contract.js";
import { tokyoDay as day } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { clientFor } from "../support/sessions.js";

describe("connections: settings, health and the review queue", () => {
  let t: TestHub;
  let facilityId: string;
  let otherFacilityId: string;
  let staff: TestClient;
  let other: TestClient;
  let operator: TestClient;

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 20 });
    const user = (email: string) => t.hub.prisma.user.findUniqueOrThrow({ where: { email } });
    facilityId = (await user("facility@demo.example.jp")).facilityId as string;
    otherFacilityId = (await user("facility2@demo.example.jp")).facilityId as string;
    staff = await clientFor(t, "facility@demo.example.jp");
    other = await clientFor(t, "facility2@demo.example.jp");
    operator = await clientFor(t, "operator@demo.example.jp");
  }, 180_000);
  afterAll(() => t?.close());

  it("lists the connectors with their capabilities", async () => {
    const res = await staff.get("api/connectors");
    expect(res.status).toBe(200);
    await expectContract("listConnectors", res);
    expect(res.json.items.map((c: { key: string }) => c.key)).toContain("native");
  });

  it("lets a facility set its own connector, checked against the connector's schema", async () => {
    await t.hub.prisma.connection.deleteMany({ where: { facilityId } });
    const none = await staff.get(`api/facilities/${facilityId}/connection`);
    expect(none.status).toBe(200);
    expect(none.json.connection).toBeNull();

    expectProblem(
      await staff.put(`api/facilities/${facilityId}/connection`, { connector: "nope" }),
      422,
      "unknown_connector",
    );
    const bad = await staff.put(`api/facilities/${facilityId}/connection`, {
      connector: "native",
      config: { x: 1 },
    });
    expectProblem(bad, 422, "invalid_config");
    expect(bad.json.errors.length).toBeGreaterThan(0);
    expect(await t.hub.prisma.connection.count({ where: { facilityId } })).toBe(0);

    const put = await staff.put(`api/facilities/${facilityId}/connection`, { connector: "native" });
    expect(put.status, put.text).toBe(200);
    await expectContract("putFacilityConnection", put);
    expect(put.json.connection).toMatchObject({
      connector: "native",
      enabled: true,
      state: "ok",
      requestOnly: false,
    });
    expect(put.json.credentials).toEqual({ webhookSecret: null, feedUrl: null });
    const got = await staff.get(`api/facilities/${facilityId}/connection`);
    await expectContract("getFacilityConnection", got);
    expect(got.json.connection.id).toBe(put.json.connection.id);

    // Another facility's staff may neither read nor change it.
    expect((await other.get(`api/facilities/${facilityId}/connection`)).status).toBe(403);
    expect((await other.put(`api/facilities/${facilityId}/connection`, { connector: "native" })).status).toBe(
      403,
    );
    // Native is not pulled: nothing to sync now, and no credentials to rotate.
    expectProblem(await staff.post(`api/facilities/${facilityId}/connection/sync`), 409, "not_pulled");
    expectProblem(
      await staff.post(`api/facilities/${facilityId}/connection/credentials`),
      409,
      "no_credentials",
    );
  });

  it("stores the vacancy's freshness with the configuration, and the vacancy view follows it", async () => {
    const shown = async () => {
      const v = await staff.get(`api/vacancy?serviceType=stay&from=${day(1)}&to=${day(2)}`);
      expect(v.status).toBe(200);
      return v.json.items.find((f: { facilityId: string }) => f.facilityId === facilityId)?.requestOnly;
    };
    const stored = () => t.hub.prisma.connection.findUniqueOrThrow({ where: { facilityId } });
    const ical = {
      connector: "ical",
      config: { url: `${t.url}demo/feeds/${facilityId}.ics`, serviceType: "stay" },
    };
    // A calendar pulled every 30 minutes: trusted for three intervals after a success, and not before the first.
    const put = await staff.put(`api/facilities/${facilityId}/connection`, { ...ical, syncMinutes: 30 });
    expect(put.status, put.text).toBe(200);
    expect((await stored()).vacancyTrustMinutes).toBe(90);
    expect(await shown()).toBe(true);
    await t.hub.prisma.connection.update({ where: { facilityId }, data: { lastSuccessAt: t.hub.now() } });
    expect(await shown()).toBe(false);
    // Disabled by its staff: request only, whatever its last success.
    await staff.put(`api/facilities/${facilityId}/connection`, {
      ...ical,
      syncMinutes: 30,
      enabled: false,
    });
    expect(await shown()).toBe(true);
    // Nothing pulled (the facility keeps its places in the hub): no window, always trusted.
    await staff.put(`api/facilities/${facilityId}/connection`, { connector: "native" });
    expect((await stored()).vacancyTrustMinutes).toBeNull();
    expect(await shown()).toBe(false);
  });

  it("shows operators every connection's health, the troubled first", async () => {
    const conn = await t.hub.prisma.connection.create({
      data: { facilityId: otherFacilityId, connector: "native" },
    });
    for (let i = 0; i < WARN_AFTER_FAILURES; i++) {
      await recordFailure(t.hub.prisma, conn.id, { code: "upstream_5xx", message: "HTTP 503" }, new Date());
    }
    const res = await operator.get("api/connections");
    expect(res.status).toBe(200);
    await expectContract("listConnections", res);
    const failing = res.json.items.filter((c: { state: string }) => c.state === "failing");
    // Troubled first: the failing ones (this one and the demo's unreachable calendar) lead the list.
    expect(res.json.items.slice(0, failing.length)).toEqual(failing);
    expect(failing.find((c: { facilityId: string }) => c.facilityId === otherFacilityId)).toMatchObject({
      state: "failing",
      consecutiveFailures: WARN_AFTER_FAILURES,
      lastError: "upstream_5xx: HTTP 503",
    });
    // The facility was warned once, by e-mail.
    const warned = await t.hub.prisma.outboxMessage.findMany({ where: { topic: "notify.message" } });
    expect(
      warned.filter((m) => JSON.stringify(m.payload).includes("連携でエラーが続いています")),
    ).toHaveLength(1);
    expect((await operator.get("api/connections?state=failing")).json.items).toHaveLength(failing.length);
    expect((await staff.get("api/connections")).status).toBe(403);
    // Replaying all dead letters replays their log entries too (no longer offered one by one).
    const push = await t.hub.prisma.connectorPush.create({
      data: { connectionId: conn.id, bookingId: conn.id, action: "create", revision: 1, status: "failed" },
    });
    await t.hub.prisma.connectionLog.create({
      data: {
        connectionId: conn.id,
        facilityId: otherFacilityId,
        kind: "push",
        result: "failed",
        code: "http_status",
        refs: { pushIds: [String(push.id)] },
      },
    });
    expect((await operator.post(`api/facilities/${otherFacilityId}/connection/replay`)).json).toEqual({
      webhooks: 0,
      pushes: 1,
    });
    const [entry] = (await operator.get(`api/facilities/${otherFacilityId}/connection/log`)).json.items;
    expect(entry).toMatchObject({ kind: "push", replayable: false });
    expect(entry.replayedAt).not.toBeNull();
  });

  it("keeps the review queue per facility and resolves a conflict once", async () => {
    const conn = await t.hub.prisma.connection.findUniqueOrThrow({ where: { facilityId } });
    await t.hub.prisma.slot.updateMany({ where: { facilityId, serviceType: "stay" }, data: { capacity: 1 } });
    await t.hub.prisma.facilityService.update({
      where: { facilityId_serviceType: { facilityId, serviceType: "stay" } },
      data: { capacity: 1 },
    });
    const booking = (externalId: string) => ({
      kind: "booking" as const,
      externalId,
      revision: 1,
      status: "confirmed" as const,
      serviceType: "stay" as const,
      startDate: day(33),
      endDate: day(34),
    });
    await applyChanges(t.hub.prisma, { id: conn.id, facilityId }, [booking("X1"), booking("X2")], new Date());

    const list = await staff.get("api/sync-conflicts?status=open");
    expect(list.status).toBe(200);
    await expectContract("listSyncConflicts", list);
    expect(list.json.items).toHaveLength(1);
    const conflict = list.json.items[0];
    expect(conflict).toMatchObject({ kind: "oversold", externalRef: "X2", status: "open" });
    expect((await other.get("api/sync-conflicts")).json.total).toBe(0);
    expect((await operator.get(`api/sync-conflicts?facilityId=${facilityId}`)).json.total).toBe(1);
    expectProblem(
      await other.post(`api/sync-conflicts/${conflict.id}/resolve`, { action: "keep" }),
      404,
      "not_found",
    );

    const resolved = await staff.post(`api/sync-conflicts/${conflict.id}/resolve`, {
      action: "cancel_booking",
      note: "二重予約のため取消",
    });
    expect(resolved.status, resolved.text).toBe(200);
    await expectContract("resolveSyncConflict", resolved);
    expect(resolved.json).toMatchObject({
      status: "resolved",
      resolution: "cancel_booking: 二重予約のため取消",
    });
    const cancelled = await t.hub.prisma.booking.findUniqueOrThrow({ where: { id: conflict.bookingId } });
    expect(cancelled.status).toBe("cancelled");
    const slot = await t.hub.prisma.slot.findFirstOrThrow({
      where: { facilityId, serviceType: "stay", date: new Date(`${day(33)}T00:00:00Z`) },
    });
    expect(slot.booked).toBe(1);
    expectProblem(
      await staff.post(`api/sync-conflicts/${conflict.id}/resolve`, { action: "keep" }),
      409,
      "already_resolved",
    );
  });
});
