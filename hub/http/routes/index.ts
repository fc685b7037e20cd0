import type { Handlers } from "../types.js";
import { auditHandlers } from "./audit.js";
import { authHandlers } from "./auth.js";
import { bookingHandlers } from "./bookings.js";
import { facilityHandlers } from "./facilities.js";
import { importHandlers } from "./imports.js";
import { inventoryHandlers } from "./inventory.js";
import { mailboxHandlers } from "./mailbox.js";
import { municipalityHandlers } from "./municipalities.js";
import { policyHandlers } from "./policies.js";
import { publicHandlers } from "./public.js";
import { residentHandlers } from "./residents.js";
import { systemHandlers } from "./system.js";
import { usageHandlers } from "./usage.js";
import { voucherHandlers } from "./vouchers.js";

/** Every operation of schemas/openapi.yaml, by operationId. Start-up fails if one is missing. */
export const allHandlers: Handlers = {
  ...systemHandlers,
  ...authHandlers,
  ...residentHandlers,
  ...auditHandlers,
  ...municipalityHandlers,
  ...policyHandlers,
  ...mailboxHandlers,
  ...publicHandlers,
  ...facilityHandlers,
  ...inventoryHandlers,
  ...bookingHandlers,
  ...importHandlers,
  ...voucherHandlers,
  ...usageHandlers,
};
