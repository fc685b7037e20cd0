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
import { type Handlers, requireActor } from "../types.js";

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
