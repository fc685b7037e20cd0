/**
 * The shared contract suite: every connector in the registry, with its own fixtures, keeps the contract of
 * connectors/contract.ts. A new connector folder is picked up without touching this file.
 */
import { Ajv } from "ajv";
import ajvFormats from "ajv-formats";
import axios from "axios";
import { describe, expect, it } from "vitest";
import externalChangeSchema from "../schemas/connectors/external-change.schema.json" with { type: "json" };
import type { ConnectorContext, ExternalChange } from "./contract.js";
import type { ContractFixtures } from "./contract-fixtures.js";
import { connectorFolders, loadRegistry } from "./registry.js";

const addFormats = ajvFormats as unknown as typeof ajvFormats.default;
const ajv = new Ajv({ allErrors: true });
addFormats(ajv);
const validChange = ajv.compile(externalChangeSchema);
const expectCanonical = (changes: ExternalChange[]) => {
  for (const c of changes) expect(validChange(c), JSON.stringify([c, validChange.errors])).toBe(true);
};

const registry = await loadRegistry();
const KNOWN = new Set([
  "pullBookings",
  "pushBooking",
  "cancelBooking",
  "pushAvailability",
  "webhooks",
  "changeFeed",
  "exportFeed",
  "fileUpload",
]);
const NOW = new Date("2026-12-01T01:00:00Z");

function context(f: ContractFixtures): ConnectorContext {
  return {
    config: f.config,
    secret: f.secret ?? null,
    state: {},
    http: axios.create({ timeout: 5_000 }),
    log: { info() {}, warn() {} },
    now: () => NOW,
    signal: new AbortController().signal,
  };
}

it("finds the connector folders", () => {
  expect(registry.keys()).toEqual(connectorFolders());
  expect(registry.keys()).toContain("native");
});

describe.each(connectorFolders())("connector %s", (key) => {
  const connector = registry.get(key);
  const load = async () =>
    ((await import(`./${key}/__fixtures__/contract.ts`)) as { fixtures: ContractFixtures }).fixtures;

  it("has a manifest in both languages with known capabilities", () => {
    expect(connector?.manifest.key).toBe(key);
    expect(connector?.manifest.name.ja).not.toBe("");
    expect(connector?.manifest.name.en).not.toBe("");
    for (const cap of connector?.manifest.capabilities ?? []) expect(KNOWN.has(cap), cap).toBe(true);
  });

  it("accepts its fixture configuration and refuses one that is not an object", async () => {
    const f = await load();
    expect(registry.checkConfig(key, f.config)).toEqual([]);
    expect(registry.checkConfig(key, "nope").length).toBeGreaterThan(0);
  });

  it("reports its health as a value", async () => {
    const f = await load();
    const undo = f.mockHttp?.();
    try {
      const health = await connector?.checkHealth?.(context(f));
      if (health) expect(typeof health.ok).toBe("boolean");
      if (health?.ok) expect(typeof health.value.detail).toBe("string");
    } finally {
      undo?.();
    }
  });

  it.runIf(connector?.manifest.capabilities.includes("webhooks"))(
    "reads a signed webhook into canonical changes; a tampered or garbled one is an error value",
    async () => {
      const f = await load();
      const ctx = context(f);
      const req = f.webhook?.(NOW);
      if (!req || !connector?.parseWebhook)
        throw new Error("webhooks needs parseWebhook and a webhook fixture");
      const parsed = connector.parseWebhook(ctx, req);
      expect(parsed.ok, JSON.stringify(parsed)).toBe(true);
      if (parsed.ok) {
        expect(parsed.value.id).not.toBe("");
        expectCanonical(parsed.value.changes);
      }
      const tampered = connector.parseWebhook(ctx, { ...req, body: `${req.body} ` });
      expect(tampered).toMatchObject({ ok: false, error: { code: "invalid_signature" } });
      expect(connector.parseWebhook(ctx, { headers: {}, body: "\u0000{" }).ok).toBe(false);
    },
  );

  it.runIf(connector?.manifest.capabilities.includes("fileUpload"))(
    "reads a file into canonical changes; a broken one is a line-numbered report",
    async () => {
      const f = await load();
      const ctx = context(f);
      if (!f.file || !connector?.parseFile) throw new Error("fileUpload needs parseFile and a file fixture");
      const report = connector.parseFile(ctx, f.file);
      expect(report.errors).toEqual([]);
      expect(report.changes.length).toBeGreaterThan(0);
      expectCanonical(report.changes);
      const broken = connector.parseFile(ctx, Buffer.from('bad,"header\n1,2,3\n'));
      expect(broken.errors.length).toBeGreaterThan(0);
      for (const e of broken.errors) expect(e.line).toBeGreaterThanOrEqual(1);
    },
  );

  it.runIf(connector?.manifest.capabilities.includes("pullBookings"))(
    "pulls canonical changes and hands back its state",
    async () => {
      const f = await load();
      const undo = f.mockHttp?.();
      try {
        const pulled = await connector?.pull?.(context(f), { from: "2026-12-01", to: "2026-12-31" });
        expect(pulled?.ok, JSON.stringify(pulled)).toBe(true);
        if (pulled?.ok) {
          expectCanonical(pulled.value.changes);
          expect(typeof pulled.value.state).toBe("object");
        }
      } finally {
        undo?.();
      }
    },
  );

  it.runIf(connector?.manifest.capabilities.includes("pushBooking"))("pushes a booking", async () => {
    const f = await load();
    const undo = f.mockHttp?.();
    try {
      const pushed = await connector?.push?.(context(f), {
        action: "create",
        bookingId: "5f0c1b2a-3d4e-4f50-8a6b-7c8d9e0f1a2b",
        revision: 1,
        status: "requested",
        serviceType: "stay",
        startDate: "2026-12-10",
        endDate: "2026-12-11",
        timeBlock: "",
      });
      expect(pushed?.ok, JSON.stringify(pushed)).toBe(true);
    } finally {
      undo?.();
    }
  });

  it.runIf(connector?.manifest.capabilities.includes("pushAvailability"))(
    "pushes the facility's availability",
    async () => {
      const f = await load();
      const undo = f.mockHttp?.();
      try {
        const pushed = await connector?.pushAvailability?.(context(f), {
          revision: 1,
          generatedAt: NOW.toISOString(),
          days: [
            {
              serviceType: "stay",
              date: "2026-12-10",
              timeBlock: "",
              capacity: 3,
              booked: 3,
              external: 0,
              free: 0,
              closed: false,
            },
          ],
        });
        expect(pushed, JSON.stringify(pushed)).toEqual({ ok: true, value: {} });
      } finally {
        undo?.();
      }
    },
  );
});
