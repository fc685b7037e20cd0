/**
 * Connections as staff see and manage them: the health of each (operators all, a facility its own), setting a
 * facility's connector and its configuration, new credentials, "sync now", replaying dead letters, and the
 * review queue of conflicts with its resolutions. Facility staff manage their own facility's connection; the
 * operator any. No personal data: connections, health and conflicts name bookings by number only.
 */
import type { Manifest } from "../../connectors/contract.js";
import { loadRegistry } from "../../connectors/registry.js";
import { applyTransition } from "../bookings/ledger.js";
import type { Hub } from "../context.js";
import type { Connection, Prisma } from "../db/client.js";
import { DomainError, problems } from "../errors.js";
import type { Actor } from "../identity/actor.js";
import { TX_OPTIONS } from "../inventory/inventory.js";
import { urlRefusal } from "./egress.js";
import {
  type HealthState,
  healthState,
  pulls,
  type SkippedReport,
  skippedReport,
  skippedTotal,
  vacancyTrustMinutes,
} from "./health.js";
import { GONE_PREFIX, plainFailure } from "./log.js";
import { newFeedToken, newWebhookSecret, sealSecret } from "./store.js";
import { queueSyncNow } from "./sync.js";

export type ConnectionHealth = {
  id: string;
  facilityId: string;
  facilityName: string;
  connector: string;
  connectorName: Manifest["name"];
  capabilities: string[];
  config: Record<string, unknown>;
  enabled: boolean;
  disabledReason: string | null;
  /**
   * Why it is disabled: `gone` (paused: the facility's endpoint answered 410 Gone), `failures` (too many in a row),
   * `staff` (switched off by hand); null while enabled.
   */
  disabledCode: "gone" | "failures" | "staff" | null;
  syncMinutes: number;
  state: HealthState;
  /** Vacancy of this facility is shown as "request only" (stale or disabled feed). */
  requestOnly: boolean;
  lastSyncAt: string | null;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  lastError: string | null;
  /** The last error's kind in plain words for staff (hub/connections/log.ts FAILURE_CODES); null with none. */
  lastErrorCode: string | null;
  consecutiveFailures: number;
  nextRunAt: string | null;
  /** Seconds since the last success (null before the first). */
  lagSeconds: number | null;
  openConflicts: number;
  /** Inbound webhooks waiting to be applied, and those that failed for good (dead letters). */
  pendingWebhooks: number;
  deadLetters: { webhooks: number; pushes: number };
  /** Where the facility's system posts its webhooks (webhook connector). */
  webhookPath: string | null;
  hasFeed: boolean;
  /** What the last pull left out, by reason, with the items (line, first day, problem); null before any. */
  skipped: {
    total: number;
    read: number;
    imported: number;
    counts: Record<string, number>;
    items: SkippedReport["items"];
  } | null;
  createdAt: string;
};

const STAFF_DISABLED = "disabled by staff";

type Counts = { conflicts: number; pending: number; deadWebhooks: number; deadPushes: number };

export function mayManage(actor: Actor, facilityId: string) {
  if (actor.role === "operator") return;
  if (actor.role === "facility" && actor.facilityId === facilityId) return;
  throw problems.forbidden("Only this facility's own staff or an operator may manage its connection");
}

async function counts(hub: Hub, ids: string[]): Promise<Map<string, Counts>> {
  const out = new Map<string, Counts>(
    ids.map((id) => [id, { conflicts: 0, pending: 0, deadWebhooks: 0, deadPushes: 0 }]),
  );
  if (!ids.length) return out;
  const [conflicts, webhooks, pushes] = await Promise.all([
    hub.prisma.syncConflict.groupBy({
      by: ["connectionId"],
      where: { connectionId: { in: ids }, status: "open" },
      _count: true,
    }),
    hub.prisma.inboundWebhook.groupBy({
      by: ["connectionId", "status"],
      where: { connectionId: { in: ids }, status: { in: ["pending", "failed"] } },
      _count: true,
    }),
    hub.prisma.connectorPush.groupBy({
      by: ["connectionId"],
      where: { connectionId: { in: ids }, status: "failed" },
      _count: true,
    }),
  ]);
  for (const r of conflicts) (out.get(r.connectionId) as Counts).conflicts = r._count;
  for (const r of webhooks) {
    const c = out.get(r.connectionId) as Counts;
    if (r.status === "pending") c.pending = r._count;
    else c.deadWebhooks = r._count;
  }
  for (const r of pushes) (out.get(r.connectionId) as Counts).deadPushes = r._count;
  return out;
}

type Row = Connection & { facility: { name: string } };

async function toHealth(hub: Hub, rows: Row[]): Promise<ConnectionHealth[]> {
  const registry = await loadRegistry();
  const now = hub.now();
  const byId = await counts(
    hub,
    rows.map((r) => r.id),
  );
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return rows.map((r) => {
    const connector = registry.get(r.connector);
    const caps = connector?.manifest.capabilities ?? [];
    const health = healthState(r, pulls(connector, r.config), now);
    const n = byId.get(r.id) as Counts;
    return {
      id: r.id,
      facilityId: r.facilityId,
      facilityName: r.facility.name,
      connector: r.connector,
      connectorName: connector?.manifest.name ?? { ja: r.connector, en: r.connector },
      capabilities: caps,
      config: (r.config ?? {}) as Record<string, unknown>,
      enabled: r.enabled,
      disabledReason: r.disabledReason,
      disabledCode: r.enabled
        ? null
        : r.disabledReason?.startsWith(GONE_PREFIX)
          ? "gone"
          : r.disabledReason === STAFF_DISABLED
            ? "staff"
            : "failures",
      syncMinutes: r.syncMinutes,
      ...health,
      lastSyncAt: iso(r.lastSyncAt),
      lastSuccessAt: iso(r.lastSuccessAt),
      lastFailureAt: iso(r.lastFailureAt),
      lastError: r.lastError,
      lastErrorCode: r.lastError ? plainFailure({ code: r.lastError.split(":")[0] ?? "" }).code : null,
      consecutiveFailures: r.consecutiveFailures,
      nextRunAt: iso(r.nextRunAt),
      lagSeconds: r.lastSuccessAt
        ? Math.max(0, Math.round((now.getTime() - r.lastSuccessAt.getTime()) / 1000))
        : null,
      openConflicts: n.conflicts,
      pendingWebhooks: n.pending,
      deadLetters: { webhooks: n.deadWebhooks, pushes: n.deadPushes },
      webhookPath: caps.includes("webhooks") ? `api/connections/${r.id}/webhook` : null,
      hasFeed: r.feedTokenHash !== null,
      skipped: (() => {
        const report = skippedReport(r.lastSkipped);
        return report ? { total: skippedTotal(report), ...report } : null;
      })(),
      createdAt: r.createdAt.toISOString(),
    };
  });
}

const ORDER: Record<HealthState, number> = {
  disabled: 0,
  failing: 1,
  stale: 2,
  never: 3,
  warning: 4,
  skipping: 5,
  ok: 6,
};

/** Every connection's health, the troubled first (operators). */
export async function listConnections(hub: Hub, query: { state?: string }): Promise<ConnectionHealth[]> {
  const rows = await hub.prisma.connection.findMany({
    include: { facility: { select: { name: true } } },
    orderBy: { createdAt: "asc" },
  });
  const all = await toHealth(hub, rows);
  return all
    .filter((c) => !query.state || c.state === query.state)
    .sort((a, b) => ORDER[a.state] - ORDER[b.state] || a.facilityName.localeCompare(b.facilityName, "ja"));
}

/** One facility's connection; a facility without one is managed in the portal (native). */
export async function getFacilityConnection(hub: Hub, actor: Actor, facilityId: string) {
  mayManage(actor, facilityId);
  const row = await hub.prisma.connection.findUnique({
    where: { facilityId },
    include: { facility: { select: { name: true } } },
  });
  if (!row) {
    if (!(await hub.prisma.facility.findUnique({ where: { id: facilityId }, select: { id: true } }))) {
      throw problems.notFound("Facility");
    }
    return null;
  }
  return (await toHealth(hub, [row]))[0] ?? null;
}

export type ConnectionInput = {
  connector: string;
  config?: Record<string, unknown>;
  syncMinutes?: number;
  enabled?: boolean;
};

/**
 * Sets the facility's connector and configuration (validated against the connector's schema, and its URLs against
 * the networks the hub connects to: 422 with each problem). A new connection, or a change of connector, gets new
 * credentials, returned once: the webhook secret (webhook connectors) and the export feed's secret URL
 * (exportFeed). Re-enabling clears the failures.
 */
export async function putFacilityConnection(
  hub: Hub,
  actor: Actor,
  facilityId: string,
  input: ConnectionInput,
) {
  mayManage(actor, facilityId);
  if (!(await hub.prisma.facility.findUnique({ where: { id: facilityId }, select: { id: true } }))) {
    throw problems.notFound("Facility");
  }
  const { connector, config } = await checkedConfig(hub, input);
  const existing = await hub.prisma.connection.findUnique({ where: { facilityId } });
  const fresh = !existing || existing.connector !== input.connector;
  const caps = connector.manifest.capabilities;
  const secret =
    fresh && (caps.includes("webhooks") || caps.includes("changeFeed") || caps.includes("pushBooking"))
      ? newWebhookSecret()
      : null;
  const feed = fresh && caps.includes("exportFeed") ? newFeedToken() : null;
  const enabled = input.enabled ?? true;
  const syncMinutes = input.syncMinutes ?? connector.manifest.defaultSyncMinutes ?? 15;
  const data = {
    connector: input.connector,
    config: config as Prisma.InputJsonValue,
    syncMinutes,
    vacancyTrustMinutes: vacancyTrustMinutes(connector, config, syncMinutes),
    enabled,
    ...(enabled && existing && !existing.enabled
      ? { disabledReason: null, consecutiveFailures: 0, warnedAt: null }
      : {}),
    ...(!enabled ? { disabledReason: STAFF_DISABLED } : {}),
    ...(fresh
      ? {
          state: {},
          nextRunAt: null,
          secretSealed: secret ? sealSecret(hub, secret) : null,
          feedTokenHash: feed?.hash ?? null,
        }
      : {}),
  };
  await hub.prisma.connection.upsert({
    where: { facilityId },
    create: { facilityId, ...data },
    update: data,
  });
  return {
    connection: await getFacilityConnection(hub, actor, facilityId),
    credentials: credentialsOut(hub, secret, feed?.token ?? null),
  };
}

/**
 * A connector and its configuration as a facility proposes them, checked (422 `unknown_connector`, 422
 * `invalid_config` with each problem: the connector's schema, then its URLs against the networks the hub connects
 * to). Used by saving and by the mapping preview, so both refuse the same things.
 */
export async function checkedConfig(
  hub: Hub,
  input: { connector: string; config?: Record<string, unknown> },
) {
  const registry = await loadRegistry();
  const connector = registry.get(input.connector);
  if (!connector) {
    throw problems.unprocessable(
      "unknown_connector",
      `No connector "${input.connector}"; one of ${registry.keys().join(", ")}`,
    );
  }
  const config = input.config ?? {};
  const errors = registry.checkConfig(input.connector, config);
  if (errors.length) {
    throw new DomainError(
      "unprocessable",
      "invalid_config",
      "Invalid connector configuration",
      "The configuration does not fit the connector",
      errors.map((e) => ({ path: `/config${e.path}`, message: e.message })),
    );
  }
  const refused = await refusedUrls(hub, registry.configSchema(input.connector), config);
  if (refused.length) {
    throw new DomainError(
      "unprocessable",
      "invalid_config",
      "Invalid connector configuration",
      "The hub connects to public addresses only, unless an operator allows a network",
      refused,
    );
  }
  return { connector, config };
}

type Schema = { format?: string; properties?: Record<string, Schema> };

/**
 * The URLs of a configuration (its fields of format "uri") that name a destination the hub does not connect to: a
 * private or local address, or a name resolving to one (egress.ts checks again on every connection).
 */
async function refusedUrls(
  hub: Hub,
  schema: Schema | undefined,
  config: Record<string, unknown>,
  at = "/config",
): Promise<{ path: string; message: string }[]> {
  const out: { path: string; message: string }[] = [];
  for (const [key, field] of Object.entries(schema?.properties ?? {})) {
    const value = config[key];
    const path = `${at}/${key}`;
    if (field.format === "uri" && typeof value === "string") {
      const message = await urlRefusal(value, { allowed: hub.config.CONNECTOR_ALLOWED_NETWORKS });
      if (message) out.push({ path, message });
    } else if (field.properties && value && typeof value === "object" && !Array.isArray(value)) {
      out.push(...(await refusedUrls(hub, field, value as Record<string, unknown>, path)));
    }
  }
  return out;
}

function credentialsOut(hub: Hub, secret: string | null, feedToken: string | null) {
  return {
    webhookSecret: secret,
    feedUrl: feedToken ? `${hub.config.PUBLIC_URL}api/connections/feeds/${feedToken}.ics` : null,
  };
}

/** New credentials (the old ones stop working at once), returned once. */
export async function rotateCredentials(hub: Hub, actor: Actor, facilityId: string) {
  mayManage(actor, facilityId);
  const conn = await hub.prisma.connection.findUnique({ where: { facilityId } });
  if (!conn) throw problems.notFound("Connection");
  const caps = (await loadRegistry()).get(conn.connector)?.manifest.capabilities ?? [];
  const secret =
    caps.includes("webhooks") || caps.includes("changeFeed") || caps.includes("pushBooking")
      ? newWebhookSecret()
      : null;
  const feed = caps.includes("exportFeed") ? newFeedToken() : null;
  if (!secret && !feed) throw problems.conflict("no_credentials", "This connector uses no credentials");
  await hub.prisma.connection.update({
    where: { id: conn.id },
    data: {
      ...(secret ? { secretSealed: sealSecret(hub, secret) } : {}),
      ...(feed ? { feedTokenHash: feed.hash } : {}),
    },
  });
  return credentialsOut(hub, secret, feed?.token ?? null);
}

/**
 * "Sync now" (409 for connectors that do not pull, or a disabled connection): the connection is made due in the
 * database, which the cron's due-sync scan (every 5 s) picks up, and a sync is queued at once when the job store
 * answers; with Redis down the request does not wait for it.
 */
export async function syncNow(hub: Hub, actor: Actor, facilityId: string) {
  mayManage(actor, facilityId);
  const conn = await hub.prisma.connection.findUnique({ where: { facilityId } });
  if (!conn) throw problems.notFound("Connection");
  if (!pulls((await loadRegistry()).get(conn.connector), conn.config)) {
    throw problems.conflict("not_pulled", "This connection is not pulled on a schedule");
  }
  if (!conn.enabled) throw problems.conflict("connection_disabled", "Enable the connection first");
  const now = hub.now();
  // At most one sync a minute on demand: the feed's server is someone else's.
  const due = new Date(Math.max(now.getTime(), (conn.lastSyncAt?.getTime() ?? 0) + 60_000));
  if (!conn.nextRunAt || conn.nextRunAt > due) {
    await hub.prisma.connection.update({ where: { id: conn.id }, data: { nextRunAt: due } });
  }
  void queueSyncNow(hub.queue, conn.id, now);
  return { queued: true };
}

/** Dead letters back in line: failed inbound webhooks and pushes are tried again. */
export async function replayDeadLetters(hub: Hub, actor: Actor, facilityId: string) {
  mayManage(actor, facilityId);
  const conn = await hub.prisma.connection.findUnique({ where: { facilityId } });
  if (!conn) throw problems.notFound("Connection");
  const now = hub.now();
  const [webhooks, pushes] = await hub.prisma.$transaction([
    hub.prisma.inboundWebhook.updateMany({
      where: { connectionId: conn.id, status: "failed" },
      data: { status: "pending", attempts: 0, error: null },
    }),
    hub.prisma.connectorPush.updateMany({
      where: { connectionId: conn.id, status: "failed" },
      data: { status: "pending", attempts: 0, availableAt: now },
    }),
    // Their log entries are replayed too (no longer offered one by one).
    hub.prisma.$executeRaw`
      UPDATE connection_log SET replayed_at = ${now}::timestamp
      WHERE connection_id = ${conn.id}::uuid AND result = 'failed' AND replayed_at IS NULL
        AND (refs ? 'pushIds' OR refs ? 'webhookRows')`,
  ]);
  return { webhooks: webhooks.count, pushes: pushes.count };
}

/** The connectors there are, for choosing one. */
export async function listConnectors() {
  const registry = await loadRegistry();
  return registry.manifests().map((m) => ({ ...m, configSchema: registry.configSchema(m.key) ?? {} }));
}

// ---------------------------------------------------------------------------------------------------------
// The review queue.

export type ConflictDto = {
  id: string;
  facilityId: string;
  facilityName: string;
  connector: string;
  kind: string;
  externalRef: string | null;
  bookingId: string | null;
  detail: Record<string, unknown>;
  status: string;
  resolution: string | null;
  resolvedAt: string | null;
  createdAt: string;
};

/** Conflicts, newest first: a facility its own, the operator all (or one facility's). */
export async function listConflicts(
  hub: Hub,
  actor: Actor,
  q: { status?: string; facilityId?: string; limit?: number; offset?: number },
): Promise<{ total: number; items: ConflictDto[] }> {
  const facilityId = actor.role === "facility" ? (actor.facilityId ?? "none") : q.facilityId;
  const where: Prisma.SyncConflictWhereInput = {
    ...(facilityId ? { facilityId } : {}),
    ...(q.status ? { status: q.status } : {}),
  };
  const [total, rows] = await Promise.all([
    hub.prisma.syncConflict.count({ where }),
    hub.prisma.syncConflict.findMany({
      where,
      orderBy: { createdAt: "desc" },
      take: q.limit ?? 50,
      skip: q.offset ?? 0,
      include: { connection: { select: { connector: true, facility: { select: { name: true } } } } },
    }),
  ]);
  return {
    total,
    items: rows.map((r) => ({
      id: r.id,
      facilityId: r.facilityId,
      facilityName: r.connection.facility.name,
      connector: r.connection.connector,
      kind: r.kind,
      externalRef: r.externalRef,
      bookingId: r.bookingId,
      detail: r.detail as Record<string, unknown>,
      status: r.status,
      resolution: r.resolution,
      resolvedAt: r.resolvedAt?.toISOString() ?? null,
      createdAt: r.createdAt.toISOString(),
    })),
  };
}

export type Resolution = { action: "keep" | "cancel_booking"; note?: string };

/**
 * Resolves a conflict: `keep` accepts things as they are (e.g. the facility will find the extra place);
 * `cancel_booking` cancels the booking it concerns in the hub (as the facility: free of charge for a resident).
 * Resolving twice is 409.
 */
export async function resolveConflict(hub: Hub, actor: Actor, id: string, input: Resolution) {
  const conflict = await hub.prisma.syncConflict.findUnique({ where: { id } });
  if (!conflict || (actor.role === "facility" && actor.facilityId !== conflict.facilityId)) {
    throw problems.notFound("Conflict");
  }
  mayManage(actor, conflict.facilityId);
  if (conflict.status !== "open")
    throw problems.conflict("already_resolved", "This conflict is already resolved");
  const now = hub.now();
  await hub.prisma.$transaction(async (tx) => {
    if (input.action === "cancel_booking") {
      if (!conflict.bookingId)
        throw problems.unprocessable("no_booking", "This conflict concerns no booking");
      const b = await tx.booking.findUniqueOrThrow({ where: { id: conflict.bookingId } });
      if (b.status === "requested" || b.status === "confirmed") {
        await applyTransition(
          tx,
          b,
          "cancelled",
          {
            source: "staff",
            actorId: actor.userId,
            data: { reason: "sync_conflict", conflictId: id, note: input.note ?? "" },
          },
          now,
          { cancelReason: "facility_caused" },
        );
      }
    }
    const { count } = await tx.syncConflict.updateMany({
      where: { id, status: "open" },
      data: {
        status: "resolved",
        resolution: `${input.action}${input.note ? `: ${input.note}` : ""}`.slice(0, 500),
        resolvedBy: actor.userId,
        resolvedAt: now,
      },
    });
    if (count !== 1) throw problems.conflict("already_resolved", "This conflict is already resolved");
  }, TX_OPTIONS);
  return (await listConflicts(hub, actor, { facilityId: conflict.facilityId, limit: 1000 })).items.find(
    (c) => c.id === id,
  );
}
