import { readFileSync } from "node:fs";
import ajvFormats from "ajv-formats";
import { type Document, OpenAPIBackend, type Operation } from "openapi-backend";
import YAML from "yaml";
import type { Access } from "../identity/policy.js";

export const OPENAPI_FILE = new URL("../../schemas/openapi.yaml", import.meta.url);

/** The OpenAPI document, parsed once. */
export function loadOpenApiDocument(): Document {
  return YAML.parse(readFileSync(OPENAPI_FILE, "utf8")) as Document;
}

export type HubOperation = Operation & {
  "x-access"?: Access;
  "x-allow-unverified"?: boolean;
  "x-personal-data"?: boolean;
};

/** openapi-backend as router and validator (ajv, with formats such as date, email and uuid). */
export async function createOpenApi(definition: Document): Promise<OpenAPIBackend> {
  const api = new OpenAPIBackend({
    definition,
    strict: true,
    validate: true,
    quick: false,
    coerceTypes: true,
    ignoreTrailingSlashes: true,
    customizeAjv: (ajv) => {
      addFormats(ajv);
      return ajv;
    },
  });
  await api.init();
  return api;
}

// ajv-formats is CommonJS with a default export.
const addFormats = ajvFormats as unknown as typeof ajvFormats.default;
