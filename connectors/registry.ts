/**
 * The connector registry, built from the folders: every `connectors/<key>/` with a `manifest.json` must export
 * `connector` from its `connector.ts` and have a configuration schema at `schemas/connectors/<key>.schema.json`.
 * Loading fails loudly when a folder breaks that rule, so a half-added connector never starts.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";
import ajvFormats from "ajv-formats";
import type { Connector, Manifest } from "./contract.js";

const CONNECTORS_DIR = new URL("./", import.meta.url);
const SCHEMAS_DIR = new URL("../schemas/connectors/", import.meta.url);

export type ConfigProblem = { path: string; message: string };

export type Registry = {
  keys(): string[];
  /** The connector for `key`; undefined for a key no folder provides. */
  get(key: string): Connector | undefined;
  manifests(): Manifest[];
  /** The JSON Schema of the connector's configuration (for forms). */
  configSchema(key: string): Record<string, unknown> | undefined;
  /** The problems with a connection's configuration (empty when valid); coerces nothing. */
  checkConfig(key: string, config: unknown): ConfigProblem[];
};

// ajv-formats is CommonJS with a default export.
const addFormats = ajvFormats as unknown as typeof ajvFormats.default;

/** The folder names that hold a manifest. */
export function connectorFolders(): string[] {
  return readdirSync(CONNECTORS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(new URL(`${d.name}/manifest.json`, CONNECTORS_DIR)))
    .map((d) => d.name)
    .sort();
}

let loaded: Promise<Registry> | undefined;

/** The registry (loaded once per process). */
export function loadRegistry(): Promise<Registry> {
  loaded ??= build();
  return loaded;
}

async function build(): Promise<Registry> {
  const ajv = new Ajv({ allErrors: true, strict: true });
  addFormats(ajv);
  const connectors = new Map<string, Connector>();
  const validators = new Map<string, ValidateFunction>();
  const schemas = new Map<string, Record<string, unknown>>();
  for (const key of connectorFolders()) {
    const manifest = JSON.parse(
      readFileSync(new URL(`${key}/manifest.json`, CONNECTORS_DIR), "utf8"),
    ) as Manifest;
    if (manifest.key !== key) throw new Error(`connectors/${key}/manifest.json has key "${manifest.key}"`);
    const mod = (await import(new URL(`${key}/connector.ts`, CONNECTORS_DIR).href)) as {
      connector?: Connector;
    };
    if (!mod.connector) throw new Error(`connectors/${key}/connector.ts does not export \`connector\``);
    if (mod.connector.manifest.key !== key) {
      throw new Error(`connectors/${key}/connector.ts exports the connector "${mod.connector.manifest.key}"`);
    }
    const schemaFile = new URL(`${key}.schema.json`, SCHEMAS_DIR);
    if (!existsSync(schemaFile)) throw new Error(`schemas/connectors/${key}.schema.json is missing`);
    const schema = JSON.parse(readFileSync(schemaFile, "utf8")) as Record<string, unknown>;
    validators.set(key, ajv.compile(schema));
    schemas.set(key, schema);
    checkMethods(key, mod.connector);
    connectors.set(key, mod.connector);
  }
  return {
    keys: () => [...connectors.keys()],
    get: (key) => connectors.get(key),
    manifests: () => [...connectors.values()].map((c) => c.manifest),
    configSchema: (key) => schemas.get(key),
    checkConfig(key, config) {
      const validate = validators.get(key);
      if (!validate) return [{ path: "connector", message: `unknown connector "${key}"` }];
      if (validate(config)) return [];
      return (validate.errors ?? []).map((e) => ({
        path: e.instancePath || (e.params as { missingProperty?: string }).missingProperty || "",
        message: e.message ?? "invalid",
      }));
    },
  };
}

/** Every declared capability has its method, and no method is there without its capability. */
function checkMethods(key: string, c: Connector) {
  const caps = new Set(c.manifest.capabilities);
  const needs: [boolean, keyof Connector, string][] = [
    [caps.has("pullBookings"), "pull", "pullBookings"],
    [caps.has("pushBooking") || caps.has("cancelBooking"), "push", "pushBooking/cancelBooking"],
    [caps.has("pushAvailability"), "pushAvailability", "pushAvailability"],
    [caps.has("webhooks"), "parseWebhook", "webhooks"],
    [caps.has("webhooks"), "readWebhook", "webhooks"],
    [caps.has("fileUpload"), "parseFile", "fileUpload"],
  ];
  for (const [declared, method, cap] of needs) {
    if (declared && typeof c[method] !== "function")
      throw new Error(`connector ${key} declares ${cap} without ${method}()`);
    if (!declared && c[method] !== undefined)
      throw new Error(`connector ${key} has ${method}() but does not declare ${cap}`);
  }
  // A test delivery is sent the way pushes are: optional, but only beside them.
  if (c.ping !== undefined && !caps.has("pushBooking") && !caps.has("cancelBooking"))
    throw new Error(`connector ${key} has ping() but does not declare pushBooking/cancelBooking`);
}
