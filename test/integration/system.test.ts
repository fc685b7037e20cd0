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
