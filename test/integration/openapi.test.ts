import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOpenApi, loadOpenApiDocument } from "../../hub/http/openapi.js";
import { startTestHub, type TestHub } from "../support/hub.js";

const ROLES = ["resident", "facility", "municipality", "association", "prefecture", "operator"];

describe("the OpenAPI document", () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(() => t?.close());

  it("is served at /api/openapi.json and is a valid OpenAPI 3.1 document", async () => {
    const res = await fetch(new URL("api/openapi.json", t.url));
    expect(res.status).toBe(200);
    const doc = await res.json();
    expect(doc.openapi).toMatch(/^3\.1\./);
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("declares who may call every operation", () => {
    const doc = loadOpenApiDocument();
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      for (const [method, op] of Object.entries(item ?? {})) {
        const access = (op as { "x-access"?: unknown })["x-access"];
        const where = `${method.toUpperCase()} ${path}`;
        expect(access, where).toBeDefined();
        if (Array.isArray(access)) for (const r of access) expect(ROLES, where).toContain(r);
        else expect(["public", "signed-in"], where).toContain(access);
      }
    }
  });

  it("is browsable at /api/docs with every asset served by the hub itself", async () => {
    const res = await fetch(new URL("api/docs", t.url));
    expect(res.status).toBe(200);
    const html = await res.text();
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? "");
    expect(refs.length).toBeGreaterThan(2);
    for (const ref of refs) {
      expect(ref, "no other host").not.toMatch(/^(https?:)?\/\//);
      const asset = await fetch(new URL(ref, new URL("api/docs", t.url)));
      expect(asset.status, ref).toBe(200);
    }
  });

  it("compiles an operation's validators when it is first used, not at start", async () => {
    const api = await createOpenApi(loadOpenApiDocument());
    expect(Object.keys(api.validator.requestValidators)).toEqual([]);
    expect(Object.keys(api.validator.responseValidators)).toEqual([]);
    const ok = api.validateRequest(
      { method: "GET", path: "/api/facilities", query: "limit=5", headers: {} },
      "listFacilities",
    );
    expect(ok.valid).toBe(true);
    const bad = api.validateRequest(
      { method: "GET", path: "/api/facilities", query: "limit=many", headers: {} },
      "listFacilities",
    );
    expect(bad.valid).toBe(false);
    expect(Object.keys(api.validator.requestValidators)).toEqual(["listFacilities"]);
  });

  it("has request and response validators ajv can compile for every operation", async () => {
    // The hub compiles them on first use; this compiles them all, so a schema ajv refuses fails here, not in use.
    const api = await createOpenApi(loadOpenApiDocument());
    api.validator.preCompileRequestValidators();
    api.validator.preCompileResponseValidators();
    api.validator.preCompileResponseHeaderValidators();
    const operations = api.router.getOperations().map((o) => o.operationId);
    expect(operations.length).toBeGreaterThan(100);
    expect(Object.keys(api.validator.requestValidators).sort()).toEqual([...operations].sort());
    expect(Object.keys(api.validator.responseValidators).sort()).toEqual([...operations].sort());
  });
});
