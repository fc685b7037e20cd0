import { problems } from "../../errors.js";
import {
  getPublicFacility,
  listAssociations,
  listFacilityRevisions,
  listMunicipalities,
} from "../../facilities/facilities.js";
import type { FacilityFilters } from "../../facilities/search.js";
import type { Handlers, OpRequest } from "../types.js";

/** Public reads: municipalities, associations, the facility directory and its change history. */
export const publicHandlers: Handlers = {
  listMunicipalities: async ({ hub }) => ({ body: { items: await listMunicipalities(hub.prisma) } }),

  listAssociations: async ({ hub }) => ({ body: { items: await listAssociations(hub.prisma) } }),

  listFacilities: async ({ hub, query }) => {
    const filters: FacilityFilters = {
      q: text(query.q),
      municipality: text(query.municipality),
      region: text(query.region),
      kind: text(query.kind) as FacilityFilters["kind"],
      serviceType: text(query.serviceType) as FacilityFilters["serviceType"],
      language: text(query.language),
      accessibility: text(query.accessibility),
    };
    const page = { limit: int(query.limit, 50), offset: int(query.offset, 0) };
    // Already serialised: the same search is answered from the bytes kept until the directory changes.
    return { body: await hub.directory.searchJson(filters, page), type: "application/json" };
  },

  getFacility: async (req) => ({ body: await getPublicFacility(req.hub.directory, facilityId(req)) }),

  listFacilityRevisions: async (req) => ({
    body: { items: await listFacilityRevisions(req.hub.prisma, facilityId(req)) },
  }),
};

/** The `facilityId` path parameter (the router has already checked it is a UUID). */
export function facilityId(req: OpRequest): string {
  const id = req.params.facilityId;
  if (!id) throw problems.notFound("facility");
  return id;
}

function text(v: unknown): string | undefined {
  if (typeof v !== "string") return undefined;
  const t = v.trim();
  return t === "" ? undefined : t;
}

function int(v: unknown, fallback: number): number {
  return typeof v === "number" && Number.isInteger(v) ? v : fallback;
}
