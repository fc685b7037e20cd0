import { describe, expect, it } from "vitest";
import { metricsAccess } from "./metrics-access.js";

const LOOPBACK = ["127.0.0.0/8", "::1/128"];
const TOKEN = "s3cret-metrics-token-0123456789";

describe("who may read /metrics", () => {
  it("allows the allowed networks (loopback by default) without a token", () => {
    const settings = { METRICS_ALLOWED_NETWORKS: LOOPBACK };
    expect(metricsAccess(settings, { ip: "127.0.0.1" })).toBe("allowed");
    expect(metricsAccess(settings, { ip: "::1" })).toBe("allowed");
    expect(metricsAccess(settings, { ip: "203.0.113.9" })).toBe("hidden");
    expect(metricsAccess({ METRICS_ALLOWED_NETWORKS: ["10.20.0.0/16"] }, { ip: "10.20.3.4" })).toBe(
      "allowed",
    );
    expect(metricsAccess({ METRICS_ALLOWED_NETWORKS: [] }, { ip: "127.0.0.1" })).toBe("hidden");
  });

  it("allows the configured bearer token from anywhere, and asks for it otherwise", () => {
    const settings = { METRICS_TOKEN: TOKEN, METRICS_ALLOWED_NETWORKS: LOOPBACK };
    expect(metricsAccess(settings, { ip: "203.0.113.9", authorization: `Bearer ${TOKEN}` })).toBe("allowed");
    expect(metricsAccess(settings, { ip: "203.0.113.9", authorization: `bearer ${TOKEN}` })).toBe("allowed");
    for (const authorization of [
      undefined,
      "",
      `Bearer ${TOKEN}x`,
      `Basic ${TOKEN}`,
      "Bearer",
      `Bearer ${TOKEN} x`,
    ]) {
      expect(metricsAccess(settings, { ip: "203.0.113.9", authorization }), String(authorization)).toBe(
        "token_required",
      );
    }
    // A wrong token from an allowed network is still the network's call.
    expect(metricsAccess(settings, { ip: "127.0.0.1", authorization: "Bearer wrong" })).toBe("allowed");
  });

  it("never takes a bearer token when none is configured", () => {
    const settings = { METRICS_ALLOWED_NETWORKS: LOOPBACK };
    expect(metricsAccess(settings, { ip: "203.0.113.9", authorization: "Bearer " })).toBe("hidden");
    expect(metricsAccess(settings, { ip: "203.0.113.9", authorization: "Bearer undefined" })).toBe("hidden");
  });
});
