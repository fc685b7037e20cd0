import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { clientAddressResolver, inNetworks, validCidr } from "./network.js";

const req = (remote: string, xff?: string) =>
  ({
    socket: { remoteAddress: remote },
    connection: { remoteAddress: remote },
    headers: xff ? { "x-forwarded-for": xff } : {},
  }) as unknown as IncomingMessage;

describe("client address", () => {
  it("ignores X-Forwarded-For unless the peer is a trusted proxy", () => {
    expect(clientAddressResolver([])(req("203.0.113.5", "10.1.1.1"))).toBe("203.0.113.5");
    expect(clientAddressResolver(["127.0.0.1"])(req("127.0.0.1", "10.1.1.1"))).toBe("10.1.1.1");
    expect(clientAddressResolver(["127.0.0.1"])(req("198.51.100.7", "10.1.1.1"))).toBe("198.51.100.7");
  });

  it("follows a chain only through trusted proxies", () => {
    const resolve = clientAddressResolver(["127.0.0.1", "10.0.0.0/8"]);
    expect(resolve(req("127.0.0.1", "203.0.113.9, 10.2.3.4"))).toBe("203.0.113.9");
    expect(resolve(req("127.0.0.1", "198.51.100.1, 203.0.113.9"))).toBe("203.0.113.9");
  });

  it("reports IPv4-mapped IPv6 peers as IPv4", () => {
    expect(clientAddressResolver([])(req("::ffff:192.0.2.1"))).toBe("192.0.2.1");
  });
});

describe("networks", () => {
  it("matches CIDR ranges and single addresses of either family", () => {
    expect(inNetworks("10.20.30.40", ["10.20.0.0/16"])).toBe(true);
    expect(inNetworks("10.21.30.40", ["10.20.0.0/16"])).toBe(false);
    expect(inNetworks("192.0.2.1", ["192.0.2.1"])).toBe(true);
    expect(inNetworks("2001:db8::1", ["2001:db8::/32"])).toBe(true);
    expect(inNetworks("192.0.2.1", ["2001:db8::/32"])).toBe(false);
    expect(inNetworks("garbage", ["0.0.0.0/0"])).toBe(false);
  });

  it("validates CIDR notation", () => {
    expect(validCidr("10.0.0.0/8")).toBe(true);
    expect(validCidr("2001:db8::/32")).toBe(true);
    expect(validCidr("10.0.0.0/33")).toBe(false);
    expect(validCidr("10.0.0")).toBe(false);
  });
});
