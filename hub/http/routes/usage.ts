import { problems } from "../../errors.js";
import type { Actor } from "../../identity/actor.js";
import { confirmMonth, monthlyUsage, requireMonth } from "../../usage/monthly.js";
import { type Handlers, requireActor } from "../types.js";

/**
 * Monthly confirmation (確認・承認) of usage: municipality staff read and confirm their own residents' uses of a
 * month; the prefecture reads any municipality's (read-only). Reads are audited by the app (x-personal-data),
 * as are confirmations (staff writes).
 */
export const usageHandlers: Handlers = {
  getMonthlyUsage: async (req) => {
    const actor = requireActor(req);
    const q = req.query as { month?: unknown; municipalityCode?: string };
    const month = requireMonth(q.month);
    const code = readableMunicipality(actor, q.municipalityCode);
    return { body: await monthlyUsage(req.hub.prisma, code, month, req.hub.now()) };
  },

  confirmMonthlyUsage: async (req) => {
    const actor = requireActor(req);
    if (actor.role !== "municipality" || !actor.municipalityCode) {
      throw problems.forbidden("Only a municipality's own staff may confirm its usage");
    }
    const month = requireMonth((req.params as { month: string }).month);
    const body = (req.body ?? {}) as { note?: unknown };
    const result = await confirmMonth(req.hub.prisma, actor.municipalityCode, month, {
      now: req.hub.now(),
      note: body.note,
      confirmedBy: actor.userId,
    });
    return { body: result };
  },
};

/**
 * Whose usage the caller reads: municipality staff their own municipality only (another code is answered 404,
 * like other tenant reads, so codes cannot be probed); the prefecture must name one (422 otherwise).
 */
function readableMunicipality(actor: Actor, requested: string | undefined): string {
  if (actor.role === "municipality" && actor.municipalityCode) {
    if (requested && requested !== actor.municipalityCode) throw problems.notFound("municipality");
    return actor.municipalityCode;
  }
  if (actor.role === "prefecture") {
    if (!requested) {
      throw problems.unprocessable("municipality_required", "Choose a municipality (municipalityCode)", [
        { path: "municipalityCode", message: "required for the prefecture" },
      ]);
    }
    return requested;
  }
  throw problems.forbidden();
}
