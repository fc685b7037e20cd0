import type { Role } from "../../db/client.js";
import { RESET_LINK_MINUTES } from "../../identity/account-tokens.js";
import {
  changePassword,
  completePasswordReset,
  endMyOtherSessions,
  endMySession,
  listStaffAccounts,
  mySessions,
  requestPasswordReset,
  resetSecondFactor,
} from "../../identity/accounts.js";
import type { Actor } from "../../identity/actor.js";
import { CODE_TTL_SECONDS } from "../../identity/codes.js";
import { clearSessionCookie, setSessionCookie } from "../../identity/cookie.js";
import { meFor } from "../../identity/me.js";
import { requestResidentCode, verifyResidentCode } from "../../identity/resident-auth.js";
import { endSession } from "../../identity/sessions.js";
import {
  confirmTotpEnrolment,
  regenerateRecoveryCodes,
  sendEnrolmentCode,
  signInWithPassword,
  startTotpEnrolment,
  verifySecondFactor,
} from "../../identity/staff-auth.js";
import { type Handlers, type OpRequest, requireActor } from "../types.js";

type Body<T> = OpRequest & { body: T };

const userAgent = (req: OpRequest) => String(req.headers["user-agent"] ?? "");
const me = (req: OpRequest, actor: Actor) => meFor(req.hub.prisma, actor, req.hub.config.TOTP_REQUIRED_ROLES);

export const authHandlers: Handlers = {
  signIn: async (req) => {
    const { email, password } = (req as Body<{ email: string; password: string }>).body;
    const { token, actor } = await signInWithPassword(req.hub, {
      email,
      password,
      ip: req.ip,
      userAgent: userAgent(req),
      previousSessionId: req.actor?.sessionId,
    });
    setSessionCookie(req.koa, req.hub.config, token);
    return { body: await me(req, actor) };
  },

  verifyTotp: async (req) => {
    const body = (req as Body<{ code?: string; recoveryCode?: string }>).body;
    const actor = await verifySecondFactor(req.hub, requireActor(req), body, req.ip);
    return { body: await me(req, actor) };
  },

  requestResidentCode: async (req) => {
    const { destination } = (req as Body<{ destination: string }>).body;
    await requestResidentCode(req.hub, { destination, ip: req.ip });
    return { status: 202, body: { expiresInSeconds: CODE_TTL_SECONDS } };
  },

  verifyResidentCode: async (req) => {
    const { destination, code } = (req as Body<{ destination: string; code: string }>).body;
    const { token, actor } = await verifyResidentCode(req.hub, {
      destination,
      code,
      ip: req.ip,
      userAgent: userAgent(req),
      previousSessionId: req.actor?.sessionId,
    });
    setSessionCookie(req.koa, req.hub.config, token);
    return { body: await me(req, actor) };
  },

  signOut: async (req) => {
    await endSession(req.hub.prisma, requireActor(req).sessionId);
    clearSessionCookie(req.koa, req.hub.config);
    return { status: 204 };
  },

  getMe: async (req) => ({ body: await me(req, requireActor(req)) }),

  sendTotpEmailCode: async (req) => ({
    status: 202,
    body: await sendEnrolmentCode(req.hub, requireActor(req), req.ip),
  }),

  startTotpSetup: async (req) => {
    const { emailCode } = (req as Body<{ emailCode: string }>).body;
    return { body: await startTotpEnrolment(req.hub, requireActor(req), emailCode, req.ip) };
  },

  confirmTotpSetup: async (req) => {
    const { code } = (req as Body<{ code: string }>).body;
    const { actor, recoveryCodes } = await confirmTotpEnrolment(req.hub, requireActor(req), code, req.ip);
    return { body: { ...(await me(req, actor)), recoveryCodes } };
  },

  regenerateRecoveryCodes: async (req) => ({
    body: { recoveryCodes: await regenerateRecoveryCodes(req.hub, requireActor(req), req.ip) },
  }),

  changePassword: async (req) => {
    const body = (req as Body<{ currentPassword: string; newPassword: string }>).body;
    await changePassword(req.hub, requireActor(req), body, req.ip);
    return { status: 204 };
  },

  requestPasswordReset: async (req) => {
    const { email } = (req as Body<{ email: string }>).body;
    await requestPasswordReset(req.hub, { email, ip: req.ip });
    return { status: 202, body: { expiresInSeconds: RESET_LINK_MINUTES * 60 } };
  },

  completePasswordReset: async (req) => {
    const { token, newPassword } = (req as Body<{ token: string; newPassword: string }>).body;
    await completePasswordReset(req.hub, { token, newPassword, ip: req.ip });
    return { status: 204 };
  },

  listMySessions: async (req) => ({ body: { items: await mySessions(req.hub, requireActor(req)) } }),

  endMySession: async (req) => {
    const actor = requireActor(req);
    await endMySession(req.hub, actor, req.params.sessionId ?? "", req.ip);
    return { status: 204 };
  },

  endMyOtherSessions: async (req) => ({
    body: { ended: await endMyOtherSessions(req.hub, requireActor(req), req.ip) },
  }),

  listStaffAccounts: async (req) => {
    const q = req.query as { role?: Role; limit: number; offset: number };
    const page = await listStaffAccounts(req.hub, requireActor(req), q);
    return { body: { ...page, limit: q.limit, offset: q.offset } };
  },

  resetSecondFactor: async (req) => {
    const { reason } = (req as Body<{ reason: string }>).body;
    await resetSecondFactor(req.hub, requireActor(req), req.params.userId ?? "", reason, req.ip);
    return { status: 204 };
  },
};
