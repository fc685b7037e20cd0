import { createHmac, randomInt } from "node:crypto";
import type { Prisma, PrismaClient } from "../db/client.js";

/**
 * Recovery codes of a second factor: 10 codes of 10 characters from an alphabet without look-alikes (about
 * 50 bits each), shown once when the authenticator app is enrolled, stored as HMACs keyed with SECRET_KEY, each
 * usable once instead of a TOTP code. Enrolling again replaces them.
 */
export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"; // no 0/o, 1/l/i

type Tx = Prisma.TransactionClient | PrismaClient;

const hash = (key: Buffer, userId: string, code: string) =>
  createHmac("sha256", key).update(`recovery\0${userId}\0${code}`).digest("hex");

/** A code as people type it back: case, spaces and hyphens do not matter. */
export function canonicalRecoveryCode(input: string): string {
  return input.normalize("NFKC").toLowerCase().replace(/[\s-]/g, "");
}

/** One new code, shown as xxxxx-xxxxx. */
export function newRecoveryCode(): string {
  const chars = Array.from({ length: 10 }, () => ALPHABET[randomInt(0, ALPHABET.length)]);
  return `${chars.slice(0, 5).join("")}-${chars.slice(5).join("")}`;
}

/** Replaces the user's recovery codes with a new set; returns the codes to show once. */
export async function replaceRecoveryCodes(
  tx: Tx,
  key: Buffer,
  userId: string,
  now: Date,
): Promise<string[]> {
  await tx.recoveryCode.deleteMany({ where: { userId } });
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await tx.recoveryCode.createMany({
    data: codes.map((c) => ({
      userId,
      codeHash: hash(key, userId, canonicalRecoveryCode(c)),
      createdAt: now,
    })),
  });
  return codes;
}

/** Spends a recovery code: true when it was one of the user's unused codes (it is then used up). */
export async function useRecoveryCode(
  prisma: Tx,
  key: Buffer,
  userId: string,
  input: string,
  now: Date,
): Promise<boolean> {
  const code = canonicalRecoveryCode(input);
  if (!/^[a-z0-9]{10}$/.test(code)) return false;
  const { count } = await prisma.recoveryCode.updateMany({
    where: { userId, codeHash: hash(key, userId, code), usedAt: null },
    data: { usedAt: now },
  });
  return count === 1;
}

export async function remainingRecoveryCodes(prisma: Tx, userId: string): Promise<number> {
  return prisma.recoveryCode.count({ where: { userId, usedAt: null } });
}
