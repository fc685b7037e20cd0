import type { Prisma, PrismaClient, User } from "../db/client.js";
import { enqueueMessage } from "../notify/outbox.js";
import { type AccountMessage, accountMessage } from "./notices.js";

type Tx = Prisma.TransactionClient | PrismaClient;

/**
 * The address account messages go to: a staff member's sign-in e-mail, a resident's registered e-mail (never
 * an address someone typed). Null when there is none.
 */
export async function accountAddress(
  tx: Tx,
  user: Pick<User, "role" | "email" | "residentId">,
): Promise<string | null> {
  if (user.role !== "resident") return user.email;
  if (!user.residentId) return null;
  const resident = await tx.resident.findUnique({ where: { id: user.residentId }, select: { email: true } });
  return resident?.email ?? null;
}

/**
 * Writes an account message for `user` to the outbox in the caller's transaction (sent only if it commits);
 * false when the person has no address to write to.
 */
export async function queueAccountMessage(
  tx: Tx,
  user: Pick<User, "role" | "email" | "residentId" | "locale">,
  message: AccountMessage,
  opts: { now: Date; ip?: string },
): Promise<boolean> {
  const to = await accountAddress(tx, user);
  if (!to) return false;
  await enqueueMessage(tx, accountMessage(message, { to, locale: user.locale, at: opts.now, ip: opts.ip }));
  return true;
}
