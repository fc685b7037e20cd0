import { CODE_TTL_SECONDS } from "../../identity/codes.js";
import { clearSessionCookie, setSessionCookie } from "../../identity/cookie.js";
import { meFor } from "../../identity/me.js";
import { requestResidentCode, verifyResidentCode } from "../../identity/resident-auth.js";
import { endSession } from "../../identity/sessions.js";
import {
  confirmTotpEnrolment,
  signInWithPassword,
  startTotpEnrolment,
  verifySecondFactor,
} from "../../identity/staff-auth.js";
import { type Handlers, type OpRequest, requireActor } from "../types.js";

type Body<T> = OpRequest & { body: T };

export const authHandlers: Handlers = {
  signIn: async (req) => {
    const { email, password } = (req as Body<{ email: string; password: string }>).body;
    const { token, actor } = await signInWithPassword(req.hub, {
      email,
      password,
      ip: req.ip,
      previousSessionId: req.actor?.sessionId,
    });
    setSessionCookie(req.koa, req.hub.config, token);
    return { body: await meFor(req.hub.prisma, actor) };
  },

  verifyTotp: async (req) => {
    const { code } = (req as Body<{ code: string }>).body;
    const actor = await verifySecondFactor(req.hub, requireActor(req), code, req.ip);
    return { body: await meFor(req.hub.prisma, actor) };
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
      previousSessionId: req.actor?.sessionId,
    });
    setSessionCookie(req.koa, req.hub.config, token);
    return { body: await meFor(req.hub.prisma, actor) };
  },

  signOut: async (req) => {
    await endSession(req.hub.prisma, requireActor(req).sessionId);
    clearSessionCookie(req.koa, req.hub.config);
    return { status: 204 };
  },

  getMe: async (req) => ({ body: await meFor(req.hub.prisma, requireActor(req)) }),

  startTotpSetup: async (req) => ({ body: await startTotpEnrolment(req.hub, requireActor(req)) }),

  confirmTotpSetup: async (req) => {
    const { code } = (req as Body<{ code: string }>).body;
    const actor = await confirmTotpEnrolment(req.hub, requireActor(req), code, req.ip);
    return { body: await meFor(req.hub.prisma, actor) };
  },
};
