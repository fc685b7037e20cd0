/**
 * Server-side requests to private addresses (SSRF), at the source: the HTTP client connectors get
 * (hub/connections/egress.ts), against a real server on this machine. With nothing allowed (the default) it never
 * connects to a loopback, private or link-local address in any spelling, nor to a name resolving to one; with
 * loopback allowed (as test hubs are) it fetches, but a redirect to a refused address is refused on its hop; and it
 * connects to exactly the address it checked, so DNS rebinding gains nothing. connections-ssrf.test.ts shows the
 * same through a hub.
 */
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REFUSED_DESTINATION } from "../../connectors/contract.js";
import { transportFailure } from "../../connectors/http-failures.js";
import { egressHttp, MAX_REDIRECTS, type Resolver, urlRefusal } from "../../hub/connections/egress.js";
import { type FacilitySystem, facilitySystem } from "../support/facility-system.js";

const LOOPBACK = ["127.0.0.0/8", "::1/128"];

/** The error a request fails with (null when it succeeds). */
const failure = async (request: Promise<unknown>) =>
  request.then(
    () => null,
    (err: { code?: string }) => err,
  );

describe("the connectors' HTTP client", () => {
  let system: FacilitySystem;
  let port: number;
  let hits: { url: string; host: string }[];

  beforeAll(async () => {
    system = await facilitySystem();
    port = system.port;
    hits = system.hits;
  });
  afterAll(() => system?.close());

  const client = (allowed: string[], resolve?: Resolver) =>
    egressHttp({ allowed, ...(resolve ? { resolve } : {}) }, { timeout: 3_000 });
  it("refuses, by default, every spelling of a local, private or metadata address without connecting", async () => {
    const urls = [
      `http://127.0.0.1:${port}/ok`,
      `http://[::1]:${port}/ok`,
      `http://0.0.0.0:${port}/ok`,
      `http://127.1:${port}/ok`,
      `http://2130706433:${port}/ok`,
      `http://0x7f.1:${port}/ok`,
      `http://[::ffff:127.0.0.1]:${port}/ok`,
      `http://localhost:${port}/ok`,
      `https://127.0.0.1:${port}/ok`,
      "http://169.254.169.254/latest/meta-data/",
      "http://metadata.google.internal/computeMetadata/v1/",
      "http://10.0.0.1/calendar.ics",
      "http://172.16.0.1/calendar.ics",
      "http://192.168.0.1/calendar.ics",
      "http://[fc00::1]/calendar.ics",
      "http://[fe80::1]/calendar.ics",
      "http://100.64.0.1/calendar.ics",
    ];
    const http0 = client([]);
    for (const url of urls) {
      const err = await failure(http0.get(url));
      expect(err?.code, url).toBe(REFUSED_DESTINATION);
      // What facility staff see names the kind of failure only: no address, port or driver message.
      const shown = transportFailure(err, "the feed");
      expect(shown).toMatchObject({ ok: false, error: { code: "refused_address", retryable: false } });
      const message = shown.ok ? "" : shown.error.message;
      expect(message).not.toMatch(/127\.|::1|169\.254|10\.0|192\.168|\d{4,5}|ECONN|ERR_/);
    }
    expect(hits).toEqual([]);
  });

  it("with loopback allowed, fetches there, but refuses a redirect to a refused address on its hop", async () => {
    const http1 = client(LOOPBACK);
    const ok = await http1.get(`http://127.0.0.1:${port}/ok`);
    expect(ok.status).toBe(200);
    for (const target of [
      "http://169.254.169.254/latest/meta-data/",
      "http://10.0.0.1/",
      "http://[::ffff:192.168.0.1]/",
      "http://metadata.google.internal/",
    ]) {
      hits.length = 0;
      const err = await failure(http1.get(`http://127.0.0.1:${port}/to?url=${encodeURIComponent(target)}`));
      expect(err?.code, target).toBe(REFUSED_DESTINATION);
      expect(hits.map((h) => h.url)).toEqual([`/to?url=${encodeURIComponent(target)}`]);
    }
    // A redirect to an allowed name is followed (the name checked on that hop too).
    const followed = await http1.get(
      `http://127.0.0.1:${port}/to?url=${encodeURIComponent(`http://localhost:${port}/ok`)}`,
    );
    expect(followed.status).toBe(200);
    // At most MAX_REDIRECTS hops.
    hits.length = 0;
    const looped = await failure(http1.get(`http://127.0.0.1:${port}/loop`));
    expect(looped?.code).toBe("ERR_FR_TOO_MANY_REDIRECTS");
    expect(hits).toHaveLength(MAX_REDIRECTS + 1);
  });

  it("connects to exactly the address it checked, so a name that rebinds to loopback gets nowhere", async () => {
    // Public when the facility saves its settings, loopback when the hub connects: DNS rebinding.
    let lookups = 0;
    const rebinding: Resolver = async () =>
      lookups++ === 0 ? [{ address: "93.184.216.34", family: 4 }] : [{ address: "127.0.0.1", family: 4 }];
    const url = `http://calendar.rebind.example:${port}/ok`;
    expect(await urlRefusal(url, { allowed: [], resolve: rebinding })).toBeNull();
    hits.length = 0;
    expect((await failure(client([], rebinding).get(url)))?.code).toBe(REFUSED_DESTINATION);
    expect(hits).toEqual([]);

    // One refused address among several refuses the name.
    const mixed: Resolver = async () => [
      { address: "93.184.216.34", family: 4 },
      { address: "10.0.0.7", family: 4 },
    ];
    expect((await failure(client([], mixed).get(url)))?.code).toBe(REFUSED_DESTINATION);

    // The socket goes to the address the look-up checked; the request still names the host.
    const pinned: Resolver = async () => [{ address: "127.0.0.1", family: 4 }];
    const res = await client(LOOPBACK, pinned).get(`http://facility.example.jp:${port}/ok`);
    expect(res.status).toBe(200);
    expect(hits.at(-1)?.host).toBe(`facility.example.jp:${port}`);
  });

  it("leaves through its guarded agents whatever a request asks for", async () => {
    hits.length = 0;
    const err = await failure(
      client([]).get(`http://10.0.0.1/calendar.ics`, {
        proxy: { protocol: "http", host: "127.0.0.1", port },
        httpAgent: new http.Agent(),
        maxRedirects: 50,
      }),
    );
    expect(err?.code).toBe(REFUSED_DESTINATION);
    expect(hits).toEqual([]);
  });

  it("tells a facility configuring a URL why it is refused, literal or resolved", async () => {
    const none = { allowed: [] as string[] };
    for (const url of [
      "http://127.0.0.1/x.ics",
      "http://[::1]/x.ics",
      "http://2130706433/x.ics",
      "webcal://192.168.1.10/x.ics",
      "https://[::ffff:10.0.0.1]/api",
    ]) {
      expect(await urlRefusal(url, none), url).toMatch(/the hub does not connect to/);
    }
    expect(await urlRefusal("http://localhost/x.ics", none)).toMatch(/resolves to a loopback address/);
    expect(await urlRefusal("http://metadata.google.internal/", none)).toMatch(/metadata/);
    expect(await urlRefusal("http://10.20.3.4/x.ics", { allowed: ["10.20.0.0/16"] })).toBeNull();
    const publicName: Resolver = async () => [{ address: "133.242.0.1", family: 4 }];
    expect(
      await urlRefusal("https://calendar.example.jp/x.ics", { allowed: [], resolve: publicName }),
    ).toBeNull();
    const unknown: Resolver = async () => {
      throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
    };
    expect(
      await urlRefusal("https://not-yet.example.jp/x.ics", { allowed: [], resolve: unknown }),
    ).toBeNull();
  });
});
