/**
 * The calendar feed a facility subscribes to (capability exportFeed): its hub bookings as iCalendar, made with
 * ical-generator, behind a secret URL (GET /api/connections/feeds/{token}.ics; only the token's SHA-256 is stored,
 * Connection.feedTokenHash).
 *
 * - Requested bookings are TENTATIVE, confirmed (and used) ones CONFIRMED. Cancelled, rejected and expired ones
 *   stay in the feed as STATUS:CANCELLED for CANCELLED_KEPT_DAYS after the change, so subscribed calendars remove
 *   them, then leave it.
 * - UID = the booking's id (stable), SEQUENCE = the booking's revision, LAST-MODIFIED = its last change.
 * - No personal data: the booking number, service type, dates, time block and status, nothing about the resident.
 * - Bookings that came from the facility's own system (source "connector") are left out: the facility has them
 *   already, and a calendar that re-imported them would loop.
 * - Stays are all-day events over the days of the stay (1泊2日 covers two days; DTEND exclusive), which is how the
 *   ical connector reads stays by default. Day care and visits with a time block are timed (UTC, shown in the
 *   subscriber's time zone); without one, all-day.
 * - The facility's availability, so its calendar shows when nothing can be booked: each closure as an all-day
 *   event "休業" (UID closure-<closure id>, its reason in the description), and each day (or time block) from today
 *   on whose places are all taken as "満床" for stays, "満員" for day care and visits (UID full-<service>-<date>-<block>,
 *   the same while the day stays full; gone from the feed once a place is free again). Both are TRANSPARENT (they
 *   do not make the facility's own calendar busy) and carry X-SANGO-KIND (closure, full) instead of a booking id.
 */
import { createHash } from "node:crypto";
import ical, { ICalCalendarMethod, ICalEventStatus, ICalEventTransparency } from "ical-generator";
import { HUB_UID_DOMAIN } from "../../connectors/ical/mapping.js";
import type { BookingStatus, PrismaClient } from "../db/client.js";
import { parseTimeBlocks } from "../facilities/mapper.js";
import { addDays, formatDate, tokyoToday } from "../inventory/dates.js";
import { freePlaces } from "../inventory/slots.js";
import { feedTokenHash } from "./store.js";

/** Cancelled, rejected and expired bookings stay in the feed (as CANCELLED) this long after the change. */
export const CANCELLED_KEPT_DAYS = 30;
/** Bookings that ended longer ago than this are left out. */
export const PAST_DAYS = 31;
/** The most events in one feed (the newest service dates are kept). */
export const MAX_FEED_EVENTS = 5000;
/** Closures and full days shown, each at most (the nearest first). */
export const MAX_AVAILABILITY_EVENTS = 1000;

/** UIDs are <booking id>@FEED_UID_DOMAIN; the ical connector skips such events when a feed echoes them. */
export const FEED_UID_DOMAIN = HUB_UID_DOMAIN;

const ACTIVE: BookingStatus[] = ["requested", "confirmed", "used", "reported", "no_show"];
const ENDED: BookingStatus[] = ["cancelled", "rejected", "expired"];

const TYPE_JA = { stay: "宿泊", day: "デイサービス", visit: "訪問" } as const;
const STATUS_JA: Record<BookingStatus, string> = {
  requested: "承認待ち",
  confirmed: "確定",
  rejected: "お断り",
  expired: "期限切れ",
  cancelled: "キャンセル",
  used: "利用済",
  reported: "報告済",
  no_show: "不在",
};

export type IcalFeed = { body: string; etag: string; facilityName: string };

/** A token as newFeedToken makes them (base64url); anything else is not looked up. */
const TOKEN = /^[A-Za-z0-9_-]{16,128}$/;

/** The feed for a secret token, or null when no connection has that token. */
export async function icalFeedForToken(
  prisma: PrismaClient,
  token: string,
  now: Date,
): Promise<IcalFeed | null> {
  if (!TOKEN.test(token)) return null;
  const conn = await prisma.connection.findUnique({
    where: { feedTokenHash: feedTokenHash(token) },
    select: { facilityId: true, facility: { select: { name: true } } },
  });
  if (!conn) return null;
  return { ...(await icalFeed(prisma, conn.facilityId, now)), facilityName: conn.facility.name };
}

/** The facility's hub bookings as an iCalendar feed. */
export async function icalFeed(
  prisma: PrismaClient,
  facilityId: string,
  now: Date,
): Promise<Omit<IcalFeed, "facilityName">> {
  const today = tokyoToday(now);
  const [facility, services, bookings, closures, fullSlots] = await Promise.all([
    prisma.facility.findUniqueOrThrow({ where: { id: facilityId }, select: { name: true } }),
    prisma.facilityService.findMany({
      where: { facilityId },
      select: { serviceType: true, timeBlocks: true },
    }),
    prisma.booking.findMany({
      where: {
        facilityId,
        source: { not: "connector" },
        endDate: { gte: addDays(today, -PAST_DAYS) },
        OR: [
          { status: { in: ACTIVE } },
          {
            status: { in: ENDED },
            updatedAt: { gte: new Date(now.getTime() - CANCELLED_KEPT_DAYS * 86_400_000) },
          },
        ],
      },
      select: {
        id: true,
        serviceType: true,
        startDate: true,
        endDate: true,
        timeBlock: true,
        status: true,
        revision: true,
        createdAt: true,
        updatedAt: true,
      },
      orderBy: [{ startDate: "desc" }, { id: "asc" }],
      take: MAX_FEED_EVENTS,
    }),
    prisma.closure.findMany({
      where: { facilityId, date: { gte: addDays(today, -PAST_DAYS) } },
      orderBy: [{ date: "asc" }, { id: "asc" }],
      take: MAX_AVAILABILITY_EVENTS,
    }),
    // Open slots with no place left (booked + external ≥ capacity); closed ones are the closures'.
    prisma.$queryRaw<
      {
        service_type: "stay" | "day" | "visit";
        date: Date;
        time_block: string;
        capacity: number;
        booked: number;
        external: number;
        updated_at: Date;
      }[]
    >`
      SELECT service_type::text AS service_type, date, time_block, capacity, booked, external, updated_at
      FROM slot
      WHERE facility_id = ${facilityId}::uuid AND date >= ${formatDate(today)}::date AND NOT closed
        AND booked + external >= capacity
      ORDER BY date, service_type, time_block
      LIMIT ${MAX_AVAILABILITY_EVENTS}`,
  ]);
  const blocks = new Map(
    services.map((s) => [s.serviceType, new Map(parseTimeBlocks(s.timeBlocks).map((b) => [b.code, b]))]),
  );
  const calendar = ical({
    name: `産後ケア みやぎ（${facility.name}）`,
    description: "産後ケア みやぎ で受け付けた予約（予約番号・種類・日時・状態のみ）",
    prodId: { company: "Miyagi Prefecture", product: "Sango Care Hub", language: "JA" },
    method: ICalCalendarMethod.PUBLISH,
    ttl: 15 * 60,
    x: { "X-WR-TIMEZONE": "Asia/Tokyo" },
  });
  // Oldest first, for a stable file.
  for (const b of [...bookings].reverse()) {
    const start = formatDate(b.startDate);
    const block = b.serviceType === "stay" ? undefined : blocks.get(b.serviceType)?.get(b.timeBlock);
    const cancelled = ENDED.includes(b.status);
    const timing = block
      ? { start: tokyoInstant(start, block.start), end: tokyoInstant(start, block.end), allDay: false }
      : { start, end: formatDate(addDays(b.endDate, 1)), allDay: true };
    const nights =
      b.serviceType === "stay"
        ? Math.max(1, Math.round((b.endDate.getTime() - b.startDate.getTime()) / 86_400_000))
        : 0;
    const what = `${TYPE_JA[b.serviceType]}${nights ? ` ${nights}泊` : ""}${b.timeBlock ? ` ${b.timeBlock}` : ""}`;
    calendar.createEvent({
      id: `${b.id}@${FEED_UID_DOMAIN}`,
      sequence: b.revision,
      ...timing,
      stamp: b.updatedAt,
      created: b.createdAt,
      lastModified: b.updatedAt,
      summary: `産後ケア ${what}（${STATUS_JA[b.status]}）`,
      description: [
        `予約番号: ${b.id}`,
        `種類: ${b.serviceType}`,
        `時間帯: ${b.timeBlock || "-"}`,
        `状態: ${b.status}`,
      ].join("\n"),
      status: cancelled
        ? ICalEventStatus.CANCELLED
        : b.status === "requested"
          ? ICalEventStatus.TENTATIVE
          : ICalEventStatus.CONFIRMED,
      categories: [{ name: TYPE_JA[b.serviceType] }],
      x: { "X-SANGO-BOOKING-ID": b.id, "X-SANGO-SERVICE-TYPE": b.serviceType },
    });
  }
  for (const c of closures) {
    const date = formatDate(c.date);
    const which = c.serviceType ? `（${TYPE_JA[c.serviceType]}）` : "";
    calendar.createEvent({
      id: `closure-${c.id}@${FEED_UID_DOMAIN}`,
      start: date,
      end: formatDate(addDays(c.date, 1)),
      allDay: true,
      stamp: new Date(`${date}T00:00:00+09:00`),
      summary: `休業${which}`,
      description: [`休業日${which}`, c.reason ? `理由: ${c.reason}` : ""].filter(Boolean).join("\n"),
      status: ICalEventStatus.CONFIRMED,
      transparency: ICalEventTransparency.TRANSPARENT,
      categories: [{ name: "休業" }],
      x: { "X-SANGO-KIND": "closure", ...(c.serviceType ? { "X-SANGO-SERVICE-TYPE": c.serviceType } : {}) },
    });
  }
  for (const s of fullSlots) {
    // Guarded again in code: a slot with no capacity offered is not "full", it is not offered.
    if (s.capacity <= 0 || freePlaces({ ...s, closed: false }) > 0) continue;
    const date = formatDate(s.date);
    const block = s.service_type === "stay" ? undefined : blocks.get(s.service_type)?.get(s.time_block);
    const word = s.service_type === "stay" ? "満床" : "満員";
    const timing = block
      ? { start: tokyoInstant(date, block.start), end: tokyoInstant(date, block.end), allDay: false }
      : { start: date, end: formatDate(addDays(s.date, 1)), allDay: true };
    calendar.createEvent({
      id: `full-${s.service_type}-${date}-${s.time_block || "day"}@${FEED_UID_DOMAIN}`,
      ...timing,
      stamp: s.updated_at,
      lastModified: s.updated_at,
      summary: `${word}（${TYPE_JA[s.service_type]}${s.time_block ? ` ${s.time_block}` : ""}）`,
      description: `受入枠 ${s.capacity} ・ 予約 ${s.booked + s.external}（空きなし）`,
      status: ICalEventStatus.CONFIRMED,
      transparency: ICalEventTransparency.TRANSPARENT,
      categories: [{ name: word }],
      x: { "X-SANGO-KIND": "full", "X-SANGO-SERVICE-TYPE": s.service_type },
    });
  }
  const body = calendar.toString();
  return { body, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"` };
}

/** "2026-12-10" at "09:30" in Tokyo as an instant. */
function tokyoInstant(date: string, hhmm: string): Date {
  return new Date(`${date}T${hhmm.length === 5 ? hhmm : "00:00"}:00+09:00`);
}
