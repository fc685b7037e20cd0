import {
  type CancelInput,
  cancelBooking,
  confirmBooking,
  previewCancellation,
  rejectBooking,
} from "../../bookings/actions.js";
import { type ChangeInput, changeBooking } from "../../bookings/change.js";
import { decideFeeWaiver, type FeeWaiverDecision } from "../../bookings/fee-waiver.js";
import { createHold, type HoldInput, quoteHold } from "../../bookings/holds.js";
import { type BookingFilters, getBooking, listBookingEvents, listBookings } from "../../bookings/queries.js";
import type { BookingStatus } from "../../db/client.js";
import { type Handlers, type OpRequest, requireActor } from "../types.js";

// Path, query, headers and body have been validated against schemas/openapi.yaml before these run.
const bookingId = (req: OpRequest) => req.params.bookingId ?? "";
const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
const reason = (req: OpRequest) => (req.body as { reason: string }).reason;

/** The filters of GET /api/bookings, which its CSV (GET /api/bookings.csv) takes too. */
export function bookingFiltersOf(query: OpRequest["query"]): Omit<BookingFilters, "limit" | "offset"> {
  return {
    status: str(query.status) as BookingStatus | undefined,
    facilityId: str(query.facilityId),
    residentId: str(query.residentId),
    voucherId: str(query.voucherId),
    feeWaiver: str(query.feeWaiver) as BookingFilters["feeWaiver"],
    from: str(query.from),
    to: str(query.to),
  };
}

/** Holds, the booking ledger's actions, and reads of bookings and their history. */
export const bookingHandlers: Handlers = {
  listBookings: async (req) => ({
    body: await listBookings(req.hub.prisma, requireActor(req), {
      ...bookingFiltersOf(req.query),
      limit: typeof req.query.limit === "number" ? req.query.limit : 50,
      offset: typeof req.query.offset === "number" ? req.query.offset : 0,
    }),
  }),

  createHold: async (req) => {
    const key = str(req.headers["idempotency-key"]);
    const { booking, created } = await createHold(
      req.hub.prisma,
      requireActor(req),
      req.body as HoldInput,
      req.hub.now(),
      { idempotencyKey: key },
    );
    return {
      status: created ? 201 : 200,
      body: booking,
      headers: { Location: `${req.hub.config.BASE_PATH}api/bookings/${booking.id}` },
    };
  },

  quoteBooking: async (req) => ({
    body: await quoteHold(req.hub.prisma, requireActor(req), req.body as HoldInput, req.hub.now()),
  }),

  getBooking: async (req) => ({ body: await getBooking(req.hub.prisma, requireActor(req), bookingId(req)) }),

  listBookingEvents: async (req) => ({
    body: { items: await listBookingEvents(req.hub.prisma, requireActor(req), bookingId(req)) },
  }),

  confirmBooking: async (req) => ({
    body: await confirmBooking(req.hub.prisma, requireActor(req), bookingId(req), req.hub.now()),
  }),

  rejectBooking: async (req) => ({
    body: await rejectBooking(req.hub.prisma, requireActor(req), bookingId(req), reason(req), req.hub.now()),
  }),

  cancelBooking: async (req) => ({
    body: await cancelBooking(
      req.hub.prisma,
      requireActor(req),
      bookingId(req),
      req.body as CancelInput,
      req.hub.now(),
    ),
  }),

  decideFeeWaiver: async (req) => ({
    body: await decideFeeWaiver(
      req.hub.prisma,
      requireActor(req),
      bookingId(req),
      req.body as FeeWaiverDecision,
      req.ip,
      req.hub.now(),
    ),
  }),

  previewCancellation: async (req) => ({
    body: await previewCancellation(
      req.hub.prisma,
      requireActor(req),
      bookingId(req),
      str(req.query.reasonCode),
      req.hub.now(),
    ),
  }),

  changeBooking: async (req) => {
    const { booking, previous, created } = await changeBooking(
      req.hub.prisma,
      requireActor(req),
      bookingId(req),
      req.body as ChangeInput,
      req.hub.now(),
      { idempotencyKey: str(req.headers["idempotency-key"]) },
    );
    return {
      status: created ? 201 : 200,
      body: { booking, previous },
      headers: { Location: `${req.hub.config.BASE_PATH}api/bookings/${booking.id}` },
    };
  },
};
