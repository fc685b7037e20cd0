/**
 * Changes to an existing booking: confirm, reject, cancel (people) and expire (the system). Each runs in one
 * transaction: read the booking within the caller's scope, check the step, apply it through the ledger
 * (projection + event + released places), announce it through the outbox.
 */
import type { BookingStatus, PrismaClient } from "../db/client.js";
import { Problem, problems } from "../http/problem.js";
import type { Actor } from "../identity/actor.js";
import { assertBookingAction, bookingScope } from "../identity/policy.js";
import { TX_OPTIONS } from "../inventory/inventory.js";
import { announce, applyTransition } from "./ledger.js";
import { type BookingDto, bookingInclude, toBookingDto } from "./mapper.js";
import { assertTransition } from "./state.js";

type Change = {
  action: "confirm" | "reject" | "cancel";
  to: BookingStatus;
  reason?: string;
};

async function change(
  prisma: PrismaClient,
  actor: Actor,
  bookingId: string,
  c: Change,
  now: Date,
): Promise<BookingDto> {
  assertBookingAction(actor, c.action);
  return prisma.$transaction(async (tx) => {
    const booking = await tx.booking.findFirst({ where: { AND: [{ id: bookingId }, bookingScope(actor)] } });
    if (!booking) throw problems.notFound("booking");
    assertTransition(booking.status, c.to);
    if (c.action === "confirm" && booking.holdExpiresAt && booking.holdExpiresAt <= now) {
      throw problems.conflict(
        "hold_expired",
        `The hold ran out at ${booking.holdExpiresAt.toISOString()}; the places are being given back`,
      );
    }
    await applyTransition(
      tx,
      booking,
      c.to,
      {
        source: actor.role === "resident" ? "portal" : "staff",
        actorId: actor.userId,
        data: { ...(c.reason !== undefined ? { reason: c.reason } : {}), by: actor.role },
      },
      now,
    );
    await announce(tx, booking.id, c.to, actor.role, c.reason);
    return toBookingDto(
      await tx.booking.findUniqueOrThrow({ where: { id: booking.id }, include: bookingInclude }),
    );
  }, TX_OPTIONS);
}

/** The facility approves a requested booking (予約承認) while its hold lasts. */
export const confirmBooking = (prisma: PrismaClient, actor: Actor, bookingId: string, now: Date) =>
  change(prisma, actor, bookingId, { action: "confirm", to: "confirmed" }, now);

/** The facility turns a requested booking down; its places are free again at once. */
export const rejectBooking = (
  prisma: PrismaClient,
  actor: Actor,
  bookingId: string,
  reason: string,
  now: Date,
) => change(prisma, actor, bookingId, { action: "reject", to: "rejected", reason }, now);

/** The resident, the facility or the resident's municipality cancels a requested or confirmed booking. */
export const cancelBooking = (
  prisma: PrismaClient,
  actor: Actor,
  bookingId: string,
  reason: string,
  now: Date,
) => change(prisma, actor, bookingId, { action: "cancel", to: "cancelled", reason }, now);

/**
 * Expires every requested booking whose hold ran out by `now`: each in its own transaction, only if it is
 * still requested (a facility confirming at the same moment wins cleanly), places released, an `expired`
 * event from the system, and the resident and facility told.
 */
export async function expireHolds(
  prisma: PrismaClient,
  now: Date,
  batch = 200,
): Promise<{ expired: number }> {
  let expired = 0;
  let lastId = "";
  for (;;) {
    const due = await prisma.booking.findMany({
      where: { status: "requested", holdExpiresAt: { lte: now }, ...(lastId ? { id: { gt: lastId } } : {}) },
      select: { id: true },
      orderBy: { id: "asc" },
      take: batch,
    });
    for (const { id } of due) {
      try {
        const done = await prisma.$transaction(async (tx) => {
          const b = await tx.booking.findUnique({ where: { id } });
          if (b?.status !== "requested" || !b.holdExpiresAt || b.holdExpiresAt > now) return false;
          await applyTransition(
            tx,
            b,
            "expired",
            { source: "system", actorId: null, data: { holdExpiresAt: b.holdExpiresAt.toISOString() } },
            now,
          );
          await announce(tx, id, "expired", "system");
          return true;
        }, TX_OPTIONS);
        if (done) expired++;
      } catch (err) {
        // Someone changed it between our read and our write: it is no longer ours to expire.
        if (!(err instanceof Problem && err.status === 409)) throw err;
      }
    }
    const last = due[due.length - 1];
    if (!last || due.length < batch) break;
    lastId = last.id;
  }
  return { expired };
}
