import type { ServiceType, WaitlistStatus } from "../../db/client.js";
import {
  acceptOffer,
  declineOffer,
  getWaitlistEntry,
  type JoinInput,
  joinWaitlist,
  leaveWaitlist,
  listWaitlist,
  updateWaitlistEntry,
} from "../../waitlist/entries.js";
import { type Handlers, type OpRequest, requireActor } from "../types.js";

// Path, query and body have been validated against schemas/openapi.yaml before these run.
const entryId = (req: OpRequest) => req.params.entryId ?? "";
const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);

/** The waitlist (予約待機): entries, offers and their answers. */
export const waitlistHandlers: Handlers = {
  listWaitlist: async (req) => ({
    body: await listWaitlist(req.hub.prisma, requireActor(req), {
      status: str(req.query.status) as WaitlistStatus | undefined,
      facilityId: str(req.query.facilityId),
      residentId: str(req.query.residentId),
      serviceType: str(req.query.serviceType) as ServiceType | undefined,
      limit: typeof req.query.limit === "number" ? req.query.limit : 50,
      offset: typeof req.query.offset === "number" ? req.query.offset : 0,
    }),
  }),

  joinWaitlist: async (req) => {
    const entry = await joinWaitlist(req.hub.prisma, requireActor(req), req.body as JoinInput, req.hub.now());
    // A place that is already free is offered at once; the sweep would otherwise find it within a minute.
    void req.hub.queue
      .add("waitlist.offer", { facilityId: entry.facilityId, serviceType: entry.serviceType })
      .catch(() => {});
    return {
      status: 201,
      body: entry,
      headers: { Location: `${req.hub.config.BASE_PATH}api/waitlist/${entry.id}` },
    };
  },

  getWaitlistEntry: async (req) => ({
    body: await getWaitlistEntry(req.hub.prisma, requireActor(req), entryId(req)),
  }),

  updateWaitlistEntry: async (req) => ({
    body: await updateWaitlistEntry(
      req.hub.prisma,
      requireActor(req),
      entryId(req),
      req.body as { priority?: number; note?: string },
      req.hub.now(),
    ),
  }),

  leaveWaitlist: async (req) => ({
    body: await leaveWaitlist(req.hub.prisma, requireActor(req), entryId(req), req.hub.now()),
  }),

  acceptWaitlistOffer: async (req) => ({
    body: await acceptOffer(req.hub.prisma, requireActor(req), entryId(req), req.hub.now()),
  }),

  declineWaitlistOffer: async (req) => ({
    body: await declineOffer(req.hub.prisma, requireActor(req), entryId(req), req.hub.now()),
  }),
};
