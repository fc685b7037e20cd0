import { register } from "../metrics.js";
import { metricsAccess } from "../metrics-access.js";
import { problems } from "../problem.js";
import type { Handlers } from "../types.js";

export const systemHandlers: Handlers = {
  getHealth: async () => ({ body: { status: "ok" } }),

  getReadiness: async ({ hub }) => {
    const [database, jobs] = await Promise.all([hub.db.ping(), hub.queue.ping()]);
    const checks = {
      database: database ? "ok" : "unreachable",
      jobs: jobs ? "ok" : "unreachable",
    };
    const ok = database && jobs;
    return { status: ok ? 200 : 503, body: { status: ok ? "ok" : "unavailable", checks } };
  },

  getMetrics: async ({ hub, headers, ip, koa }) => {
    const authorization = typeof headers.authorization === "string" ? headers.authorization : undefined;
    const access = metricsAccess(hub.config, { ip, authorization });
    if (access === "hidden") throw problems.notFound("API route");
    if (access === "token_required") {
      koa.set("WWW-Authenticate", 'Bearer realm="metrics"');
      throw problems.unauthenticated("Send the metrics token as a bearer token", "metrics_token_required");
    }
    return { type: register.contentType, body: await register.metrics() };
  },
};
