/**
 * Outbound: our bookings and cancellations sent to facilities' own systems (connectors with `pushBooking`, and
 * an `apiBaseUrl` to send to), as the job `connections.push` (cron every few seconds; one connection or all).
 *
 * 1. Collect: new BookingEvents of the facility's hub bookings become ConnectorPush rows, one per booking
 *    revision (unique), from a cursor kept in Connection.state (`pushCursor`). Events the facility's system
 *    caused (source `connector`, its echoes included) and bookings that came from it are never sent back, so
 *    there are no echo loops. Each run looks again at the last PUSH_OVERLAP events before the cursor, so an
 *    event whose transaction committed after a later one is not skipped (the unique row makes this free). The
 *    first run sends the facility's open upcoming bookings.
 * 2. Send: due rows are leased (available_at moves PUSH_LEASE_MS ahead, so two workers never send one), and for
 *    each booking its current state is sent once, whatever revisions piled up (the facility gets the booking as
 *    it is, with its revision). The call goes through cockatiel: retries with exponential backoff for what is
 *    worth retrying (5xx, timeouts, network, 429), inside a circuit breaker per connection, kept in this
 *    process's memory: after PUSH_BREAKER_THRESHOLD failures in a row the facility's API is left alone for a
 *    while instead of every booking waiting on its timeouts. A row that still failed waits (available_at, 30 s
 *    doubling up to 30 min) and is given up after PUSH_MAX_ATTEMPTS (`failed`: a dead letter, replayed from the
 *    health page); a refusal (4xx, 401/403) is given up at once. Each send's outcome (the request, the HTTP
 *    status, the time) goes into the connection's log with the row's update (hub/connections/log.ts), and a given-up
 *    push can be replayed from its entry. A 410 Gone (other than for a cancellation) pauses the connection: its
 *    rows wait, unsent, until someone enables it again.
 * 3. Alert: a push not acknowledged 30 minutes after it was created raises an alert, once per push: an e-mail to
 *    the facility (through the outbox) and a failure on the connection's health (store.recordFailure, which
 *    warns and eventually disables like a failing pull).
 *
 * Only the facility's decisions come back (confirm, cancel), as webhooks echoing `hubBookingId`
 * (apply.ts applyHubEcho).
 *
 * The same job then sends the facility's availability where hub-side changes moved it (connectors with
 * `pushAvailability`; hub/connections/availability-push.ts), through the same retry policy and circuit breaker.
 */

import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleType,
  noJitterGenerator,
  type RetryPolicy,
  retry,
} from "cockatiel";
import type {
  Connector,
  ConnectorError,
  ConnectorErrorCode,
  PushBooking,
} from "../../connectors/contract.js";
import { loadRegistry } from "../../connectors/registry.js";
import type { Hub } from "../context.js";
import type { Connection, Prisma } from "../db/client.js";
import { formatDate, tokyoToday } from "../inventory/dates.js";
import { TX_OPTIONS } from "../inventory/inventory.js";
import { log } from "../log.js";
import { enqueueMessage } from "../notify/outbox.js";
import { sendAvailability } from "./availability-push.js";
import { egressHttp } from "./egress.js";
import { isGone, pauseGone, writeLog } from "./log.js";
import { CONNECTOR_HTTP_TIMEOUT_MS, connectorContext, recordFailure, recordSuccess } from "./store.js";

/** A push not acknowledged this long after it was created raises an alert. */
export const PUSH_ALERT_AFTER_MS = 30 * 60_000;
/** Failed sends before a push is given up (a dead letter). */
export const PUSH_MAX_ATTEMPTS = 12;
/** How long a sender owns the rows it claimed. */
export const PUSH_LEASE_MS = 2 * 60_000;
/** Rows claimed per run and connection. */
export const PUSH_BATCH = 50;
/** Events before the cursor looked at again (late commits). */
export const PUSH_OVERLAP = 500;
/** Backoff after the n-th failed send: 30 s × 2^(n−1), at most 30 minutes. */
export const pushBackoffMs = (attempts: number) =>
  Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 30 * 60_000);

export type PushPolicyOptions = {
  /** Retries after the first call, within one send. */
  retries: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** Failed calls in a row that open the circuit. */
  breakerThreshold: number;
  /** How long an open circuit waits before letting one call through. */
  halfOpenAfterMs: number;
  /** Each HTTP call gives up after this long. */
  httpTimeoutMs: number;
};

export const DEFAULT_PUSH_POLICY: PushPolicyOptions = {
  retries: 2,
  initialDelayMs: 500,
  maxDelayMs: 5_000,
  breakerThreshold: 5,
  halfOpenAfterMs: 60_000,
  httpTimeoutMs: CONNECTOR_HTTP_TIMEOUT_MS,
};

/** A failed call worth retrying, carried through cockatiel as an error. */
export class RetryableFailure extends Error {
  constructor(readonly error: ConnectorError) {
    super(`${error.code}: ${error.message}`);
  }
}

export type Policies = { retry: RetryPolicy; breaker: CircuitBreakerPolicy; options: PushPolicyOptions };
/**
 * Per hub and connection, in this process's memory (a restart closes every circuit; other options start afresh).
 * Per hub rather than per process so that two hubs in one process (tests, whose databases are copies of one template
 * and so share connection ids) never see each other's circuits.
 */
const policiesByHub = new WeakMap<object, Map<string, Policies>>();

function policiesOf(hub: Pick<Hub, "prisma">): Map<string, Policies> {
  let policies = policiesByHub.get(hub.prisma);
  if (!policies) {
    policies = new Map();
    policiesByHub.set(hub.prisma, policies);
  }
  return policies;
}

/** The retry policy and circuit breaker of a connection's pushes (bookings and availability share them). */
export function policiesFor(hub: Hub, connectionId: string, options: PushPolicyOptions): Policies {
  const policies = policiesOf(hub);
  const have = policies.get(connectionId);
  if (have && (have.options === options || JSON.stringify(have.options) === JSON.stringify(options)))
    return have;
  const made: Policies = {
    retry: retry(handleType(RetryableFailure), {
      maxAttempts: options.retries,
      backoff: new ExponentialBackoff({
        initialDelay: options.initialDelayMs,
        maxDelay: options.maxDelayMs,
        generator: noJitterGenerator,
      }),
    }),
    breaker: circuitBreaker(handleType(RetryableFailure), {
      halfOpenAfter: options.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(options.breakerThreshold),
    }),
    options,
  };
  policies.set(connectionId, made);
  return made;
}

/** The circuit of a connection's pushes in this hub: closed, open, half-open (null before the first push). */
export function pushCircuit(
  hub: Pick<Hub, "prisma">,
  connectionId: string,
): "closed" | "open" | "halfOpen" | "isolated" | null {
  const p = policiesOf(hub).get(connectionId);
  if (!p) return null;
  return (
    {
      [CircuitState.Closed]: "closed",
      [CircuitState.Open]: "open",
      [CircuitState.HalfOpen]: "halfOpen",
      [CircuitState.Isolated]: "isolated",
    } as const
  )[p.breaker.state];
}

/** Forgets the retry and circuit state (tests, or after a connection's settings changed). */
export function resetPushPolicies(hub: Pick<Hub, "prisma">, connectionId?: string): void {
  const policies = policiesOf(hub);
  if (connectionId) policies.delete(connectionId);
  else policies.clear();
}

type PushConn = Pick<Connection, "id" | "facilityId" | "connector" | "config" | "secretSealed" | "state">;

/** Whether a connection sends our bookings: its connector pushes and it has an API to send to. */
export function pushesTo(connector: Connector | undefined, conn: Pick<Connection, "config">): boolean {
  const caps = connector?.manifest.capabilities ?? [];
  const config = (conn.config ?? {}) as { apiBaseUrl?: unknown };
  return (
    !!connector?.push &&
    (caps.includes("pushBooking") || caps.includes("cancelBooking")) &&
    typeof config.apiBaseUrl === "string" &&
    config.apiBaseUrl !== ""
  );
}

const ACTIVE = ["requested", "confirmed"] as const;
const ENDED = new Set(["rejected", "expired", "cancelled"]);

/**
 * New events of the facility's hub bookings as push rows. The first run (no cursor yet) queues the facility's
 * open upcoming bookings instead of its history. Returns how many rows were added.
 */
export async function collectPushes(hub: Hub, conn: PushConn): Promise<number> {
  const now = hub.now();
  const state = (conn.state ?? {}) as { pushCursor?: string; pushFrom?: string };
  const rows: { bookingId: string; revision: number; action: string }[] = [];
  let cursor: bigint;
  let from: bigint;
  if (state.pushCursor === undefined) {
    const [max] = await hub.prisma.$queryRaw<
      { max: bigint | null }[]
    >`SELECT max(id) AS max FROM booking_event`;
    cursor = max?.max ?? 0n;
    from = cursor;
    const open = await hub.prisma.booking.findMany({
      where: {
        facilityId: conn.facilityId,
        source: { not: "connector" },
        status: { in: [...ACTIVE] },
        endDate: { gte: tokyoToday(now) },
      },
      select: { id: true, revision: true },
    });
    for (const b of open) rows.push({ bookingId: b.id, revision: b.revision, action: "create" });
  } else {
    cursor = BigInt(state.pushCursor);
    from = BigInt(state.pushFrom ?? "0");
    const scanFrom = cursor - BigInt(PUSH_OVERLAP) > from ? cursor - BigInt(PUSH_OVERLAP) : from;
    const events = await hub.prisma.$queryRaw<
      { id: bigint; booking_id: string; seq: number; status: string }[]
    >`
      SELECT e.id, e.booking_id::text, e.seq, e.status::text AS status
      FROM booking_event e JOIN booking b ON b.id = e.booking_id
      WHERE b.facility_id = ${conn.facilityId}::uuid AND b.source <> 'connector' AND e.source <> 'connector'
        AND e.id > ${scanFrom}
      ORDER BY e.id
      LIMIT 2000`;
    for (const e of events) {
      rows.push({
        bookingId: e.booking_id,
        revision: e.seq,
        action: e.seq === 1 ? "create" : ENDED.has(e.status) ? "cancel" : "change",
      });
      if (e.id > cursor) cursor = e.id;
    }
  }
  const { count } = rows.length
    ? await hub.prisma.connectorPush.createMany({
        data: rows.map((r) => ({ connectionId: conn.id, ...r, createdAt: now, availableAt: now })),
        skipDuplicates: true,
      })
    : { count: 0 };
  // Merged into the state, not replacing it: the connector's pull cursor and the feed's acknowledgement stay.
  const patch = JSON.stringify({ pushCursor: cursor.toString(), pushFrom: from.toString() });
  await hub.prisma.$executeRaw`
    UPDATE connection SET state = state || ${patch}::jsonb WHERE id = ${conn.id}::uuid`;
  return count;
}

type Claimed = { id: bigint; booking_id: string; revision: number; attempts: number };

export type SendResult = {
  sent: number;
  failed: number;
  retrying: number;
  skipped: number;
  circuitOpen: boolean;
  /** The facility's API answered 410 Gone: the connection was paused (no more sends until it is enabled). */
  paused?: boolean;
};

/** Sends the connection's due pushes (see the file comment). */
export async function sendPushes(
  hub: Hub,
  conn: PushConn,
  connector: Connector,
  options: PushPolicyOptions = DEFAULT_PUSH_POLICY,
): Promise<SendResult> {
  const result: SendResult = { sent: 0, failed: 0, retrying: 0, skipped: 0, circuitOpen: false };
  if (!connector.push) return result;
  const now = hub.now();
  const leaseUntil = new Date(now.getTime() + PUSH_LEASE_MS);
  const claimed = await hub.prisma.$queryRaw<Claimed[]>`
    UPDATE connector_push p SET available_at = ${leaseUntil}::timestamp
    WHERE p.id IN (
      SELECT c.id FROM connector_push c
      WHERE c.connection_id = ${conn.id}::uuid AND c.status = 'pending' AND c.available_at <= ${now}::timestamp
        AND NOT EXISTS (
          SELECT 1 FROM connector_push o
          WHERE o.booking_id = c.booking_id AND o.status = 'pending' AND o.available_at > ${now}::timestamp)
      ORDER BY c.id
      LIMIT ${PUSH_BATCH}
      FOR UPDATE SKIP LOCKED)
    RETURNING p.id, p.booking_id::text, p.revision, p.attempts`;
  if (!claimed.length) return result;

  const byBooking = new Map<string, Claimed[]>();
  for (const r of [...claimed].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    byBooking.set(r.booking_id, [...(byBooking.get(r.booking_id) ?? []), r]);
  }
  const p = policiesFor(hub, conn.id, options);
  const http = egressHttp(
    { allowed: hub.config.CONNECTOR_ALLOWED_NETWORKS },
    { timeout: options.httpTimeoutMs },
  );
  // Each booking's send (its retries included) has its own deadline, so a slow API never cuts later ones short.
  const deadlineMs = (options.retries + 1) * (options.httpTimeoutMs + options.maxDelayMs);
  let anySent = false;

  for (const [bookingId, rows] of byBooking) {
    const ids = rows.map((r) => r.id);
    const attempts = Math.max(...rows.map((r) => r.attempts)) + 1;
    if (result.paused) {
      // Left as they are, sent once someone enables the connection again.
      await hub.prisma.connectorPush.updateMany({ where: { id: { in: ids } }, data: { availableAt: now } });
      result.skipped += rows.length;
      continue;
    }
    if (result.circuitOpen) {
      await release(hub, ids, new Date(hub.now().getTime() + options.halfOpenAfterMs), "circuit_open");
      result.skipped += rows.length;
      continue;
    }
    const push = await pushFor(hub, bookingId);
    if (!push) {
      // Cancelled before the facility ever had it, or gone: nothing to tell.
      await hub.prisma.connectorPush.updateMany({
        where: { id: { in: ids } },
        data: { status: "acknowledged", action: "cancel", acknowledgedAt: hub.now(), lastError: null },
      });
      result.skipped += rows.length;
      continue;
    }
    const ctx = { ...connectorContext(hub, conn, AbortSignal.timeout(deadlineMs)), http };
    const sendStarted = Date.now();
    let outcome: Awaited<ReturnType<NonNullable<Connector["push"]>>>;
    try {
      outcome = await p.retry.execute(() =>
        p.breaker.execute(async () => {
          const r = await (connector.push as NonNullable<Connector["push"]>)(ctx, push);
          if (!r.ok && r.error.retryable) throw new RetryableFailure(r.error);
          return r;
        }),
      );
    } catch (err) {
      if (err instanceof BrokenCircuitError) {
        result.circuitOpen = true;
        await release(hub, ids, new Date(hub.now().getTime() + options.halfOpenAfterMs), "circuit_open");
        result.skipped += rows.length;
        continue;
      }
      if (!(err instanceof RetryableFailure)) throw err;
      outcome = { ok: false, error: err.error };
      if (p.breaker.state === CircuitState.Open) result.circuitOpen = true;
    }
    const at = hub.now();
    const entry = {
      connectionId: conn.id,
      facilityId: conn.facilityId,
      at,
      kind: "push" as const,
      request: `${push.action} booking, revision ${push.revision}`,
      durationMs: Date.now() - sendStarted,
      counts: { revisions: rows.length, attempt: attempts },
    };
    const refs = {
      bookingId,
      action: push.action,
      revision: push.revision,
      revisions: rows.map((r) => r.revision),
    };
    if (outcome.ok) {
      anySent = true;
      result.sent++;
      const value = outcome.value;
      await hub.prisma.$transaction(async (tx) => {
        await tx.connectorPush.updateMany({
          where: { id: { in: ids } },
          data: {
            status: "acknowledged",
            action: push.action,
            acknowledgedAt: at,
            attempts,
            lastError: null,
            ...(value.externalId ? { externalId: value.externalId } : {}),
          },
        });
        await writeLog(tx, {
          ...entry,
          result: "ok",
          refs: { ...refs, ...(value.externalId ? { externalId: value.externalId } : {}) },
          ...(value.status ? { httpStatus: value.status } : {}),
        });
      }, TX_OPTIONS);
      continue;
    }
    const error = `${outcome.error.code}: ${outcome.error.message}`.slice(0, 500);
    if (isGone(outcome.error)) {
      // The facility's API says it is gone for good: pause the connection; the booking waits for it.
      result.paused = true;
      result.skipped += rows.length;
      const failure = outcome.error;
      await hub.prisma.$transaction(async (tx) => {
        await tx.connectorPush.updateMany({
          where: { id: { in: ids } },
          data: { availableAt: at, lastError: error },
        });
        await pauseGone(tx, conn.id, "the facility's API");
        await recordFailure(tx, conn.id, failure, at);
        await writeLog(tx, { ...entry, result: "failed", failure, refs });
      }, TX_OPTIONS);
      continue;
    }
    const givesUp = !outcome.error.retryable || attempts >= PUSH_MAX_ATTEMPTS;
    const failure = outcome.error;
    await hub.prisma.$transaction(async (tx) => {
      await tx.connectorPush.updateMany({
        where: { id: { in: ids } },
        data: {
          attempts,
          lastError: error,
          ...(givesUp
            ? { status: "failed" }
            : { availableAt: new Date(at.getTime() + pushBackoffMs(attempts)) }),
        },
      });
      await writeLog(tx, {
        ...entry,
        result: givesUp ? "failed" : "retrying",
        failure,
        refs: givesUp ? { ...refs, pushIds: ids.map(String) } : refs,
      });
    }, TX_OPTIONS);
    if (givesUp) result.failed++;
    else result.retrying++;
  }
  if (anySent) await recordSuccess(hub.prisma, conn.id, hub.now());
  return result;
}

/** Leaves rows for later without counting an attempt (the circuit is open). */
async function release(hub: Hub, ids: bigint[], until: Date, why: string) {
  await hub.prisma.connectorPush.updateMany({
    where: { id: { in: ids } },
    data: {
      availableAt: until,
      lastError: `${why}: the facility's API failed repeatedly; waiting before trying again`,
    },
  });
}

/** The booking as it is now, as the facility's system receives it; null when there is nothing to tell it. */
async function pushFor(hub: Hub, bookingId: string): Promise<PushBooking | null> {
  const b = await hub.prisma.booking.findUnique({
    where: { id: bookingId },
    select: {
      id: true,
      status: true,
      revision: true,
      serviceType: true,
      startDate: true,
      endDate: true,
      timeBlock: true,
    },
  });
  if (!b) return null;
  // What the facility's system has had of this booking: whether it was created there, and under which id.
  const before = await hub.prisma.connectorPush.findMany({
    where: { bookingId, status: "acknowledged", action: { in: ["create", "change"] } },
    orderBy: { id: "desc" },
    select: { externalId: true },
  });
  const sent = before.length > 0;
  const earlierId = before.find((r) => r.externalId)?.externalId ?? undefined;
  const ended = ENDED.has(b.status);
  if (ended && !sent) return null;
  return {
    action: ended ? "cancel" : sent ? "change" : "create",
    bookingId: b.id,
    revision: b.revision,
    status: b.status,
    serviceType: b.serviceType,
    startDate: formatDate(b.startDate),
    endDate: formatDate(b.endDate),
    timeBlock: b.timeBlock,
    ...(earlierId ? { externalId: earlierId } : {}),
  };
}

const CODES = new Set<ConnectorErrorCode>([
  "auth_expired",
  "rate_limited",
  "upstream_5xx",
  "upstream_4xx",
  "timeout",
  "network",
  "tls",
  "refused_address",
  "invalid_payload",
  "invalid_signature",
  "unsupported",
]);

/**
 * Pushes of the connection not acknowledged PUSH_ALERT_AFTER_MS after they were created, alerted once each: one
 * e-mail to the facility for all of them, and a failure on the connection's health. Returns how many.
 */
export async function alertStalePushes(hub: Hub, connectionId: string): Promise<number> {
  const now = hub.now();
  const before = new Date(now.getTime() - PUSH_ALERT_AFTER_MS);
  return hub.prisma.$transaction(async (tx) => {
    const claimed = await tx.$queryRaw<{ id: bigint; last_error: string | null }[]>`
      UPDATE connector_push SET alerted_at = ${now}::timestamp
      WHERE connection_id = ${connectionId}::uuid AND status <> 'acknowledged' AND alerted_at IS NULL
        AND created_at <= ${before}::timestamp
      RETURNING id, last_error`;
    if (!claimed.length) return 0;
    const last = claimed.map((c) => c.last_error).find((e) => e) ?? "no answer yet";
    const code = last.split(":")[0] as ConnectorErrorCode;
    await recordFailure(
      tx,
      connectionId,
      {
        code: CODES.has(code) ? code : "timeout",
        message: `${claimed.length} booking change(s) not acknowledged by the facility's system for 30 minutes; last: ${last}`,
      },
      now,
    );
    const conn = await tx.connection.findUniqueOrThrow({
      where: { id: connectionId },
      select: { facility: { select: { id: true, name: true, email: true } } },
    });
    if (conn.facility.email) {
      await enqueueMessage(tx as Prisma.TransactionClient, {
        channel: "email",
        to: conn.facility.email,
        subject: "【産後ケア】予約システムへの予約の送信が完了していません",
        text: [
          `${conn.facility.name} の予約システムに、ハブの予約 ${claimed.length} 件の登録・変更・取消を 30 分以上送れていません。`,
          `最後のエラー: ${last}`,
          "予約システムが動いているか、ポータルの「システム連携」で接続の状態を確認してください。送信は自動で再試行します。",
          "",
          `${claimed.length} booking change(s) could not be delivered to your booking system for over 30 minutes.`,
          `Last error: ${last}. The hub keeps retrying; check the connection under "System integration".`,
        ].join("\n"),
        about: { facilityId: conn.facility.id },
        language: "ja",
      });
    }
    return claimed.length;
  });
}

export type PushRun = {
  connections: number;
  collected: number;
  alerted: number;
  /** Availability messages sent (hub/connections/availability-push.ts). */
  availability: number;
} & SendResult;

/** The job: for one connection or every connection that pushes, collect, send, alert. */
export async function runPushJob(
  hub: Hub,
  payload: { connectionId?: string },
  options: PushPolicyOptions = DEFAULT_PUSH_POLICY,
): Promise<PushRun> {
  const registry = await loadRegistry();
  const pushKeys = registry.keys().filter((k) => registry.get(k)?.push);
  const conns = await hub.prisma.connection.findMany({
    where: {
      enabled: true,
      connector: { in: pushKeys },
      ...(payload.connectionId ? { id: payload.connectionId } : {}),
    },
    select: { id: true, facilityId: true, connector: true, config: true, secretSealed: true, state: true },
  });
  const run: PushRun = {
    connections: 0,
    collected: 0,
    alerted: 0,
    availability: 0,
    sent: 0,
    failed: 0,
    retrying: 0,
    skipped: 0,
    circuitOpen: false,
  };
  for (const conn of conns) {
    const connector = registry.get(conn.connector);
    if (!connector || !pushesTo(connector, conn)) continue;
    run.connections++;
    try {
      run.collected += await collectPushes(hub, conn);
      const sent = await sendPushes(hub, conn, connector, options);
      run.sent += sent.sent;
      run.failed += sent.failed;
      run.retrying += sent.retrying;
      run.skipped += sent.skipped;
      run.circuitOpen ||= sent.circuitOpen;
      if (sent.paused) run.paused = true;
      run.alerted += await alertStalePushes(hub, conn.id);
      if (connector.pushAvailability && !sent.paused) {
        // After the bookings: the places they take are then in the availability sent.
        const a = await sendAvailability(hub, conn, connector, options);
        run.availability += a.sent;
        run.circuitOpen ||= a.circuitOpen;
        if (a.paused) run.paused = true;
      }
    } catch (err) {
      // One connection's trouble never holds up the others; the next run tries again.
      log.error({ module: "connector", connectionId: conn.id, err }, "pushes failed");
    }
  }
  return run;
}
