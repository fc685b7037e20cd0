import type { ServiceType } from "../../db/client.js";
import {
  addClosure,
  type CapacityInput,
  type ClosureInput,
  listClosures,
  listSlots,
  removeClosure,
  type ServiceInput,
  setCapacity,
  setFacilityService,
} from "../../inventory/inventory.js";
import { type Handlers, type OpRequest, requireActor } from "../types.js";

// Path, query and body have been validated against schemas/openapi.yaml before these run.
const param = (req: OpRequest, name: string) => req.params[name] ?? "";
const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);

/** Services, capacity, vacancy and closures of a facility. */
export const inventoryHandlers: Handlers = {
  setFacilityService: async (req) => ({
    body: await setFacilityService(
      req.hub.prisma,
      requireActor(req),
      param(req, "facilityId"),
      param(req, "serviceType") as ServiceType,
      req.body as ServiceInput,
    ),
  }),

  listSlots: async (req) => ({
    body: await listSlots(
      req.hub.prisma,
      req.actor,
      {
        facilityId: param(req, "facilityId"),
        from: str(req.query.from) ?? "",
        to: str(req.query.to) ?? "",
        serviceType: str(req.query.serviceType) as ServiceType | undefined,
      },
      req.hub.now(),
    ),
  }),

  setCapacity: async (req) => ({
    body: await setCapacity(
      req.hub.prisma,
      requireActor(req),
      param(req, "facilityId"),
      req.body as CapacityInput,
      req.hub.now(),
    ),
  }),

  listClosures: async (req) => ({
    body: { items: await listClosures(req.hub.prisma, req.actor, param(req, "facilityId")) },
  }),

  addClosure: async (req) => ({
    status: 201,
    body: await addClosure(
      req.hub.prisma,
      requireActor(req),
      param(req, "facilityId"),
      req.body as ClosureInput,
      req.hub.now(),
    ),
  }),

  removeClosure: async (req) => {
    await removeClosure(
      req.hub.prisma,
      requireActor(req),
      param(req, "facilityId"),
      param(req, "closureId"),
      req.hub.now(),
    );
    return { status: 204 };
  },
};
