import { createHash, randomBytes } from "node:crypto";
import type { PrismaClient, User } from "../db/client.js";
import type { Actor } from "./actor.js";

export const SESSION_COOKIE = "sango_session";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** Starts a session; returns the cookie token (only its hash is stored). */
export async function createSession(
  prisma: PrismaClient,
  user: Pick<User, "id">,
  opts: { verified: boolean; ip: string; hours: number; now: Date },
): Promise<string> {
  const token = randomBytes(32).toString("base64url");
  await prisma.session.create({
    data: {
      id: sha256(token),
      userId: user.id,
      csrfToken: randomBytes(24).toString("base64url"),
      verified: opts.verified,
      ip: opts.ip,
      createdAt: opts.now,
      lastSeenAt: opts.now,
      expiresAt: new Date(opts.now.getTime() + opts.hours * 3600_000),
    },
  });
  return token;
}

/** The actor behind a cookie token, or null when the session is unknown, expired or its user disabled. */
export async function actorForToken(prisma: PrismaClient, token: string, now: Date): Promise<Actor | null> {
  const session = await prisma.session.findUnique({ where: { id: sha256(token) }, include: { user: true } });
  if (!session || session.expiresAt <= now || session.user.disabled) return null;
  const u = session.user;
  return {
    userId: u.id,
    role: u.role,
    displayName: u.displayName,
    municipalityCode: u.municipalityCode,
    facilityId: u.facilityId,
    associationId: u.associationId,
    residentId: u.residentId,
    sessionId: session.id,
    verified: session.verified,
    csrfToken: session.csrfToken,
  };
}

export async function markVerified(prisma: PrismaClient, sessionId: string) {
  await prisma.session.update({ where: { id: sessionId }, data: { verified: true } });
}

export async function endSession(prisma: PrismaClient, sessionId: string) {
  await prisma.session.deleteMany({ where: { id: sessionId } });
}
