import {
  amendApplication,
  applicationByToken,
  approveApplication,
  declineApplication,
  getApplication,
  listApplications,
  requestApplicationCode,
  requestInfo,
  type SubmitInput,
  submitApplication,
} from "../../applications/applications.js";
import type { ApplicantInput, ApplicationState } from "../../applications/rules.js";
import type { VoucherApplication } from "../../db/client.js";
import { CODE_TTL_SECONDS } from "../../identity/codes.js";
import { type Handlers, type OpRequest, requireActor } from "../types.js";

const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : null);

type Row = VoucherApplication & { municipality: { name: string } };

/** What she sees through her link: her own details, the question, the outcome (no internal ids). */
function statusJson(a: Row) {
  return {
    reference: a.reference,
    state: a.state,
    municipalityCode: a.municipalityCode,
    municipalityName: a.municipality.name,
    familyName: a.familyName,
    givenName: a.givenName,
    kana: a.kana,
    birthDate: day(a.birthDate),
    postalCode: a.postalCode,
    address: a.address,
    phone: a.phone,
    email: a.email,
    preferredLanguage: a.preferredLanguage,
    childName: a.childName,
    childBirthDate: day(a.childBirthDate),
    childDueDate: day(a.childDueDate),
    multipleBirth: a.multipleBirth,
    question: a.question,
    answer: a.answer,
    declineReason: a.declineReason,
    submittedAt: a.submittedAt.toISOString(),
  };
}

/** What municipality staff see: the same, with the revision to act on, the consent and what approval created. */
function applicationJson(a: Row) {
  return {
    ...statusJson(a),
    id: a.id,
    revision: a.revision,
    consentAt: a.consentAt.toISOString(),
    consentVersion: a.consentVersion,
    residentId: a.residentId,
    voucherId: a.voucherId,
    decidedAt: a.decidedAt ? a.decidedAt.toISOString() : null,
  };
}

const id = (req: OpRequest) => req.params.applicationId as string;

/**
 * Online voucher applications: public operations for the applicant (code, submit, status and amend by her
 * link's token), audited staff operations for her municipality (reads are x-personal-data, writes are audited).
 */
export const applicationHandlers: Handlers = {
  requestApplicationCode: async (req) => {
    const { email, language } = req.body as { email: string; language?: string };
    await requestApplicationCode(req.hub, { email, language, ip: req.ip });
    return { status: 202, body: { expiresInSeconds: CODE_TTL_SECONDS } };
  },

  submitApplication: async (req) => {
    const { application, municipalityName } = await submitApplication(
      req.hub,
      req.body as SubmitInput,
      req.ip,
    );
    return {
      status: 201,
      body: { reference: application.reference, state: application.state, municipalityName },
    };
  },

  getApplicationStatus: async (req) => {
    const { token } = req.body as { token: string };
    return { body: statusJson(await applicationByToken(req.hub.prisma, token, req.hub.now())) };
  },

  amendApplication: async (req) => {
    const { token, ...input } = req.body as ApplicantInput & { token: string; answer: string };
    return { body: statusJson(await amendApplication(req.hub, token, input, req.ip)) };
  },

  listApplications: async (req) => {
    const { state, limit, offset } = req.query as { state?: ApplicationState; limit: number; offset: number };
    const { total, items } = await listApplications(req.hub.prisma, requireActor(req), {
      state,
      limit,
      offset,
    });
    return { body: { total, items: items.map(applicationJson) } };
  },

  getApplication: async (req) => ({
    body: applicationJson(await getApplication(req.hub.prisma, requireActor(req), id(req))),
  }),

  requestApplicationInfo: async (req) => {
    const body = req.body as { message: string; revision: number };
    return { body: applicationJson(await requestInfo(req.hub, requireActor(req), id(req), body)) };
  },

  declineApplication: async (req) => {
    const body = req.body as { reason: string; revision: number };
    return { body: applicationJson(await declineApplication(req.hub, requireActor(req), id(req), body)) };
  },

  approveApplication: async (req) => {
    const body = req.body as { revision: number };
    return { body: applicationJson(await approveApplication(req.hub, requireActor(req), id(req), body)) };
  },
};
