/**
 * Whether an error means the database could not serve the request in time, rather than that the request was wrong:
 * a statement or lock timeout (DB_STATEMENT_TIMEOUT_MS, DB_LOCK_TIMEOUT_MS), no connection to be had within
 * DB_CONNECT_TIMEOUT_MS, or a connection lost or refused (a restart, a failover, a terminated backend). The HTTP
 * layer answers these with 503 and Retry-After instead of 500. Pure: reads the error only.
 */
export type Unavailability = "timeout" | "lock_timeout" | "connection";

/** SQLSTATE codes (https://www.postgresql.org/docs/current/errcodes-appendix.html) and what they mean here. */
const BY_SQLSTATE: Record<string, Unavailability> = {
  "57014": "timeout", // query_canceled: statement_timeout
  "55P03": "lock_timeout", // lock_not_available
  "57P01": "connection", // admin_shutdown: the backend was terminated
  "57P02": "connection", // crash_shutdown
  "57P03": "connection", // cannot_connect_now: starting up or in recovery
  "53300": "connection", // too_many_connections
};

/** Driver adapter error kinds (@prisma/driver-adapter-utils) that mean the server was not there. */
const BY_KIND: Record<string, Unavailability> = {
  DatabaseNotReachable: "connection",
  ConnectionClosed: "connection",
  SocketTimeout: "timeout",
  TooManyConnections: "connection",
};

const NODE_CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH"]);

const BY_MESSAGE: [RegExp, Unavailability][] = [
  [/timeout exceeded when trying to connect/i, "connection"],
  [/Connection terminated/i, "connection"],
  [/connection error and is not queryable/i, "connection"],
  [/\b(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH)\b/, "connection"],
  [/canceling statement due to statement timeout/i, "timeout"],
  [/canceling statement due to lock timeout/i, "lock_timeout"],
];

export function unavailability(err: unknown): Unavailability | null {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length) {
    const e = queue.shift();
    if (!e || typeof e !== "object" || seen.has(e) || seen.size > 20) continue;
    seen.add(e);
    const o = e as Record<string, unknown>;
    for (const key of ["originalCode", "code"]) {
      const code = o[key];
      if (typeof code === "string" && BY_SQLSTATE[code]) return BY_SQLSTATE[code];
      if (typeof code === "string" && /^08[0-9A-Z]{3}$/.test(code)) return "connection";
      if (typeof code === "string" && NODE_CONNECTION_CODES.has(code)) return "connection";
    }
    if (typeof o.kind === "string" && BY_KIND[o.kind]) return BY_KIND[o.kind] as Unavailability;
    for (const key of ["message", "originalMessage"]) {
      const text = o[key];
      if (typeof text !== "string") continue;
      const hit = BY_MESSAGE.find(([re]) => re.test(text));
      if (hit) return hit[1];
    }
    const meta = o.meta as Record<string, unknown> | undefined;
    queue.push(o.cause, meta?.driverAdapterError, ...(Array.isArray(o.errors) ? o.errors : []));
  }
  return null;
}
