import { problems } from "../../errors.js";
import { assertCanReadMunicipality, assertOwnMunicipality } from "../../identity/access.js";
import { inNetworks, validCidr } from "../../network.js";
import { type Handlers, type OpRequest, requireActor } from "../types.js";

/** LGWAN: the networks a municipality's staff may sign in from (empty = anywhere). */
export const municipalityHandlers: Handlers = {
  getMunicipalityNetwork: async (req) => {
    const { code } = req.params as { code: string };
    assertCanReadMunicipality(requireActor(req), code);
    const m = await req.hub.prisma.municipality.findUnique({
      where: { code },
      select: { allowedCidrs: true },
    });
    if (!m) throw problems.notFound("municipality");
    return { body: { allowedCidrs: m.allowedCidrs } };
  },

  setMunicipalityNetwork: async (req) => {
    const { code } = req.params as { code: string };
    assertOwnMunicipality(requireActor(req), code);
    const allowedCidrs = checkNetworks(req);
    const m = await req.hub.prisma.municipality.update({
      where: { code },
      data: { allowedCidrs },
      select: { allowedCidrs: true },
    });
    req.hub.networks.forget(code);
    return { body: { allowedCidrs: m.allowedCidrs } };
  },
};

/** Trimmed, deduplicated, every entry a valid address or CIDR, and the caller's own address still inside. */
function checkNetworks(req: OpRequest): string[] {
  const raw = (req.body as { allowedCidrs: string[] }).allowedCidrs.map((s) => s.trim());
  const errors = raw.flatMap((s, i) =>
    validCidr(s)
      ? []
      : [{ path: `/allowedCidrs/${i}`, message: `"${s}" is not an IP address or CIDR range` }],
  );
  if (errors.length) throw problems.unprocessable("invalid_cidr", "Some entries are not networks", errors);
  const list = [...new Set(raw)];
  if (list.length && !inNetworks(req.ip, list)) {
    throw problems.unprocessable(
      "would_lock_out",
      `Your current address (${req.ip}) is not in the list; saving it would lock you out`,
    );
  }
  return list;
}
