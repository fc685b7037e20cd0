import type { Handlers } from "../types.js";
import { applicationHandlers } from "./applications.js";
import { auditHandlers } from "./audit.js";
import { authHandlers } from "./auth.js";
import { billingHandlers, billingSettingsHandlers, correctionHandlers } from "./billing.js";
import { bookingExportHandlers } from "./booking-exports.js";
import { bookingHandlers } from "./bookings.js";
import { connectionFileHandlers } from "./connection-files.js";
import { connectionWebhookHandlers } from "./connection-webhooks.js";
import { connectionHandlers } from "./connections.js";
import { deliveryHandlers } from "./deliveries.js";
import { facilityHandlers } from "./facilities.js";
import { importHandlers } from "./imports.js";
import { inventoryHandlers } from "./inventory.js";
import { mailboxHandlers } from "./mailbox.js";
import { municipalityHandlers } from "./municipalities.js";
import { policyHandlers } from "./policies.js";
import { publicHandlers } from "./public.js";
import { residentHandlers } from "./residents.js";
import { statsHandlers } from "./stats.js";
import { supportHandlers } from "./support.js";
import { systemHandlers } from "./system.js";
import { usageHandlers } from "./usage.js";
import { usageReportHandlers } from "./usage-reports.js";
import { vacancyHandlers } from "./vacancy.js";
import { voucherHandlers } from "./vouchers.js";
import { waitlistHandlers } from "./waitlist.js";

/** Every operation of schemas/openapi.yaml, by operationId. Start-up fails if one is missing. */
export const allHandlers: Handlers = {
  ...systemHandlers,
  ...authHandlers,
  ...residentHandlers,
  ...auditHandlers,
  ...municipalityHandlers,
  ...policyHandlers,
  ...mailboxHandlers,
  ...deliveryHandlers,
  ...publicHandlers,
  ...facilityHandlers,
  ...inventoryHandlers,
  ...bookingHandlers,
  ...importHandlers,
  ...voucherHandlers,
  ...usageHandlers,
  ...usageReportHandlers,
  ...waitlistHandlers,
  ...vacancyHandlers,
  ...bookingExportHandlers,
  ...connectionHandlers,
  ...connectionWebhookHandlers,
  ...connectionFileHandlers,
  ...billingHandlers,
  ...billingSettingsHandlers,
  ...correctionHandlers,
  ...supportHandlers,
  ...statsHandlers,
  ...applicationHandlers,
};
