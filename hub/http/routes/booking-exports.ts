import { audit } from "../../audit/audit.js";
import { type CsvEncoding, exportBookingsCsv } from "../../bookings/export.js";
import type { BookingFilters } from "../../bookings/queries.js";
import type { BookingStatus } from "../../db/client.js";
import { type Handlers, requireActor } from "../types.js";

// The query has been validated against schemas/openapi.yaml before this runs.
const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);

/**
 * Booking history as CSV for staff (facility, municipality, prefecture), scoped as GET /api/bookings. The app
 * audits the read (x-personal-data); the export itself is audited too, with its filters and row count.
 */
export const bookingExportHandlers: Handlers = {
  exportBookingsCsv: async (req) => {
    const actor = requireActor(req);
    const filters = {
      status: str(req.query.status) as BookingStatus | undefined,
      facilityId: str(req.query.facilityId),
      residentId: str(req.query.residentId),
      voucherId: str(req.query.voucherId),
      feeWaiver: str(req.query.feeWaiver) as BookingFilters["feeWaiver"],
      from: str(req.query.from),
      to: str(req.query.to),
    };
    const encoding: CsvEncoding = req.query.encoding === "sjis" ? "sjis" : "utf-8";
    const now = req.hub.now();
    const csv = await exportBookingsCsv(req.hub.prisma, actor, filters, encoding, now);
    await audit(
      req.hub.prisma,
      actor,
      req.ip,
      {
        action: "export.csv",
        resourceType: "booking",
        detail: { filters, encoding, rows: csv.rows },
      },
      now,
    );
    return {
      body: csv.body,
      type: csv.contentType,
      headers: { "Content-Disposition": `attachment; filename="${csv.fileName}"` },
    };
  },
};
