import { problems } from "../../errors.js";
import { requireMonth } from "../../usage/monthly.js";
import {
  confirmUsageReports,
  listUsageReports,
  REPORT_STATUSES,
  type ReportStatus,
  submitUsageReport,
} from "../../usage/usage-reports.js";
import { type Handlers, requireActor } from "../types.js";

/**
 * Usage reports (実績報告): facilities report their uses, municipalities confirm their residents' reports, the
 * prefecture reads all. Reads are audited by the app (x-personal-data), as are writes (staff writes).
 */
export const usageReportHandlers: Handlers = {
  listUsageReports: async (req) => {
    const actor = requireActor(req);
    const q = req.query as { month?: unknown; status?: unknown };
    const month = requireMonth(q.month);
    let status: ReportStatus | undefined;
    if (q.status !== undefined && q.status !== "") {
      if (!REPORT_STATUSES.includes(q.status as ReportStatus)) {
        throw problems.unprocessable("invalid_status", "status must be due, submitted or confirmed", [
          { path: "status", message: "one of due, submitted, confirmed" },
        ]);
      }
      status = q.status as ReportStatus;
    }
    return { body: await listUsageReports(req.hub.prisma, actor, month, status, req.hub.now()) };
  },

  putUsageReport: async (req) => {
    const actor = requireActor(req);
    const { bookingId } = req.params as { bookingId: string };
    return { body: await submitUsageReport(req.hub.prisma, actor, bookingId, req.body, req.hub.now()) };
  },

  confirmUsageReports: async (req) => {
    const actor = requireActor(req);
    const body = (req.body ?? {}) as { month?: unknown; bookingIds?: string[] };
    const month = requireMonth(body.month);
    return {
      body: await confirmUsageReports(req.hub.prisma, actor, month, body.bookingIds, req.hub.now()),
    };
  },
};
