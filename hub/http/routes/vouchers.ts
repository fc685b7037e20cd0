import { DomainError, problems } from "../../errors.js";
import { maySeeVoucherQr, voucherIssuer, voucherScope } from "../../identity/access.js";
import { assertNotThrottled } from "../../identity/throttle.js";
import { nudgeOutbox } from "../../notify/outbox.js";
import { renderQrSvg, signVoucherQr } from "../../vouchers/qr.js";
import { lookupRedemption, redeemBooking } from "../../vouchers/redemption.js";
import {
  type IssueContext,
  issueVoucher,
  issueVouchers,
  listVouchers,
  reissueVoucher,
  revokeVoucher,
  toVoucherDto,
  type VoucherRow,
  voucherInclude,
  voucherWhere,
} from "../../vouchers/vouchers.js";
import { type Handlers, type OpRequest, requireActor } from "../types.js";

/** Vouchers (電子利用券): issued, revoked and re-issued by municipality staff; read by their owner and staff. */
export const voucherHandlers: Handlers = {
  lookupRedemption: async (req) => {
    const actor = requireActor(req);
    // Only look-ups that find nothing here count: a facility redeeming its own bookings never meets the limit.
    await assertNotThrottled(req.hub.limits.redemptionMissPerUser, actor.userId);
    try {
      const body = await lookupRedemption(
        req.hub.prisma,
        actor,
        req.hub.config.SECRET_KEY,
        (req.body as { code: string }).code,
        req.hub.now(),
      );
      return { body };
    } catch (err) {
      if (err instanceof DomainError && err.code === "no_booking") {
        await req.hub.limits.redemptionMissPerUser.fail(actor.userId);
      }
      throw err;
    }
  },

  redeemBooking: async (req) => ({
    body: await redeemBooking(req.hub.prisma, requireActor(req), req.params.bookingId ?? "", req.hub.now()),
  }),

  listVouchers: async (req) => {
    const actor = requireActor(req);
    const q = req.query as {
      status?: "active" | "revoked";
      residentId?: string;
      municipality?: string;
      q?: string;
      limit: number;
      offset: number;
    };
    const where = voucherWhere(voucherScope(actor), { ...q, municipalityCode: q.municipality });
    const page = await listVouchers(req.hub.prisma, where, q);
    return { body: { total: page.total, items: page.items.map((v) => dto(req, v)) } };
  },

  listMyVouchers: async (req) => {
    const actor = requireActor(req);
    const page = await listVouchers(req.hub.prisma, voucherScope(actor), { limit: 100, offset: 0 });
    return { body: { items: page.items.map((v) => dto(req, v)) } };
  },

  getVoucher: async (req) => ({ body: dto(req, await findVoucher(req)) }),

  getVoucherQr: async (req) => {
    const voucher = await findVoucher(req);
    if (!maySeeVoucherQr(requireActor(req), voucher)) throw problems.notFound("voucher");
    const svg = await renderQrSvg(signVoucherQr(req.hub.config.SECRET_KEY, voucher.number));
    return { body: svg, type: "image/svg+xml", headers: { "Content-Disposition": "inline" } };
  },

  issueVoucher: async (req) => {
    const actor = requireActor(req);
    const body = req.body as { residentId: string; childId?: string | null };
    const row = await issueVoucher(req.hub.prisma, voucherIssuer(actor), body, issueContext(req));
    nudgeOutbox(req.hub.queue);
    return { status: 201, body: dto(req, row) };
  },

  issueVouchers: async (req) => {
    const actor = requireActor(req);
    const { residentIds } = req.body as { residentIds: string[] };
    const rows = await issueVouchers(req.hub.prisma, voucherIssuer(actor), residentIds, issueContext(req));
    nudgeOutbox(req.hub.queue);
    return { status: 201, body: { items: rows.map((v) => dto(req, v)) } };
  },

  revokeVoucher: async (req) => {
    const actor = requireActor(req);
    const reason = reasonOf(req);
    const row = await revokeVoucher(
      req.hub.prisma,
      voucherIssuer(actor),
      voucherId(req),
      reason,
      req.hub.now(),
    );
    return { body: dto(req, row) };
  },

  reissueVoucher: async (req) => {
    const actor = requireActor(req);
    const reason = reasonOf(req);
    const row = await reissueVoucher(
      req.hub.prisma,
      voucherIssuer(actor),
      voucherId(req),
      reason,
      issueContext(req),
    );
    nudgeOutbox(req.hub.queue);
    return { status: 201, body: dto(req, row) };
  },
};

/** The reason as stored: trimmed, not blank, no control characters (PostgreSQL text cannot hold NUL). */
function reasonOf(req: OpRequest): string {
  const reason = String((req.body as { reason: string }).reason).trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused here
  if (!reason || /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(reason)) {
    throw problems.validation([{ path: "/reason", message: "must be text without control characters" }]);
  }
  return reason;
}

const voucherId = (req: OpRequest) => (req.params as { voucherId: string }).voucherId;

function issueContext(req: OpRequest): IssueContext {
  return { now: req.hub.now(), publicUrl: req.hub.config.PUBLIC_URL, issuedBy: requireActor(req).userId };
}

async function findVoucher(req: OpRequest): Promise<VoucherRow> {
  const row = await req.hub.prisma.voucher.findFirst({
    where: { AND: [{ id: voucherId(req) }, voucherScope(requireActor(req))] },
    include: voucherInclude,
  });
  if (!row) throw problems.notFound("voucher");
  return row;
}

function dto(req: OpRequest, row: VoucherRow) {
  const actor = requireActor(req);
  return toVoucherDto(row, maySeeVoucherQr(actor, row) ? req.hub.config.SECRET_KEY : null);
}
