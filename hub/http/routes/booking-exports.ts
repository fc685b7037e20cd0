import { audit } from "../../audit/audit.js";
import { type CsvEncoding, exportBookingsCsv } from "../../bookings/export.js";
import { type Handlers, requireActor } from "../types.js";
import { bookingFiltersOf } from "./bookings.js";

/**
 * Booking history as CSV for staff (facility, municipality, prefecture), scoped as GET /api/bookings. The app
 * audits the read (x-personal-data); the export itself is audited too, with its filters and row count.
 */
export const bookingExportHandlers: Handlers = {
  exportBookingsCsv: async (req) => {
    const actor = requireActor(req);
    const filters = bookingFiltersOf(req.query);
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
