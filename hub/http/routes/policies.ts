import { DomainError, problems } from "../../errors.js";
import { assertCanReadMunicipalityPolicies, assertOwnMunicipality } from "../../identity/access.js";
import { requireDate } from "../../inventory/dates.js";
import {
  createPolicyVersion,
  listPolicyVersions,
  policyInForce,
  previewPolicyVersion,
  tokyoTodayText,
} from "../../policies/store.js";
import { type Handlers, type OpRequest, requireActor } from "../types.js";

/** Municipal policy versions (利用条件): listed, added (never edited), previewed, and read by anyone in force. */
export const policyHandlers: Handlers = {
  listPolicyVersions: async (req) => {
    const { code } = req.params as { code: string };
    assertCanReadMunicipalityPolicies(requireActor(req), code);
    await assertMunicipality(req, code);
    return { body: { items: await listPolicyVersions(req.hub.prisma, code, req.hub.now()) } };
  },

  createPolicyVersion: async (req) => {
    const { code } = req.params as { code: string };
    const actor = requireActor(req);
    assertOwnMunicipality(actor, code);
    const created = await createPolicyVersion(req.hub.prisma, code, req.body, {
      now: req.hub.now(),
      createdBy: actor.userId,
    });
    return { status: 201, body: created };
  },

  previewPolicyVersion: async (req) => {
    const { code } = req.params as { code: string };
    assertOwnMunicipality(requireActor(req), code);
    return { body: await previewPolicyVersion(req.hub.prisma, code, req.body, req.hub.now()) };
  },

  getPolicyInForce: async (req) => {
    const { code } = req.params as { code: string };
    const date = (req.query.date as string | undefined) ?? tokyoTodayText(req.hub.now());
    requireDate(date, "date");
    const policy = await policyInForce(req.hub.prisma, code, date, req.hub.now());
    if (!policy) {
      throw new DomainError(
        "not_found",
        "no_policy",
        "Not found",
        `No policy of ${code} is in force on ${date}`,
      );
    }
    return { body: policy };
  },
};

async function assertMunicipality(req: OpRequest, code: string): Promise<void> {
  const m = await req.hub.prisma.municipality.findUnique({ where: { code }, select: { code: true } });
  if (!m) throw problems.notFound("municipality");
}
