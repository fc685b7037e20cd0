import { audit } from "../../audit/audit.js";
import { type CsvEncoding, encodeCsv } from "../../bookings/export.js";
import type { ReportInput } from "../../stats/catalog.js";
import {
  createReport,
  deleteReport,
  listReports,
  parsePeriod,
  readDisclosure,
  readReport,
  reportCsv,
  updateDisclosure,
  updateReport,
} from "../../stats/stored-reports.js";
import { type Handlers, requireActor } from "../types.js";

/**
 * Statistics: the reports a role may read (the prefecture decides, per report), their figures within the
 * reader's tenant, and CSV downloads. Figures are aggregates, not personal data; downloads are audited.
 */
export const statsHandlers: Handlers = {
  listReports: async (req) => ({ body: { items: await listReports(req.hub.prisma, requireActor(req)) } }),

  createReport: async (req) => ({
    status: 201,
    body: await createReport(
      req.hub.prisma,
      requireActor(req),
      req.ip,
      (req.body ?? {}) as ReportInput,
      req.hub.now(),
    ),
  }),

  updateReport: async (req) => ({
    body: await updateReport(
      req.hub.prisma,
      requireActor(req),
      req.ip,
      String(req.params.key),
      (req.body ?? {}) as ReportInput,
      req.hub.now(),
    ),
  }),

  deleteReport: async (req) => {
    await deleteReport(req.hub.prisma, requireActor(req), req.ip, String(req.params.key), req.hub.now());
    return { status: 204 };
  },

  getStatsDisclosure: async (req) => ({ body: await readDisclosure(req.hub.prisma) }),

  updateStatsDisclosure: async (req) => ({
    body: await updateDisclosure(req.hub.prisma, requireActor(req), req.ip, req.body ?? {}, req.hub.now()),
  }),

  getReportData: async (req) => {
    const actor = requireActor(req);
    const period = parsePeriod(req.query.from, req.query.to, req.hub.now());
    return { body: await readReport(req.hub.prisma, actor, String(req.params.key), period, req.hub.now()) };
  },

  exportReportCsv: async (req) => {
    const actor = requireActor(req);
    const now = req.hub.now();
    const period = parsePeriod(req.query.from, req.query.to, now);
    const key = String(req.params.key);
    const data = await readReport(req.hub.prisma, actor, key, period, now);
    const encoding: CsvEncoding = req.query.encoding === "sjis" ? "sjis" : "utf-8";
    const csv = encodeCsv(reportCsv(data), encoding, `${key}-${period.from}-${period.to}`);
    await audit(
      req.hub.prisma,
      actor,
      req.ip,
      { action: "export.csv", resourceType: "report", resourceId: key, detail: { period, encoding } },
      now,
    );
    return {
      body: csv.body,
      type: csv.contentType,
      headers: { "Content-Disposition": `attachment; filename="${csv.fileName}"` },
    };
  },
};
