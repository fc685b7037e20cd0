/**
 * The connector contract: what every connector folder (native/, webhook/, ical/, csv/) provides, and the canonical
 * data it returns. A connector translates between a facility's own booking system and these types; it never
 * touches the database. The hub validates a connection's configuration against the connector's JSON Schema
 * (schemas/connectors/<key>.schema.json) before a connector sees it, and applies what the connector returns
 * through hub/connections/apply.ts (dedup by external id + revision, conflicts to the review queue).
 *
 * Expected failures are values (`Result` with a typed code); a connector throws only for a bug.
 */
import type { AxiosInstance } from "axios";

export type ServiceType = "stay" | "day" | "visit";

/** What a connector can do; the hub reads these instead of calling a method and catching "not supported". */
export type Capability =
  /** Availability and bookings are read from the facility's system on a schedule (pull). */
  | "pullBookings"
  /** Our bookings are sent to the facility's system (push). */
  | "pushBooking"
  /** Our cancellations are sent to the facility's system. */
  | "cancelBooking"
  /** The facility's availability as the hub has it (free places, closures, capacity) is sent to its system. */
  | "pushAvailability"
  /** The facility's system posts its changes to us (inbound webhooks). */
  | "webhooks"
  /** The facility's system reads our changes from a cursor-based feed and acknowledges them. */
  | "changeFeed"
  /** A calendar feed of hub bookings for the facility to subscribe to. */
  | "exportFeed"
  /** Files uploaded by the facility (bookings and capacity). */
  | "fileUpload";

export type Manifest = {
  /** The folder name and the key stored on a connection. */
  key: string;
  name: { ja: string; en: string };
  description: { ja: string; en: string };
  capabilities: Capability[];
  /** Minutes between scheduled syncs when the connection does not set its own (pull connectors only). */
  defaultSyncMinutes?: number;
};

/** A booking as the facility's system knows it. No personal data: the facility keeps that in its own system. */
export type ExternalBooking = {
  kind: "booking";
  /** The facility system's id for the booking (iCal UID, the vendor API's id, a CSV row's reference). */
  externalId: string;
  /**
   * Increases with every change of this booking in the facility's system. The hub applies a revision once and
   * ignores one not newer than what it has (duplicates and out-of-order deliveries).
   */
  revision: number;
  status: "confirmed" | "cancelled";
  serviceType: ServiceType;
  /** First and last service date, "YYYY-MM-DD" (a 1泊2日 stay: endDate = startDate + 1). */
  startDate: string;
  endDate: string;
  /** The time block code for day care and visits; "" or absent for the whole day. */
  timeBlock?: string;
  /** When the facility's system echoes a booking the hub pushed to it: that booking's hub id. */
  hubBookingId?: string;
};

/**
 * Capacity of one day (or time block) as the facility's system reports it. Updates of the same day and time block
 * are ordered by `revision`, else by `occurredAt` (hub/connections/merge.ts availabilityStep): one older than the
 * update already applied there is ignored (skipped as "stale"); without either, the last one received wins.
 */
export type ExternalAvailability = {
  kind: "availability";
  serviceType: ServiceType;
  date: string;
  timeBlock?: string;
  /** Places offered that day; absent when the system reports only what is taken. */
  capacity?: number;
  /** Places taken by bookings the facility's system does not report one by one. */
  taken?: number;
  /** Grows with every change of this day's availability in the facility's system. */
  revision?: number;
  /** When the facility's system made the change (ISO 8601 with an offset). */
  occurredAt?: string;
};

export type ExternalChange = ExternalBooking | ExternalAvailability;

export type ConnectorErrorCode =
  | "auth_expired"
  | "rate_limited"
  | "upstream_5xx"
  | "upstream_4xx"
  | "timeout"
  | "network"
  /** The certificate or the TLS handshake of the server failed. */
  | "tls"
  /** The address is one the hub does not connect to (a private or local network; see ctx.http). */
  | "refused_address"
  | "invalid_payload"
  /** What the facility's system sent is larger than the hub accepts (a feed over its size limit). */
  | "too_large"
  | "invalid_signature"
  | "unsupported";

export type ConnectorError = {
  code: ConnectorErrorCode;
  message: string;
  /** Worth trying again later (5xx, timeouts, rate limits); false for what a retry cannot fix. */
  retryable: boolean;
  /** Where in the input, for payloads and files: e.g. line 12, field "startDate". */
  at?: { line?: number; field?: string };
  /**
   * The HTTP status the facility's system answered with, when it answered. 410 Gone pauses the connection
   * (hub/connections/log.ts), except for a cancellation, where it means the booking is gone already.
   */
  status?: number;
};

export type Result<T> = { ok: true; value: T } | { ok: false; error: ConnectorError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (
  code: ConnectorErrorCode,
  message: string,
  opts: { retryable?: boolean; at?: ConnectorError["at"]; status?: number } = {},
): Result<never> => ({
  ok: false,
  error: {
    code,
    message,
    retryable: opts.retryable ?? RETRYABLE.has(code),
    ...(opts.at ? { at: opts.at } : {}),
    ...(opts.status !== undefined ? { status: opts.status } : {}),
  },
});

const RETRYABLE = new Set<ConnectorErrorCode>(["rate_limited", "upstream_5xx", "timeout", "network", "tls"]);

/** The `code` of the error with which ctx.http refuses a destination (see ConnectorContext.http). */
export const REFUSED_DESTINATION = "ERR_REFUSED_DESTINATION";

export type Logger = {
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
};

/** What a connector is given for one call. */
export type ConnectorContext<Config = Record<string, unknown>> = {
  /** The connection's configuration, already validated against the connector's schema. */
  config: Config;
  /** The connection's shared secret (webhook signing), when it has one. */
  secret: string | null;
  /** Where the last pull left off (cursor, ETag, Last-Modified…), as the connector returned it. */
  state: Record<string, unknown>;
  /**
   * The only way a connector reaches the network. It connects to public addresses only (unless the operator allows
   * a network), checked on the resolved address of every hop, redirects included; a refused destination fails the
   * request with an error whose `code` is REFUSED_DESTINATION.
   */
  http: AxiosInstance;
  log: Logger;
  now: () => Date;
  signal: AbortSignal;
};

/** What a pull found. */
export type PullResult = {
  changes: ExternalChange[];
  /**
   * True when `changes` is everything the facility's system has for the window (a calendar feed): a booking the
   * hub got from this connection earlier that is missing now has disappeared (the hub sends it to review).
   * False for incremental feeds.
   */
  complete: boolean;
  /** The window a complete pull covers. */
  window?: { from: string; to: string };
  /** Nothing changed since the last pull (HTTP 304). */
  notModified?: boolean;
  /** To be handed back as `ctx.state` next time. */
  state: Record<string, unknown>;
  /**
   * What the pull read but left out, so nothing is dropped in silence: how many items it read, the counts by
   * reason, and the items behind them (at most a few hundred listed) with where they are in the source.
   */
  skipped?: PullSkipped;
  /**
   * Ids of items still in the source that could not be read (a calendar event's UID): the hub's bookings with
   * that id, or with it followed by "/" or "#" (an occurrence, a place), are not taken as vanished by a complete pull.
   */
  unreadable?: string[];
};

/** Items a pull left out (e.g. calendar events with no service type or that could not be read). */
export type PullSkipped = {
  /** Items read (calendar events, including those left out). */
  read: number;
  /** Items left out by reason: no_service_type, ignored_keyword, bad_event, … */
  counts: Record<string, number>;
  /** Those items: their reason, line (1 = the first of the file), first day, and what was wrong. */
  items: { reason: string; line?: number; date?: string; problem?: string; property?: string }[];
};

/** One of our bookings, as pushed to a facility's system. */
export type PushBooking = {
  action: "create" | "change" | "cancel";
  bookingId: string;
  revision: number;
  status: string;
  serviceType: ServiceType;
  startDate: string;
  endDate: string;
  timeBlock: string;
  /** The facility system's id when it gave us one for an earlier push. */
  externalId?: string;
};

/** One day (and time block) of a facility's availability as the hub has it now. */
export type AvailabilityDay = {
  serviceType: ServiceType;
  date: string;
  /** The time block code; "" for the whole day. */
  timeBlock: string;
  /** Places offered. */
  capacity: number;
  /** Places taken by bookings the hub has (the hub's own and those from the facility's system). */
  booked: number;
  /** Places the facility's system reported taken without listing the bookings. */
  external: number;
  /** Places still free: 0 when closed, else capacity − booked − external (never below 0). */
  free: number;
  closed: boolean;
};

/**
 * The facility's availability sent to its system after hub-side changes (hub/connections/availability-push.ts):
 * the current state of the days that changed since the last message, several changes coalesced into one.
 */
export type PushAvailability = {
  /** Grows by one with every message to this connection: a receiver ignores one not newer than what it has. */
  revision: number;
  /** When the hub read the state sent (ISO 8601, UTC). */
  generatedAt: string;
  days: AvailabilityDay[];
};

/** An inbound HTTP request, as received (the raw body, for signatures). */
export type InboundRequest = { headers: Record<string, string | undefined>; body: string };

/** What an uploaded file holds, line by line. */
export type FileReport = {
  changes: ExternalChange[];
  /** Every problem with its line number (1 = the header); the hub applies nothing while there is one. */
  errors: { line: number; field?: string; message: string }[];
  lines: number;
};

export type Connector<Config = Record<string, unknown>> = {
  manifest: Manifest;
  /** Whether the facility's system answers and accepts our credentials. */
  checkHealth?(ctx: ConnectorContext<Config>): Promise<Result<{ detail: string }>>;
  /**
   * Whether a connection with this configuration is pulled on a schedule (capability pullBookings); absent means
   * always. E.g. a webhook connection is pulled only when it names an API with a change feed.
   */
  scheduled?(config: Config): boolean;
  /** Reads availability and bookings for `window` (capability pullBookings). */
  pull?(ctx: ConnectorContext<Config>, window: { from: string; to: string }): Promise<Result<PullResult>>;
  /**
   * Sends one of our bookings or cancellations (capabilities pushBooking, cancelBooking); `status` is the HTTP
   * status the facility's system answered with (the connection's log shows it).
   */
  push?(
    ctx: ConnectorContext<Config>,
    booking: PushBooking,
  ): Promise<Result<{ externalId?: string; status?: number }>>;
  /**
   * Sends a signed test message ("send test delivery" on the connection page) the way pushes are sent, so the
   * facility's IT vendor sees that its endpoint answers and verifies the signature. Needs what push needs.
   */
  ping?(ctx: ConnectorContext<Config>): Promise<Result<{ status: number }>>;
  /** Sends the facility's availability as the hub has it (capability pushAvailability). */
  pushAvailability?(
    ctx: ConnectorContext<Config>,
    message: PushAvailability,
  ): Promise<Result<Record<string, never>>>;
  /**
   * Verifies and reads an inbound webhook (capability webhooks): the id it is deduplicated by and the changes.
   * A bad signature, a stale timestamp or a malformed body is an error value, never a throw.
   */
  parseWebhook?(
    ctx: ConnectorContext<Config>,
    request: InboundRequest,
  ): Result<{ id: string; changes: ExternalChange[] }>;
  /**
   * Reads the body of a webhook that parseWebhook accepted earlier (capability webhooks): the hub stores the
   * verified body before acknowledging it and applies it later (hub/connections/webhooks.ts), without the
   * headers and after the timestamp tolerance has passed. The same changes parseWebhook returned.
   */
  readWebhook?(ctx: ConnectorContext<Config>, body: string): Result<{ changes: ExternalChange[] }>;
  /** Reads an uploaded file (capability fileUpload). */
  parseFile?(ctx: ConnectorContext<Config>, file: Buffer): FileReport;
};
