import type { OpenAPIBackend } from "openapi-backend";
import { expect } from "vitest";
import { createOpenApi, loadOpenApiDocument } from "../../hub/http/openapi.js";

let api: Promise<OpenAPIBackend> | undefined;

/** Asserts that a response body matches what schemas/openapi.yaml promises for that operation and status. */
export async function expectContract(operationId: string, res: { status: number; json: unknown }) {
  api ??= createOpenApi(loadOpenApiDocument());
  const result = (await api).validateResponse(res.json, operationId, res.status);
  expect(result.errors ?? [], `${operationId} ${res.status}`).toEqual([]);
}

/** Asserts a problem answer with its status and stable code. */
export function expectProblem(
  res: { status: number; json: any; text: string },
  status: number,
  code: string,
) {
  expect(res.status, res.text).toBe(status);
  expect(res.json?.code, res.text).toBe(code);
}
