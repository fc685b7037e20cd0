import { readFileSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";
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

/**
 * openapi-backend 5 checks documents against the OpenAPI 3.0 schema only, which rejects 3.1 constructs such as
 * `type: [string, "null"]`; the document is checked as 3.1 here instead.
 */
class OpenApi31Backend extends OpenAPIBackend {
  override validateDefinition() {
    return this.document;
  }
}

/** openapi-backend as router and validator (ajv, with formats such as date, email and uuid). */
export async function createOpenApi(definition: Document): Promise<OpenAPIBackend> {
  const check = await new Validator().validate(
    structuredClone(definition) as Parameters<Validator["validate"]>[0],
  );
  if (!check.valid) {
    throw new Error(
      `schemas/openapi.yaml is not valid OpenAPI 3.1: ${JSON.stringify(check.errors).slice(0, 2000)}`,
    );
  }
  const api = new OpenApi31Backend({
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
  // The router rebuilds its operation list from the document on every call (several per request); the
  // document never changes after init, so the list is built once.
  const operations = api.router.getOperations();
  api.router.getOperations = () => operations;
  return api;
}

// ajv-formats is CommonJS with a default export.
const addFormats = ajvFormats as unknown as typeof ajvFormats.default;
