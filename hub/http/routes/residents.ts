import type { Child, Prisma, Resident } from "../../db/client.js";
import { problems } from "../../errors.js";
import { residentScope } from "../../identity/access.js";
import { residentSearchWhere } from "../../identity/resident-search.js";
import { addChild, createResident, updateOwnContact, updateResident } from "../../residents/residents.js";
import type { ChildInput, ContactInput, ResidentInput } from "../../residents/validate.js";
import { type Handlers, type OpRequest, requireActor } from "../types.js";

const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : null);

function residentJson(r: Resident & { children: Child[] }) {
  return {
    id: r.id,
    municipalityCode: r.municipalityCode,
    familyName: r.familyName,
    givenName: r.givenName,
    kana: r.kana,
    birthDate: day(r.birthDate),
    postalCode: r.postalCode,
    address: r.address,
    email: r.email,
    phone: r.phone,
    preferredLanguage: r.preferredLanguage,
    incomeTier: r.incomeTier,
    consentAt: r.consentAt ? r.consentAt.toISOString() : null,
    externalId: r.externalId,
    children: r.children.map((c) => ({
      id: c.id,
      name: c.name,
      birthDate: day(c.birthDate),
      dueDate: day(c.dueDate),
      multipleBirth: c.multipleBirth,
    })),
  };
}

const children = { orderBy: { birthDate: "asc" } } satisfies Prisma.Resident$childrenArgs;

/** The caller's municipality for staff writes (x-access already admits only municipality staff). */
function ownMunicipality(req: OpRequest): string {
  const actor = requireActor(req);
  if (actor.role !== "municipality" || !actor.municipalityCode) {
    throw problems.forbidden("Only a municipality's own staff may register or edit its residents");
  }
  return actor.municipalityCode;
}

/** Staff reads are audited by the app (x-personal-data); scoping comes from policy.residentScope. */
export const residentHandlers: Handlers = {
  listResidents: async (req) => {
    const actor = requireActor(req);
    const { q, municipality, limit, offset } = req.query as {
      q?: string;
      municipality?: string;
      limit: number;
      offset: number;
    };
    const where: Prisma.ResidentWhereInput = {
      AND: [
        residentScope(actor),
        municipality ? { municipalityCode: municipality } : {},
        residentSearchWhere(q),
      ],
    };
    const [total, rows] = await Promise.all([
      req.hub.prisma.resident.count({ where }),
      req.hub.prisma.resident.findMany({
        where,
        include: { children },
        orderBy: [{ kana: "asc" }, { familyName: "asc" }, { id: "asc" }],
        take: limit,
        skip: offset,
      }),
    ]);
    return { body: { total, items: rows.map(residentJson) } };
  },

  getResident: async (req) => {
    const actor = requireActor(req);
    const resident = await req.hub.prisma.resident.findFirst({
      where: { AND: [{ id: req.params.residentId }, residentScope(actor)] },
      include: { children },
    });
    if (!resident) throw problems.notFound("resident");
    return { body: residentJson(resident) };
  },

  createResident: async (req) => {
    const code = ownMunicipality(req);
    const body = req.body as ResidentInput & { children: ChildInput[] };
    const resident = await createResident(req.hub.prisma, code, body, req.hub.now());
    return { status: 201, body: residentJson(resident) };
  },

  updateResident: async (req) => {
    const code = ownMunicipality(req);
    const body = req.body as ResidentInput;
    const id = req.params.residentId as string;
    return { body: residentJson(await updateResident(req.hub.prisma, code, id, body, req.hub.now())) };
  },

  addChild: async (req) => {
    const code = ownMunicipality(req);
    const id = req.params.residentId as string;
    const resident = await addChild(req.hub.prisma, code, id, req.body as ChildInput, req.hub.now());
    return { status: 201, body: residentJson(resident) };
  },

  updateMyContact: async (req) => {
    const actor = requireActor(req);
    if (actor.role !== "resident" || !actor.residentId) throw problems.notFound("resident");
    const resident = await updateOwnContact(req.hub.prisma, actor.residentId, req.body as ContactInput);
    return { body: residentJson(resident) };
  },
};
