import { randomUUID } from "node:crypto";
import { loadOpenApiDocument } from "../../hub/http/openapi.js";

/** A JSON Schema as it appears in schemas/openapi.yaml (only the parts the samplers read). */
export type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  oneOf?: Schema[];
  default?: unknown;
};

export type SpecOperation = {
  method: string;
  path: string;
  operationId: string;
  access: "public" | "signed-in" | string[];
  parameters: { name: string; in: string; required?: boolean; schema: Schema }[];
  body?: Schema;
};

const doc = loadOpenApiDocument() as unknown as {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, Schema>; parameters: Record<string, unknown> };
};

export function resolve<T>(node: T): T {
  let n = node as { $ref?: string };
  while (n?.$ref) {
    const [, , section, name] = n.$ref.split("/");
    n = (doc.components as Record<string, Record<string, unknown>>)[section ?? ""]?.[name ?? ""] as {
      $ref?: string;
    };
  }
  return n as T;
}

/** Every operation of the API, with its parameters and body schema resolved. */
export function specOperations(): SpecOperation[] {
  const out: SpecOperation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const params = ((op.parameters ?? []) as unknown[]).map((p) =>
        resolve(p),
      ) as SpecOperation["parameters"];
      const body = (op.requestBody as { content?: Record<string, { schema: Schema }> })?.content?.[
        "application/json"
      ]?.schema;
      out.push({
        method: method.toUpperCase(),
        path,
        operationId: op.operationId as string,
        access: op["x-access"] as SpecOperation["access"],
        parameters: params.map((p) => ({ ...p, schema: resolve(p.schema) })),
        body: body ? resolve(body) : undefined,
      });
    }
  }
  return out;
}

const PATTERN_SAMPLES: Record<string, string> = {
  "^[0-9]{6}$": "041009",
  "^[0-9]{6}$ ": "123456",
  "^([01][0-9]|2[0-3]):[0-5][0-9]$": "09:00",
  "^[a-z]{2,3}$": "ja",
  "^[a-z0-9_-]{1,20}$": "am",
};

/** A plausible valid value for a schema (the fuzz test then breaks it in many ways). */
export function sample(schemaIn: Schema): unknown {
  const s = resolve(schemaIn);
  if (s.default !== undefined) return s.default;
  if (s.enum) return s.enum[0];
  if (s.oneOf) return sample(s.oneOf[0] as Schema);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type;
  switch (type) {
    case "object":
      return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, sample(v)]));
    case "array":
      return s.items ? [sample(s.items)] : [];
    case "integer":
    case "number":
      return Math.max(s.minimum ?? 1, 1);
    case "boolean":
      return true;
    default:
      if (s.format === "date") return "2027-01-15";
      if (s.format === "date-time") return "2027-01-15T10:00:00Z";
      if (s.format === "uuid") return randomUUID();
      if (s.format === "email") return "someone@example.jp";
      if (s.pattern && PATTERN_SAMPLES[s.pattern]) return PATTERN_SAMPLES[s.pattern];
      if (s.pattern?.includes("[0-9]{6}")) return "123456";
      return "x".repeat(Math.max(s.minLength ?? 1, 1));
  }
}

/** Values that are wrong for a schema in different ways. */
export function wrongValues(schemaIn: Schema): unknown[] {
  const s = resolve(schemaIn);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type;
  const common: unknown[] = [{ nested: { deeply: [1, 2, 3] } }, [], true];
  switch (type) {
    case "integer":
    case "number":
      return [...common, "seven", 1.5, -1e12, 1e15, "1e400"];
    case "boolean":
      return [...common, "yes", 0];
    case "array":
      return [...common.filter((v) => !Array.isArray(v)), "not-a-list", [null], Array(500).fill("x")];
    case "object":
      return ["string", 42, [], null];
    default: {
      const out: unknown[] = [
        ...common,
        12345,
        null,
        "",
        "x".repeat((s.maxLength ?? 1000) + 1),
        "\u0000\uffff💥",
      ];
      if (s.format === "date") out.push("2026-02-30", "2026-13-01", "26-1-1", "tomorrow");
      if (s.format === "date-time") out.push("2026-01-01 25:00", "yesterday");
      if (s.format === "uuid") out.push("not-a-uuid", "' OR 1=1 --");
      if (s.format === "email") out.push("no-at-sign", "a@");
      if (s.enum) out.push("definitely-not-in-enum");
      return out;
    }
  }
}

/** Fills a path template with valid-looking parameter values. */
export function fillPath(op: SpecOperation, overrides: Record<string, string> = {}): string {
  return op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (overrides[name]) return encodeURIComponent(overrides[name]);
    const p = op.parameters.find((x) => x.name === name && x.in === "path");
    return encodeURIComponent(String(p ? sample(p.schema) : "x"));
  });
}

/** Required query parameters with valid-looking values. */
export function requiredQuery(op: SpecOperation): URLSearchParams {
  const q = new URLSearchParams();
  for (const p of op.parameters) if (p.in === "query" && p.required) q.set(p.name, String(sample(p.schema)));
  return q;
}
