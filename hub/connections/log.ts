/**
 * A connection's log: one entry per sync (pull), inbound delivery (webhook, CSV upload), outbound push and test
 * delivery, written in the transaction of the work it records (connection_log). Facility staff read their own
 * facility's, operators every one; filters by kind, result and date; a CSV download (UTF-8 with a BOM, like the
 * hub's other CSV files); a failed push or delivery is put back in line one entry at a time (`replayLogEntry`).
 * Kept LOG_RETENTION_DAYS (hub/ops/retention.ts).
 *
 * What staff read about a failure is a code and plain words (`plainFailure`), never a driver's message, a stack
 * trace or an address: the portal words each code in Japanese and English, the API gives the English one.
 */
import type { ConnectorError } from "../../connectors/contract.js";
import { nudge } from "../../jobs/queue.js";
import { csvLine, encodeCsv, jstDateTime } from "../bookings/export.js";
import type { Hub } from "../context.js";
import type { Prisma } from "../db/client.js";
import { problems } from "../errors.js";
import type { Actor } from "../identity/actor.js";
import { kickWebhooks } from "./webhooks.js";

type Db = Prisma.TransactionClient;

export const LOG_KINDS = ["sync", "webhook", "upload", "push", "test"] as const;
export type LogKind = (typeof LOG_KINDS)[number];
export const LOG_RESULTS = ["ok", "failed", "retrying", "not_modified"] as const;
export type LogResult = (typeof LOG_RESULTS)[number];

/** The kinds of failure staff are told about, each with its plain words (English; the portal has Japanese too). */
export const FAILURE_CODES = {
  network: "The facility's system could not be reached.",
  timeout: "The facility's system did not answer in time.",
  tls: "The secure connection (TLS) failed: is the server's certificate valid?",
  http_status: "The facility's system answered with an error.",
  gone: "The facility's system answered 410 Gone: the address no longer exists. The connection is paused until it is enabled again.",
  auth: "The facility's system refused the hub's credentials.",
  rate_limited: "The facility's system asked the hub to slow down.",
  parse_error: "What the facility's system sent could not be read.",
  too_large: "What the facility's system sent is larger than the hub accepts.",
  apply_failed: "What the facility's system sent could not be saved to the booking ledger.",
  signature: "The signature did not match this connection's secret, or its timestamp was not current.",
  refused_address: "The address is in a private or local network, which the hub does not connect to.",
  circuit_open: "The facility's system failed repeatedly; the hub waits before trying again.",
  not_supported: "This connection cannot do that.",
  unexpected: "Something unexpected went wrong; the operator finds the details in the hub's log.",
} as const;
export type FailureCode = keyof typeof FAILURE_CODES;

const BY_CONNECTOR_CODE: Record<string, FailureCode> = {
  network: "network",
  timeout: "timeout",
  tls: "tls",
  upstream_5xx: "http_status",
  upstream_4xx: "http_status",
  auth_expired: "auth",
  rate_limited: "rate_limited",
  invalid_payload: "parse_error",
  too_large: "too_large",
  invalid_signature: "signature",
  stale_timestamp: "signature",
  refused_address: "refused_address",
  unsupported: "not_supported",
  apply_failed: "apply_failed",
  circuit_open: "circuit_open",
  gone: "gone",
};

/**
 * A failure as staff read it (pure): a connector's error value, or one of the hub's own codes, as one of
 * FAILURE_CODES and its plain words (with the HTTP status when there was one). Anything not known is
 * `unexpected`: its own message never reaches staff.
 */
export function plainFailure(error: { code: string; status?: number }): {
  code: FailureCode;
  message: string;
} {
  const code: FailureCode = error.status === 410 ? "gone" : (BY_CONNECTOR_CODE[error.code] ?? "unexpected");
  const base = FAILURE_CODES[code];
  const message =
    code === "http_status" && error.status
      ? `The facility's system answered with HTTP ${error.status}.`
      : code === "auth" && error.status
        ? `${base} (HTTP ${error.status})`
        : base;
  return { code, message };
}

/** Whether a failure means the facility's endpoint is gone for good (HTTP 410): the connection is paused. */
export const isGone = (error: Pick<ConnectorError, "status"> | { status?: number }) => error.status === 410;

export type LogEntryInput = {
  connectionId: string;
  facilityId: string;
  at: Date;
  kind: LogKind;
  result: LogResult;
  /** A failure (a connector's error or the hub's own code), worded for staff by plainFailure. */
  failure?: { code: string; status?: number };
  counts?: Record<string, number>;
  refs?: Record<string, unknown>;
  skipped?: unknown;
  request?: string;
  httpStatus?: number;
  durationMs?: number;
};

const toData = (e: LogEntryInput): Prisma.ConnectionLogCreateManyInput => {
  const failure = e.failure ? plainFailure(e.failure) : null;
  return {
    connectionId: e.connectionId,
    facilityId: e.facilityId,
    at: e.at,
    kind: e.kind,
    result: e.result,
    code: failure?.code ?? null,
    message: failure?.message ?? null,
    counts: (e.counts ?? {}) as Prisma.InputJsonValue,
    refs: (e.refs ?? {}) as Prisma.InputJsonValue,
    ...(e.skipped ? { skipped: e.skipped as Prisma.InputJsonValue } : {}),
    request: e.request ?? null,
    httpStatus: e.httpStatus ?? e.failure?.status ?? null,
    durationMs: e.durationMs === undefined ? null : Math.max(0, Math.round(e.durationMs)),
  };
};

/** Writes log entries (in the caller's transaction, with the work they record). */
export async function writeLog(db: Db, ...entries: LogEntryInput[]): Promise<void> {
  if (entries.length === 1) await db.connectionLog.create({ data: toData(entries[0] as LogEntryInput) });
  else if (entries.length) await db.connectionLog.createMany({ data: entries.map(toData) });
}

/**
 * Pauses a connection whose endpoint answered 410 Gone: no more pulls or pushes (nor inbound deliveries) until
 * someone enables it again on the connection page; health shows it as disabled with the reason `gone`.
 */
export async function pauseGone(db: Db, connectionId: string, what: string): Promise<void> {
  await db.connection.update({
    where: { id: connectionId },
    data: { enabled: false, disabledReason: `${GONE_PREFIX}${what} answered 410 Gone` },
  });
}
export const GONE_PREFIX = "gone: ";

export type LogEntry = {
  id: string;
  at: string;
  kind: string;
  result: string;
  code: string | null;
  message: string | null;
  counts: Record<string, number>;
  refs: Record<string, unknown>;
  skipped: { counts: Record<string, number>; items: Record<string, unknown>[] } | null;
  request: string | null;
  httpStatus: number | null;
  durationMs: number | null;
  /** A failed push or delivery that can be put back in line (not yet replayed). */
  replayable: boolean;
  replayedAt: string | null;
};

export type LogQuery = {
  kind?: string;
  result?: string;
  from?: string;
  to?: string;
  limit?: number;
  offset?: number;
};

function mayRead(actor: Actor, facilityId: string) {
  if (actor.role === "operator") return;
  if (actor.role === "facility" && actor.facilityId === facilityId) return;
  throw problems.forbidden("Only this facility's own staff or an operator may read its connection's log");
}

async function connectionOf(hub: Hub, actor: Actor, facilityId: string) {
  mayRead(actor, facilityId);
  const conn = await hub.prisma.connection.findUnique({
    where: { facilityId },
    select: { id: true, facilityId: true },
  });
  if (!conn) throw problems.notFound("Connection");
  return conn;
}

/** "YYYY-MM-DD" in Japan time as the instants it starts and (the day after) ends. */
const jstDayStart = (date: string) => new Date(`${date}T00:00:00+09:00`);

function whereOf(connectionId: string, q: LogQuery): Prisma.ConnectionLogWhereInput {
  const at: Prisma.DateTimeFilter = {};
  if (q.from) at.gte = jstDayStart(q.from);
  if (q.to) at.lt = new Date(jstDayStart(q.to).getTime() + 86_400_000);
  return {
    connectionId,
    ...(q.kind ? { kind: q.kind } : {}),
    ...(q.result ? { result: q.result } : {}),
    ...(q.from || q.to ? { at } : {}),
  };
}

const replayable = (r: { kind: string; result: string; replayedAt: Date | null; refs: unknown }) => {
  const refs = (r.refs ?? {}) as { pushIds?: unknown[]; webhookRows?: unknown[] };
  return (
    r.result === "failed" &&
    !r.replayedAt &&
    ((r.kind === "push" && !!refs.pushIds?.length) || (r.kind === "webhook" && !!refs.webhookRows?.length))
  );
};

type Row = Awaited<ReturnType<Hub["prisma"]["connectionLog"]["findMany"]>>[number];

function toEntry(r: Row): LogEntry {
  return {
    id: r.id.toString(),
    at: r.at.toISOString(),
    kind: r.kind,
    result: r.result,
    code: r.code,
    message: r.message,
    counts: (r.counts ?? {}) as Record<string, number>,
    refs: (r.refs ?? {}) as Record<string, unknown>,
    skipped: (r.skipped ?? null) as LogEntry["skipped"],
    request: r.request,
    httpStatus: r.httpStatus,
    durationMs: r.durationMs,
    replayable: replayable(r),
    replayedAt: r.replayedAt?.toISOString() ?? null,
  };
}

/** The facility's connection's log, newest first. 404 without a connection, 403 for another facility's. */
export async function listConnectionLog(
  hub: Hub,
  actor: Actor,
  facilityId: string,
  q: LogQuery,
): Promise<{ total: number; items: LogEntry[] }> {
  const conn = await connectionOf(hub, actor, facilityId);
  const where = whereOf(conn.id, q);
  const [total, rows] = await Promise.all([
    hub.prisma.connectionLog.count({ where }),
    hub.prisma.connectionLog.findMany({
      where,
      orderBy: [{ at: "desc" }, { id: "desc" }],
      take: q.limit ?? 50,
      skip: q.offset ?? 0,
    }),
  ]);
  return { total, items: rows.map(toEntry) };
}

/** At most this many entries in one CSV file. */
export const MAX_LOG_CSV_ROWS = 50_000;

export const LOG_CSV_HEADER = [
  "日時",
  "種類",
  "結果",
  "コード",
  "内容",
  "件数",
  "対象",
  "除外",
  "要求",
  "HTTPステータス",
  "所要ミリ秒",
] as const;

/** The log as CSV (UTF-8 with a BOM), oldest first, with the same filters. */
export async function connectionLogCsv(hub: Hub, actor: Actor, facilityId: string, q: LogQuery) {
  const conn = await connectionOf(hub, actor, facilityId);
  const where = whereOf(conn.id, q);
  const count = await hub.prisma.connectionLog.count({ where });
  if (count > MAX_LOG_CSV_ROWS) {
    throw problems.unprocessable(
      "too_many_rows",
      `${count} entries match; at most ${MAX_LOG_CSV_ROWS} fit in one file. Narrow the dates or the kind.`,
    );
  }
  const rows = await hub.prisma.connectionLog.findMany({ where, orderBy: [{ at: "asc" }, { id: "asc" }] });
  const kv = (o: unknown) =>
    Object.entries((o ?? {}) as Record<string, unknown>)
      .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(" ") : String(v)}`)
      .join("; ");
  const parts = [csvLine([...LOG_CSV_HEADER])];
  for (const r of rows) {
    const skipped = r.skipped as { counts?: Record<string, number> } | null;
    parts.push(
      csvLine([
        jstDateTime(r.at),
        r.kind,
        r.result,
        r.code ?? "",
        r.message ?? "",
        kv(r.counts),
        kv(r.refs),
        kv(skipped?.counts),
        r.request ?? "",
        r.httpStatus ?? "",
        r.durationMs ?? "",
      ]),
    );
  }
  const stamp = jstDateTime(hub.now()).slice(0, 10).replace(/-/g, "");
  return { ...encodeCsv(parts.join(""), "utf-8", `connection-log-${stamp}`), rows: rows.length };
}

/**
 * Puts the items of one failed log entry back in line: a failed push (its rows, sent again at once by the next
 * push run) or a failed inbound delivery (applied again). 404 for an entry of another connection; 409
 * `not_replayable` for one that did not fail, was replayed already, or whose items are no longer failed.
 */
export async function replayLogEntry(hub: Hub, actor: Actor, facilityId: string, logId: string) {
  const conn = await connectionOf(hub, actor, facilityId);
  let id: bigint;
  try {
    id = BigInt(logId);
  } catch {
    throw problems.notFound("Log entry");
  }
  const entry = await hub.prisma.connectionLog.findFirst({ where: { id, connectionId: conn.id } });
  if (!entry) throw problems.notFound("Log entry");
  if (!replayable(entry)) {
    throw problems.conflict(
      "not_replayable",
      "Only a failed push or delivery not yet replayed can be replayed",
    );
  }
  const refs = entry.refs as { pushIds?: string[]; webhookRows?: string[] };
  const now = hub.now();
  const count = await hub.prisma.$transaction(async (tx) => {
    let n = 0;
    if (entry.kind === "push") {
      const r = await tx.connectorPush.updateMany({
        where: { connectionId: conn.id, status: "failed", id: { in: (refs.pushIds ?? []).map(BigInt) } },
        data: { status: "pending", attempts: 0, availableAt: now },
      });
      n = r.count;
    } else {
      const r = await tx.inboundWebhook.updateMany({
        where: { connectionId: conn.id, status: "failed", id: { in: (refs.webhookRows ?? []).map(BigInt) } },
        data: { status: "pending", attempts: 0, error: null, processedAt: null },
      });
      n = r.count;
    }
    if (n) await tx.connectionLog.update({ where: { id }, data: { replayedAt: now } });
    return n;
  });
  if (!count) {
    throw problems.conflict(
      "not_replayable",
      "These items are no longer failed (replayed or applied already)",
    );
  }
  if (entry.kind === "webhook") kickWebhooks(hub, conn.id, `replay@${now.getTime()}`);
  else
    void nudge(
      hub.queue,
      "connections.push",
      { connectionId: conn.id },
      { jobId: `push-replay-${conn.id}-${now.getTime()}` },
    );
  return { replayed: count, kind: entry.kind };
}
