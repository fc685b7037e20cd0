import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestHub, type TestHub } from "../support/hub.js";

const METRICS_TOKEN = "test-metrics-token-4f1c9a";

describe("health, readiness and metrics", () => {
  let t: TestHub;
  beforeAll(async () => {
    // Behind a proxy on the same host: the client is whoever X-Forwarded-For names.
    t = await startTestHub({ env: { TRUSTED_PROXIES: "127.0.0.1", METRICS_TOKEN } });
  });
  afterAll(() => t?.close());

  it("answers liveness and readiness with the state of the database and job store", async () => {
    expect(await (await fetch(new URL("healthz", t.url))).json()).toEqual({ status: "ok" });
    const ready = await fetch(new URL("readyz", t.url));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ok", checks: { database: "ok", jobs: "ok" } });
  });

  it("exposes Prometheus metrics, including request durations by operation", async () => {
    await fetch(new URL("api/municipalities", t.url));
    const res = await fetch(new URL("metrics", t.url));
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain("process_cpu_user_seconds_total");
    expect(text).toMatch(/http_request_duration_seconds_count\{[^}]*operation="listMunicipalities"/);
  });

  it("exposes what an operator alerts on: outbox backlog and age, pending webhooks, queues, connections", async () => {
    const p = t.hub.prisma;
    const gauge = (text: string, name: string) => {
      const m = new RegExp(`^${name} ([0-9.e+-]+)$`, "m").exec(text);
      return m ? Number(m[1]) : undefined;
    };
    const before = await (await fetch(new URL("metrics", t.url))).text();
    expect(before).toMatch(/^hub_metrics_refresh_failed\{source="database"\} 0$/m);
    expect(before).toMatch(/^hub_metrics_refresh_failed\{source="job_store"\} 0$/m);
    const backlog = gauge(before, "hub_outbox_backlog_messages") ?? -1;
    expect(backlog).toBeGreaterThanOrEqual(0);
    // A message written an hour ago and not sent: the backlog grows by one and its age shows.
    const hourAgo = new Date(Date.now() - 3600_000);
    const row = await p.outboxMessage.create({
      data: { topic: "message", payload: { channel: "email", to: "x@example.jp" }, createdAt: hourAgo },
    });
    try {
      const text = await (await fetch(new URL("metrics", t.url))).text();
      expect(gauge(text, "hub_outbox_backlog_messages")).toBe(backlog + 1);
      expect(gauge(text, "hub_outbox_oldest_age_seconds")).toBeGreaterThanOrEqual(3590);
      expect(text).toMatch(/^hub_jobs\{queue="outbox",state="failed"\} \d+$/m);
      expect(text).toMatch(/^hub_inbound_webhooks_pending \d+$/m);
      expect(text).toMatch(/^hub_connector_pushes_pending \d+$/m);
      expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
      if (t.hub.db.kind === "postgres")
        expect(text).toMatch(/^hub_db_pool_connections\{state="total"\} \d+$/m);
    } finally {
      await p.outboxMessage.delete({ where: { id: row.id } });
    }
  });

  it("serves metrics to an outside client only with the metrics token", async () => {
    const outside = { "x-forwarded-for": "203.0.113.5" };
    const refused = await fetch(new URL("metrics", t.url), { headers: outside });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(refused.headers.get("www-authenticate")).toBe('Bearer realm="metrics"');
    expect((await refused.json()).code).toBe("metrics_token_required");
    const wrong = await fetch(new URL("metrics", t.url), {
      headers: { ...outside, authorization: `Bearer ${METRICS_TOKEN}x` },
    });
    expect(wrong.status).toBe(401);
    const allowed = await fetch(new URL("metrics", t.url), {
      headers: { ...outside, authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain("process_cpu_user_seconds_total");
  });

  it("sends security headers and never caches API answers", async () => {
    const res = await fetch(new URL("api/municipalities", t.url));
    expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });
});

describe("behind a reverse proxy under a base path", () => {
  let t: TestHub;
  beforeAll(async () => {
    // Metrics for a monitoring network only (not this test's loopback), and no token.
    t = await startTestHub({ env: { BASE_PATH: "/sango/", METRICS_ALLOWED_NETWORKS: "192.0.2.0/24" } });
  });
  afterAll(() => t?.close());

  it("hides metrics from clients outside the allowed networks when no token is configured", async () => {
    const res = await fetch(new URL("metrics", t.url), { headers: { authorization: "Bearer anything" } });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(await res.text()).not.toContain("process_cpu");
  });

  it("serves the API, the docs and the portal below the base path only", async () => {
    expect(t.url).toMatch(/\/sango\/$/);
    expect((await fetch(new URL("api/municipalities", t.url))).status).toBe(200);
    expect((await fetch(new URL("api/docs", t.url))).status).toBe(200);
    const page = await fetch(new URL("facilities", t.url));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<base href="/sango/">');
    const outside = await fetch(new URL("/api/municipalities", t.url));
    expect(outside.status).toBe(404);
    expect(outside.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  });
});
