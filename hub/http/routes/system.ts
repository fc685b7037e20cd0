import { register } from "../metrics.js";
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

  getMetrics: async () => ({ type: register.contentType, body: await register.metrics() }),
};
