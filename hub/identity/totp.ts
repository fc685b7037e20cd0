import { generateSecret, generateURI, verify } from "otplib";
import type { PrismaClient } from "../db/client.js";
import { decryptSecret, encryptSecret } from "./secrets.js";

/** TOTP (RFC 6238: SHA-1, 6 digits, 30 s) as every authenticator app expects it. */
export const TOTP_ISSUER = "Miyagi Sango Care";
const PERIOD = 30;

export type TotpEnrolment = { secret: string; sealed: string; otpauthUri: string };

/** A new secret, sealed for the database, and the URI an authenticator app scans. */
export function newTotpEnrolment(key: Buffer, label: string): TotpEnrolment {
  const secret = generateSecret();
  return {
    secret,
    sealed: encryptSecret(key, secret),
    otpauthUri: generateURI({ issuer: TOTP_ISSUER, label, secret, period: PERIOD }),
  };
}

/**
 * The time step `code` belongs to when it is right for the sealed secret at `now`, one step either side
 * (clock drift); null when it is wrong. Callers accept each step once (see acceptTotpStep).
 */
export async function checkTotp(
  key: Buffer,
  sealed: string,
  code: string,
  now: Date,
): Promise<number | null> {
  if (!/^[0-9]{6}$/.test(code)) return null;
  let secret: string;
  try {
    secret = decryptSecret(key, sealed);
  } catch {
    return null; // sealed with another SECRET_KEY: the user must enrol again
  }
  const epoch = Math.floor(now.getTime() / 1000);
  const result = await verify({ secret, token: code, period: PERIOD, epoch, epochTolerance: PERIOD });
  return result.valid ? Math.floor(epoch / PERIOD) + (result.delta ?? 0) : null;
}

/** Records `step` as used; false when it (or a later one) was used already, i.e. the code is a replay. */
export async function acceptTotpStep(prisma: PrismaClient, userId: string, step: number): Promise<boolean> {
  const { count } = await prisma.user.updateMany({
    where: { id: userId, OR: [{ totpLastStep: null }, { totpLastStep: { lt: step } }] },
    data: { totpLastStep: step },
  });
  return count === 1;
}
