import type { FacilityKind, ServiceType } from "../../db/client.js";
import { searchVacancy } from "../../inventory/vacancy.js";
import type { Handlers } from "../types.js";

// The query has been validated against schemas/openapi.yaml (and integers and booleans coerced) before this runs.
const text = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v.trim() : undefined);
const int = (v: unknown, fallback: number) => (typeof v === "number" && Number.isInteger(v) ? v : fallback);

/** The unified vacancy view: public, no personal data; an unmet search is recorded with the searcher's role and own municipality only. */
export const vacancyHandlers: Handlers = {
  searchVacancy: async ({ hub, actor, query, ip }) => {
    const { body } = await searchVacancy(
      hub.prisma,
      hub.directory,
      {
        from: text(query.from),
        to: text(query.to),
        serviceType: text(query.serviceType) as ServiceType | undefined,
        region: text(query.region),
        municipality: text(query.municipality),
        kind: text(query.kind) as FacilityKind | undefined,
        language: text(query.language),
        accessibility: text(query.accessibility),
        q: text(query.q),
        available: query.available === true,
        limit: int(query.limit, 100),
        offset: int(query.offset, 0),
      },
      {
        role: actor?.role ?? "anonymous",
        key: actor ? `session:${actor.sessionId}` : `ip:${ip}`,
        municipalityCode: actor?.municipalityCode ?? null,
        residentId: actor?.residentId ?? null,
      },
      hub.now(),
    );
    // Already serialised: the same search is answered from the bytes kept until something changes.
    return { body, type: "application/json" };
  },
};
