/**
 * Connections (a facility's link to its own booking system): their secrets, the context a connector is called
 * with, and their health after every sync.
 *
 * Health follows Airbyte's pattern: consecutive failures are counted; at WARN_AFTER_FAILURES the facility (and
 * operators, through the health page) are warned; at DISABLE_AFTER_FAILURES scheduled syncs stop until someone
 * re-enables the connection. One success resets the count.
 */

import { createHash, randomBytes } from "node:crypto";
import type { ConnectorContext, ConnectorError } from "../../connectors/contract.js";
import type { Hub } from "../context.js";
import type { Connection, Prisma, PrismaClient } from "../db/client.js";
import { decryptSecret, encryptSecret } from "../identity/secrets.js";
import { connectorLog } from "../log.js";
import { enqueueMessage } from "../notify/outbox.js";
import { egressHttp } from "./egress.js";

type Db = PrismaClient | Prisma.TransactionClient;

export const WARN_AFTER_FAILURES = 3;
export const DISABLE_AFTER_FAILURES = 10;
/** Every HTTP call a connector makes gives up after this long. */
export const CONNECTOR_HTTP_TIMEOUT_MS = 10_000;

/** A new shared secret in the Standard Webhooks format ("whsec_" + base64 of 32 random bytes). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/** A new token for a secret feed URL, and the hash stored in its place. */
export function newFeedToken(): { token: string; hash: string } {
  const token = randomBytes(24).toString("base64url");
  return { token, hash: feedTokenHash(token) };
}

export const feedTokenHash = (token: string) => createHash("sha256").update(token).digest("hex");

/** The connection's shared secret, in the clear, or null when it has none. */
export function connectionSecret(
  hub: Pick<Hub, "config">,
  conn: Pick<Connection, "secretSealed">,
): string | null {
  return conn.secretSealed ? decryptSecret(hub.config.SECRET_KEY, conn.secretSealed) : null;
}

export const sealSecret = (hub: Pick<Hub, "config">, secret: string) =>
  encryptSecret(hub.config.SECRET_KEY, secret);

/** What a connector is called with for this connection. */
export function connectorContext(
  hub: Pick<Hub, "config" | "now">,
  conn: Pick<Connection, "id" | "config" | "secretSealed" | "state">,
  signal: AbortSignal = AbortSignal.timeout(5 * CONNECTOR_HTTP_TIMEOUT_MS),
): ConnectorContext {
  return {
    config: (conn.config ?? {}) as Record<string, unknown>,
    secret: connectionSecret(hub, conn),
    state: (conn.state ?? {}) as Record<string, unknown>,
    http: egressHttp(
      { allowed: hub.config.CONNECTOR_ALLOWED_NETWORKS },
      { timeout: CONNECTOR_HTTP_TIMEOUT_MS, signal },
    ),
    log: connectorLog(conn.id),
    now: hub.now,
    signal,
  };
}

/**
 * Records a successful sync (or delivery): clears the failure count and the last error, and merges the connector's new state into the
 * stored one in the database (jsonb ||), so keys other parts keep there (the push cursor, the feed's acknowledged
 * position) are never overwritten with what this sync read before they moved.
 */
export async function recordSuccess(
  db: Db,
  connectionId: string,
  now: Date,
  state: Record<string, unknown> = {},
): Promise<void> {
  await db.$executeRaw`
    UPDATE connection SET last_sync_at = ${now}::timestamp, last_success_at = ${now}::timestamp,
      consecutive_failures = 0, warned_at = NULL, last_error = NULL, state = state || ${JSON.stringify(state)}::jsonb,
      updated_at = ${now}::timestamp
    WHERE id = ${connectionId}::uuid`;
}

/**
 * Records a failed sync: counts it, warns the facility once at WARN_AFTER_FAILURES, disables scheduled syncs at
 * DISABLE_AFTER_FAILURES. The message is the connector's (never a payload or a credential).
 */
export async function recordFailure(
  db: Db,
  connectionId: string,
  // A connector's error code, or the hub's own ("apply_failed", "connector_error", "push_unacknowledged"…).
  error: { code: ConnectorError["code"] | (string & {}); message: string },
  now: Date,
): Promise<{ failures: number; warned: boolean; disabled: boolean }> {
  const conn = await db.connection.update({
    where: { id: connectionId },
    data: {
      lastSyncAt: now,
      lastFailureAt: now,
      lastError: `${error.code}: ${error.message}`.slice(0, 500),
      consecutiveFailures: { increment: 1 },
    },
    include: { facility: { select: { id: true, name: true, email: true } } },
  });
  const failures = conn.consecutiveFailures;
  let warned = false;
  let disabled = false;
  if (failures >= WARN_AFTER_FAILURES && !conn.warnedAt) {
    warned = true;
    await db.connection.update({ where: { id: connectionId }, data: { warnedAt: now } });
    if (conn.facility.email) {
      await enqueueMessage(db as Prisma.TransactionClient, {
        channel: "email",
        to: conn.facility.email,
        subject: "【産後ケア】予約システム連携でエラーが続いています",
        text: [
          `${conn.facility.name} の予約システムとの連携が ${failures} 回続けて失敗しました。`,
          `最後のエラー: ${error.code}: ${error.message}`,
          `このまま ${DISABLE_AFTER_FAILURES} 回失敗すると自動の同期を停止します。ポータルの「システム連携」で状態を確認してください。`,
        ].join("\n"),
        about: { facilityId: conn.facility.id },
        language: "ja",
      });
    }
  }
  if (failures >= DISABLE_AFTER_FAILURES && conn.enabled) {
    disabled = true;
    await db.connection.update({
      where: { id: connectionId },
      data: { enabled: false, disabledReason: `${failures} failures in a row; last: ${error.code}` },
    });
  }
  return { failures, warned, disabled };
}
