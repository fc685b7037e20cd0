/**
 * お知らせ (announcements): maintenance and other notices by the prefecture or the operator, shown as a banner
 * to their audiences during their period. GET /api/announcements/current gives the caller those in force:
 * anonymous callers the "public" ones, signed-in users the public ones and their role's.
 *
 * With sendEmail, the job `support.announcements` (a cron sweep every minute) e-mails an announcement once, when
 * its period has started: to the staff users (not disabled, with an address) of the roles among its audiences,
 * and to residents with an e-mail address when "resident" is one of them ("public" alone e-mails nobody). Once
 * is remembered by `emailedAt`, set in the transaction that writes the messages to the outbox, with the row
 * locked so two workers cannot both send it. An announcement whose period ended before it was swept is not sent.
 */

import type { Announcement, PrismaClient } from "../db/client.js";
import { problems } from "../errors.js";
import type { Actor } from "../identity/actor.js";
import { enqueueMessage } from "../notify/outbox.js";
import { type AnnouncementInput, announcementVisible, emailRoles, validateAnnouncement } from "./rules.js";

export type AnnouncementDto = {
  id: string;
  kind: string;
  titleJa: string;
  bodyJa: string;
  titleEn: string;
  bodyEn: string;
  audiences: string[];
  startsAt: string;
  endsAt: string;
  sendEmail: boolean;
  emailedAt: string | null;
  createdAt: string;
  updatedAt: string;
};

function dto(a: Announcement): AnnouncementDto {
  return {
    id: a.id,
    kind: a.kind,
    titleJa: a.titleJa,
    bodyJa: a.bodyJa,
    titleEn: a.titleEn,
    bodyEn: a.bodyEn,
    audiences: a.audiences,
    startsAt: a.startsAt.toISOString(),
    endsAt: a.endsAt.toISOString(),
    sendEmail: a.sendEmail,
    emailedAt: a.emailedAt?.toISOString() ?? null,
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
  };
}

/** What the banner shows: the caller's announcements in force at `now`, important first, then newest. */
export async function currentAnnouncements(
  prisma: PrismaClient,
  actor: Actor | null,
  now: Date,
): Promise<{ items: Omit<AnnouncementDto, "sendEmail" | "emailedAt" | "createdAt" | "updatedAt">[] }> {
  const rows = await prisma.announcement.findMany({
    where: { startsAt: { lte: now }, endsAt: { gt: now } },
    orderBy: [{ startsAt: "desc" }, { id: "asc" }],
    take: 100,
  });
  const weight = (k: string) => (k === "important" ? 0 : k === "maintenance" ? 1 : 2);
  const items = rows
    .filter((a) => announcementVisible(a, actor?.role ?? null, now))
    .sort((a, b) => weight(a.kind) - weight(b.kind))
    .map((a) => {
      const { sendEmail: _s, emailedAt: _e, createdAt: _c, updatedAt: _u, ...rest } = dto(a);
      return rest;
    });
  return { items };
}

function assertManager(actor: Actor) {
  if (actor.role !== "prefecture" && actor.role !== "operator") {
    throw problems.forbidden("Only the prefecture and the operator manage announcements");
  }
}

/** Every announcement, newest period first, for the prefecture and the operator. */
export async function listAnnouncements(
  prisma: PrismaClient,
  actor: Actor,
): Promise<{ items: AnnouncementDto[] }> {
  assertManager(actor);
  const rows = await prisma.announcement.findMany({
    orderBy: [{ startsAt: "desc" }, { createdAt: "desc" }],
    take: 500,
  });
  return { items: rows.map(dto) };
}

export async function createAnnouncement(
  prisma: PrismaClient,
  actor: Actor,
  body: unknown,
  now: Date,
): Promise<AnnouncementDto> {
  assertManager(actor);
  const input = validateAnnouncement(body);
  const created = await prisma.announcement.create({
    data: { ...input, createdBy: actor.userId, createdAt: now },
  });
  return dto(created);
}

const asInput = (a: Announcement): AnnouncementInput => ({
  kind: a.kind as AnnouncementInput["kind"],
  titleJa: a.titleJa,
  bodyJa: a.bodyJa,
  titleEn: a.titleEn,
  bodyEn: a.bodyEn,
  audiences: a.audiences as AnnouncementInput["audiences"],
  startsAt: a.startsAt,
  endsAt: a.endsAt,
  sendEmail: a.sendEmail,
});

/** Edits an announcement (only the fields given). One already e-mailed is not e-mailed again. */
export async function updateAnnouncement(
  prisma: PrismaClient,
  actor: Actor,
  id: string,
  body: unknown,
): Promise<AnnouncementDto> {
  assertManager(actor);
  const before = await prisma.announcement.findUnique({ where: { id } });
  if (!before) throw problems.notFound("announcement");
  const input = validateAnnouncement(body, asInput(before));
  return dto(await prisma.announcement.update({ where: { id }, data: input }));
}

export async function deleteAnnouncement(prisma: PrismaClient, actor: Actor, id: string): Promise<void> {
  assertManager(actor);
  const { count } = await prisma.announcement.deleteMany({ where: { id } });
  if (count === 0) throw problems.notFound("announcement");
}

function announcementMail(a: Announcement, language: string): { subject: string; text: string } {
  const en = language === "en" && a.titleEn;
  const kind =
    a.kind === "maintenance" ? "メンテナンス" : a.kind === "important" ? "重要なお知らせ" : "お知らせ";
  const title = en ? a.titleEn : a.titleJa;
  const body = en ? a.bodyEn || a.bodyJa : a.bodyJa;
  const period = `${fmt(a.startsAt)} – ${fmt(a.endsAt)}`;
  return {
    subject: `【産後ケア みやぎ】${en ? "Notice" : kind}: ${title}`,
    text: [title, "", body, "", `${en ? "Period" : "期間"}: ${period} (JST)`].join("\n"),
  };
}

const fmt = (d: Date) => new Date(d.getTime() + 9 * 3600_000).toISOString().slice(0, 16).replace("T", " ");

/**
 * The job `support.announcements`: e-mails each announcement with sendEmail whose period has started (and not
 * ended) and that was not e-mailed yet, once. Returns how many announcements and messages were sent.
 */
export async function sendAnnouncementEmails(
  prisma: PrismaClient,
  now: Date,
): Promise<{ announcements: number; messages: number }> {
  const due = await prisma.announcement.findMany({
    where: { sendEmail: true, emailedAt: null, startsAt: { lte: now }, endsAt: { gt: now } },
    select: { id: true },
  });
  let announcements = 0;
  let messages = 0;
  for (const { id } of due) {
    const sent = await prisma.$transaction(
      async (tx) => {
        await tx.$executeRaw`SELECT id FROM announcement WHERE id = ${id}::uuid FOR UPDATE`;
        const a = await tx.announcement.findUnique({ where: { id } });
        if (!a || a.emailedAt || !a.sendEmail) return null;
        const roles = emailRoles(a.audiences);
        const to = new Map<string, string>();
        const staff = await tx.user.findMany({
          where: {
            role: { in: roles.filter((r) => r !== "resident") },
            disabled: false,
            email: { not: null },
          },
          select: { email: true, locale: true },
        });
        for (const u of staff) if (u.email) to.set(u.email.toLowerCase(), u.locale);
        if (roles.includes("resident")) {
          const residents = await tx.resident.findMany({
            where: { email: { not: null } },
            select: { email: true, preferredLanguage: true },
          });
          for (const r of residents) {
            if (r.email && !to.has(r.email.toLowerCase())) to.set(r.email.toLowerCase(), r.preferredLanguage);
          }
        }
        for (const [address, language] of to) {
          await enqueueMessage(tx, {
            channel: "email",
            to: address,
            ...announcementMail(a, language),
            language: language === "en" && a.titleEn ? "en" : "ja",
          });
        }
        await tx.announcement.update({ where: { id }, data: { emailedAt: now } });
        return to.size;
      },
      { timeout: 60_000, maxWait: 10_000 },
    );
    if (sent !== null) {
      announcements++;
      messages += sent;
    }
  }
  return { announcements, messages };
}
