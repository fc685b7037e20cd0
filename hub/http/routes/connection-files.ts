import { audit } from "../../audit/audit.js";
import {
  connectionBookingsCsv,
  connectionCapacityCsv,
  uploadConnectionFile,
} from "../../connections/files.js";
import { icalFeedForToken } from "../../connections/ical-feed.js";
import { problems } from "../../errors.js";
import { type Handlers, type OpRequest, requireActor } from "../types.js";

// The query has been validated against schemas/openapi.yaml before this runs.
const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);

/**
 * Connectors: iCal and CSV. The facility's exported calendar (public, behind its secret token), and file exchange
 * in the csv connector's layout (connectors/csv/README.md): upload (dry run or apply) and downloads. The app audits
 * the upload (a staff write); downloads and applied uploads are audited here with what they held.
 */
export const connectionFileHandlers: Handlers = {
  getConnectionFeed: async (req) => {
    const token = (req.params.token ?? "").replace(/\.ics$/, "");
    const feed = await icalFeedForToken(req.hub.prisma, token, req.hub.now());
    if (!feed) throw problems.notFound("calendar feed");
    const headers = { ETag: feed.etag };
    if (req.koa.get("if-none-match") === feed.etag) return { status: 304, headers };
    return {
      body: feed.body,
      type: "text/calendar; charset=utf-8",
      headers: { ...headers, "Content-Disposition": 'inline; filename="sango-care.ics"' },
    };
  },

  uploadConnectionFile: async (req) => {
    const actor = requireActor(req);
    const facilityId = req.params.facilityId as string;
    const dryRun = req.query.dryRun !== false;
    const body = Buffer.isBuffer(req.body) ? req.body : undefined;
    const report = await uploadConnectionFile(req.hub, actor, facilityId, body, { dryRun });
    if (report.applied) {
      const { errors: _errors, ...counts } = report;
      await audit(
        req.hub.prisma,
        actor,
        req.ip,
        { action: "connection.upload", resourceType: "facility", resourceId: facilityId, detail: counts },
        req.hub.now(),
      );
    }
    return { body: report };
  },

  downloadConnectionBookingsCsv: (req) => downloadCsv(req, "bookings"),
  downloadConnectionCapacityCsv: (req) => downloadCsv(req, "capacity"),
};

async function downloadCsv(req: OpRequest, file: "bookings" | "capacity") {
  const actor = requireActor(req);
  const facilityId = req.params.facilityId as string;
  const opts = {
    from: str(req.query.from),
    to: str(req.query.to),
    encoding: req.query.encoding === "sjis" ? ("sjis" as const) : ("utf-8" as const),
  };
  const csv =
    file === "bookings"
      ? await connectionBookingsCsv(req.hub, actor, facilityId, opts)
      : await connectionCapacityCsv(req.hub, actor, facilityId, opts);
  await audit(
    req.hub.prisma,
    actor,
    req.ip,
    {
      action: "export.csv",
      resourceType: "facility",
      resourceId: facilityId,
      detail: { file: `connection/${file}.csv`, ...opts, rows: csv.rows },
    },
    req.hub.now(),
  );
  return {
    body: csv.body,
    type: csv.contentType,
    headers: { "Content-Disposition": `attachment; filename="${csv.fileName}"` },
  };
}
