import { readFileSync } from "node:fs";
import { get, type IncomingHttpHeaders } from "node:http";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
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

  it("compresses what is worth it by Accept-Encoding; hashed assets are immutable, index.html revalidated", async () => {
    // The build's entry script (npm run build writes portal/dist; the hub serves it).
    const index = readFileSync(new URL("../../portal/dist/index.html", import.meta.url), "utf8");
    const script = /src="\.\/(assets\/index-[\w-]+\.js)"/.exec(index)?.[1] ?? "missing: run npm run build";
    const file = readFileSync(new URL(`../../portal/dist/${script}`, import.meta.url));
    const br = await raw(new URL(script, t.url), { "accept-encoding": "gzip, deflate, br" });
    expect(br.status).toBe(200);
    expect(br.headers["content-encoding"]).toBe("br");
    expect(br.headers["content-type"]).toMatch(/javascript/);
    expect(br.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(br.headers.vary).toMatch(/accept-encoding/i);
    expect(br.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(br.body.length).toBeLessThan(file.length / 2);
    expect(brotliDecompressSync(br.body).equals(file)).toBe(true);
    const gz = await raw(new URL(script, t.url), { "accept-encoding": "gzip" });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gz.body).equals(file)).toBe(true);
    const plain = await raw(new URL(script, t.url), {});
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(plain.body.equals(file)).toBe(true);

    // index.html (any portal path): no-cache, and unchanged since the ETag it gave → 304 without a body.
    const page = await raw(new URL("vacancy", t.url), { "accept-encoding": "br" });
    expect(page.status).toBe(200);
    expect(page.headers["cache-control"]).toBe("no-cache");
    expect(page.headers["content-security-policy"]).toContain("default-src 'self'");
    const etag = page.headers.etag ?? "missing";
    const again = await raw(new URL("facilities", t.url), { "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);

    // API JSON: brotli when asked, plain otherwise, never cached; tiny answers are sent as they are.
    const tiny = await raw(new URL("api/municipalities", t.url), { "accept-encoding": "br, gzip" });
    expect(tiny.body.toString("utf8")).toBe('{"items":[]}');
    expect(tiny.headers["content-encoding"]).toBeUndefined();
    await t.hub.prisma.municipality.createMany({
      data: Object.entries(MUNICIPALITIES).map(([code, [name, kana]]) => ({
        code,
        name,
        kana,
        kind: "市",
        region: "仙台圏",
      })),
    });
    const api = await raw(new URL("api/municipalities", t.url), { "accept-encoding": "br, gzip" });
    expect(api.status).toBe(200);
    expect(api.headers["content-encoding"]).toBe("br");
    expect(api.headers.vary).toMatch(/accept-encoding/i);
    expect(api.headers["cache-control"]).toBe("no-store");
    const json = JSON.parse(brotliDecompressSync(api.body).toString("utf8"));
    expect(json.items.length).toBeGreaterThan(0);
    const apiPlain = await raw(new URL("api/municipalities", t.url), {});
    expect(apiPlain.headers["content-encoding"]).toBeUndefined();
    expect(JSON.parse(apiPlain.body.toString("utf8"))).toEqual(json);
    expect(json.items).toHaveLength(Object.keys(MUNICIPALITIES).length);
  });
});

/** Enough municipalities for GET /api/municipalities to pass the 1 kB below which nothing is compressed. */
const MUNICIPALITIES: Record<string, [string, string]> = {
  "041009": ["仙台市", "せんだいし"],
  "042021": ["石巻市", "いしのまきし"],
  "042030": ["塩竈市", "しおがまし"],
  "042056": ["気仙沼市", "けせんぬまし"],
  "042064": ["白石市", "しろいしし"],
  "042072": ["名取市", "なとりし"],
  "042081": ["角田市", "かくだし"],
  "042099": ["多賀城市", "たがじょうし"],
  "042111": ["岩沼市", "いわぬまし"],
  "042129": ["登米市", "とめし"],
  "042137": ["栗原市", "くりはらし"],
  "042145": ["東松島市", "ひがしまつしまし"],
  "042153": ["大崎市", "おおさきし"],
  "042161": ["富谷市", "とみやし"],
};

/** A GET whose body is returned as sent (fetch would undo the compression this test looks at). */
function raw(
  url: URL,
  headers: Record<string, string>,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on("error", reject);
    }).on("error", reject);
  });
}

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
