import { audit } from "../../audit/audit.js";
import { type PreviewInput, previewMapping, sendTestDelivery } from "../../connections/golive.js";
import { connectionLogCsv, type LogQuery, listConnectionLog, replayLogEntry } from "../../connections/log.js";
import {
  type ConnectionInput,
  getFacilityConnection,
  listConflicts,
  listConnections,
  listConnectors,
  putFacilityConnection,
  type Resolution,
  replayDeadLetters,
  resolveConflict,
  rotateCredentials,
  syncNow,
} from "../../connections/manage.js";
import { type Handlers, type OpRequest, requireActor } from "../types.js";

// The query has been validated against schemas/openapi.yaml before this runs.
const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
const logQuery = (req: OpRequest): LogQuery => ({
  kind: str(req.query.kind),
  result: str(req.query.result),
  from: str(req.query.from),
  to: str(req.query.to),
  limit: req.query.limit as number | undefined,
  offset: req.query.offset as number | undefined,
});

/** Connections, their health and the review queue (hub/connections/manage.ts). */
export const connectionHandlers: Handlers = {
  listConnectors: async () => ({ body: { items: await listConnectors() } }),
  listConnections: async ({ hub, query }) => ({
    body: { items: await listConnections(hub, { state: query.state as string | undefined }) },
  }),
  getFacilityConnection: async (req) => ({
    body: {
      connection: await getFacilityConnection(req.hub, requireActor(req), req.params.facilityId as string),
    },
  }),
  putFacilityConnection: async (req) => ({
    body: await putFacilityConnection(
      req.hub,
      requireActor(req),
      req.params.facilityId as string,
      req.body as ConnectionInput,
    ),
  }),
  rotateConnectionCredentials: async (req) => ({
    body: await rotateCredentials(req.hub, requireActor(req), req.params.facilityId as string),
  }),
  syncFacilityConnection: async (req) => ({
    status: 202,
    body: await syncNow(req.hub, requireActor(req), req.params.facilityId as string),
  }),
  replayConnectionDeadLetters: async (req) => ({
    body: await replayDeadLetters(req.hub, requireActor(req), req.params.facilityId as string),
  }),
  listConnectionLog: async (req) => ({
    body: await listConnectionLog(req.hub, requireActor(req), req.params.facilityId as string, logQuery(req)),
  }),
  downloadConnectionLogCsv: async (req) => {
    const actor = requireActor(req);
    const facilityId = req.params.facilityId as string;
    const q = logQuery(req);
    const csv = await connectionLogCsv(req.hub, actor, facilityId, q);
    await audit(
      req.hub.prisma,
      actor,
      req.ip,
      {
        action: "export.csv",
        resourceType: "facility",
        resourceId: facilityId,
        detail: { file: "connection/log.csv", ...q, rows: csv.rows },
      },
      req.hub.now(),
    );
    return {
      body: csv.body,
      type: csv.contentType,
      headers: { "Content-Disposition": `attachment; filename="${csv.fileName}"` },
    };
  },
  replayConnectionLogEntry: async (req) => ({
    body: await replayLogEntry(
      req.hub,
      requireActor(req),
      req.params.facilityId as string,
      req.params.logId as string,
    ),
  }),
  sendConnectionTestDelivery: async (req) => ({
    body: await sendTestDelivery(req.hub, requireActor(req), req.params.facilityId as string),
  }),
  previewConnectionMapping: async (req) => ({
    body: await previewMapping(
      req.hub,
      requireActor(req),
      req.params.facilityId as string,
      req.body as PreviewInput,
    ),
  }),
  listSyncConflicts: async (req) => ({
    body: await listConflicts(req.hub, requireActor(req), {
      status: req.query.status as string | undefined,
      facilityId: req.query.facilityId as string | undefined,
      limit: req.query.limit as number | undefined,
      offset: req.query.offset as number | undefined,
    }),
  }),
  resolveSyncConflict: async (req) => ({
    body: await resolveConflict(
      req.hub,
      requireActor(req),
      req.params.conflictId as string,
      req.body as Resolution,
    ),
  }),
};
