/**
 * The help desk (問い合わせ). Anyone — signed in or not — sends an inquiry (category, subject, text, contact); it
 * gets a number to quote (Q-000042) and its history starts with the question. The help desk (operator role)
 * lists and reads inquiries, answers (status → answered; the sender is e-mailed the answer through the outbox
 * when they gave an address), closes and reopens them; every step is an InquiryMessage, append-only. A signed-in
 * sender sees their own inquiries with the answers and can add a follow-up (status → open again). The prefecture
 * reads every inquiry with its whole history, read-only. Staff reads are audited by the app (x-personal-data).
 */

import type { InquiryStatus, Prisma, PrismaClient } from "../db/client.js";
import { likeLiteral } from "../db/like.js";
import { problems } from "../errors.js";
import type { Actor } from "../identity/actor.js";
import { enqueueMessage } from "../notify/outbox.js";
import {
  faqDraft,
  INQUIRY_CATEGORIES,
  type InquiryCategory,
  inquiryReference,
  parseInquiryReference,
  validateInquiry,
  validateMessage,
} from "./rules.js";

export const INQUIRY_STATUSES: readonly InquiryStatus[] = ["open", "answered", "closed"];

export type InquiryMessageDto = {
  id: string;
  kind: string;
  body: string;
  status: InquiryStatus;
  authorRole: string;
  at: string;
};

export type InquiryDto = {
  id: string;
  number: number;
  reference: string;
  category: string;
  subject: string;
  status: InquiryStatus;
  authorRole: string;
  contactName: string;
  contactEmail: string | null;
  contactPhone: string | null;
  locale: string;
  faqEntryId: string | null;
  createdAt: string;
  updatedAt: string;
  messages: InquiryMessageDto[];
};

const select = {
  id: true,
  number: true,
  category: true,
  subject: true,
  status: true,
  authorId: true,
  authorRole: true,
  contactName: true,
  contactEmail: true,
  contactPhone: true,
  locale: true,
  faqEntryId: true,
  createdAt: true,
  updatedAt: true,
  messages: { orderBy: [{ at: "asc" }, { id: "asc" }] },
} satisfies Prisma.InquirySelect;
type Row = Prisma.InquiryGetPayload<{ select: typeof select }>;

function dto(r: Row): InquiryDto {
  return {
    id: r.id,
    number: r.number,
    reference: inquiryReference(r.number),
    category: r.category,
    subject: r.subject,
    status: r.status,
    authorRole: r.authorRole,
    contactName: r.contactName,
    contactEmail: r.contactEmail,
    contactPhone: r.contactPhone,
    locale: r.locale,
    faqEntryId: r.faqEntryId,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    messages: r.messages.map((m) => ({
      id: String(m.id),
      kind: m.kind,
      body: m.body,
      status: m.status,
      authorRole: m.authorRole,
      at: m.at.toISOString(),
    })),
  };
}

const SIGNATURE = ["", "──", "宮城県 産後ケア ポータル ヘルプデスク / Miyagi postpartum-care help desk"];

function receiptMail(i: Row): { subject: string; text: string } {
  const ref = inquiryReference(i.number);
  return {
    subject: `【産後ケア みやぎ】お問い合わせを受け付けました（${ref}）/ We received your inquiry`,
    text: [
      `${i.contactName} 様`,
      "",
      `お問い合わせを受け付けました。受付番号は ${ref} です。回答はこのアドレスにお送りします。`,
      `件名：${i.subject}`,
      "",
      `We received your inquiry. Its number is ${ref}; the answer will be sent to this address.`,
      ...SIGNATURE,
    ].join("\n"),
  };
}

function answerMail(i: Row, answer: string): { subject: string; text: string } {
  const ref = inquiryReference(i.number);
  return {
    subject: `【産後ケア みやぎ】お問い合わせ（${ref}）への回答 / Answer to your inquiry ${ref}`,
    text: [
      `${i.contactName} 様`,
      "",
      `お問い合わせ（${ref}「${i.subject}」）に回答します。`,
      `Here is the answer to your inquiry ${ref}.`,
      "",
      answer,
      "",
      "ご不明な点があれば、ポータルの「ヘルプ」から受付番号を添えてお問い合わせください。",
      "If anything is unclear, send a new inquiry from Help in the portal and quote the number.",
      ...SIGNATURE,
    ].join("\n"),
  };
}

/**
 * Stores an inquiry and its question; the sender is e-mailed a receipt with the number when they gave an address.
 * A signed-in sender is remembered as its author (they see it under "my inquiries").
 */
export async function createInquiry(
  prisma: PrismaClient,
  actor: Actor | null,
  body: unknown,
  now: Date,
): Promise<InquiryDto> {
  const input = validateInquiry(body);
  return prisma.$transaction(async (tx) => {
    const created = await tx.inquiry.create({
      data: {
        category: input.category,
        subject: input.subject,
        authorId: actor?.userId ?? null,
        authorRole: actor?.role ?? "anonymous",
        contactName: input.contactName,
        contactEmail: input.contactEmail,
        contactPhone: input.contactPhone,
        locale: input.locale,
        createdAt: now,
        messages: {
          create: {
            kind: "question",
            body: input.text,
            status: "open",
            authorId: actor?.userId ?? null,
            authorRole: actor?.role ?? "anonymous",
            at: now,
          },
        },
      },
      select,
    });
    if (created.contactEmail) {
      await enqueueMessage(tx, {
        channel: "email",
        to: created.contactEmail,
        ...receiptMail(created),
        language: created.locale,
      });
    }
    return dto(created);
  });
}

/** The caller's own inquiries, newest first, with their history. */
export async function listMyInquiries(prisma: PrismaClient, actor: Actor): Promise<{ items: InquiryDto[] }> {
  const rows = await prisma.inquiry.findMany({
    where: { authorId: actor.userId },
    select,
    orderBy: [{ createdAt: "desc" }, { number: "desc" }],
    take: 200,
  });
  return { items: rows.map(dto) };
}

function assertHelpDesk(actor: Actor, write: boolean): void {
  const ok = write ? actor.role === "operator" : actor.role === "operator" || actor.role === "prefecture";
  if (!ok)
    throw problems.forbidden(
      write ? "Only the help desk may do this" : "Only the help desk and the prefecture",
    );
}

export type InquiryFilters = {
  status?: string;
  category?: string;
  q?: string;
  limit: number;
  offset: number;
};

/**
 * Inquiries for the help desk and the prefecture, newest first: optionally one status, one category, and a
 * search (a number like Q-000042, or words in the subject or the contact's name). 422 `invalid_filter` for an
 * unknown status or category.
 */
export async function listInquiries(
  prisma: PrismaClient,
  actor: Actor,
  f: InquiryFilters,
): Promise<{ items: InquiryDto[]; total: number; counts: Record<InquiryStatus, number> }> {
  assertHelpDesk(actor, false);
  const errors: { path: string; message: string }[] = [];
  if (f.status && !(INQUIRY_STATUSES as readonly string[]).includes(f.status)) {
    errors.push({ path: "status", message: "one of open, answered, closed" });
  }
  if (f.category && !(INQUIRY_CATEGORIES as readonly string[]).includes(f.category)) {
    errors.push({ path: "category", message: `one of ${INQUIRY_CATEGORIES.join(", ")}` });
  }
  if (errors.length > 0) throw problems.unprocessable("invalid_filter", "Unknown status or category", errors);
  const where: Prisma.InquiryWhereInput = {};
  if (f.category) where.category = f.category as InquiryCategory;
  const q = f.q?.trim();
  if (q) {
    const n = parseInquiryReference(q);
    where.OR = [
      ...(n ? [{ number: n }] : []),
      { subject: { contains: likeLiteral(q), mode: "insensitive" } },
      { contactName: { contains: likeLiteral(q), mode: "insensitive" } },
    ];
  }
  const grouped = await prisma.inquiry.groupBy({ by: ["status"], where, _count: { _all: true } });
  const counts: Record<InquiryStatus, number> = { open: 0, answered: 0, closed: 0 };
  for (const g of grouped) counts[g.status] = g._count._all;
  const filtered = f.status ? { ...where, status: f.status as InquiryStatus } : where;
  const [rows, total] = await Promise.all([
    prisma.inquiry.findMany({
      where: filtered,
      select,
      orderBy: [{ createdAt: "desc" }, { number: "desc" }],
      take: f.limit,
      skip: f.offset,
    }),
    prisma.inquiry.count({ where: filtered }),
  ]);
  return { items: rows.map(dto), total, counts };
}

/** One inquiry with its whole history, for the help desk and the prefecture. */
export async function getInquiry(prisma: PrismaClient, actor: Actor, id: string): Promise<InquiryDto> {
  assertHelpDesk(actor, false);
  const row = await prisma.inquiry.findUnique({ where: { id }, select });
  if (!row) throw problems.notFound("inquiry");
  return dto(row);
}

/** The FAQ entry an operator would make of an answered inquiry (409 `inquiry_not_answered` before an answer). */
export async function getFaqDraft(prisma: PrismaClient, actor: Actor, id: string) {
  assertHelpDesk(actor, true);
  const row = await prisma.inquiry.findUnique({ where: { id }, select });
  if (!row) throw problems.notFound("inquiry");
  if (!row.messages.some((m) => m.kind === "answer")) throw notAnswered();
  return { inquiryId: row.id, ...faqDraft(row) };
}

export const notAnswered = () =>
  problems.conflict("inquiry_not_answered", "Only an answered inquiry can become an FAQ entry");

type Step = "answer" | "close" | "reopen";

const NEXT: Record<Step, { kind: string; status: InquiryStatus; from: InquiryStatus[] }> = {
  answer: { kind: "answer", status: "answered", from: ["open", "answered"] },
  close: { kind: "status", status: "closed", from: ["open", "answered"] },
  reopen: { kind: "status", status: "open", from: ["answered", "closed"] },
};

/**
 * A help-desk step on an inquiry: answer (a text is required; status → answered; the answer is e-mailed to the
 * sender's address), close or reopen (an optional note). 409 `inquiry_closed` to answer a closed inquiry (reopen
 * it first), `invalid_transition` to close a closed one or reopen an open one.
 */
export async function inquiryStep(
  prisma: PrismaClient,
  actor: Actor,
  id: string,
  step: Step,
  body: unknown,
  now: Date,
): Promise<InquiryDto> {
  assertHelpDesk(actor, true);
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT id FROM inquiry WHERE id = ${id}::uuid FOR UPDATE`;
    const row = await tx.inquiry.findUnique({ where: { id }, select });
    if (!row) throw problems.notFound("inquiry");
    const text = validateMessage(body, step !== "answer");
    const next = NEXT[step];
    if (!next.from.includes(row.status)) {
      throw step === "answer"
        ? problems.conflict("inquiry_closed", "The inquiry is closed; reopen it to answer")
        : problems.conflict("invalid_transition", `The inquiry is already ${row.status}`);
    }
    await tx.inquiryMessage.create({
      data: {
        inquiryId: id,
        kind: next.kind,
        body: text,
        status: next.status,
        authorId: actor.userId,
        authorRole: actor.role,
        at: now,
      },
    });
    const updated = await tx.inquiry.update({
      where: { id },
      data: { status: next.status, updatedAt: now },
      select,
    });
    if (step === "answer" && updated.contactEmail) {
      await enqueueMessage(tx, {
        channel: "email",
        to: updated.contactEmail,
        ...answerMail(updated, text),
        language: updated.locale,
      });
    }
    return dto(updated);
  });
}

/**
 * The sender adds to their own inquiry (404 for anyone else's): the status goes back to open so the help desk
 * sees it. 409 `inquiry_closed` once closed (send a new inquiry).
 */
export async function addFollowUp(
  prisma: PrismaClient,
  actor: Actor,
  id: string,
  body: unknown,
  now: Date,
): Promise<InquiryDto> {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT id FROM inquiry WHERE id = ${id}::uuid FOR UPDATE`;
    const row = await tx.inquiry.findFirst({ where: { id, authorId: actor.userId }, select });
    if (!row) throw problems.notFound("inquiry");
    const text = validateMessage(body);
    if (row.status === "closed") {
      throw problems.conflict("inquiry_closed", "The inquiry is closed; send a new one");
    }
    await tx.inquiryMessage.create({
      data: {
        inquiryId: id,
        kind: "follow_up",
        body: text,
        status: "open",
        authorId: actor.userId,
        authorRole: actor.role,
        at: now,
      },
    });
    return dto(await tx.inquiry.update({ where: { id }, data: { status: "open", updatedAt: now }, select }));
  });
}
