/**
 * よくある質問 (FAQ). Published entries are public (GET /api/faq, no sign-in), grouped by category in the order
 * of INQUIRY_CATEGORIES, each group by sort order; Japanese always, English when given. The help desk (operator)
 * creates entries — from scratch or from an answered inquiry (prefilled by getFaqDraft, then edited) — edits,
 * publishes, unpublishes and deletes them. An entry made from an inquiry is linked both ways
 * (FaqEntry.sourceInquiryId, Inquiry.faqEntryId) and carries none of the sender's contact data.
 *
 * Every save checks the texts for personal data (faqFindings; with the names of the inquiry's sender when the
 * entry came from one). A draft is saved with its findings; the entry's findings come with it. Publishing, and
 * saving a published entry, are refused (422 `personal_data_suspected`, the findings listed) until every finding
 * is edited away or confirmed by the operator as not personal data (`confirmFindings`: the finding ids), and the
 * confirmations are audited. Nothing is masked silently.
 */

import { audit } from "../audit/audit.js";
import type { FaqEntry, Prisma, PrismaClient } from "../db/client.js";
import { problems } from "../errors.js";
import type { Actor } from "../identity/actor.js";
import { notAnswered } from "./inquiries.js";
import {
  type FaqFinding,
  type FaqInput,
  faqFindings,
  INQUIRY_CATEGORIES,
  personalDataSuspected,
  unconfirmedFindings,
  validateConfirmations,
  validateFaq,
} from "./rules.js";

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

/** An entry as the help desk sees it: with what looks like personal data in it. */
export type FaqEntryWithFindings = FaqEntryDto & { findings: FaqFinding[] };

type Sender = { contactName: string; contactEmail: string | null; contactPhone: string | null } | null;

const senderOf = (s: Sender) => s && { name: s.contactName, email: s.contactEmail, phone: s.contactPhone };

const withFindings = (e: FaqEntry, sender: Sender): FaqEntryWithFindings => ({
  ...dto(e),
  findings: faqFindings(e, senderOf(sender)),
});

const SENDER = { select: { contactName: true, contactEmail: true, contactPhone: true } } as const;

async function senderFor(
  prisma: PrismaClient | Prisma.TransactionClient,
  inquiryId: string | null,
): Promise<Sender> {
  if (!inquiryId) return null;
  return prisma.inquiry.findUnique({ where: { id: inquiryId }, ...SENDER });
}

/**
 * The check on every save: the findings of the entry as it will be; refused (nothing saved) when it will be
 * published with findings not confirmed; the confirmed ones, to audit.
 */
function check(input: FaqInput, sender: Sender, confirmations: string[]) {
  const findings = faqFindings(input, senderOf(sender));
  if (input.published) {
    const open = unconfirmedFindings(findings, confirmations);
    if (open.length > 0) throw personalDataSuspected(findings, open);
  }
  const confirmed = findings.filter((f) => confirmations.includes(f.id));
  return { findings, confirmed };
}

/** The confirmations an operator gave, in the audit log: which finding, where, what class; not the text. */
async function auditConfirmations(
  tx: Prisma.TransactionClient,
  actor: Actor,
  ip: string,
  entryId: string,
  confirmed: FaqFinding[],
  now: Date,
) {
  if (confirmed.length === 0) return;
  await audit(
    tx,
    actor,
    ip,
    {
      action: "faq.findings_confirmed",
      resourceType: "faq_entry",
      resourceId: entryId,
      detail: {
        // Not the finding's id: it carries a short hash of the matched text, which for a phone number could be
        // guessed back. Field, class and position say what was confirmed.
        findings: confirmed.map((f) => ({
          field: f.field,
          class: f.class,
          start: f.start,
          end: f.end,
        })),
      },
    },
    now,
  );
}

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
export async function listFaqEntries(
  prisma: PrismaClient,
  actor: Actor,
): Promise<{ items: FaqEntryWithFindings[] }> {
  assertHelpDesk(actor);
  const rows = await prisma.faqEntry.findMany({ orderBy: [{ category: "asc" }, ...ORDER] });
  const ids = [...new Set(rows.map((r) => r.sourceInquiryId).filter((id): id is string => !!id))];
  const senders = await prisma.inquiry.findMany({
    where: { id: { in: ids } },
    select: { id: true, ...SENDER.select },
  });
  const byId = new Map(senders.map((s) => [s.id, s]));
  return {
    items: rows.map((r) => withFindings(r, (r.sourceInquiryId && byId.get(r.sourceInquiryId)) || null)),
  };
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
 * (409 `inquiry_not_answered`), and must not have become an entry already (409 `faq_exists`). Published at once
 * only without unconfirmed findings (422 `personal_data_suspected`, nothing saved).
 */
export async function createFaqEntry(
  prisma: PrismaClient,
  actor: Actor,
  body: unknown,
  now: Date,
  ip = "",
): Promise<FaqEntryWithFindings> {
  assertHelpDesk(actor);
  const input = validateFaq(body);
  const confirmations = validateConfirmations(body);
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
    const sender = await senderFor(tx, sourceId);
    const { findings, confirmed } = check(input, sender, confirmations);
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
    await auditConfirmations(tx, actor, ip, created.id, confirmed, now);
    return { ...dto(created), findings };
  });
}

/**
 * Edits an entry (only the fields given); publishing sets publishedAt, unpublishing clears it. An entry published
 * (or staying published) must have no unconfirmed findings (422 `personal_data_suspected`, nothing saved).
 */
export async function updateFaqEntry(
  prisma: PrismaClient,
  actor: Actor,
  id: string,
  body: unknown,
  now: Date,
  ip = "",
): Promise<FaqEntryWithFindings> {
  assertHelpDesk(actor);
  const before = await prisma.faqEntry.findUnique({ where: { id } });
  if (!before) throw problems.notFound("FAQ entry");
  const input = validateFaq(body, asInput(before));
  const confirmations = validateConfirmations(body);
  const sender = await senderFor(prisma, before.sourceInquiryId);
  const { findings, confirmed } = check(input, sender, confirmations);
  const publishedAt = input.published ? (before.publishedAt ?? now) : null;
  return prisma.$transaction(async (tx) => {
    const updated = await tx.faqEntry.update({ where: { id }, data: { ...input, publishedAt } });
    await auditConfirmations(tx, actor, ip, id, confirmed, now);
    return { ...dto(updated), findings };
  });
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
