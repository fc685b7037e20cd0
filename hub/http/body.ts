import type { IncomingMessage } from "node:http";
import getRawBody from "raw-body";
import { problems } from "../errors.js";
import { Problem } from "./problem.js";

export const MAX_BODY_BYTES = 1_000_000;

/**
 * Operations whose JSON body may exceed MAX_BODY_BYTES: file uploads sent as base64 (initial data migration).
 * 3,000 residents × 17 columns of mostly Japanese text is about 1 MB of base64.
 */
export const IMPORT_MAX_BODY_BYTES = 8_000_000;
const LARGE_BODY_OPERATIONS: Readonly<Record<string, number>> = {
  importResidents: IMPORT_MAX_BODY_BYTES,
};

/** The body limit of one operation. */
export function bodyLimitFor(operationId: string): number {
  return LARGE_BODY_OPERATIONS[operationId] ?? MAX_BODY_BYTES;
}

/**
 * Reads a JSON request body. Anything a client can get wrong becomes a Problem (400/413/415),
 * never an exception that would surface as a 500.
 */
export async function readJsonBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  const length = req.headers["content-length"];
  const chunked = req.headers["transfer-encoding"] !== undefined;
  if (!chunked && (length === undefined || length === "0")) return undefined;
  const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json" && !type?.endsWith("+json")) {
    throw new Problem(
      415,
      "unsupported_media_type",
      "Unsupported media type",
      "Send the body as application/json",
    );
  }
  let text: string;
  try {
    text = await getRawBody(req, { limit, length, encoding: "utf8" });
  } catch (err) {
    const e = err as { type?: string; status?: number };
    if (e.type === "entity.too.large") {
      throw new Problem(
        413,
        "payload_too_large",
        "Payload too large",
        `The body may be at most ${limit} bytes`,
      );
    }
    throw problems.badRequest("The request body could not be read");
  }
  rawBodies.set(req, text);
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Problem(400, "malformed_json", "Malformed JSON", (err as Error).message);
  }
}

/** The text of every body readJsonBody read, by request, for operations that verify a signature over it. */
const rawBodies = new WeakMap<IncomingMessage, string>();

/** The body of a request exactly as it was received (after readJsonBody), e.g. for a webhook's signature. */
export function rawBodyOf(req: IncomingMessage): string | undefined {
  return rawBodies.get(req);
}

/**
 * Operations whose body is a file sent as it is (a CSV upload), not JSON: the media types each accepts (browsers
 * send a .csv as text/csv, or as application/vnd.ms-excel on Windows with Excel installed) and its size limit.
 */
export const RAW_BODY_OPERATIONS: Readonly<Record<string, { types: readonly string[]; limit: number }>> = {
  uploadConnectionFile: {
    types: [
      "text/csv",
      "text/plain",
      "application/csv",
      "application/vnd.ms-excel",
      "application/octet-stream",
    ],
    limit: 5_000_000,
  },
};

/** Reads a RAW_BODY_OPERATIONS body as bytes (undefined when there is none); problems as readJsonBody's. */
export async function readRawBody(
  req: IncomingMessage,
  spec: { types: readonly string[]; limit: number },
): Promise<Buffer | undefined> {
  const length = req.headers["content-length"];
  const chunked = req.headers["transfer-encoding"] !== undefined;
  if (!chunked && (length === undefined || length === "0")) return undefined;
  const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (!spec.types.includes(type)) {
    throw new Problem(
      415,
      "unsupported_media_type",
      "Unsupported media type",
      `Send the file as ${spec.types[0]}`,
    );
  }
  try {
    return await getRawBody(req, { limit: spec.limit, length });
  } catch (err) {
    if ((err as { type?: string }).type === "entity.too.large") {
      throw new Problem(
        413,
        "payload_too_large",
        "Payload too large",
        `The file may be at most ${spec.limit} bytes`,
      );
    }
    throw problems.badRequest("The request body could not be read");
  }
}
