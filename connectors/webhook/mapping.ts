/**
 * The webhook connector's vendor JSON ⇄ the hub's canonical data, pure (no I/O, no clock).
 *
 * Inbound (what the facility's system posts, and what its change feed answers): the events documented in
 * schemas/connectors/webhook-event.schema.json — `booking.upserted` / `booking.cancelled` with the reservation's
 * whole current state and a growing `version`, `availability.updated` with a day's absolute numbers
 * (ordered per day and time block by `data.revision`, else the event's `occurredAt`) — one at a
 * time or as a `batch`. They become ExternalChange values.
 *
 * Outbound (our bookings sent to the facility's REST API): `booking.created` / `booking.changed` /
 * `booking.cancelled` with the same field names, so a facility's system reads what it writes.
 */
import { Ajv, type ErrorObject } from "ajv";
import ajvFormats from "ajv-formats";
import eventSchema from "../../schemas/connectors/webhook-event.schema.json" with { type: "json" };
import type {
  AvailabilityDay,
  ExternalAvailability,
  ExternalBooking,
  ExternalChange,
  PushAvailability,
  PushBooking,
  Result,
  ServiceType,
} from "../contract.js";
import { fail, ok } from "../contract.js";

export type WebhookConfig = {
  /** The facility system's REST API; without it the connection only receives webhooks. */
  apiBaseUrl?: string;
  /** Also read GET {apiBaseUrl}/changes on the connection's schedule. */
  pullChanges?: boolean;
};

export type VendorReservation = {
  reservationId: string;
  version: number;
  state?: "booked" | "cancelled";
  service: ServiceType;
  checkIn: string;
  checkOut?: string;
  slot?: string;
  hubBookingId?: string;
  updatedAt?: string;
};

export type VendorAvailability = {
  service: ServiceType;
  date: string;
  slot?: string;
  capacity?: number;
  occupied?: number;
  /** Grows with every change of this day's availability in the facility's system (orders updates). */
  revision?: number;
};

export type VendorEvent =
  | { type: "booking.upserted" | "booking.cancelled"; occurredAt?: string; data: VendorReservation }
  | { type: "availability.updated"; occurredAt?: string; data: VendorAvailability };

export type VendorPayload = VendorEvent | { type: "batch"; events: VendorEvent[] };

/** One page of the facility system's change feed (GET {apiBaseUrl}/changes?cursor=). */
export type VendorChangesPage = { events: VendorEvent[]; nextCursor: string; hasMore?: boolean };

/** The body we send for one of our bookings (signed like the facility's webhooks). */
export type VendorPush = {
  type: "booking.created" | "booking.changed" | "booking.cancelled";
  data: {
    hubBookingId: string;
    revision: number;
    /** The hub's status: requested (waiting for the facility's approval), confirmed, cancelled, … */
    status: string;
    service: ServiceType;
    checkIn: string;
    checkOut: string;
    slot: string;
    reservationId?: string;
  };
};

// ajv-formats is CommonJS with a default export.
const addFormats = ajvFormats as unknown as typeof ajvFormats.default;
// strictRequired off: the documented `anyOf: [{ required: [capacity] }, { required: [occupied] }]` names properties of
// the enclosing object.
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
addFormats(ajv);
ajv.addSchema(eventSchema);
const EVENT_REF = `${eventSchema.$id}#/definitions/event`;
const validatePayload = ajv.getSchema(eventSchema.$id) as ReturnType<typeof ajv.compile>;
const validatePage = ajv.compile({
  type: "object",
  required: ["events", "nextCursor"],
  properties: {
    events: { type: "array", maxItems: 1000, items: { $ref: EVENT_REF } },
    nextCursor: { type: "string", maxLength: 500 },
    hasMore: { type: "boolean" },
  },
});
const validateCreated = ajv.compile({
  type: "object",
  properties: { reservationId: { type: "string", minLength: 1, maxLength: 200 } },
});

/** The most useful of ajv's errors (oneOf reports every branch; the deepest path says what is wrong). */
function firstError(errors: ErrorObject[] | null | undefined): { field: string; message: string } {
  const list = errors ?? [];
  const deepest = [...list].sort(
    (a, b) => b.instancePath.split("/").length - a.instancePath.split("/").length,
  )[0];
  if (!deepest) return { field: "", message: "does not match the documented payload" };
  const extra = (deepest.params as { additionalProperty?: string; allowedValues?: unknown[] }) ?? {};
  const detail = extra.additionalProperty
    ? `: ${extra.additionalProperty}`
    : extra.allowedValues
      ? `: ${extra.allowedValues.join(", ")}`
      : "";
  return { field: deepest.instancePath || "/", message: `${deepest.message ?? "invalid"}${detail}` };
}

function parseJson(text: string): Result<unknown> {
  try {
    return ok(JSON.parse(text) as unknown);
  } catch (err) {
    return fail("invalid_payload", `not JSON: ${(err as Error).message}`, { retryable: false });
  }
}

/** A webhook body (one event or a batch) as canonical changes, in order; an error value when it is not valid. */
export function readPayload(body: string): Result<{ changes: ExternalChange[]; events: number }> {
  const json = parseJson(body);
  if (!json.ok) return json;
  if (!validatePayload(json.value)) {
    const e = firstError(validatePayload.errors);
    return fail("invalid_payload", `${e.field} ${e.message}`, { retryable: false, at: { field: e.field } });
  }
  const payload = json.value as VendorPayload;
  const events = payload.type === "batch" ? payload.events : [payload];
  return ok({ changes: events.map(toChange), events: events.length });
}

/** A page of the facility system's change feed; an error value when it is not what the API promises. */
export function readChangesPage(json: unknown): Result<{
  changes: ExternalChange[];
  nextCursor: string;
  hasMore: boolean;
}> {
  if (!validatePage(json)) {
    const e = firstError(validatePage.errors);
    return fail("invalid_payload", `changes page ${e.field} ${e.message}`, {
      retryable: false,
      at: { field: e.field },
    });
  }
  const page = json as VendorChangesPage;
  return ok({
    changes: page.events.map(toChange),
    nextCursor: page.nextCursor,
    hasMore: page.hasMore === true,
  });
}

/** One vendor event as a canonical change. */
export function toChange(event: VendorEvent): ExternalChange {
  if (event.type === "availability.updated") {
    const a = event.data;
    const change: ExternalAvailability = { kind: "availability", serviceType: a.service, date: a.date };
    if (a.slot) change.timeBlock = a.slot;
    if (a.capacity !== undefined) change.capacity = a.capacity;
    if (a.occupied !== undefined) change.taken = a.occupied;
    // The order of updates of one day and block: the revision, else when it happened (apply.ts).
    if (a.revision !== undefined) change.revision = a.revision;
    if (event.occurredAt) change.occurredAt = event.occurredAt;
    return change;
  }
  const r = event.data;
  const cancelled = event.type === "booking.cancelled" || r.state === "cancelled";
  const change: ExternalBooking = {
    kind: "booking",
    externalId: r.reservationId,
    revision: r.version,
    status: cancelled ? "cancelled" : "confirmed",
    serviceType: r.service,
    startDate: r.checkIn,
    endDate: r.checkOut ?? r.checkIn,
  };
  if (r.slot) change.timeBlock = r.slot;
  if (r.hubBookingId) change.hubBookingId = r.hubBookingId;
  return change;
}

/** Our booking as the facility's API receives it. */
export function toVendorPush(b: PushBooking): VendorPush {
  const type = { create: "booking.created", change: "booking.changed", cancel: "booking.cancelled" } as const;
  return {
    type: type[b.action],
    data: {
      hubBookingId: b.bookingId,
      revision: b.revision,
      status: b.status,
      service: b.serviceType,
      checkIn: b.startDate,
      checkOut: b.endDate,
      slot: b.timeBlock,
      ...(b.externalId ? { reservationId: b.externalId } : {}),
    },
  };
}

/**
 * The request that sends a booking: POST {base}/bookings to create it, PUT {base}/bookings/{id} to change it,
 * DELETE {base}/bookings/{id} to cancel it — {id} being the facility system's reservation id once it gave one,
 * else our booking id (which the create carried as hubBookingId).
 */
export function pushRequest(
  apiBaseUrl: string,
  b: PushBooking,
): { method: "POST" | "PUT" | "DELETE"; url: string; body: string } {
  const base = apiBaseUrl.replace(/\/+$/, "");
  const id = encodeURIComponent(b.externalId ?? b.bookingId);
  const body = JSON.stringify(toVendorPush(b));
  if (b.action === "create") return { method: "POST", url: `${base}/bookings`, body };
  return { method: b.action === "change" ? "PUT" : "DELETE", url: `${base}/bookings/${id}`, body };
}

/**
 * A test delivery ("send test delivery" on the connection page): POST {apiBaseUrl}/ping with
 * `{"type":"ping","timestamp":…}`, signed like a booking push. Any 2xx is a pass; nothing else is expected of it.
 */
export function pingRequest(apiBaseUrl: string, at: Date): { url: string; body: string } {
  return {
    url: `${apiBaseUrl.replace(/\/+$/, "")}/ping`,
    body: JSON.stringify({ type: "ping", timestamp: at.toISOString() }),
  };
}

/** The reservation id a create answered with, when it gave one. */
export function createdReservationId(json: unknown): string | undefined {
  if (!json || typeof json !== "object" || !validateCreated(json)) return undefined;
  return (json as { reservationId?: string }).reservationId;
}

/** The body we send with the facility's availability (POST {apiBaseUrl}/availability, signed like a booking). */
export type VendorAvailabilityPush = {
  type: "availability.changed";
  data: {
    revision: number;
    generatedAt: string;
    days: {
      service: ServiceType;
      date: string;
      slot: string;
      capacity: number;
      booked: number;
      occupied: number;
      free: number;
      closed: boolean;
    }[];
  };
};

const vendorDay = (d: AvailabilityDay): VendorAvailabilityPush["data"]["days"][number] => ({
  service: d.serviceType,
  date: d.date,
  slot: d.timeBlock,
  capacity: d.capacity,
  booked: d.booked,
  occupied: d.external,
  free: d.free,
  closed: d.closed,
});

/** The facility's availability as its API receives it: POST {base}/availability. */
export function availabilityRequest(
  apiBaseUrl: string,
  message: PushAvailability,
): { method: "POST"; url: string; body: string } {
  const body: VendorAvailabilityPush = {
    type: "availability.changed",
    data: { revision: message.revision, generatedAt: message.generatedAt, days: message.days.map(vendorDay) },
  };
  return {
    method: "POST",
    url: `${apiBaseUrl.replace(/\/+$/, "")}/availability`,
    body: JSON.stringify(body),
  };
}

/** Standard Webhooks message id of an availability message: one per revision (a retry keeps it). */
export const availabilityMessageId = (m: PushAvailability) => `msg_availability_${m.revision}`;

/** Standard Webhooks message id of a push: the same for every retry of one booking revision. */
export const pushMessageId = (b: PushBooking) => `msg_${b.bookingId}_${b.revision}`;
