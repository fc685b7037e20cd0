import type { Handlers } from "../types.js";
import { systemHandlers } from "./system.js";

/** Every operation of schemas/openapi.yaml, by operationId. Start-up fails if one is missing. */
export const allHandlers: Handlers = {
  ...systemHandlers,
};
