import { collectDefaultMetrics, Histogram, register } from "prom-client";

collectDefaultMetrics();

export const httpDuration = new Histogram({
  name: "http_request_duration_seconds",
  help: "API request duration by OpenAPI operation",
  labelNames: ["operation", "method", "status"],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
});

export { register };
