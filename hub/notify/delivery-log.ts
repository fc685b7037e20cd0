/**
 * The delivery log: one row per attempt to send an outbox message, with the destination masked and no
 * message body, scoped per tenant by whom the message concerns (`Message.about`).
 */
import type { Prisma, PrismaClient } from "../db/client.js";
import { problems } from "../errors.js";
import type { Actor } from "../identity/actor.js";
import type { MessageAbout } from "./transport.js";

type Tx = Prisma.TransactionClient | PrismaClient;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MUNICIPALITY = /^\d{6}$/;
const NONE = "00000000-0000-0000-0000-000000000000";

export type DeliveryAbout = {
  residentId: string | null;
  facilityId: string | null;
  municipalityCode: string | null;
};

/**
 * The tenant columns of a delivery from a message's `about`: malformed ids are dropped (the payload is
 * whatever its writer put there), and a resident's municipality is looked up when the message did not say it,
 * so the municipality sees deliveries to its residents either way. `cache` spares repeated look-ups in a batch.
 */
export async function resolveAbout(
  prisma: Tx,
  about: MessageAbout | undefined,
  cache: Map<string, string | null> = new Map(),
): Promise<DeliveryAbout> {
  const residentId =
    typeof about?.residentId === "string" && UUID.test(about.residentId) ? about.residentId : null;
  const facilityId =
    typeof about?.facilityId === "string" && UUID.test(about.facilityId) ? about.facilityId : null;
  let municipalityCode =
    typeof about?.municipalityCode === "string" && MUNICIPALITY.test(about.municipalityCode)
      ? about.municipalityCode
      : null;
  if (!municipalityCode && residentId) {
    if (!cache.has(residentId)) {
      const r = await prisma.resident.findUnique({
        where: { id: residentId },
        select: { municipalityCode: true },
      });
      cache.set(residentId, r?.municipalityCode ?? null);
    }
    municipalityCode = cache.get(residentId) ?? null;
  }
  return { residentId, facilityId, municipalityCode };
}

/**
 * Which deliveries a staff member may see: a facility those about its own bookings (the message names the
 * facility), a municipality those about its residents, the prefecture all. Nobody else (the operator reads
 * counts on /metrics, not destinations).
 */
export function deliveryScope(actor: Actor): Prisma.DeliveryWhereInput {
  switch (actor.role) {
    case "facility":
      return { facilityId: actor.facilityId ?? NONE };
    case "municipality":
      return { municipalityCode: actor.municipalityCode ?? "" };
    case "prefecture":
      return {};
    default:
      return { id: -1n };
  }
}

export type DeliveryQuery = {
  status?: "sent" | "failed";
  channel?: "email" | "sms";
  residentId?: string;
  from?: string;
  to?: string;
  limit?: number;
  offset?: number;
};

/** The state of the message an attempt belongs to: sent at last, still to be retried, or given up. */
function messageState(o: {
  dispatchedAt: Date | null;
  failedAt: Date | null;
}): "sent" | "pending" | "failed" {
  if (o.dispatchedAt) return "sent";
  if (o.failedAt) return "failed";
  return "pending";
}

/** Attempts, newest first, within the actor's scope. Never a full destination, never a message body. */
export async function listDeliveries(prisma: PrismaClient, actor: Actor, q: DeliveryQuery) {
  const from = q.from ? new Date(q.from) : undefined;
  const to = q.to ? new Date(q.to) : undefined;
  if (from && to && to < from) {
    throw problems.unprocessable("invalid_range", "`to` must not be before `from`", [
      { path: "to", message: "must not be before from" },
    ]);
  }
  const where: Prisma.DeliveryWhereInput = {
    AND: [
      deliveryScope(actor),
      q.status ? { status: q.status } : {},
      q.channel ? { channel: q.channel } : {},
      q.residentId ? { residentId: q.residentId } : {},
      from || to ? { attemptedAt: { ...(from ? { gte: from } : {}), ...(to ? { lte: to } : {}) } } : {},
    ],
  };
  const [total, rows] = await Promise.all([
    prisma.delivery.count({ where }),
    prisma.delivery.findMany({
      where,
      orderBy: [{ attemptedAt: "desc" }, { id: "desc" }],
      take: q.limit ?? 50,
      skip: q.offset ?? 0,
      include: {
        outbox: { select: { dispatchedAt: true, failedAt: true, availableAt: true, attempts: true } },
      },
    }),
  ]);
  // A facility learns whether its messages (and the resident's about its bookings) went out, not who the
  // resident is or where they live.
  const facilityView = actor.role === "facility";
  return {
    total,
    items: rows.map((d) => {
      const state = messageState(d.outbox);
      return {
        id: d.id.toString(),
        messageId: d.outboxId.toString(),
        attemptedAt: d.attemptedAt.toISOString(),
        channel: d.channel as "email" | "sms" | "unknown",
        to: d.toMasked,
        subject: d.subject,
        status: d.status as "sent" | "failed",
        error: d.error,
        providerRef: d.providerRef,
        messageStatus: state,
        attempts: d.outbox.attempts,
        nextAttemptAt: state === "pending" ? d.outbox.availableAt.toISOString() : null,
        residentId: facilityView ? null : d.residentId,
        facilityId: d.facilityId,
        municipalityCode: facilityView ? null : d.municipalityCode,
      };
    }),
  };
}
