import { createHmac, randomBytes, randomInt, randomUUID, timingSafeEqual } from "node:crypto";
import type { Prisma, PrismaClient } from "../db/client.js";

/**
 * Single-use proofs sent to a staff member's registered e-mail (table account_token), stored only as an HMAC
 * keyed with SECRET_KEY, so a database dump reveals none:
 * - "totp_enrolment": a 6-digit code, 15 minutes, 5 tries; needed to enrol an authenticator app, so knowing
 *   the password is not enough to enrol one's own;
 * - "password_reset": a 256-bit token in a link, 30 minutes; looked up by its hash.
 * Issuing a new one of a purpose retires the person's earlier ones.
 */
export type TokenPurpose = "totp_enrolment" | "password_reset";

export const ENROLMENT_CODE_MINUTES = 15;
export const ENROLMENT_CODE_ATTEMPTS = 5;
export const RESET_LINK_MINUTES = 30;

type Tx = Prisma.TransactionClient | PrismaClient;

const hmac = (key: Buffer, ...parts: string[]) =>
  createHmac("sha256", key).update(parts.join("\0")).digest("hex");

async function retire(tx: Tx, userId: string, purpose: TokenPurpose, now: Date) {
  await tx.accountToken.updateMany({ where: { userId, purpose, usedAt: null }, data: { usedAt: now } });
}

/** A new enrolment code for the user (the earlier ones stop working); returns the code to e-mail. */
export async function issueEnrolmentCode(tx: Tx, key: Buffer, userId: string, now: Date): Promise<string> {
  await retire(tx, userId, "totp_enrolment", now);
  const id = randomUUID();
  const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
  await tx.accountToken.create({
    data: {
      id,
      userId,
      purpose: "totp_enrolment",
      tokenHash: hmac(key, "totp_enrolment", userId, id, code),
      expiresAt: new Date(now.getTime() + ENROLMENT_CODE_MINUTES * 60_000),
      createdAt: now,
    },
  });
  return code;
}

/**
 * Spends the user's latest enrolment code: true when `code` is right (the code is then used up). Every try is
 * counted first, atomically, so parallel guesses cannot exceed the allowance.
 */
export async function useEnrolmentCode(
  prisma: PrismaClient,
  key: Buffer,
  userId: string,
  code: string,
  now: Date,
): Promise<boolean> {
  const latest = await prisma.accountToken.findFirst({
    where: { userId, purpose: "totp_enrolment", usedAt: null, expiresAt: { gt: now } },
    orderBy: { createdAt: "desc" },
  });
  if (!latest) return false;
  const counted = await prisma.accountToken.updateMany({
    where: { id: latest.id, usedAt: null, attempts: { lt: ENROLMENT_CODE_ATTEMPTS } },
    data: { attempts: { increment: 1 } },
  });
  if (!counted.count) return false;
  const a = Buffer.from(hmac(key, "totp_enrolment", userId, latest.id, code), "hex");
  const b = Buffer.from(latest.tokenHash, "hex");
  if (a.length !== b.length || !timingSafeEqual(a, b)) return false;
  const used = await prisma.accountToken.updateMany({
    where: { id: latest.id, usedAt: null },
    data: { usedAt: now },
  });
  return used.count === 1;
}

/** A new password-reset token for the user (earlier ones stop working); returns the token for the link. */
export async function issueResetToken(tx: Tx, key: Buffer, userId: string, now: Date): Promise<string> {
  await retire(tx, userId, "password_reset", now);
  const token = randomBytes(32).toString("base64url");
  await tx.accountToken.create({
    data: {
      userId,
      purpose: "password_reset",
      tokenHash: hmac(key, "password_reset", token),
      expiresAt: new Date(now.getTime() + RESET_LINK_MINUTES * 60_000),
      createdAt: now,
    },
  });
  return token;
}

/** The user a live reset token belongs to, without spending it (null when unknown, used or expired). */
export async function resetTokenOwner(
  prisma: Tx,
  key: Buffer,
  token: string,
  now: Date,
): Promise<{ id: string; userId: string } | null> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
  const row = await prisma.accountToken.findUnique({
    where: { tokenHash: hmac(key, "password_reset", token) },
  });
  if (row?.purpose !== "password_reset" || row.usedAt || row.expiresAt <= now) return null;
  return { id: row.id, userId: row.userId };
}

/** Marks a reset token used; false when another request used it first. */
export async function spendResetToken(tx: Tx, id: string, now: Date): Promise<boolean> {
  const { count } = await tx.accountToken.updateMany({ where: { id, usedAt: null }, data: { usedAt: now } });
  return count === 1;
}
