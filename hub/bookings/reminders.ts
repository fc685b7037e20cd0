/**
 * Reminders before a booking (job `bookings.remind`, hourly): a confirmed booking gets one message stating its
 * date, the facility and its free-cancellation deadline
 *  - when that deadline falls within the next 24 hours, so the resident can still cancel or change it free; or
 *  - when the deadline has already passed (e.g. it was booked late) and the booking starts tomorrow (Tokyo).
 *
 * Each booking is reminded at most once: its `remindedAt` is set by a conditional update in the same transaction
 * that writes the message to the outbox, so of two workers running at once only one writes it, and a failure
 * writes neither. A resident with neither e-mail nor phone gets nothing, but the booking is still marked.
 */
import type { PrismaClient } from "../db/client.js";
import { addDays, tokyoToday } from "../inventory/dates.js";
import { TX_OPTIONS } from "../inventory/inventory.js";
import { enqueueMessage } from "../notify/outbox.js";
import { NOTICE_RESIDENT_SELECT, reminderNotices } from "./notices.js";
import { CLOSURE_LOOKBACK_DAYS, cancellationTermsFor } from "./terms.js";

/** How far ahead the deadline is looked for. */
export const REMIND_WINDOW_MS = 24 * 3600_000;

/** True when a confirmed booking with this deadline and start date is due for its reminder at `now`. */
export function reminderDue(deadline: Date, startDate: Date, now: Date): boolean {
  const left = deadline.getTime() - now.getTime();
  if (left > 0) return left <= REMIND_WINDOW_MS;
  return startDate.getTime() === addDays(tokyoToday(now), 1).getTime();
}

/**
 * Writes the reminders due at `now`. Candidates are confirmed, not yet reminded bookings starting from today up
 * to as far ahead as any deadline can lie (CLOSURE_LOOKBACK_DAYS), read in pages; the deadline of each comes from
 * its policy and its facility's closures as they stand now.
 */
export async function sendReminders(
  prisma: PrismaClient,
  now: Date,
  batch = 200,
): Promise<{ reminded: number; checked: number }> {
  const today = tokyoToday(now);
  const until = addDays(today, CLOSURE_LOOKBACK_DAYS);
  let reminded = 0;
  let checked = 0;
  let lastId = "";
  for (;;) {
    const page = await prisma.booking.findMany({
      where: {
        status: "confirmed",
        remindedAt: null,
        startDate: { gte: today, lte: until },
        ...(lastId ? { id: { gt: lastId } } : {}),
      },
      select: { id: true, facilityId: true, serviceType: true, startDate: true, policyVersionId: true },
      orderBy: { id: "asc" },
      take: batch,
    });
    checked += page.length;
    const terms = await cancellationTermsFor(prisma, page);
    for (const [i, b] of page.entries()) {
      const deadline = terms[i]?.deadline;
      if (!deadline || !reminderDue(deadline, b.startDate, now)) continue;
      if (await remindOne(prisma, b.id, deadline, now)) reminded++;
    }
    const last = page[page.length - 1];
    if (!last || page.length < batch) break;
    lastId = last.id;
  }
  return { reminded, checked };
}

/** One reminder, once: false when another worker (or a change of status) came first. */
async function remindOne(
  prisma: PrismaClient,
  bookingId: string,
  deadline: Date,
  now: Date,
): Promise<boolean> {
  return prisma.$transaction(async (tx) => {
    // Raw, so that updatedAt stays: a reminder is not a change of the booking.
    const count = await tx.$executeRaw`
      UPDATE booking SET reminded_at = ${now}::timestamp
      WHERE id = ${bookingId}::uuid AND status = 'confirmed' AND reminded_at IS NULL`;
    if (count !== 1) return false;
    const b = await tx.booking.findUniqueOrThrow({
      where: { id: bookingId },
      select: {
        id: true,
        serviceType: true,
        startDate: true,
        endDate: true,
        timeBlock: true,
        facility: { select: { id: true, name: true, email: true } },
        resident: { select: NOTICE_RESIDENT_SELECT },
      },
    });
    const messages = reminderNotices(
      { ...b, cancelDeadline: deadline },
      {
        facility: b.facility,
        resident: b.resident && { ...b.resident, language: b.resident.preferredLanguage },
      },
      now,
    );
    for (const m of messages) await enqueueMessage(tx, m);
    return true;
  }, TX_OPTIONS);
}
