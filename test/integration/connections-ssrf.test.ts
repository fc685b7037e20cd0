/**
 * Server-side requests to private addresses (SSRF) through a hub with the default settings (no network allowed to
 * connectors): a facility's calendar or API on a local or private address is refused as a field error when it is
 * configured, and a connection configured before (or reached another way) is refused when pulled and when pushed
 * to, without connecting, with an error that names the kind of failure only. connections-egress.test.ts tests the
 * HTTP client underneath, spelling by spelling.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PUSH_POLICY, runPushJob } from "../../hub/connections/push.js";
import { newWebhookSecret, sealSecret } from "../../hub/connections/store.js";
import { syncConnection } from "../../hub/connections/sync.js";
import type { TestClient } from "../support/client.js";
import { expectProblem } from "../support/contract.js";
import { tokyoDay as day } from "../support/dates.js";
import { type FacilitySystem, facilitySystem } from "../support/facility-system.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { bookableResidents } from "../support/residents.js";
import { clientFor } from "../support/sessions.js";

describe("a hub with the default settings (no network allowed to connectors)", () => {
  let t: TestHub;
  let system: FacilitySystem;
  let facilityId: string;
  let staff: TestClient;
  const prisma = () => t.hub.prisma;
  /** Nothing that reads like an address, a port, a driver's error or a file of the hub. */
  const LEAK = /127\.0|::1|localhost|:\d{2,5}\b|ECONN|ERR_|\.ts\b|\.js\b|at \w+ \(/;

  beforeAll(async () => {
    system = await facilitySystem();
    // Test hubs allow loopback to reach their own test servers; this one keeps the production default.
    t = await startTestHub({ seed: "demo", residents: 5, env: { CONNECTOR_ALLOWED_NETWORKS: "" } });
    staff = await clientFor(t, "facility@demo.example.jp");
    facilityId = (await prisma().user.findUniqueOrThrow({ where: { email: "facility@demo.example.jp" } }))
      .facilityId as string;
  }, 240_000);
  afterAll(async () => {
    await t?.close();
    await system?.close();
  });

  it("refuses a facility's calendar or API on a local or private address as a field error, storing nothing", async () => {
    await prisma().connection.deleteMany({ where: { facilityId } });
    const refused: [string, Record<string, unknown>, string][] = [
      ["ical", { url: `http://127.0.0.1:${system.port}/feed.ics` }, "/config/url"],
      ["ical", { url: `http://[::1]:${system.port}/feed.ics` }, "/config/url"],
      ["ical", { url: `http://localhost:${system.port}/feed.ics` }, "/config/url"],
      ["ical", { url: "webcal://169.254.169.254/latest/meta-data" }, "/config/url"],
      ["ical", { url: "http://0x7f.1/feed.ics" }, "/config/url"],
      ["webhook", { apiBaseUrl: "http://10.0.0.1/api" }, "/config/apiBaseUrl"],
      ["webhook", { apiBaseUrl: "https://[::ffff:192.168.1.20]/api" }, "/config/apiBaseUrl"],
    ];
    for (const [connector, config, path] of refused) {
      const res = await staff.put(`api/facilities/${facilityId}/connection`, { connector, config });
      expectProblem(res, 422, "invalid_config");
      expect(res.json.errors, JSON.stringify(config)).toEqual([
        { path, message: expect.stringMatching(/does not connect to/) },
      ]);
    }
    expect(await prisma().connection.count({ where: { facilityId } })).toBe(0);
    expect(system.hits).toEqual([]);
  });

  it("refuses to pull a calendar configured on a local address before, and says so in plain words", async () => {
    const conn = await prisma().connection.upsert({
      where: { facilityId },
      create: { facilityId, connector: "ical", config: { url: `http://127.0.0.1:${system.port}/feed.ics` } },
      update: {
        connector: "ical",
        config: { url: `http://127.0.0.1:${system.port}/feed.ics` },
        enabled: true,
      },
    });
    expect(await syncConnection(t.hub, conn.id)).toMatchObject({
      outcome: "failed",
      code: "refused_address",
    });
    const health = (await staff.get(`api/facilities/${facilityId}/connection`)).json.connection;
    expect(health.lastError).toMatch(
      /^refused_address: the feed: the address is in a private or local network/,
    );
    expect(health.lastError).not.toMatch(LEAK);
    expect(system.hits).toEqual([]);
  });

  it("refuses to push our bookings to an API configured on a local address before", async () => {
    const secret = newWebhookSecret();
    const data = {
      connector: "webhook",
      config: { apiBaseUrl: `http://127.0.0.1:${system.port}/api` },
      secretSealed: sealSecret(t.hub, secret),
      enabled: true,
      state: {},
    };
    const conn = await prisma().connection.upsert({
      where: { facilityId },
      create: { facilityId, ...data },
      update: data,
    });
    const [residentId] = await bookableResidents(prisma(), "041009", 1);
    const hold = await staff.post("api/bookings", {
      facilityId,
      serviceType: "stay",
      startDate: day(40),
      nights: 1,
      residentId,
    });
    expect(hold.status, hold.text).toBe(201);
    const run = await runPushJob(t.hub, { connectionId: conn.id }, { ...DEFAULT_PUSH_POLICY, retries: 0 });
    expect(run).toMatchObject({ sent: 0, failed: 1 });
    const push = await prisma().connectorPush.findFirstOrThrow({ where: { bookingId: hold.json.id } });
    expect(push).toMatchObject({ status: "failed" });
    expect(push.lastError).toMatch(/^refused_address: /);
    expect(push.lastError).not.toMatch(LEAK);
    expect(system.hits).toEqual([]);
  });
});
