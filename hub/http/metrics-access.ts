import { createHash, timingSafeEqual } from "node:crypto";
import { inNetworks } from "../network.js";

/**
 * Who may read /metrics (process and per-operation figures help an attacker as much as an operator): a caller
 * from METRICS_ALLOWED_NETWORKS (loopback by default, e.g. a Prometheus on the same host), or anyone presenting
 * METRICS_TOKEN as a bearer token. Everyone else is told nothing exists there (404), or, when a token is
 * configured, that one is needed (401).
 */
export type MetricsAccess = "allowed" | "token_required" | "hidden";

export function metricsAccess(
  settings: { METRICS_TOKEN?: string; METRICS_ALLOWED_NETWORKS: string[] },
  request: { ip: string; authorization?: string },
): MetricsAccess {
  const token = settings.METRICS_TOKEN;
  const presented = /^Bearer\s+(\S+)\s*$/i.exec(request.authorization ?? "")?.[1];
  if (token && presented && sameSecret(presented, token)) return "allowed";
  if (inNetworks(request.ip, settings.METRICS_ALLOWED_NETWORKS)) return "allowed";
  return token ? "token_required" : "hidden";
}

/** Compared by digest, so neither the length nor the content of the token leaks through timing. */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}
