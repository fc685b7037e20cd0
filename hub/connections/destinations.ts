/**
 * Where the hub may send requests on a user's behalf (a facility's calendar feed, its booking system's API): public
 * addresses only, unless an operator allows a network (CONNECTOR_ALLOWED_NETWORKS, e.g. the LGWAN or a data centre
 * where facility systems live). Everything whose range is not public unicast is refused: loopback, unspecified
 * (0.0.0.0), private (RFC 1918), carrier-grade NAT, link-local (169.254/16: cloud metadata services), IPv6
 * unique-local and link-local, multicast, broadcast, documentation and other reserved ranges, and IPv6 forms that
 * carry an IPv4 address (IPv4-mapped ones are judged as the IPv4 address they carry; NAT64, 6to4, Teredo and
 * IPv4-compatible ones are refused whole). Cloud metadata host names are refused by name as well.
 */
import ipaddr from "ipaddr.js";
import { inNetworks } from "../network.js";

/** Host names of cloud metadata services, refused before any look-up. */
const METADATA_HOSTS = new Set([
  "metadata",
  "metadata.google.internal",
  "metadata.goog",
  "instance-data",
  "instance-data.ec2.internal",
]);

const KIND_WORDS: Record<string, string> = {
  loopback: "a loopback address (the hub's own machine)",
  unspecified: "an unspecified address",
  private: "a private network address",
  uniqueLocal: "a private network address",
  carrierGradeNat: "a carrier-grade NAT address",
  linkLocal: "a link-local address (such as a cloud metadata service)",
  multicast: "a multicast address",
  broadcast: "a broadcast address",
};

/**
 * Why the hub may not connect to `address` (an IPv4 or IPv6 literal), in plain words, or null when it may: a
 * public unicast address, or one in `allowed` (CIDR ranges).
 */
export function addressRefusal(address: string, allowed: readonly string[]): string | null {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // IPv4-mapped IPv6 (::ffff:127.0.0.1) becomes the IPv4 address it carries.
    ip = ipaddr.process(address.replace(/^\[|\]$/g, "").replace(/%.*$/, ""));
  } catch {
    return "not an IP address";
  }
  if (allowed.length && inNetworks(ip.toString(), [...allowed])) return null;
  const range = ip.range();
  // ::/8 holds the deprecated IPv4-compatible addresses (::127.0.0.1), which ipaddr.js counts as unicast.
  const ipv4Compatible = ip.kind() === "ipv6" && ip.match(ipaddr.parseCIDR("::/8"));
  if (range === "unicast" && !ipv4Compatible) return null;
  return KIND_WORDS[range] ?? "a reserved or special-purpose address";
}

/** Why the hub may not look `hostname` up at all (a metadata service's name), or null. */
export function hostNameRefusal(hostname: string): string | null {
  const name = hostname.toLowerCase().replace(/\.$/, "");
  return METADATA_HOSTS.has(name) ? "a cloud metadata service" : null;
}
