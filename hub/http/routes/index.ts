import type { Handlers } from "../types.js";
import { authHandlers } from "./auth.js";
import { residentHandlers } from "./residents.js";
import { auditHandlers } from "./audit.js";
import { bookingHandlers } from "./bookings.js";
import { inventoryHandlers } from "./inventory.js";
import { municipalityHandlers } from "./municipalities.js";
import { facilityHandlers } from "./facilities.js";
import { publicHandlers } from "./public.js";
import { mailboxHandlers } from "./mailbox.js";
import { systemHandlers } from "./system.js";

/** Every operation of schemas/openapi.yaml, by operationId. Start-up fails if one is missing. */
export const allHandlers: Handlers = {
  ...systemHandlers,
  ...authHandlers,
  ...residentHandlers,
  ...auditHandlers,
  ...municipalityHandlers,
  ...mailboxHandlers,
  ...publicHandlers,
  ...facilityHandlers,
  ...inventoryHandlers,
  ...bookingHandlers,
};
