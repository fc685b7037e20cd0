import type { Hub } from "../context.js";
import type { User } from "../db/client.js";
import type { Actor } from "./actor.js";
import { actorForToken, createSession, endSession } from "./sessions.js";

export type SignedIn = { token: string; actor: Actor };

/** The actor a user would be in a session; for audit entries written before (or without) one. */
export function actorOf(
  user: Pick<
    User,
    "id" | "role" | "displayName" | "municipalityCode" | "facilityId" | "associationId" | "residentId"
  >,
  session: { id: string; verified: boolean; csrfToken: string } = { id: "", verified: false, csrfToken: "" },
): Actor {
  return {
    userId: user.id,
    role: user.role,
    displayName: user.displayName,
    municipalityCode: user.municipalityCode,
    facilityId: user.facilityId,
    associationId: user.associationId,
    residentId: user.residentId,
    sessionId: session.id,
    verified: session.verified,
    csrfToken: session.csrfToken,
  };
}

/**
 * Starts a session for a user who has just proven who they are. A session the browser already had is
 * ended first, so signing in as someone else never leaves the old one usable.
 */
export async function startSession(
  hub: Hub,
  user: Parameters<typeof actorOf>[0],
  opts: { verified: boolean; ip: string; userAgent?: string; previousSessionId?: string },
): Promise<SignedIn> {
  if (opts.previousSessionId) await endSession(hub.prisma, opts.previousSessionId);
  const now = hub.now();
  const token = await createSession(hub.prisma, user, {
    verified: opts.verified,
    ip: opts.ip,
    userAgent: opts.userAgent,
    hours: hub.config.SESSION_HOURS,
    now,
  });
  const actor = await actorForToken(hub.prisma, token, now);
  if (!actor) throw new Error(`session for user ${user.id} vanished right after it was created`);
  return { token, actor };
}
