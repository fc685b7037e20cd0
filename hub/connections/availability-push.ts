/**
 * Outbound availability: the facility's free places, closures and capacity as the hub has them, sent to its own
 * system (connectors with `pushAvailability` and an `apiBaseUrl`) after hub-side changes, by the `connections.push`
 * job (push.ts runPushJob, after the bookings).
 *
 * - Noted: each hub-side change writes the days it touched (availability-changes.ts) and a push job to the outbox,
 *   in its own transaction.
 * - Coalesced: a send takes every day noted so far and sends one message with the current state of those days
 *   (every time block of each), however many changes made it. At most one message per connection goes out in
 *   AVAILABILITY_COALESCE_MS: changes within that window of the last message wait for its end (a delayed push job),
 *   then go together in one message.
 * - In order: one sender per connection at a time (a lease on its connector_availability_push row), and every
 *   message gets the next `revision` of the connection, so a receiver keeps the newest and drops a late one.
 * - Failures: the same retries and circuit breaker as booking pushes (push.ts). A send that still failed leaves
 *   its days waiting (30 s doubling up to 30 minutes, whatever the failure: the message is the state, so nothing is
 *   given up); the next attempt sends the state as it then is, under a new revision.
 *
 * Days before today (Tokyo) are not sent.
 */
import { BrokenCircuitError, CircuitState } from "cockatiel";
import type {
  AvailabilityDay,
  Connector,
  PushAvailability,
  Result,
  ServiceType,
} from "../../connectors/contract.js";
import { nudge } from "../../jobs/queue.js";
import type { Hub } from "../context.js";
import type { Connection, Prisma } from "../db/client.js";
import { parseTimeBlocks } from "../facilities/mapper.js";
import { formatDate, parseDate, tokyoToday } from "../inventory/dates.js";
import { freePlaces, slotBlocks, type TimeBlock } from "../inventory/slots.js";
import { egressHttp } from "./egress.js";
import { isGone, pauseGone, writeLog } from "./log.js";
import {
  DEFAULT_PUSH_POLICY,
  type PushPolicyOptions,
  policiesFor,
  pushBackoffMs,
  RetryableFailure,
} from "./push.js";
import { connectorContext, recordFailure, recordSuccess } from "./store.js";

/** How long a sender owns a connection's availability push. */
export const AVAILABILITY_LEASE_MS = 2 * 60_000;
/** Days in one message (a longer backlog goes in the messages after it). */
export const AVAILABILITY_MAX_DAYS = 400;
/** A connection gets at most one availability message in this long; changes within it go in the next. */
export const AVAILABILITY_COALESCE_MS = 1_000;
/** Messages one run sends at most for a connection (changes keep arriving while it sends). */
const MAX_ROUNDS = 5;

type PushConn = Pick<Connection, "id" | "facilityId" | "connector" | "config" | "secretSealed" | "state">;

export type AvailabilitySendResult = {
  sent: number;
  retrying: boolean;
  circuitOpen: boolean;
  /** Changes wait for the end of the coalescing window (a delayed push job is queued for it). */
  deferred: boolean;
  /** The facility's API answered 410 Gone: the connection was paused; the days wait for it to be enabled. */
  paused: boolean;
};

type ServiceRow = { serviceType: ServiceType; capacity: number; timeBlocks: readonly TimeBlock[] };
type SlotState = {
  serviceType: ServiceType;
  date: string;
  timeBlock: string;
  capacity: number;
  booked: number;
  external: number;
  closed: boolean;
};

/**
 * The current state of the noted days (pure): every time block of each day of a service the facility offers, from
 * its slot row, or, for a day without one, the service's default capacity and whether a closure covers it.
 */
export function availabilityDays(
  keys: readonly string[],
  services: readonly ServiceRow[],
  slots: readonly SlotState[],
  closures: readonly { date: string; serviceType: ServiceType | null }[],
): AvailabilityDay[] {
  const bySlot = new Map(slots.map((s) => [`${s.serviceType}|${s.date}|${s.timeBlock}`, s]));
  const out: AvailabilityDay[] = [];
  for (const key of [...keys].sort()) {
    const [serviceType, date] = key.split("|") as [ServiceType, string];
    const service = services.find((s) => s.serviceType === serviceType);
    if (!service) continue;
    for (const timeBlock of slotBlocks(serviceType, service.timeBlocks)) {
      const slot = bySlot.get(`${serviceType}|${date}|${timeBlock}`) ?? {
        capacity: service.capacity,
        booked: 0,
        external: 0,
        closed: closures.some(
          (c) => c.date === date && (c.serviceType === null || c.serviceType === serviceType),
        ),
      };
      out.push({
        serviceType,
        date,
        timeBlock,
        capacity: slot.capacity,
        booked: slot.booked,
        external: slot.external,
        free: freePlaces(slot),
        closed: slot.closed,
      });
    }
  }
  return out;
}

/**
 * Whether the connection has availability to send now (cheap: the cron asks every few seconds), and when its last
 * message went out.
 */
async function due(
  hub: Hub,
  connectionId: string,
  now: Date,
): Promise<{ due: boolean; sentAt: Date | null }> {
  const [row] = await hub.prisma.$queryRaw<{ due: boolean; sent_at: Date | null }[]>`
    SELECT EXISTS (SELECT 1 FROM connector_availability_change WHERE connection_id = ${connectionId}::uuid)
      OR EXISTS (SELECT 1 FROM connector_availability_push WHERE connection_id = ${connectionId}::uuid
                 AND cardinality(days) > 0 AND available_at <= ${now}::timestamp) AS due,
      (SELECT sent_at FROM connector_availability_push WHERE connection_id = ${connectionId}::uuid) AS sent_at`;
  return { due: row?.due === true, sentAt: row?.sent_at ?? null };
}

/**
 * Leases the connection's availability push and takes the days noted since: the days to send, or null when
 * another sender has it or it waits (backoff, open circuit).
 */
async function lease(hub: Hub, connectionId: string, now: Date): Promise<string[] | null> {
  return hub.prisma.$transaction(async (tx) => {
    await tx.$executeRaw`
      INSERT INTO connector_availability_push (connection_id, available_at)
      VALUES (${connectionId}::uuid, ${now}::timestamp) ON CONFLICT (connection_id) DO NOTHING`;
    const [row] = await tx.$queryRaw<{ days: string[] | null }[]>`
      UPDATE connector_availability_push SET available_at = ${new Date(now.getTime() + AVAILABILITY_LEASE_MS)}::timestamp
      WHERE connection_id = ${connectionId}::uuid AND available_at <= ${now}::timestamp
      RETURNING days`;
    if (!row) return null;
    const noted = await tx.$queryRaw<{ key: string }[]>`
      DELETE FROM connector_availability_change WHERE connection_id = ${connectionId}::uuid
      RETURNING service_type::text || '|' || to_char(date, 'YYYY-MM-DD') AS key`;
    const today = formatDate(tokyoToday(now));
    const days = [...new Set([...(row.days ?? []), ...noted.map((n) => n.key)])]
      .filter((k) => (k.split("|")[1] ?? "") >= today)
      .sort();
    await tx.$executeRaw`
      UPDATE connector_availability_push SET days = ${days}::text[] WHERE connection_id = ${connectionId}::uuid`;
    return days;
  });
}

/** Reads the state of the days and gives the message the connection's next revision. */
async function message(hub: Hub, conn: PushConn, keys: string[], now: Date): Promise<PushAvailability> {
  return hub.prisma.$transaction(async (tx: Prisma.TransactionClient) => {
    const dates = [...new Set(keys.map((k) => k.split("|")[1] ?? ""))].map((d) => parseDate(d) as Date);
    const [services, slots, closures] = await Promise.all([
      tx.facilityService.findMany({
        where: { facilityId: conn.facilityId },
        select: { serviceType: true, capacity: true, timeBlocks: true },
      }),
      tx.slot.findMany({
        where: { facilityId: conn.facilityId, date: { in: dates } },
        select: {
          serviceType: true,
          date: true,
          timeBlock: true,
          capacity: true,
          booked: true,
          external: true,
          closed: true,
        },
      }),
      tx.closure.findMany({
        where: { facilityId: conn.facilityId, date: { in: dates } },
        select: { date: true, serviceType: true },
      }),
    ]);
    const [row] = await tx.$queryRaw<{ revision: number }[]>`
      UPDATE connector_availability_push SET revision = revision + 1, sent_at = ${now}::timestamp
      WHERE connection_id = ${conn.id}::uuid RETURNING revision`;
    return {
      revision: row?.revision ?? 1,
      generatedAt: now.toISOString(),
      days: availabilityDays(
        keys,
        services.map((s) => ({ ...s, timeBlocks: parseTimeBlocks(s.timeBlocks) })),
        slots.map((s) => ({ ...s, date: formatDate(s.date) })),
        closures.map((c) => ({ date: formatDate(c.date), serviceType: c.serviceType })),
      ),
    };
  });
}

/** Sends the connection's noted availability (see the file comment). */
export async function sendAvailability(
  hub: Hub,
  conn: PushConn,
  connector: Connector,
  options: PushPolicyOptions = DEFAULT_PUSH_POLICY,
): Promise<AvailabilitySendResult> {
  const result: AvailabilitySendResult = {
    sent: 0,
    retrying: false,
    circuitOpen: false,
    deferred: false,
    paused: false,
  };
  const send = connector.pushAvailability;
  if (!send) return result;
  const p = policiesFor(hub, conn.id, options);
  const http = egressHttp(
    { allowed: hub.config.CONNECTOR_ALLOWED_NETWORKS },
    { timeout: options.httpTimeoutMs },
  );
  const deadlineMs = (options.retries + 1) * (options.httpTimeoutMs + options.maxDelayMs);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const now = hub.now();
    const state = await due(hub, conn.id, now);
    if (!state.due) break;
    const wait = state.sentAt ? state.sentAt.getTime() + AVAILABILITY_COALESCE_MS - now.getTime() : 0;
    if (wait > 0) {
      // One delayed job per window (its id), whichever change asked first; the cron sweep is the backstop.
      await nudge(
        hub.queue,
        "connections.push",
        { connectionId: conn.id },
        { jobId: `connections.push@availability-${conn.id}-${state.sentAt?.getTime()}`, delayMs: wait },
      );
      result.deferred = true;
      break;
    }
    const all = await lease(hub, conn.id, now);
    if (!all) break;
    const keys = all.slice(0, AVAILABILITY_MAX_DAYS);
    const release = (data: Prisma.ConnectorAvailabilityPushUpdateInput) =>
      hub.prisma.connectorAvailabilityPush.update({ where: { connectionId: conn.id }, data });
    if (!keys.length) {
      await release({ availableAt: hub.now() });
      continue;
    }
    const msg = await message(hub, conn, keys, hub.now());
    const ctx = { ...connectorContext(hub, conn, AbortSignal.timeout(deadlineMs)), http };
    const sendStarted = Date.now();
    let outcome: Result<Record<string, never>>;
    try {
      outcome = await p.retry.execute(() =>
        p.breaker.execute(async () => {
          const r = await send(ctx, msg);
          if (!r.ok && r.error.retryable) throw new RetryableFailure(r.error);
          return r;
        }),
      );
    } catch (err) {
      if (err instanceof BrokenCircuitError) {
        result.circuitOpen = true;
        await release({
          availableAt: new Date(hub.now().getTime() + options.halfOpenAfterMs),
          lastError: "circuit_open: the facility's API failed repeatedly; waiting before trying again",
        });
        break;
      }
      if (!(err instanceof RetryableFailure)) {
        await release({ availableAt: hub.now() });
        throw err;
      }
      outcome = { ok: false, error: err.error };
      if (p.breaker.state === CircuitState.Open) result.circuitOpen = true;
    }
    const at = hub.now();
    // The connection's log (log.ts): one entry per message sent or failed. Not replayable one by one: a failed
    // message is never given up, and the next attempt sends the state as it then is.
    const entry = {
      connectionId: conn.id,
      facilityId: conn.facilityId,
      at,
      kind: "push" as const,
      request: `availability, revision ${msg.revision}, ${msg.days.length} entries`,
      durationMs: Date.now() - sendStarted,
      counts: { days: keys.length, entries: msg.days.length },
      refs: { availabilityRevision: msg.revision },
    };
    if (!outcome.ok) {
      const failure = outcome.error;
      const gone = isGone(failure);
      const row = await hub.prisma.connectorAvailabilityPush.findUniqueOrThrow({
        where: { connectionId: conn.id },
        select: { attempts: true },
      });
      await hub.prisma.$transaction(async (tx) => {
        await tx.connectorAvailabilityPush.update({
          where: { connectionId: conn.id },
          data: {
            attempts: row.attempts + 1,
            lastError: `${failure.code}: ${failure.message}`.slice(0, 500),
            availableAt: new Date(at.getTime() + pushBackoffMs(row.attempts + 1)),
          },
        });
        if (gone) {
          // The facility's API says it is gone for good: pause the connection; the days wait for it.
          await pauseGone(tx, conn.id, "the facility's API");
          await recordFailure(tx, conn.id, failure, at);
        }
        await writeLog(tx, { ...entry, result: gone ? "failed" : "retrying", failure });
      });
      if (gone) result.paused = true;
      else result.retrying = true;
      break;
    }
    // Sent: the days it carried are done (only this sender changes them while it holds the lease).
    await hub.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`
        UPDATE connector_availability_push
        SET days = ARRAY(SELECT d FROM unnest(days) AS d WHERE NOT (d = ANY(${keys}::text[])) ORDER BY d),
          attempts = 0, last_error = NULL, acknowledged_at = ${at}::timestamp, available_at = ${at}::timestamp
        WHERE connection_id = ${conn.id}::uuid`;
      await writeLog(tx, { ...entry, result: "ok" });
    });
    result.sent++;
  }
  if (result.sent) await recordSuccess(hub.prisma, conn.id, hub.now());
  return result;
}
