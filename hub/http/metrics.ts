import { Counter, collectDefaultMetrics, Gauge, Histogram, register } from "prom-client";
import type { Hub } from "../context.js";
import { log } from "../log.js";
import { stateChanges } from "../redis-state.js";
import { withTimeout } from "../time-limit.js";

// Process metrics, among them the event loop's lag (nodejs_eventloop_lag_seconds and its percentiles).
collectDefaultMetrics();

export const httpDuration = new Histogram({
  name: "http_request_duration_seconds",
  help: "API request duration by OpenAPI operation",
  labelNames: ["operation", "method", "status"],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
});

export const databaseUnavailableTotal = new Counter({
  name: "hub_database_unavailable_total",
  help: "Requests answered 503 because the database did not serve them in time, by kind (timeout, lock_timeout, connection)",
  labelNames: ["kind"],
});

// What an operator alerts on (ops/alerts.yml, docs/runbook.md). Read from the database and the job store when
// /metrics is scraped, so every process reports the shared state; a scrape that cannot read them says so.
const jobs = new Gauge({
  name: "hub_jobs",
  help: "Jobs per queue and state (waiting, active, delayed, failed, completed)",
  labelNames: ["queue", "state"],
});
const outboxBacklog = new Gauge({
  name: "hub_outbox_backlog_messages",
  help: "Messages (e-mail, SMS) written but not yet sent and not given up",
});
const outboxOldest = new Gauge({
  name: "hub_outbox_oldest_age_seconds",
  help: "Age of the oldest message not yet sent (0 when none)",
});
const outboxFailed = new Gauge({
  name: "hub_outbox_failed_messages",
  help: "Messages given up after their last attempt, in the last 24 hours",
});
const webhooksPending = new Gauge({
  name: "hub_inbound_webhooks_pending",
  help: "Facility-system deliveries acknowledged but not yet applied to the ledger",
});
const webhooksOldest = new Gauge({
  name: "hub_inbound_webhooks_oldest_age_seconds",
  help: "Age of the oldest delivery not yet applied (0 when none)",
});
const pushesPending = new Gauge({
  name: "hub_connector_pushes_pending",
  help: "Bookings waiting to be sent to facility systems",
});
const connections = new Gauge({
  name: "hub_connections",
  help: "Connections by connector and state (ok, failing, disabled)",
  labelNames: ["connector", "state"],
});
const connectorLag = new Gauge({
  name: "hub_connector_lag_seconds",
  help: "Longest time since an enabled connection's last successful sync, per connector",
  labelNames: ["connector"],
});
const pool = new Gauge({
  name: "hub_db_pool_connections",
  help: "PostgreSQL pool: connections (total, idle) and requests waiting for one (waiting)",
  labelNames: ["state"],
});
const refreshFailed = new Gauge({
  name: "hub_metrics_refresh_failed",
  help: "1 when this scrape could not read its source (database, job_store): that source's hub_ gauges are stale",
  labelNames: ["source"],
});

const REFRESH_MS = 2_000;

/** The gauges' two sources, read independently: with Redis down the database's gauges (the outbox backlog) still move. */
const SOURCES = { database: refreshDatabaseGauges, job_store: refreshJobGauges } as const;
/** A source that cannot be read is logged once until it can again, not on every scrape. */
const unreadable = new WeakMap<Hub, Record<string, ReturnType<typeof stateChanges<unknown>>>>();

function sourceState(hub: Hub, source: string) {
  const states = unreadable.get(hub) ?? {};
  unreadable.set(hub, states);
  states[source] ??= stateChanges<unknown>(
    (err) =>
      log.warn(
        { source, reason: (err as Error).message },
        "metrics: gauges cannot be read from this source; they are stale until it answers",
      ),
    () => log.info({ source }, "metrics: gauges are read again"),
  );
  return states[source];
}

type StateRow = {
  outbox_backlog: number;
  outbox_oldest_s: number;
  outbox_failed: number;
  webhooks_pending: number;
  webhooks_oldest_s: number;
  pushes_pending: number;
};
type ConnectionRow = { connector: string; state: string; n: number; lag_s: number };

/** Reads the operational gauges afresh; never fails the scrape. */
export async function refreshOperationalMetrics(hub: Hub): Promise<void> {
  await Promise.all(
    Object.entries(SOURCES).map(async ([source, read]) => {
      const state = sourceState(hub, source);
      try {
        await withTimeout(read(hub), REFRESH_MS);
        refreshFailed.set({ source }, 0);
        state.ok();
      } catch (err) {
        refreshFailed.set({ source }, 1);
        state.failed(err);
      }
    }),
  );
  const stats = hub.db.poolStats?.();
  if (stats) for (const [state, n] of Object.entries(stats)) pool.set({ state }, n);
}

async function refreshJobGauges(hub: Hub): Promise<void> {
  const byQueue = await hub.queue.countsByQueue();
  jobs.reset();
  for (const [queue, counts] of Object.entries(byQueue)) {
    for (const [s, n] of Object.entries(counts)) jobs.set({ queue, state: s }, n);
  }
}

async function refreshDatabaseGauges(hub: Hub): Promise<void> {
  const now = hub.now();
  const [[state], rows] = await Promise.all([
    hub.prisma.$queryRaw<StateRow[]>`
      SELECT
        (SELECT count(*)::int FROM outbox WHERE dispatched_at IS NULL AND failed_at IS NULL) AS outbox_backlog,
        coalesce((SELECT extract(epoch FROM ${now}::timestamp - min(created_at))::float FROM outbox
          WHERE dispatched_at IS NULL AND failed_at IS NULL), 0) AS outbox_oldest_s,
        (SELECT count(*)::int FROM outbox WHERE failed_at > ${now}::timestamp - interval '1 day') AS outbox_failed,
        (SELECT count(*)::int FROM inbound_webhook WHERE status = 'pending') AS webhooks_pending,
        coalesce((SELECT extract(epoch FROM ${now}::timestamp - min(received_at))::float FROM inbound_webhook
          WHERE status = 'pending'), 0) AS webhooks_oldest_s,
        (SELECT count(*)::int FROM connector_push WHERE status = 'pending') AS pushes_pending`,
    hub.prisma.$queryRaw<ConnectionRow[]>`
      SELECT connector,
        CASE WHEN NOT enabled OR disabled_reason IS NOT NULL THEN 'disabled'
          WHEN consecutive_failures > 0 THEN 'failing' ELSE 'ok' END AS state,
        count(*)::int AS n,
        coalesce(max(extract(epoch FROM ${now}::timestamp - coalesce(last_success_at, created_at)))
          FILTER (WHERE enabled AND disabled_reason IS NULL), 0)::float AS lag_s
      FROM connection GROUP BY 1, 2`,
  ]);
  if (state) {
    outboxBacklog.set(state.outbox_backlog);
    outboxOldest.set(Math.max(0, state.outbox_oldest_s));
    outboxFailed.set(state.outbox_failed);
    webhooksPending.set(state.webhooks_pending);
    webhooksOldest.set(Math.max(0, state.webhooks_oldest_s));
    pushesPending.set(state.pushes_pending);
  }
  connections.reset();
  connectorLag.reset();
  const lag = new Map<string, number>();
  for (const r of rows) {
    connections.set({ connector: r.connector, state: r.state }, r.n);
    lag.set(r.connector, Math.max(lag.get(r.connector) ?? 0, r.lag_s));
  }
  for (const [connector, s] of lag) connectorLag.set({ connector }, Math.max(0, s));
}

export { register };
