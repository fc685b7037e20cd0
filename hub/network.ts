import type { IncomingMessage } from "node:http";
import ipaddr from "ipaddr.js";
import proxyaddr from "proxy-addr";

/**
 * The client's address: the socket's peer unless that peer is a trusted proxy, in which case
 * X-Forwarded-For is followed only through trusted proxies (so a client cannot forge it).
 */
export function clientAddressResolver(trustedProxies: string[]): (req: IncomingMessage) => string {
  const trust = trustedProxies.length ? proxyaddr.compile(trustedProxies) : () => false;
  return (req) => normalise(proxyaddr(req, trust));
}

function normalise(addr: string): string {
  try {
    const parsed = ipaddr.process(addr);
    return parsed.toString();
  } catch {
    return addr;
  }
}

/** True when `addr` lies in one of the CIDR ranges (or equals one of the addresses). */
export function inNetworks(addr: string, networks: string[]): boolean {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.process(addr);
  } catch {
    return false;
  }
  return networks.some((n) => {
    if (!validCidr(n)) return false;
    try {
      const [range, bits] = n.includes("/") ? ipaddr.parseCIDR(n) : [ipaddr.process(n), -1];
      const r =
        range.kind() === "ipv6" && (range as ipaddr.IPv6).isIPv4MappedAddress()
          ? (range as ipaddr.IPv6).toIPv4Address()
          : range;
      if (r.kind() !== ip.kind()) return false;
      return bits < 0 ? r.toString() === ip.toString() : ip.match(r, bits);
    } catch {
      return false;
    }
  });
}

/** An address or CIDR range, IPv4 only in the dotted four-part form (no "10.0.0" shorthands). */
export function validCidr(s: string): boolean {
  const [addr = "", bits, ...rest] = s.split("/");
  if (rest.length) return false;
  const v4 = ipaddr.IPv4.isValidFourPartDecimal(addr);
  if (!v4 && !ipaddr.IPv6.isValid(addr)) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (v4 ? 32 : 128);
}
