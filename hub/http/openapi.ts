import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import ajvFormats from "ajv-formats";
import { type Document, OpenAPIBackend, OpenAPIValidator, type Operation } from "openapi-backend";
import YAML from "yaml";
import type { Access } from "../identity/access.js";

export const OPENAPI_FILE = new URL("../../schemas/openapi.yaml", import.meta.url);

/** The document as `npm run build` checked it, with the hash of the YAML it came from (not in git). */
export const CHECKED_FILE = new URL("../../schemas/openapi.checked.json", import.meta.url);

/** The OpenAPI document, parsed once. */
export function loadOpenApiDocument(): Document {
  return YAML.parse(readFileSync(OPENAPI_FILE, "utf8")) as Document;
}

/** Throws unless `document` is valid OpenAPI 3.1. */
export async function checkOpenApiDocument(document: Document): Promise<void> {
  const { Validator } = await import("@seriousme/openapi-schema-validator");
  const check = await new Validator().validate(
    structuredClone(document) as Parameters<InstanceType<typeof Validator>["validate"]>[0],
  );
  if (!check.valid) {
    throw new Error(
      `schemas/openapi.yaml is not valid OpenAPI 3.1: ${JSON.stringify(check.errors).slice(0, 2000)}`,
    );
  }
}

/**
 * The OpenAPI document, checked as OpenAPI 3.1. Parsing the YAML and checking it take seconds, so `npm run build`
 * does both ahead of time (writeCheckedOpenApiDocument); the copy it wrote is used while it was made from the
 * YAML as it is now, else the YAML is parsed and checked here.
 */
export async function loadCheckedOpenApiDocument(
  files = { yaml: OPENAPI_FILE, checked: CHECKED_FILE },
): Promise<Document> {
  const yaml = readFileSync(files.yaml, "utf8");
  const hash = sha256(yaml);
  try {
    const copy = JSON.parse(readFileSync(files.checked, "utf8")) as { sha256?: string; document?: Document };
    if (copy.sha256 === hash && copy.document) return copy.document;
  } catch {
    // No checked copy (never built) or an unreadable one: check the YAML itself.
  }
  const document = YAML.parse(yaml) as Document;
  await checkOpenApiDocument(document);
  return document;
}

/** `npm run build`: parses and checks the YAML and writes the checked copy that starts use. */
export async function writeCheckedOpenApiDocument(
  files = { yaml: OPENAPI_FILE, checked: CHECKED_FILE },
): Promise<void> {
  const yaml = readFileSync(files.yaml, "utf8");
  const document = YAML.parse(yaml) as Document;
  await checkOpenApiDocument(document);
  writeFileSync(files.checked, JSON.stringify({ sha256: sha256(yaml), document }));
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

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

/**
 * openapi-backend as router and validator (ajv, with formats such as date, email and uuid), for a document
 * already checked (loadCheckedOpenApiDocument).
 *
 * Each operation's ajv validators are compiled the first time that operation is validated, not at start: compiling
 * all of them took ~10 s, which every start and every test hub paid (issue 13). openapi-backend's own `quick` mode
 * would do the same but also skips checking the document and dereferences it differently; here only the
 * validator is lazy. test/integration/openapi.test.ts compiles every validator, so a schema ajv cannot compile
 * still fails CI rather than a first request.
 */
export async function createOpenApi(definition: Document): Promise<OpenAPIBackend> {
  const api = new OpenApi31Backend({
    definition,
    strict: true,
    // The validator is made below, lazily compiled, once the router exists.
    validate: false,
    quick: false,
    ignoreTrailingSlashes: true,
  });
  await api.init();
  api.validator = new OpenAPIValidator({
    definition: api.definition,
    router: api.router,
    lazyCompileValidators: true,
    coerceTypes: true,
    customizeAjv: (ajv) => {
      addFormats(ajv);
      return ajv;
    },
  });
  api.validate = true;
  // The router rebuilds its operation list from the document on every call (several per request); the
  // document never changes after init, so the list is built once.
  const operations = api.router.getOperations();
  api.router.getOperations = () => operations;
  return api;
}

// ajv-formats is CommonJS with a default export.
const addFormats = ajvFormats as unknown as typeof ajvFormats.default;
