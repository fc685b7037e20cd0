import { problems } from "../../errors.js";
import { TimedOut, withTimeout } from "../../time-limit.js";
import { refreshOperationalMetrics, register } from "../metrics.js";
import { metricsAccess } from "../metrics-access.js";
import type { Handlers } from "../types.js";

/** Each readiness check answers within this, so /readyz answers within a second whatever is down. */
const READY_CHECK_MS = 800;

async function check(ping: Promise<boolean>): Promise<"ok" | "unreachable" | "timeout"> {
  try {
    return (await withTimeout(ping, READY_CHECK_MS)) ? "ok" : "unreachable";
  } catch (err) {
    return err instanceof TimedOut ? "timeout" : "unreachable";
  }
}

export const systemHandlers: Handlers = {
  getHealth: async () => ({ body: { status: "ok" } }),

  getReadiness: async ({ hub }) => {
    const [database, jobs] = await Promise.all([check(hub.db.ping()), check(hub.queue.ping())]);
    // Without the database nothing works: out of service. Without the job store (Redis) bookings and searches
    // still do, so the process stays in service and says what is degraded.
    const status = database !== "ok" ? "unavailable" : jobs !== "ok" ? "degraded" : "ok";
    return { status: status === "unavailable" ? 503 : 200, body: { status, checks: { database, jobs } } };
  },

  getMetrics: async ({ hub, headers, ip, koa }) => {
    const authorization = typeof headers.authorization === "string" ? headers.authorization : undefined;
    const access = metricsAccess(hub.config, { ip, authorization });
    if (access === "hidden") throw problems.notFound("API route");
    if (access === "token_required") {
      koa.set("WWW-Authenticate", 'Bearer realm="metrics"');
      throw problems.unauthenticated("Send the metrics token as a bearer token", "metrics_token_required");
    }
    await refreshOperationalMetrics(hub);
    return { type: register.contentType, body: await register.metrics() };
  },
};
