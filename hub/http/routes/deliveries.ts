import { type DeliveryQuery, listDeliveries } from "../../notify/delivery-log.js";
import { type Handlers, requireActor } from "../types.js";

export const deliveryHandlers: Handlers = {
  /** The delivery log, newest first, scoped to the caller's tenant (see hub/notify/delivery-log.ts). */
  listDeliveries: async (req) => {
    const actor = requireActor(req);
    return { body: await listDeliveries(req.hub.prisma, actor, req.query as DeliveryQuery) };
  },
};
