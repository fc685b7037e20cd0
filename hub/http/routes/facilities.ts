import { updateFacilityProfile } from "../../facilities/facilities.js";
import type { FacilityPatchBody } from "../../facilities/profile.js";
import { assertOwnFacility } from "../../identity/access.js";
import { type Handlers, requireActor } from "../types.js";
import { facilityId } from "./public.js";

/** A facility's staff editing its own profile. */
export const facilityHandlers: Handlers = {
  updateFacility: async (req) => {
    const actor = requireActor(req);
    const id = facilityId(req);
    assertOwnFacility(actor, id);
    const facility = await updateFacilityProfile(req.hub.prisma, {
      facilityId: id,
      // Validated against FacilityPatch before the handler runs.
      body: req.body as FacilityPatchBody,
      userId: actor.userId,
      now: req.hub.now(),
    });
    return { body: facility };
  },
};
