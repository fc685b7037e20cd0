import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestHub, type TestHub } from "../support/hub.js";

describe("health, readiness and metrics", () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
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
    t = await startTestHub({ env: { BASE_PATH: "/sango/" } });
  });
  afterAll(() => t?.close());

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
