import { createHash, randomBytes } from "node:crypto";
import { PLAN_CACHED, Prisma, type PrismaClient, type Role, type User } from "../db/client.js";
import { hotRows } from "../db/hot.js";
import type { Actor } from "./actor.js";

export const SESSION_COOKIE = "sango_session";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** Starts a session; returns the cookie token (only its hash is stored). */
export async function createSession(
  prisma: PrismaClient,
  user: Pick<User, "id">,
  opts: { verified: boolean; ip: string; hours: number; now: Date; userAgent?: string },
): Promise<string> {
  const token = randomBytes(32).toString("base64url");
  await prisma.session.create({
    data: {
      id: sha256(token),
      userId: user.id,
      csrfToken: randomBytes(24).toString("base64url"),
      verified: opts.verified,
      ip: opts.ip,
      userAgent: (opts.userAgent ?? "").slice(0, 200),
      createdAt: opts.now,
      lastSeenAt: opts.now,
      expiresAt: new Date(opts.now.getTime() + opts.hours * 3600_000),
    },
  });
  return token;
}

/**
 * The actor behind a cookie token, or null when the session is unknown, expired or its user disabled.
 * Runs on every signed-in request, so it is one raw query joining session and user: a Prisma model query
 * with an include costs several times the Node CPU. `lastSeenAt` is deliberately not written per request.
 */
export async function actorForToken(prisma: PrismaClient, token: string, now: Date): Promise<Actor | null> {
  const [row] = await hotRows<{
    session_id: string;
    verified: boolean;
    csrf_token: string;
    user_id: string;
    role: Role;
    display_name: string;
    municipality_code: string | null;
    facility_id: string | null;
    association_id: string | null;
    resident_id: string | null;
  }>(
    prisma,
    Prisma.sql`${PLAN_CACHED}
    SELECT s.id AS session_id, s.verified, s.csrf_token,
      u.id AS user_id, u.role, u.display_name, u.municipality_code, u.facility_id, u.association_id, u.resident_id
    FROM session s JOIN app_user u ON u.id = s.user_id
    WHERE s.id = ${sha256(token)} AND s.expires_at > ${now}::timestamp AND NOT u.disabled`,
  );
  if (!row) return null;
  return {
    userId: row.user_id,
    role: row.role,
    displayName: row.display_name,
    municipalityCode: row.municipality_code,
    facilityId: row.facility_id,
    associationId: row.association_id,
    residentId: row.resident_id,
    sessionId: row.session_id,
    verified: row.verified,
    csrfToken: row.csrf_token,
  };
}

export async function markVerified(prisma: PrismaClient, sessionId: string) {
  await prisma.session.update({ where: { id: sessionId }, data: { verified: true } });
}

export async function endSession(prisma: PrismaClient, sessionId: string) {
  await prisma.session.deleteMany({ where: { id: sessionId } });
}

/** A person's own sessions, as their list shows them: by public id, never by the token's hash. */
export type SessionSummary = {
  id: string;
  current: boolean;
  verified: boolean;
  ip: string;
  userAgent: string;
  createdAt: Date;
  expiresAt: Date;
};

export async function listSessions(prisma: PrismaClient, actor: Actor, now: Date): Promise<SessionSummary[]> {
  const rows = await prisma.session.findMany({
    where: { userId: actor.userId, expiresAt: { gt: now } },
    orderBy: { createdAt: "desc" },
    take: 100,
  });
  return rows.map((r) => ({
    id: r.publicId,
    current: r.id === actor.sessionId,
    verified: r.verified,
    ip: r.ip,
    userAgent: r.userAgent,
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
  }));
}

/** Ends one of the person's own sessions by its public id; false when they have none by that id. */
export async function endOwnSession(prisma: PrismaClient, actor: Actor, publicId: string): Promise<boolean> {
  const { count } = await prisma.session.deleteMany({ where: { userId: actor.userId, publicId } });
  return count > 0;
}

/** Ends every session of a user but `keep` (none: all of them); how many were ended. */
export async function endSessionsOf(
  prisma: PrismaClient | Prisma.TransactionClient,
  userId: string,
  keep?: string,
): Promise<number> {
  const { count } = await prisma.session.deleteMany({
    where: { userId, ...(keep ? { id: { not: keep } } : {}) },
  });
  return count;
}
