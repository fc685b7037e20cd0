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

export type HealthState = "ok" | "never" | "warning" | "failing" | "stale" | "disabled";

/** Whether a connection's data can be trusted as fresh, from its health alone (pure). */
export function healthState(
  c: Pick<Connection, "enabled" | "lastSuccessAt" | "consecutiveFailures" | "syncMinutes" | "warnedAt">,
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
  return { state: "ok", requestOnly: false };
}

/** How long after its last success a pulled connection turns stale. */
export const staleAfterMs = (syncMinutes: number) =>
  Math.max(STALE_AFTER_MIN_MINUTES, STALE_AFTER_INTERVALS * syncMinutes) * 60_000;

/** Whether a connection of this connector and configuration is pulled on a schedule. */
export const pulls = (c: Connector | undefined, config: unknown) =>
  !!c?.pull &&
  c.manifest.capabilities.includes("pullBookings") &&
  (c.scheduled?.((config ?? {}) as Record<string, unknown>) ?? true);
