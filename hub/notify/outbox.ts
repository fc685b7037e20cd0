import type { Prisma, PrismaClient } from "../db/client.js";
import type { Message, Transport } from "./transport.js";

type Tx = Prisma.TransactionClient | PrismaClient;

export const OUTBOX_TOPIC_MESSAGE = "notify.message";

/** Writes a message to the outbox in the caller's transaction: it is sent only if that change commits. */
export async function enqueueMessage(tx: Tx, message: Message): Promise<void> {
  await tx.outboxMessage.create({
    data: { topic: OUTBOX_TOPIC_MESSAGE, payload: message as unknown as Prisma.InputJsonValue },
  });
}

/**
 * Sends pending outbox rows. Each batch is claimed for a minute first (FOR UPDATE SKIP LOCKED), so two
 * workers never send the same row; a row that fails stays pending with its error and is retried later.
 * An SMTP or Redis outage therefore delays messages but never loses them.
 */
export async function dispatchOutbox(
  prisma: PrismaClient,
  transport: Transport,
  now = new Date(),
  batch = 50,
): Promise<{ sent: number; failed: number }> {
  const claimed = await prisma.$queryRaw<{ id: bigint; topic: string; payload: unknown }[]>`
    UPDATE outbox SET claimed_until = ${new Date(now.getTime() + 60_000)}, attempts = attempts + 1
    WHERE id IN (
      SELECT id FROM outbox
      WHERE dispatched_at IS NULL AND (claimed_until IS NULL OR claimed_until < ${now})
      ORDER BY id LIMIT ${batch} FOR UPDATE SKIP LOCKED)
    RETURNING id, topic, payload`;
  let sent = 0;
  let failed = 0;
  for (const row of claimed.sort((a, b) => Number(a.id - b.id))) {
    try {
      if (row.topic === OUTBOX_TOPIC_MESSAGE) await transport.send(row.payload as Message);
      await prisma.outboxMessage.update({
        where: { id: row.id },
        data: { dispatchedAt: new Date(), claimedUntil: null, lastError: null },
      });
      sent++;
    } catch (err) {
      await prisma.outboxMessage.update({
        where: { id: row.id },
        data: { claimedUntil: null, lastError: String((err as Error).message).slice(0, 500) },
      });
      failed++;
    }
  }
  return { sent, failed };
}
