import { spend } from "../../identity/throttle.js";
import {
  createAnnouncement,
  currentAnnouncements,
  deleteAnnouncement,
  listAnnouncements,
  updateAnnouncement,
} from "../../support/announcements.js";
import {
  createFaqEntry,
  deleteFaqEntry,
  listFaqEntries,
  publicFaq,
  updateFaqEntry,
} from "../../support/faq.js";
import {
  addFollowUp,
  createInquiry,
  getFaqDraft,
  getInquiry,
  inquiryStep,
  listInquiries,
  listMyInquiries,
} from "../../support/inquiries.js";
import { validateInquiry } from "../../support/rules.js";
import { type Handlers, requireActor } from "../types.js";

/**
 * Support: the help desk (inquiries), the FAQ and announcements (hub/support). Sending an inquiry and reading the
 * FAQ and the current announcements are public; staff reads of inquiries are personal data (x-personal-data,
 * audited by the app), as are all staff writes.
 */
export const supportHandlers: Handlers = {
  createInquiry: async (req) => {
    // Checked before a point is spent, so a mistyped form does not use up the sender's allowance.
    validateInquiry(req.body);
    const key = req.actor?.verified ? `user:${req.actor.userId}` : `ip:${req.ip}`;
    await spend(req.hub.limits.inquiryPerSender, key);
    const actor = req.actor?.verified ? req.actor : null;
    return { status: 201, body: await createInquiry(req.hub.prisma, actor, req.body, req.hub.now()) };
  },

  listMyInquiries: async (req) => ({ body: await listMyInquiries(req.hub.prisma, requireActor(req)) }),

  addInquiryFollowUp: async (req) => {
    const { inquiryId } = req.params as { inquiryId: string };
    return {
      body: await addFollowUp(req.hub.prisma, requireActor(req), inquiryId, req.body, req.hub.now()),
    };
  },

  listInquiries: async (req) => {
    const q = req.query as {
      status?: string;
      category?: string;
      q?: string;
      limit?: number;
      offset?: number;
    };
    return {
      body: await listInquiries(req.hub.prisma, requireActor(req), {
        status: q.status || undefined,
        category: q.category || undefined,
        q: q.q,
        limit: q.limit ?? 50,
        offset: q.offset ?? 0,
      }),
    };
  },

  getInquiry: async (req) => {
    const { inquiryId } = req.params as { inquiryId: string };
    return { body: await getInquiry(req.hub.prisma, requireActor(req), inquiryId) };
  },

  answerInquiry: async (req) => {
    const { inquiryId } = req.params as { inquiryId: string };
    const actor = requireActor(req);
    return { body: await inquiryStep(req.hub.prisma, actor, inquiryId, "answer", req.body, req.hub.now()) };
  },

  closeInquiry: async (req) => {
    const { inquiryId } = req.params as { inquiryId: string };
    const actor = requireActor(req);
    return { body: await inquiryStep(req.hub.prisma, actor, inquiryId, "close", req.body, req.hub.now()) };
  },

  reopenInquiry: async (req) => {
    const { inquiryId } = req.params as { inquiryId: string };
    const actor = requireActor(req);
    return { body: await inquiryStep(req.hub.prisma, actor, inquiryId, "reopen", req.body, req.hub.now()) };
  },

  getInquiryFaqDraft: async (req) => {
    const { inquiryId } = req.params as { inquiryId: string };
    return { body: await getFaqDraft(req.hub.prisma, requireActor(req), inquiryId) };
  },

  getFaq: async (req) => ({ body: await publicFaq(req.hub.prisma) }),

  listFaqEntries: async (req) => ({ body: await listFaqEntries(req.hub.prisma, requireActor(req)) }),

  createFaqEntry: async (req) => ({
    status: 201,
    body: await createFaqEntry(req.hub.prisma, requireActor(req), req.body, req.hub.now(), req.ip),
  }),

  updateFaqEntry: async (req) => {
    const { faqId } = req.params as { faqId: string };
    return {
      body: await updateFaqEntry(req.hub.prisma, requireActor(req), faqId, req.body, req.hub.now(), req.ip),
    };
  },

  deleteFaqEntry: async (req) => {
    const { faqId } = req.params as { faqId: string };
    await deleteFaqEntry(req.hub.prisma, requireActor(req), faqId);
    return { status: 204 };
  },

  getCurrentAnnouncements: async (req) => ({
    body: await currentAnnouncements(req.hub.prisma, req.actor?.verified ? req.actor : null, req.hub.now()),
  }),

  listAnnouncements: async (req) => ({ body: await listAnnouncements(req.hub.prisma, requireActor(req)) }),

  createAnnouncement: async (req) => ({
    status: 201,
    body: await createAnnouncement(req.hub.prisma, requireActor(req), req.body, req.hub.now()),
  }),

  updateAnnouncement: async (req) => {
    const { announcementId } = req.params as { announcementId: string };
    return { body: await updateAnnouncement(req.hub.prisma, requireActor(req), announcementId, req.body) };
  },

  deleteAnnouncement: async (req) => {
    const { announcementId } = req.params as { announcementId: string };
    await deleteAnnouncement(req.hub.prisma, requireActor(req), announcementId);
    return { status: 204 };
  },
};
