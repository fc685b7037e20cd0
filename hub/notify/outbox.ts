import type { JobName, JobPayloads } from "../../jobs/names.js";
import { type JobQueue, nudge } from "../../jobs/queue.js";
import { PLAN_CACHED, Prisma, type PrismaClient } from "../db/client.js";
import { hotRows } from "../db/hot.js";
import { type DeliveryAbout, resolveAbout } from "./delivery-log.js";
import { DeliveryError } from "./errors.js";
import { maskDestination, redact } from "./mask.js";
import { messagesFailed, messagesRetried, messagesSent } from "./metrics.js";
import type { Message, SendResult, Transport } from "./transport.js";

type Tx = Prisma.TransactionClient | PrismaClient;

export const OUTBOX_TOPIC_MESSAGE = "notify.message";

/**
 * Work that follows a commit through a job: the row's topic is the job's name and its payload the job's, so the job
 * runs only if the change committed, and runs even if the queue was down when it did (the row waits).
 */
export const OUTBOX_JOB_TOPICS = ["waitlist.offer", "connections.push"] as const satisfies readonly JobName[];
export type OutboxJobTopic = (typeof OUTBOX_JOB_TOPICS)[number];
/** The topic of a push to a facility's system (written in SQL by the booking ledger and the hold). */
export const OUTBOX_TOPIC_PUSH = "connections.push" satisfies OutboxJobTopic;
const isJobTopic = (topic: string): topic is OutboxJobTopic =>
  (OUTBOX_JOB_TOPICS as readonly string[]).includes(topic);

/** How long job rows wait after the job store did not take them. */
const JOB_STORE_RETRY_MS = 10_000;

/** Attempts before a message is given up (its `failedAt` is set and it stays in the delivery log). */
export const OUTBOX_MAX_ATTEMPTS = 10;
/**
 * How long a dispatcher owns a row while sending it. Every transport bounds a send well below this (SMTP and SMS
 * time out within 30 s), so no other dispatcher can take the row while it is being sent.
 */
export const OUTBOX_LEASE_MS = 60_000;
/**
 * How long a dispatcher owns the rows of its batch it has not started sending. Short, so the rows of a dispatcher
 * that died (kill -9, a lost machine) are sent by another within seconds; a row whose claim lapsed while earlier
 * ones were being sent is only taken over, never sent twice (its claim is checked before the send).
 */
export const OUTBOX_CLAIM_MS = 15_000;
/** Backoff after the n-th failed attempt: 30 s × 2^(n-1), at most an hour, with jitter (see retryDelayMs). */
export const RETRY_BASE_MS = 30_000;
export const RETRY_MAX_MS = 3_600_000;
/** A message still unsent this long after it was written (a server or provider down all along) is given up. */
export const OUTBOX_MAX_AGE_MS = 3 * 24 * 3_600_000;

/** Writes a message to the outbox in the caller's transaction: it is sent only if that change commits. */
export async function enqueueMessage(tx: Tx, message: Message): Promise<void> {
  await tx.outboxMessage.create({
    data: { topic: OUTBOX_TOPIC_MESSAGE, payload: message as unknown as Prisma.InputJsonValue },
  });
}

/** Writes a job to the outbox in the caller's transaction: it is queued only if that change commits. */
export async function enqueueJob<T extends OutboxJobTopic>(
  tx: Tx,
  topic: T,
  payload: JobPayloads[T],
): Promise<void> {
  await tx.outboxMessage.create({ data: { topic, payload: payload as Prisma.InputJsonValue } });
}

/**
 * Asks for the outbox to be sent now, without waiting: what was written is already safe in the outbox (in the
 * request's transaction), so with the job store (Redis) down the request answers at once and the cron's periodic
 * dispatch sends it once the store is back. One dispatch per window, run at the window's end: it takes every row
 * committed in the window (a dispatch already running may have claimed before a later commit), and a burst of
 * requests asks for one dispatch, not one each.
 */
export function nudgeOutbox(queue: Pick<JobQueue, "add">): void {
  const now = Date.now();
  const window = Math.floor(now / NUDGE_WINDOW_MS);
  // This process asked for this window's dispatch already: asking again would only find the job there (a round trip
  // to Redis per write request, a tenth of a busy hub's time).
  if (nudgedWindow.get(queue) === window) return;
  nudgedWindow.set(queue, window);
  void nudge(
    queue,
    "outbox.dispatch",
    {},
    { jobId: `outbox.dispatch@nudge-${window}`, delayMs: (window + 1) * NUDGE_WINDOW_MS - now },
  );
}
/** The window of nudgeOutbox: the most a row waits for its dispatch to start, beyond the queue's own delay. */
const NUDGE_WINDOW_MS = 100;
/** The last window each queue (one per hub) was nudged for. */
const nudgedWindow = new WeakMap<object, number>();

/**
 * The wait before the next try after `attempts` failed ones: exponential (30 s, 1 min, 2 min, … capped at
 * 1 h) with "equal jitter" — between half and all of that — so messages that failed together (an SMTP
 * outage) do not all come back in the same second.
 */
export function retryDelayMs(attempts: number, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(attempts));
  const ceiling = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(n - 1, 30));
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(ceiling / 2 + (r * ceiling) / 2);
}

/**
 * The wait before trying again after an outage (the server or provider not there), when tries are not counted: half
 * of how long the message has waited so far, between 30 s and an hour, with the same equal jitter.
 */
export function outageDelayMs(waitedMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_MAX_MS, Math.max(RETRY_BASE_MS, Math.floor(waitedMs / 2)));
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(ceiling / 2 + (r * ceiling) / 2);
}

export type DispatchOptions = {
  /** Rows claimed at once (default 50). */
  batch?: number;
  /** Give up after this many attempts (default OUTBOX_MAX_ATTEMPTS). */
  maxAttempts?: number;
  /** How long the batch's claim lasts (default OUTBOX_CLAIM_MS). */
  claimMs?: number;
  /** How long a row is owned while it is sent (default OUTBOX_LEASE_MS). */
  leaseMs?: number;
  /** Jitter source, for tests. */
  random?: () => number;
  /** Where rows of job topics go (OUTBOX_JOB_TOPICS); without it only messages are dispatched. */
  jobs?: Pick<JobQueue, "add">;
};

export type DispatchResult = {
  /** Rows claimed by this run. */
  claimed: number;
  sent: number;
  /** Failed attempts (retried or given up). */
  failed: number;
  /** Failed attempts that will be tried again after a backoff. */
  retrying: number;
  /** Messages given up in this run (refused for good, or out of attempts). */
  gaveUp: number;
  /** Rows left for later without an attempt: their channel's server or provider was unavailable. */
  deferred: number;
  /** Rows another dispatcher had taken over (their claim had lapsed): not sent by this run. */
  skipped: number;
  /** Rows of job topics handed to the job queue. */
  queued: number;
};

type ClaimedRow = { id: bigint; topic: string; payload: unknown; created_at: Date };

/**
 * A row's name outside the database: the job id it is queued under and the key a mail server or SMS provider refuses
 * a second copy by. The same row always has the same key; the id alone is not enough, as another database on the
 * same Redis (a second instance, a scratch copy) or this one restored from a backup gives out the same ids again, and
 * the queue, keeping the ids of jobs it has run, would then drop the new row's job as already done.
 */
export const outboxKey = (row: { id: bigint; created_at: Date }) =>
  `outbox-${row.id}-${row.created_at.getTime()}`;

const EXPIRED = "expired before it could be sent";

/** A message payload as it must be to be sent, or why not. */
function asMessage(payload: unknown): Message | string {
  const m = payload as Partial<Message> | null;
  if (!m || typeof m !== "object") return "the outbox payload is not a message";
  if (m.channel !== "email" && m.channel !== "sms") return "the message has no known channel";
  if (typeof m.to !== "string" || !m.to.trim()) return "the message has no destination";
  if (typeof m.text !== "string") return "the message has no text";
  return m as Message;
}

/**
 * Sends due outbox rows, each at most once however many dispatchers run:
 *  - a batch is claimed (FOR UPDATE SKIP LOCKED) for `claimMs`, and each row's claim is checked and renewed for
 *    `leaseMs` just before it is sent, so a row whose claim lapsed and was taken by another dispatcher is skipped;
 *  - an attempt is counted when its send starts, not at the claim: rows a dead dispatcher claimed but never sent
 *    come back after `claimMs` with their tries intact;
 *  - a message whose `expiresAt` has passed (a sign-in code past its validity) is given up, not sent;
 *  - only rows due (`availableAt` ≤ now), neither sent nor given up, are claimed;
 *  - every attempt writes a Delivery row (masked destination, no body) in the same transaction that marks
 *    the outcome; a failure sets `attempts`, `lastError` and the next `availableAt` (exponential backoff with
 *    jitter), and after `maxAttempts` or a permanent refusal sets `failedAt`;
 *  - when a channel's server or provider is unavailable, that channel's other rows in the batch wait just as
 *    long without spending an attempt. An SMTP outage therefore delays e-mail, and loses none.
 * `now` is the dispatcher's clock at the start (tests move it forward to reach rows that are backing off).
 */
export async function dispatchOutbox(
  prisma: PrismaClient,
  transport: Transport,
  now = new Date(),
  opts: DispatchOptions = {},
): Promise<DispatchResult> {
  const batch = opts.batch ?? 50;
  const maxAttempts = opts.maxAttempts ?? OUTBOX_MAX_ATTEMPTS;
  const leaseMs = opts.leaseMs ?? OUTBOX_LEASE_MS;
  const claimMs = opts.claimMs ?? OUTBOX_CLAIM_MS;
  const random = opts.random ?? Math.random;
  const started = Date.now();
  const clock = () => new Date(now.getTime() + (Date.now() - started));

  // The claim's expiry doubles as its token: a row is still ours while it holds exactly the value we wrote
  // (compared with the same parameter, so the server's time zone cannot get in the way).
  const claim = new Date(now.getTime() + claimMs);
  const claimed = await prisma.$queryRaw<ClaimedRow[]>`
    UPDATE outbox SET claimed_until = ${claim}
    WHERE id IN (
      SELECT id FROM outbox
      WHERE dispatched_at IS NULL AND failed_at IS NULL AND available_at <= ${now}
        AND (claimed_until IS NULL OR claimed_until < ${now})
        AND (topic = ${OUTBOX_TOPIC_MESSAGE} OR ${Boolean(opts.jobs)})
      ORDER BY id LIMIT ${batch} FOR UPDATE SKIP LOCKED)
    RETURNING id, topic, payload, created_at`;

  const result: DispatchResult = {
    claimed: claimed.length,
    sent: 0,
    failed: 0,
    retrying: 0,
    gaveUp: 0,
    deferred: 0,
    skipped: 0,
    queued: 0,
  };
  /** Channels found unavailable in this run, with when to try them again. */
  const waitUntil = new Map<string, Date>();
  const residents = new Map<string, string | null>();
  /** Why a message is not sent now: its channel is waiting (an outage found in this run), or it expired. */
  const heldBack = (parsed: Message | string): { wait: Date } | "expired" | undefined => {
    const wait = waitUntil.get(typeof parsed === "string" ? "unknown" : parsed.channel);
    if (wait) return { wait };
    if (typeof parsed !== "string" && parsed.expiresAt && new Date(parsed.expiresAt) <= clock())
      return "expired";
    return undefined;
  };
  /** Whether a row is a message to be sent now (its lease can go with the previous row's outcome). */
  const sendsNow = (row: ClaimedRow | undefined) =>
    row?.topic === OUTBOX_TOPIC_MESSAGE && heldBack(asMessage(row.payload)) === undefined;
  /** The next row's lease, taken in the statement that recorded the previous row's outcome. */
  let leasedAhead: { id: bigint; attempts: number | null } | undefined;

  let jobStoreDown = false;
  const rows = claimed.sort((a, b) => Number(a.id - b.id));
  for (const [i, row] of rows.entries()) {
    const ahead = leasedAhead?.id === row.id ? leasedAhead : undefined;
    leasedAhead = undefined;
    const topic = row.topic;
    if (isJobTopic(topic) && opts.jobs) {
      const queued = jobStoreDown
        ? "deferred"
        : await queueJobRow(prisma, opts.jobs, row, topic, claim, clock);
      if (queued === "deferred") {
        jobStoreDown = true;
        await prisma.$executeRaw`
          UPDATE outbox SET claimed_until = NULL,
            available_at = ${new Date(clock().getTime() + JOB_STORE_RETRY_MS)}
          WHERE id = ${row.id} AND claimed_until = ${claim} AND dispatched_at IS NULL`;
      }
      result[queued]++;
      continue;
    }
    if (row.topic !== OUTBOX_TOPIC_MESSAGE) {
      // Nothing to send for a topic this dispatcher does not know.
      await prisma.outboxMessage.update({
        where: { id: row.id },
        data: { dispatchedAt: clock(), claimedUntil: null, lastError: null },
      });
      continue;
    }
    const parsed = asMessage(row.payload);
    const channel = typeof parsed === "string" ? "unknown" : parsed.channel;
    const message = typeof parsed === "string" ? undefined : parsed;
    // A row leased ahead was judged when its lease was taken.
    const held = ahead ? undefined : heldBack(parsed);

    if (held && held !== "expired") {
      // Not attempted: give the claim back.
      await prisma.$executeRaw`
        UPDATE outbox SET claimed_until = NULL, available_at = GREATEST(available_at, ${held.wait})
        WHERE id = ${row.id} AND claimed_until = ${claim} AND dispatched_at IS NULL`;
      result.deferred++;
      continue;
    }

    if (held === "expired") {
      const gaveUp = await prisma.$executeRaw`
        UPDATE outbox SET claimed_until = NULL, failed_at = ${clock()}, last_error = ${EXPIRED}
        WHERE id = ${row.id} AND claimed_until = ${claim} AND dispatched_at IS NULL AND failed_at IS NULL`;
      if (gaveUp === 1) {
        result.gaveUp++;
        messagesFailed.inc({ channel, reason: "expired" });
      } else result.skipped++;
      continue;
    }

    // Still ours? Renew the claim for the send and count the attempt; a dispatcher that took the row over makes
    // this fail. (Leased ahead: the same statement, sent with the previous row's outcome.)
    const attempts = ahead ? ahead.attempts : await leaseRow(prisma, row.id, claim, clock, leaseMs);
    if (attempts === null) {
      result.skipped++;
      continue;
    }

    const about = await resolveAbout(prisma, message?.about, residents);
    const log = {
      channel,
      toMasked: message ? maskDestination(message.channel, message.to) : "****",
      // E-mail subjects are shown to staff; an SMS has none, and its text is never logged.
      subject: message?.channel === "email" ? String(message.subject ?? "").slice(0, 300) : "",
      ...about,
    };

    let outcome: { sent: SendResult | undefined } | { error: DeliveryError };
    try {
      if (!message) throw new DeliveryError(String(parsed), { permanent: true });
      outcome = { sent: (await transport.send(message, { key: outboxKey(row) })) ?? undefined };
    } catch (err) {
      outcome = {
        error:
          err instanceof DeliveryError
            ? err
            : new DeliveryError(redact(String((err as Error)?.message ?? err), message?.to)),
      };
    }

    // The next row, when it is a message to send now, is leased in the statement that records this outcome: a
    // round trip and a commit fewer per message, at the same moment as a lease of its own would be taken.
    const next = rows[i + 1];
    const record = async (attempt: Attempt) => {
      const lease =
        next && sendsNow(next) ? { id: next.id, claim, until: leaseUntil(clock, leaseMs) } : undefined;
      const leased = await recordAttempt(prisma, row.id, attempt, lease);
      if (lease) leasedAhead = { id: lease.id, attempts: leased };
    };

    if ("sent" in outcome) {
      // Sent: from here on nothing may count as a failed send (that would send it again).
      await record({ ...log, status: "sent", at: clock(), providerRef: outcome.sent?.providerRef });
      result.sent++;
      messagesSent.inc({ channel });
      continue;
    }

    const error = outcome.error;
    const at = clock();
    // The server or provider was not there (an outage): the try is given back, so a long outage uses up no
    // message's tries; the wait grows with how long the message has waited, and it is given up only when too old.
    const outage = error.unavailable && !error.permanent;
    const waited = at.getTime() - row.created_at.getTime();
    const giveUp = outage ? waited >= OUTBOX_MAX_AGE_MS : error.permanent || attempts >= maxAttempts;
    const backoff = outage ? outageDelayMs(waited, random) : retryDelayMs(attempts, random);
    const delay = Math.min(RETRY_MAX_MS, Math.max(backoff, error.retryAfterMs ?? 0));
    const retryAt = new Date(at.getTime() + delay);
    const text = redact(error.message, message?.to).slice(0, 500);
    // Before the outcome is recorded: the channel's next message is then not leased with it.
    if (!giveUp && error.unavailable) waitUntil.set(channel, retryAt);
    await record({
      ...log,
      status: "failed",
      at,
      error: text,
      ...(giveUp ? { failedAt: at } : { availableAt: retryAt }),
      attemptGivenBack: outage,
    });
    result.failed++;
    if (giveUp) {
      result.gaveUp++;
      messagesFailed.inc({
        channel,
        reason: error.permanent ? "permanent" : outage ? "too_old" : "exhausted",
      });
    } else {
      result.retrying++;
      messagesRetried.inc({ channel });
    }
  }
  return result;
}

type Attempt = DeliveryAbout & {
  channel: string;
  toMasked: string;
  subject: string;
  at: Date;
} & (
    | { status: "sent"; providerRef?: string }
    | { status: "failed"; error: string; failedAt?: Date; availableAt?: Date; attemptGivenBack: boolean }
  );

/**
 * Marks an attempt's outcome on its outbox row and writes its Delivery row, in one statement (so one transaction:
 * both or neither): sent, or failed with when to try again (or given up), the try given back after an outage.
 * One statement, not a transaction of two model writes: every message a booking sends passes here, and the round
 * trips of BEGIN, two writes and COMMIT cost more than the send into the local mailbox (for the same reason it is a
 * hot statement, hub/db/hot.ts). With `leaseAhead` the same statement also takes the next row's lease (leaseRow's
 * statement) and returns its attempts, or null when that row is no longer this dispatcher's.
 */
async function recordAttempt(
  prisma: PrismaClient,
  outboxId: bigint,
  a: Attempt,
  leaseAhead?: { id: bigint; claim: Date; until: Date },
): Promise<number | null> {
  const failed = a.status === "failed" ? a : undefined;
  const [leased] = await hotRows<{ attempts: number }>(
    prisma,
    Prisma.sql`${PLAN_CACHED}
    WITH marked AS (
      UPDATE outbox SET claimed_until = NULL, last_error = ${failed?.error ?? null},
        dispatched_at = ${a.status === "sent" ? a.at : null}::timestamp,
        failed_at = coalesce(${failed?.failedAt ?? null}::timestamp, failed_at),
        available_at = coalesce(${failed?.availableAt ?? null}::timestamp, available_at),
        attempts = attempts - ${failed?.attemptGivenBack ? 1 : 0}::int
      WHERE id = ${outboxId}::bigint
      RETURNING id
    ), logged AS (
    INSERT INTO delivery (outbox_id, channel, to_masked, subject, resident_id, facility_id, municipality_code,
      status, error, provider_ref, attempted_at)
    SELECT id, ${a.channel}, ${a.toMasked}, ${a.subject}, ${a.residentId}::uuid, ${a.facilityId}::uuid,
      ${a.municipalityCode}, ${a.status}, ${failed?.error ?? null},
      ${a.status === "sent" ? (a.providerRef?.slice(0, 200) ?? null) : null}, ${a.at}::timestamp
    FROM marked
    ), leased AS (
      ${leaseStatement(leaseAhead?.id ?? null, leaseAhead?.claim ?? null, leaseAhead?.until ?? null)}
    )
    SELECT attempts FROM leased`,
  );
  return leased?.attempts ?? null;
}

/**
 * Renews the batch's claim on a row for its send and counts the attempt; the attempts so far, or null when the row is
 * no longer this dispatcher's (its claim lapsed and another took it over).
 */
async function leaseRow(
  prisma: PrismaClient,
  id: bigint,
  claim: Date,
  clock: () => Date,
  leaseMs: number,
): Promise<number | null> {
  const [owned] = await hotRows<{ attempts: number }>(
    prisma,
    Prisma.sql`${PLAN_CACHED} ${leaseStatement(id, claim, leaseUntil(clock, leaseMs))}`,
  );
  return owned?.attempts ?? null;
}

const leaseUntil = (clock: () => Date, leaseMs: number) => new Date(clock().getTime() + leaseMs);

/** The lease of leaseRow, also a step of recordAttempt's statement (where `id` may be null: no lease). */
const leaseStatement = (id: bigint | null, claim: Date | null, until: Date | null) => Prisma.sql`
  UPDATE outbox SET claimed_until = ${until}::timestamp, attempts = attempts + 1
  WHERE id = ${id}::bigint AND claimed_until = ${claim}::timestamp AND dispatched_at IS NULL AND failed_at IS NULL
  RETURNING attempts`;

/**
 * Hands a job row to the queue (its id names the row, so a row queued twice runs once) and marks it dispatched;
 * "deferred" when the job store does not take it (the row is given back by the caller, no attempt counted).
 */
async function queueJobRow(
  prisma: PrismaClient,
  jobs: Pick<JobQueue, "add">,
  row: ClaimedRow,
  topic: OutboxJobTopic,
  claim: Date,
  clock: () => Date,
): Promise<"queued" | "deferred" | "skipped"> {
  try {
    await jobs.add(topic, row.payload as JobPayloads[OutboxJobTopic], { jobId: outboxKey(row) });
  } catch {
    return "deferred";
  }
  const done = await prisma.$executeRaw`
    UPDATE outbox SET dispatched_at = ${clock()}, claimed_until = NULL, last_error = NULL
    WHERE id = ${row.id} AND claimed_until = ${claim} AND dispatched_at IS NULL`;
  return done === 1 ? "queued" : "skipped";
}

/**
 * The outbox job: dispatches batch after batch while full ones come back, so a burst is sent in one run
 * (at most `rounds` batches, then the next run goes on).
 */
export async function drainOutbox(
  prisma: PrismaClient,
  transport: Transport,
  now: () => Date = () => new Date(),
  opts: DispatchOptions & { rounds?: number } = {},
): Promise<DispatchResult> {
  const total: DispatchResult = {
    claimed: 0,
    sent: 0,
    failed: 0,
    retrying: 0,
    gaveUp: 0,
    deferred: 0,
    skipped: 0,
    queued: 0,
  };
  const batch = opts.batch ?? 50;
  for (let round = 0; round < (opts.rounds ?? 20); round++) {
    const r = await dispatchOutbox(prisma, transport, now(), { ...opts, batch });
    for (const k of Object.keys(total) as (keyof DispatchResult)[]) total[k] += r[k];
    // Deferred rows come back only after their wait; a short batch means nothing more is due.
    if (r.claimed < batch || r.deferred > 0) break;
  }
  return total;
}
