/**
 * A connection's health from its record alone (pure): whether its data can be trusted as fresh. A pulled feed
 * with no success for STALE_AFTER_INTERVALS intervals (at least STALE_AFTER_MIN_MINUTES) is stale, and so is
 * one never pulled; a stale or disabled connection's vacancy is shown as "request only".
 */
import type { Connector } from "../../connectors/contract.js";
import type { Connection } from "../db/client.js";

/** A pull connection whose last success is older than this many sync intervals is stale. */
export const STALE_AFTER_INTERVALS = 3;
/** …and never before this many minutes. */
export const STALE_AFTER_MIN_MINUTES = 60;

export type HealthState = "ok" | "never" | "warning" | "failing" | "stale" | "disabled" | "skipping";

/** What the last pull left out (connection.last_skipped). */
export type SkippedReport = {
  read: number;
  imported: number;
  counts: Record<string, number>;
  items: { reason: string; line?: number; date?: string; problem?: string; property?: string }[];
};

/** The report stored with a connection, or null when there is none or it is not one. */
export function skippedReport(value: unknown): SkippedReport | null {
  const v = value as Partial<SkippedReport> | null;
  if (!v || typeof v !== "object" || typeof v.counts !== "object" || !Array.isArray(v.items)) return null;
  return {
    read: Number(v.read) || 0,
    imported: Number(v.imported) || 0,
    counts: v.counts as Record<string, number>,
    items: v.items,
  };
}

export const skippedTotal = (r: SkippedReport | null) =>
  r ? Object.values(r.counts).reduce((a, n) => a + (Number(n) || 0), 0) : 0;

/** The most skipped items a report lists (the counts cover them all). */
export const MAX_SKIPPED_ITEMS = 200;

/**
 * A report with the availability updates a batch left out as older than what was applied (reason `stale`) added:
 * to the pull's own report, or as the report of a delivery that had none (`read` changes, `imported` not stale).
 */
export function withStale(
  report: SkippedReport | null,
  stale: readonly SkippedReport["items"][number][],
  read: number,
): SkippedReport | null {
  if (!stale.length) return report;
  const base = report ?? { read, imported: read, counts: {}, items: [] };
  return {
    ...base,
    imported: Math.max(0, base.imported - stale.length),
    counts: { ...base.counts, stale: (Number(base.counts.stale) || 0) + stale.length },
    items: [...base.items, ...stale].slice(0, MAX_SKIPPED_ITEMS),
  };
}

/**
 * Whether a connection's data can be trusted as fresh, from its health alone (pure). A pull that read events and
 * left every one out (none imported, some skipped: no service type, an ignore keyword, unreadable) is `skipping`,
 * never `ok`: its configuration (rules, keywords) or its calendar needs someone's attention.
 */
export function healthState(
  c: Pick<Connection, "enabled" | "lastSuccessAt" | "consecutiveFailures" | "syncMinutes" | "warnedAt"> & {
    lastSkipped?: unknown;
  },
  pullsOnSchedule: boolean,
  now: Date,
): { state: HealthState; requestOnly: boolean } {
  if (!c.enabled) return { state: "disabled", requestOnly: true };
  const never = pullsOnSchedule && !c.lastSuccessAt;
  const stale =
    pullsOnSchedule &&
    !!c.lastSuccessAt &&
    now.getTime() - c.lastSuccessAt.getTime() >= staleAfterMs(c.syncMinutes);
  const requestOnly = never || stale;
  if (c.consecutiveFailures > 0) return { state: c.warnedAt ? "failing" : "warning", requestOnly };
  if (never) return { state: "never", requestOnly };
  if (stale) return { state: "stale", requestOnly };
  const skipped = skippedReport(c.lastSkipped);
  // Stale availability updates are the ordering working (late deliveries), not something to fix.
  const leftOut = skippedTotal(skipped) - (Number(skipped?.counts.stale) || 0);
  if (skipped && skipped.imported === 0 && leftOut > 0) return { state: "skipping", requestOnly: false };
  return { state: "ok", requestOnly: false };
}

/** How long after its last success a pulled connection turns stale. */
export const staleAfterMs = (syncMinutes: number) =>
  Math.max(STALE_AFTER_MIN_MINUTES, STALE_AFTER_INTERVALS * syncMinutes) * 60_000;

/**
 * The connection's vacancy trust window, stored with its configuration (`connection.vacancy_trust_minutes`): for
 * a connection pulled on a schedule, the minutes after a success until it turns stale; null when nothing is
 * pulled, as pushed or uploaded places stay trusted until the facility changes them.
 */
export const vacancyTrustMinutes = (c: Connector | undefined, config: unknown, syncMinutes: number) =>
  pulls(c, config) ? staleAfterMs(syncMinutes) / 60_000 : null;

/** Whether a connection of this connector and configuration is pulled on a schedule. */
export const pulls = (c: Connector | undefined, config: unknown) =>
  !!c?.pull &&
  c.manifest.capabilities.includes("pullBookings") &&
  (c.scheduled?.((config ?? {}) as Record<string, unknown>) ?? true);
