import type { IncomingMessage } from "node:http";
import getRawBody from "raw-body";
import { Problem, problems } from "./problem.js";

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
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Problem(400, "malformed_json", "Malformed JSON", (err as Error).message);
  }
}
