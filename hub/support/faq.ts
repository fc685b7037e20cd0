/**
 * よくある質問 (FAQ). Published entries are public (GET /api/faq, no sign-in), grouped by category in the order
 * of INQUIRY_CATEGORIES, each group by sort order; Japanese always, English when given. The help desk (operator)
 * creates entries — from scratch or from an answered inquiry (prefilled by getFaqDraft, then edited) — edits,
 * publishes, unpublishes and deletes them. An entry made from an inquiry is linked both ways
 * (FaqEntry.sourceInquiryId, Inquiry.faqEntryId) and carries none of the sender's contact data.
 */

import type { FaqEntry, PrismaClient } from "../db/client.js";
import { problems } from "../http/problem.js";
import type { Actor } from "../identity/actor.js";
import { notAnswered } from "./inquiries.js";
import { type FaqInput, INQUIRY_CATEGORIES, validateFaq } from "./rules.js";

export type FaqEntryDto = {
  id: string;
  category: string;
  questionJa: string;
  answerJa: string;
  questionEn: string;
  answerEn: string;
  published: boolean;
  publishedAt: string | null;
  sortOrder: number;
  sourceInquiryId: string | null;
  createdAt: string;
  updatedAt: string;
};

function dto(e: FaqEntry): FaqEntryDto {
  return {
    id: e.id,
    category: e.category,
    questionJa: e.questionJa,
    answerJa: e.answerJa,
    questionEn: e.questionEn,
    answerEn: e.answerEn,
    published: e.published,
    publishedAt: e.publishedAt?.toISOString() ?? null,
    sortOrder: e.sortOrder,
    sourceInquiryId: e.sourceInquiryId,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}

const ORDER = [{ sortOrder: "asc" as const }, { createdAt: "asc" as const }, { id: "asc" as const }];

/** The published FAQ, grouped by category (categories without entries left out). */
export async function publicFaq(prisma: PrismaClient): Promise<{
  categories: { category: string; items: FaqEntryDto[] }[];
}> {
  const rows = await prisma.faqEntry.findMany({ where: { published: true }, orderBy: ORDER });
  const known: readonly string[] = INQUIRY_CATEGORIES;
  const order = [...known, ...new Set(rows.map((r) => r.category).filter((c) => !known.includes(c)))];
  return {
    categories: order
      .map((category) => ({ category, items: rows.filter((r) => r.category === category).map(dto) }))
      .filter((g) => g.items.length > 0),
  };
}

function assertHelpDesk(actor: Actor) {
  if (actor.role !== "operator") throw problems.forbidden("Only the help desk manages the FAQ");
}

/** Every entry, published or not, for the help desk. */
export async function listFaqEntries(prisma: PrismaClient, actor: Actor): Promise<{ items: FaqEntryDto[] }> {
  assertHelpDesk(actor);
  const rows = await prisma.faqEntry.findMany({ orderBy: [{ category: "asc" }, ...ORDER] });
  return { items: rows.map(dto) };
}

const asInput = (e: FaqEntry): FaqInput => ({
  category: e.category as FaqInput["category"],
  questionJa: e.questionJa,
  answerJa: e.answerJa,
  questionEn: e.questionEn,
  answerEn: e.answerEn,
  published: e.published,
  sortOrder: e.sortOrder,
});

/**
 * A new entry. With `sourceInquiryId`, made from that inquiry: it must exist (404) and have been answered
 * (409 `inquiry_not_answered`), and must not have become an entry already (409 `faq_exists`).
 */
export async function createFaqEntry(
  prisma: PrismaClient,
  actor: Actor,
  body: unknown,
  now: Date,
): Promise<FaqEntryDto> {
  assertHelpDesk(actor);
  const input = validateFaq(body);
  const source = (body as { sourceInquiryId?: unknown } | null)?.sourceInquiryId;
  const sourceId = typeof source === "string" && source ? source : null;
  return prisma.$transaction(async (tx) => {
    if (sourceId) {
      await tx.$executeRaw`SELECT id FROM inquiry WHERE id = ${sourceId}::uuid FOR UPDATE`;
      const inquiry = await tx.inquiry.findUnique({
        where: { id: sourceId },
        select: { faqEntryId: true, messages: { where: { kind: "answer" }, select: { id: true }, take: 1 } },
      });
      if (!inquiry) throw problems.notFound("inquiry");
      if (inquiry.messages.length === 0) throw notAnswered();
      if (inquiry.faqEntryId) {
        throw problems.conflict("faq_exists", "This inquiry has already become an FAQ entry");
      }
    }
    const created = await tx.faqEntry.create({
      data: {
        ...input,
        publishedAt: input.published ? now : null,
        sourceInquiryId: sourceId,
        createdBy: actor.userId,
        createdAt: now,
      },
    });
    if (sourceId) await tx.inquiry.update({ where: { id: sourceId }, data: { faqEntryId: created.id } });
    return dto(created);
  });
}

/** Edits an entry (only the fields given); publishing sets publishedAt, unpublishing clears it. */
export async function updateFaqEntry(
  prisma: PrismaClient,
  actor: Actor,
  id: string,
  body: unknown,
  now: Date,
): Promise<FaqEntryDto> {
  assertHelpDesk(actor);
  const before = await prisma.faqEntry.findUnique({ where: { id } });
  if (!before) throw problems.notFound("FAQ entry");
  const input = validateFaq(body, asInput(before));
  const publishedAt = input.published ? (before.publishedAt ?? now) : null;
  const updated = await prisma.faqEntry.update({ where: { id }, data: { ...input, publishedAt } });
  return dto(updated);
}

/** Deletes an entry (the inquiry it came from forgets it). */
export async function deleteFaqEntry(prisma: PrismaClient, actor: Actor, id: string): Promise<void> {
  assertHelpDesk(actor);
  await prisma.$transaction(async (tx) => {
    const { count } = await tx.faqEntry.deleteMany({ where: { id } });
    if (count === 0) throw problems.notFound("FAQ entry");
    await tx.inquiry.updateMany({ where: { faqEntryId: id }, data: { faqEntryId: null } });
  });
}
