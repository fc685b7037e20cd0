import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestClient } from "../support/client.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { clientFor, DEMO_USERS } from "../support/sessions.js";
import {
  fillPath,
  requiredQuery,
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
};

/**
 * Generates a few hundred malformed requests from schemas/openapi.yaml and sends each one as a caller the
 * operation admits (so validation, not access control, is what answers). Nothing may produce a 5xx, and every
 * refusal is problem JSON with a stable code.
 */
function malformedCases(ops: SpecOperation[]): Case[] {
  const cases: Case[] = [];
  for (const op of ops) {
    const as = op.access === "public" ? undefined : op.access === "signed-in" ? "facility" : op.access[0];
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

describe("malformed requests", () => {
  let t: TestHub;
  const clients = new Map<string, TestClient>();
  const cases = malformedCases(specOperations());

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 20 });
    for (const [role, users] of Object.entries(DEMO_USERS)) clients.set(role, await clientFor(t, users.own));
  }, 180_000);
  afterAll(() => t?.close());

  it("are generated in the hundreds from the spec", () => {
    expect(cases.length).toBeGreaterThan(300);
  });

  it("never get a 5xx, and every refusal is problem JSON with a code", async () => {
    const failures: string[] = [];
    for (const c of cases) {
      const client = c.as ? clients.get(c.as) : undefined;
      const headers = { "content-type": "application/json", ...c.headers };
      const res = client
        ? await client.request(c.method, c.path, c.body, headers)
        : await fetch(new URL(c.path.replace(/^\//, ""), t.url), {
            method: c.method,
            headers,
            body: c.body,
          }).then(async (r) => {
            const text = await r.text();
            let json: any;
            try {
              json = JSON.parse(text);
            } catch {}
            return { status: r.status, headers: r.headers, json, text };
          });
      if (res.status >= 500) failures.push(`${c.name}: ${res.status} ${res.text.slice(0, 200)}`);
      else if (res.status >= 400) {
        const type = res.headers.get("content-type") ?? "";
        if (!type.startsWith("application/problem+json") || typeof res.json?.code !== "string") {
          failures.push(`${c.name}: ${res.status} without problem JSON (${type})`);
        }
        if (/at .+\.(ts|js):\d+/.test(res.text)) failures.push(`${c.name}: stack trace leaked`);
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);
});
