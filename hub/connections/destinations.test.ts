import { describe, expect, it } from "vitest";
import { addressRefusal, hostNameRefusal } from "./destinations.js";

describe("which addresses the hub connects to for a connection", () => {
  it("accepts public unicast addresses of either family", () => {
    for (const a of ["8.8.8.8", "133.242.0.1", "2001:4860:4860::8888", "2404:6800:4004:80b::200e"]) {
      expect(addressRefusal(a, []), a).toBeNull();
    }
  });

  it("refuses loopback, unspecified, private, link-local, CGNAT, unique-local and special ranges", () => {
    const refused: [string, RegExp][] = [
      ["127.0.0.1", /loopback/],
      ["127.255.0.9", /loopback/],
      ["::1", /loopback/],
      ["0.0.0.0", /unspecified/],
      ["::", /unspecified/],
      ["10.1.2.3", /private/],
      ["172.16.0.1", /private/],
      ["172.31.255.254", /private/],
      ["192.168.1.1", /private/],
      ["fc00::1", /private/],
      ["fd00:ec2::254", /private/],
      ["169.254.169.254", /link-local/],
      ["fe80::1", /link-local/],
      ["100.100.100.200", /carrier-grade NAT/],
      ["224.0.0.1", /multicast/],
      ["255.255.255.255", /broadcast/],
      ["192.0.2.1", /reserved/],
      ["198.18.0.1", /reserved/],
      ["240.0.0.1", /reserved/],
    ];
    for (const [a, why] of refused) expect(addressRefusal(a, []), a).toMatch(why);
  });

  it("judges IPv6 forms carrying an IPv4 address: mapped as the address, the others refused whole", () => {
    expect(addressRefusal("::ffff:127.0.0.1", [])).toMatch(/loopback/);
    expect(addressRefusal("::ffff:7f00:1", [])).toMatch(/loopback/);
    expect(addressRefusal("::ffff:10.0.0.1", [])).toMatch(/private/);
    expect(addressRefusal("::ffff:8.8.8.8", [])).toBeNull();
    for (const a of ["::7f00:1", "::127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::1", "2001:0:4136:e378::1"]) {
      expect(addressRefusal(a, []), a).not.toBeNull();
    }
  });

  it("accepts what the operator allows (CONNECTOR_ALLOWED_NETWORKS), and only that", () => {
    const lgwan = ["10.20.0.0/16", "fd00:1::/64"];
    expect(addressRefusal("10.20.3.4", lgwan)).toBeNull();
    expect(addressRefusal("::ffff:10.20.3.4", lgwan)).toBeNull();
    expect(addressRefusal("fd00:1::5", lgwan)).toBeNull();
    expect(addressRefusal("10.21.0.1", lgwan)).toMatch(/private/);
    expect(addressRefusal("127.0.0.1", lgwan)).toMatch(/loopback/);
    expect(addressRefusal("127.0.0.1", ["127.0.0.0/8", "::1/128"])).toBeNull();
    expect(addressRefusal("::1", ["127.0.0.0/8", "::1/128"])).toBeNull();
  });

  it("refuses what is not an address, and cloud metadata services by name", () => {
    expect(addressRefusal("localhost", [])).not.toBeNull();
    for (const name of [
      "metadata.google.internal",
      "METADATA.GOOGLE.INTERNAL.",
      "metadata",
      "instance-data",
    ]) {
      expect(hostNameRefusal(name), name).toMatch(/metadata/);
    }
    expect(hostNameRefusal("calendar.example.jp")).toBeNull();
  });
});
