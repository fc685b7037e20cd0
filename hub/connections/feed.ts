/**
 * The change feed (capability `changeFeed`): for a facility's system that prefers to pull our changes rather
 * than receive pushes, like the booking-revision feeds of hotel channel managers. GET
 * /api/connections/{id}/changes lists the facility's hub bookings' changes after a cursor (by default after the
 * last acknowledged one), oldest first; POST …/changes/ack stores how far the facility has read, so the next read
 * without a cursor goes on from there. Changes the facility's own system made (event source `connector`, its
 * echoes included) and bookings that came from it are left out: no echo loops. No personal data: bookings by
 * id, service and dates only.
 *
 * Authenticated by the connection's secret, not a portal session: `Authorization: Bearer <whsec_… secret>`,
 * compared in constant time.
 *
 * A cursor is a booking event id. On a PostgreSQL server, transactions may commit out of id order, so the feed
 * lists an event only once it is older than the longest a ledger transaction may run (FEED_SETTLE_MS): a
 * cursor never moves past an event that could still appear behind it. PGlite runs one transaction at a time and
 * needs no such wait.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { loadRegistry } from "../../connectors/registry.js";
import type { Hub } from "../context.js";
import type { ServiceType } from "../db/client.js";
import { DomainError, problems } from "../errors.js";
import { formatDate } from "../inventory/dates.js";
import { TX_OPTIONS } from "../inventory/inventory.js";
import { connectionSecret } from "./store.js";

export const FEED_DEFAULT_LIMIT = 100;
export const FEED_MAX_LIMIT = 500;
/** How old an event must be before the feed lists it, on a PostgreSQL server (see the file comment). */
export const FEED_SETTLE_MS = TX_OPTIONS.timeout + 1_000;

export type FeedItem = {
  /** This change's position: pass it as `cursor` to read what comes after it. */
  cursor: string;
  bookingId: string;
  /** The booking's revision after this change (1 for its first event). */
  revision: number;
  /** What happened: requested, confirmed, rejected, expired, cancelled, changed, used, … */
  type: string;
  /** The booking's status after it. */
  status: string;
  serviceType: ServiceType;
  startDate: string;
  endDate: string;
  timeBlock: string;
  occurredAt: string;
};

export type FeedPage = {
  items: FeedItem[];
  /** The cursor to read on from (the last item's, or the one given when there was nothing new). */
  nextCursor: string;
  hasMore: boolean;
  /** How far the facility has acknowledged. */
  ackedCursor: string | null;
};

type FeedConn = { id: string; facilityId: string; state: Record<string, unknown> };

const digest = (s: string) => createHash("sha256").update(s).digest();

/** The connection a feed request is for, when its bearer token is the connection's secret. */
export async function authenticateFeed(
  hub: Hub,
  connectionId: string,
  authorization: string | string[] | undefined,
): Promise<FeedConn> {
  const conn = await hub.prisma.connection.findUnique({
    where: { id: connectionId },
    select: { id: true, facilityId: true, connector: true, enabled: true, secretSealed: true, state: true },
  });
  const caps = conn ? ((await loadRegistry()).get(conn.connector)?.manifest.capabilities ?? []) : [];
  if (!conn?.enabled || !caps.includes("changeFeed")) throw problems.notFound("connection");
  const header = Array.isArray(authorization) ? authorization[0] : authorization;
  const token = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1];
  let secret: string | null = null;
  try {
    secret = connectionSecret(hub, conn);
  } catch {
    secret = null;
  }
  if (!token || !secret || !timingSafeEqual(digest(token), digest(secret))) {
    throw problems.unauthenticated(
      "Send the connection's secret as `Authorization: Bearer <secret>`",
      "invalid_credentials",
    );
  }
  return { id: conn.id, facilityId: conn.facilityId, state: (conn.state ?? {}) as Record<string, unknown> };
}

const ackedOf = (state: Record<string, unknown>) =>
  typeof state.feedAck === "string" && /^\d+$/.test(state.feedAck) ? state.feedAck : null;

/** One page of the facility's changes after `cursor` (default: after the acknowledged one, else from the start). */
export async function readFeed(
  hub: Hub,
  conn: FeedConn,
  query: { cursor?: string; limit?: number },
): Promise<FeedPage> {
  const acked = ackedOf(conn.state);
  const after = BigInt(query.cursor ?? acked ?? "0");
  const limit = Math.min(FEED_MAX_LIMIT, Math.max(1, query.limit ?? FEED_DEFAULT_LIMIT));
  const settled = new Date(hub.now().getTime() - (hub.db.kind === "postgres" ? FEED_SETTLE_MS : 0));
  const rows = await hub.prisma.$queryRaw<
    {
      id: bigint;
      booking_id: string;
      seq: number;
      type: string;
      status: string;
      occurred_at: Date;
      service_type: ServiceType;
      start_date: Date;
      end_date: Date;
      time_block: string;
    }[]
  >`
    SELECT e.id, e.booking_id::text, e.seq, e.type, e.status::text AS status, e.occurred_at,
      b.service_type::text AS service_type, b.start_date, b.end_date, b.time_block
    FROM booking_event e JOIN booking b ON b.id = e.booking_id
    WHERE b.facility_id = ${conn.facilityId}::uuid AND b.source <> 'connector' AND e.source <> 'connector'
      AND e.id > ${after} AND e.occurred_at <= ${settled}::timestamp
    ORDER BY e.id
    LIMIT ${limit + 1}`;
  const page = rows.slice(0, limit);
  const items = page.map((r) => ({
    cursor: r.id.toString(),
    bookingId: r.booking_id,
    revision: r.seq,
    type: r.type,
    status: r.status,
    serviceType: r.service_type,
    startDate: formatDate(r.start_date),
    endDate: formatDate(r.end_date),
    timeBlock: r.time_block,
    occurredAt: r.occurred_at.toISOString(),
  }));
  return {
    items,
    nextCursor: items.at(-1)?.cursor ?? after.toString(),
    hasMore: rows.length > limit,
    ackedCursor: acked,
  };
}

/**
 * Stores how far the facility has read (any cursor up to the newest change; going back is allowed, to read
 * again). 422 `invalid_cursor` for a cursor beyond the newest change.
 */
export async function ackFeed(
  hub: Hub,
  conn: FeedConn,
  cursor: string,
): Promise<{ ackedCursor: string; ackedAt: string }> {
  const [max] = await hub.prisma.$queryRaw<
    { max: bigint | null }[]
  >`SELECT max(id) AS max FROM booking_event`;
  if (BigInt(cursor) > (max?.max ?? 0n)) {
    throw new DomainError(
      "unprocessable",
      "invalid_cursor",
      "The request cannot be processed",
      "The cursor is beyond the newest change; acknowledge a cursor the feed gave",
    );
  }
  const now = hub.now();
  const patch = JSON.stringify({ feedAck: BigInt(cursor).toString(), feedAckedAt: now.toISOString() });
  await hub.prisma.$executeRaw`
    UPDATE connection SET state = state || ${patch}::jsonb, last_success_at = ${now}::timestamp,
      updated_at = ${now}::timestamp
    WHERE id = ${conn.id}::uuid`;
  return { ackedCursor: BigInt(cursor).toString(), ackedAt: now.toISOString() };
}
