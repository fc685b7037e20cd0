import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestClient } from "../support/client.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { clientFor, DEMO_USERS } from "../support/sessions.js";
import {
  fillPath,
  requiredQuery,
  resolve,
  type Schema,
  type SpecOperation,
  sample,
  specOperations,
  wrongValues,
} from "../support/spec-samples.js";

type Case = {
  name: string;
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  as?: string;
  /** The refusal this case must get (besides "no 5xx, problem JSON"): its status, code and the field it names. */
  expect?: { status: number; code: string; errorPath?: string };
};

/** The caller an operation admits, so that the request is refused for what it holds, not for who sends it. */
const callerOf = (op: SpecOperation) =>
  op.access === "public" ? undefined : op.access === "signed-in" ? "facility" : op.access[0];

/**
 * Generates a few hundred malformed requests from schemas/openapi.yaml and sends each one as a caller the
 * operation admits (so validation, not access control, is what answers). Nothing may produce a 5xx, and every
 * refusal is problem JSON with a stable code.
 */
function malformedCases(ops: SpecOperation[]): Case[] {
  const cases: Case[] = [];
  for (const op of ops) {
    const as = callerOf(op);
    const query = requiredQuery(op).toString();
    const path = fillPath(op) + (query ? `?${query}` : "");
    const at = `${op.operationId}`;
    for (const p of op.parameters) {
      for (const bad of wrongValues(p.schema).slice(0, 6)) {
        const text = typeof bad === "string" ? bad : JSON.stringify(bad);
        if (p.in === "path") {
          cases.push({
            name: `${at} path ${p.name}=${text.slice(0, 20)}`,
            method: op.method,
            path: fillPath(op, { [p.name]: text || "%20" }),
            as,
            body: op.body ? JSON.stringify(sample(op.body)) : undefined,
          });
        } else if (p.in === "query") {
          const q = requiredQuery(op);
          q.set(p.name, text);
          cases.push({
            name: `${at} query ${p.name}=${text.slice(0, 20)}`,
            method: op.method,
            path: `${fillPath(op)}?${q}`,
            as,
            body: op.body ? JSON.stringify(sample(op.body)) : undefined,
          });
        } else if (p.in === "header") {
          cases.push({
            name: `${at} header ${p.name}`,
            method: op.method,
            path,
            as,
            headers: { [p.name]: text.replace(/[^\x20-\x7e]/g, "?") || "?" },
            body: op.body ? JSON.stringify(sample(op.body)) : undefined,
          });
        }
      }
    }
    if (!op.body) continue;
    const valid = sample(op.body) as Record<string, unknown>;
    const raw = (body: string, headers?: Record<string, string>, name = body.slice(0, 20)) =>
      cases.push({ name: `${at} body ${name}`, method: op.method, path, body, headers, as });
    for (const text of [
      "{",
      '{"a":}',
      "[1,2",
      "nul",
      '"just a string"',
      "[]",
      "null",
      "42",
      '{"__proto__":{"x":1}}',
      "{}",
    ])
      raw(text);
    raw(JSON.stringify(valid), { "content-type": "text/plain" }, "text/plain content type");
    raw(JSON.stringify(valid), { "content-type": "application/x-www-form-urlencoded" }, "form content type");
    raw(JSON.stringify({ ...valid, unexpectedField: 1 }), undefined, "unknown field");
    raw(JSON.stringify({ big: "x".repeat(1_100_000) }), undefined, "oversize body");
    for (const [prop, schema] of Object.entries(op.body.properties ?? {})) {
      for (const bad of wrongValues(schema))
        raw(
          JSON.stringify({ ...valid, [prop]: bad }),
          undefined,
          `${prop}=${JSON.stringify(bad)?.slice(0, 20)}`,
        );
    }
    for (const req of op.body.required ?? []) {
      const { [req]: _drop, ...rest } = valid;
      raw(JSON.stringify(rest), undefined, `missing ${req}`);
    }
  }
  cases.push({ name: "unknown route", method: "GET", path: "/api/no-such-thing" });
  cases.push({ name: "unknown method", method: "DELETE", path: "/api/facilities" });
  cases.push({ name: "path traversal", method: "GET", path: "/api/facilities/..%2F..%2Fetc%2Fpasswd" });
  cases.push({
    name: "bad cookie",
    method: "GET",
    path: "/api/me",
    headers: { cookie: "sango_session=%ZZ%%; x=\u00ff" },
  });
  return cases;
}

const BAD_ESCAPES = ["%zz", "%E0%A4%A", "%", "%ED%A0%80", "%00"];

/** Every operation's path with each path parameter in turn a malformed escape or an escaped NUL; portal URLs too. */
function badPathCases(ops: SpecOperation[]): Case[] {
  const cases: Case[] = [];
  for (const op of ops) {
    for (const p of op.parameters.filter((x) => x.in === "path")) {
      for (const bad of BAD_ESCAPES) {
        cases.push({
          name: `${op.operationId} path ${p.name}=${bad}`,
          method: op.method,
          path: rawPath(op, p.name, bad),
          as: callerOf(op),
          body: op.body ? JSON.stringify(sample(op.body)) : undefined,
          expect: { status: 400, code: "bad_path" },
        });
      }
    }
  }
  for (const path of ["/%zz", "/facility/%E0%A4%A", "/my/bookings/%ED%A0%80", "/help/%", "/%C0%AE%C0%AE/"]) {
    cases.push({ name: `portal ${path}`, method: "GET", path, expect: { status: 400, code: "bad_path" } });
  }
  return cases;
}

/** The operation's path with one parameter set to `raw` exactly as given (not encoded again). */
function rawPath(op: SpecOperation, name: string, raw: string): string {
  const marker = "__raw__";
  return fillPath(op, { [name]: marker }).replace(marker, raw);
}

const NUL = "a\u0000b";
const LONE_SURROGATE = "a\ud800b";
const typeOf = (schema: Schema) => {
  const s = resolve(schema);
  return Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type;
};

/**
 * A NUL in every string query parameter, and a NUL and a lone surrogate in every string (or list of strings) body
 * field, of every operation: each refused as invalid text naming the field, before anything reaches the database.
 */
function badTextCases(ops: SpecOperation[]): Case[] {
  const cases: Case[] = [];
  for (const op of ops) {
    const as = callerOf(op);
    const validBody = op.body ? sample(op.body) : undefined;
    for (const p of op.parameters.filter((x) => x.in === "query" && typeOf(x.schema) === "string")) {
      const q = requiredQuery(op);
      q.set(p.name, NUL);
      cases.push({
        name: `${op.operationId} query ${p.name} with NUL`,
        method: op.method,
        path: `${fillPath(op)}?${q}`,
        as,
        body: validBody === undefined ? undefined : JSON.stringify(validBody),
        expect: { status: 400, code: "invalid_text", errorPath: `/query/${p.name}` },
      });
    }
    if (!op.body) continue;
    const query = requiredQuery(op).toString();
    const path = fillPath(op) + (query ? `?${query}` : "");
    // An event of the webhook operation has no declared properties; its `type` is a string.
    const props = Object.entries(op.body.properties ?? { type: { type: "string" } as Schema });
    for (const [prop, schema] of props) {
      const type = typeOf(schema);
      const itemType = type === "array" ? typeOf(resolve(schema).items ?? {}) : undefined;
      if (type !== "string" && itemType !== "string") continue;
      for (const [what, bad] of [
        ["NUL", NUL],
        ["lone surrogate", LONE_SURROGATE],
      ] as const) {
        cases.push({
          name: `${op.operationId} body ${prop} with ${what}`,
          method: op.method,
          path,
          as,
          body: JSON.stringify({ ...(validBody as object), [prop]: type === "array" ? [bad] : bad }),
          expect: {
            status: 400,
            code: "invalid_text",
            errorPath: `/requestBody/${prop}${type === "array" ? "/0" : ""}`,
          },
        });
      }
    }
  }
  return cases;
}

/** Paths the portal's static file server must refuse as a client's mistake (sent as they are, not normalised). */
const BAD_STATIC_PATHS = [
  "/assets/..%2f..%2fpackage.json",
  "/..%2f..%2f..%2fetc%2fpasswd",
  "/assets/%2e%2e/%2e%2e/package.json",
  "/a/..%5c..%5cpackage.json",
  "/%00",
  "/assets/%00.js",
  "/index.html%00.js",
  "/assets/%zz.js",
  "/assets/%C0%AE%C0%AE/x.js",
];

describe("malformed requests", () => {
  let t: TestHub;
  const clients = new Map<string, TestClient>();
  const ops = specOperations();
  const cases = malformedCases(ops);

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 20 });
    for (const [role, users] of Object.entries(DEMO_USERS)) clients.set(role, await clientFor(t, users.own));
  }, 180_000);
  afterAll(() => t?.close());

  /** Sends each case as its caller; returns what went wrong: a 5xx, a refusal that is not problem JSON, a leak. */
  async function failuresOf(list: Case[]): Promise<string[]> {
    const failures: string[] = [];
    for (const c of list) {
      const client = c.as ? clients.get(c.as) : undefined;
      const headers = { "content-type": "application/json", ...c.headers };
      const res = client
        ? await client.request(c.method, c.path, c.body, headers)
        : await rawRequest(t.url, c.method, c.path, headers, c.body);
      if (res.status >= 500) failures.push(`${c.name}: ${res.status} ${res.text.slice(0, 200)}`);
      else if (res.status >= 400) {
        const type = res.headers.get("content-type") ?? "";
        if (!type.startsWith("application/problem+json") || typeof res.json?.code !== "string") {
          failures.push(`${c.name}: ${res.status} without problem JSON (${type})`);
        }
        if (/at .+\.(ts|js):\d+/.test(res.text)) failures.push(`${c.name}: stack trace leaked`);
      }
      const want = c.expect;
      if (
        want &&
        (res.status !== want.status ||
          res.json?.code !== want.code ||
          (want.errorPath && !res.json?.errors?.some((e: { path?: string }) => e.path === want.errorPath)))
      ) {
        failures.push(
          `${c.name}: wanted ${want.status} ${want.code} ${want.errorPath ?? ""}, got ${res.status} ${res.text.slice(0, 160)}`,
        );
      }
    }
    return failures;
  }

  it("are generated in the hundreds from the spec", () => {
    expect(cases.length).toBeGreaterThan(300);
  });

  it("never get a 5xx, and every refusal is problem JSON with a code", async () => {
    expect(await failuresOf(cases)).toEqual([]);
  }, 300_000);

  it("a malformed % escape, escaped bytes that are not UTF-8, or a NUL in any path is 400 bad_path", async () => {
    const list = badPathCases(ops);
    expect(list.length).toBeGreaterThan(200);
    expect(await failuresOf(list)).toEqual([]);
  }, 300_000);

  it("a NUL or a lone surrogate in any query parameter or body field is 400 invalid_text naming the field", async () => {
    const list = badTextCases(ops);
    expect(list.length).toBeGreaterThan(200);
    expect(await failuresOf(list)).toEqual([]);
  }, 300_000);

  it("text that PostgreSQL cannot store (jsonb history) is refused on a real profile edit, and nothing changes", async () => {
    const facility = clients.get("facility") as TestClient;
    const facilityId = (await facility.get("api/me")).json.facilityId as string;
    const before = (await facility.get(`api/facilities/${facilityId}`)).json;
    for (const access of ["駅から\ud800徒歩5分", "駅から\u0000徒歩5分"]) {
      const res = await facility.patch(`api/facilities/${facilityId}`, { version: before.version, access });
      expect(res.status, res.text).toBe(400);
      expect(res.json.code).toBe("invalid_text");
      expect(res.json.errors).toEqual([{ path: "/requestBody/access", message: expect.any(String) }]);
    }
    const after = (await facility.get(`api/facilities/${facilityId}`)).json;
    expect(after.version).toBe(before.version);
    expect(after.access).toBe(before.access);
  });

  it("'..', NUL and bad escapes in static portal paths are 4xx problem JSON", async () => {
    const list = BAD_STATIC_PATHS.map((path) => ({
      name: `static ${path}`,
      method: "GET",
      path,
      expect: { status: 400, code: "bad_path" },
    }));
    expect(await failuresOf(list)).toEqual([]);
    // The portal itself is still served.
    expect((await rawRequest(t.url, "GET", "/facility/bookings")).status).toBe(200);
  });

  it("an oversized chunked body is refused with 413 and its connection closed while the client still sends", async () => {
    const { response, closedByHub } = await endlessChunkedPost(t.url, "/api/auth/sign-in");
    expect(response).toMatch(/^HTTP\/1\.1 413 /);
    expect(response.toLowerCase()).toContain("connection: close");
    expect(closedByHub).toBe(true);
  });
});

/** A request sent exactly as given (fetch and URL would normalise `..` and `%2e`), with its answer. */
async function rawRequest(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
) {
  const url = new URL(base);
  const prefix = url.pathname.replace(/\/$/, "");
  return new Promise<{ status: number; headers: Headers; json: any; text: string }>((resolveRes, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method, path: `${prefix}${path}`, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: any;
          try {
            json = JSON.parse(text);
          } catch {}
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === "string") h.set(k, v);
          resolveRes({ status: res.statusCode ?? 0, headers: h, json, text });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Bytes an endless body sends after the answer before the test stops it (the hub kept reading). */
const ENDLESS_LIMIT = 200_000_000;

/**
 * POSTs a chunked JSON body that never ends, as fast as the connection takes it, until the hub closes the connection
 * (or ENDLESS_LIMIT bytes more went out after the answer). Returns the answer's head and who closed.
 */
async function endlessChunkedPost(base: string, path: string) {
  const url = new URL(base);
  const socket = net.connect(Number(url.port), url.hostname);
  await new Promise((r) => socket.once("connect", r));
  let response = "";
  let closed = false;
  let sent = 0;
  let sentAtResponse = -1;
  socket.on("data", (d: Buffer) => {
    if (sentAtResponse < 0) sentAtResponse = sent;
    response += d.toString("latin1");
  });
  socket.on("error", () => {});
  const gone = new Promise<void>((r) =>
    socket.once("close", () => {
      closed = true;
      r();
    }),
  );
  socket.write(
    `POST ${url.pathname.replace(/\/$/, "")}${path} HTTP/1.1\r\nHost: ${url.host}\r\n` +
      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
  );
  const data = Buffer.alloc(64 * 1024, 0x20);
  const chunk = Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from("\r\n")]);
  while (!closed && (sentAtResponse < 0 || sent - sentAtResponse < ENDLESS_LIMIT)) {
    const flushed = socket.write(chunk);
    sent += data.length;
    if (!flushed) await Promise.race([new Promise((r) => socket.once("drain", r)), gone]);
  }
  const closedByHub = closed;
  socket.destroy();
  return { response: response.split("\r\n\r\n")[0] ?? "", closedByHub };
}
