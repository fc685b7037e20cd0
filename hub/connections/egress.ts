/**
 * The one way the hub reaches an address a user configured (a facility's calendar feed, its booking system's API):
 * the HTTP client made here, handed to connectors as `ctx.http`. It never connects to a non-public address unless
 * the operator allows its network (destinations.ts, CONNECTOR_ALLOWED_NETWORKS):
 *
 * - the check sits in the sockets' agents, so it applies to every connection the client opens, whoever opens it:
 *   the first request and each redirect (followed up to MAX_REDIRECTS hops) alike;
 * - a host name is resolved by the agents' own look-up, which checks every address it gets and hands the socket
 *   exactly those addresses: what was checked is what is connected to, so DNS rebinding cannot switch it;
 * - an address literal (any form the URL parser accepts: 127.1, 2130706433, 0x7f.1, [::ffff:127.0.0.1]) is checked
 *   when its socket is created, since sockets skip the look-up for literals;
 * - no proxy from the environment, no Unix sockets, no HTTP/2 (which would bypass the agents).
 *
 * A refused destination fails the request with an error whose `code` is REFUSED_DESTINATION; connectors report it
 * as `refused_address` (connectors/http-failures.ts).
 */
import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import net, { type LookupFunction } from "node:net";
import type { Duplex } from "node:stream";
import axios, { type AxiosInstance } from "axios";
import { REFUSED_DESTINATION } from "../../connectors/contract.js";
import { withTimeout } from "../time-limit.js";
import { addressRefusal, hostNameRefusal } from "./destinations.js";

/** Redirects followed per request. */
export const MAX_REDIRECTS = 3;
/** How long a configuration check waits for a name to resolve before leaving it to connection time. */
const CONFIG_LOOKUP_TIMEOUT_MS = 3_000;

export type ResolvedAddress = { address: string; family: number };
/** Resolves a host name to all its addresses (the system resolver; tests pass their own). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

const systemResolver: Resolver = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

export type EgressOptions = {
  /** CIDR ranges the operator allows besides public addresses (CONNECTOR_ALLOWED_NETWORKS). */
  allowed: readonly string[];
  resolve?: Resolver;
};

/** The error a refused destination fails with; its message is for logs, never shown to facility staff. */
export class RefusedDestination extends Error {
  readonly code = REFUSED_DESTINATION;
}

/** A look-up that refuses names of metadata services and names with any refused address. */
function guardedLookup({ allowed, resolve = systemResolver }: EgressOptions): LookupFunction {
  return (hostname, options, callback) => {
    const byName = hostNameRefusal(hostname);
    if (byName) {
      callback(new RefusedDestination(`${hostname} is ${byName}`), "", 0);
      return;
    }
    resolve(hostname).then(
      (found) => {
        const refused = found.map((a) => addressRefusal(a.address, allowed)).find((r) => r !== null);
        if (refused) return callback(new RefusedDestination(`${hostname} resolves to ${refused}`), "", 0);
        const wanted = options.family ? found.filter((a) => a.family === options.family) : found;
        const first = wanted[0];
        if (!first) {
          const err = Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" });
          return callback(err, "", 0);
        }
        if (options.all) callback(null, wanted);
        else callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, "", 0),
    );
  };
}

type ConnectionOptions = { host?: string | null; hostname?: string | null; socketPath?: string };
type CreateConnection = (options: never, callback?: (err: Error | null, stream: Duplex) => void) => unknown;

/** Why a socket may not be opened with these options (an address literal or a Unix socket), or null. */
function socketRefusal(options: ConnectionOptions, allowed: readonly string[]): string | null {
  if (options.socketPath) return "a Unix socket";
  const host = (options.host ?? options.hostname ?? "").replace(/^\[|\]$/g, "");
  if (net.isIP(host)) {
    const refused = addressRefusal(host, allowed);
    return refused ? `${host} is ${refused}` : null;
  }
  return null;
}

/** An agent class whose sockets are opened only to allowed destinations. */
function guarded<T extends typeof http.Agent>(Base: T, egress: EgressOptions): InstanceType<T> {
  const lookup = guardedLookup(egress);
  const Guarded = class extends (Base as typeof http.Agent) {
    override createConnection(
      options: Parameters<http.Agent["createConnection"]>[0],
      callback?: (err: Error | null, stream: Duplex) => void,
    ) {
      const refused = socketRefusal(options as ConnectionOptions, egress.allowed);
      if (refused) {
        // A socket that fails before it connects: the request fails with its error, as on any connection error.
        const socket = new net.Socket();
        process.nextTick(() => socket.destroy(new RefusedDestination(refused)));
        return socket;
      }
      return (super.createConnection as CreateConnection)(options as never, callback) as Duplex | undefined;
    }
  };
  return new Guarded({ lookup, keepAlive: false }) as InstanceType<T>;
}

/** The HTTP client connectors get (see the file comment). */
export function egressHttp(
  egress: EgressOptions,
  request: { timeout: number; signal?: AbortSignal },
): AxiosInstance {
  const httpAgent = guarded(http.Agent, egress);
  const httpsAgent = guarded(https.Agent, egress);
  const client = axios.create({
    timeout: request.timeout,
    ...(request.signal ? { signal: request.signal } : {}),
    maxRedirects: MAX_REDIRECTS,
    proxy: false,
    httpAgent,
    httpsAgent,
  });
  // Whatever a request asks for, it leaves through these agents.
  client.interceptors.request.use((config) => {
    config.httpAgent = httpAgent;
    config.httpsAgent = httpsAgent;
    config.proxy = false;
    config.socketPath = null;
    config.httpVersion = 1;
    config.maxRedirects = Math.min(config.maxRedirects ?? MAX_REDIRECTS, MAX_REDIRECTS);
    return config;
  });
  return client;
}

/**
 * Why a URL a user is configuring names a destination the hub will not connect to, in plain words for a field
 * error, or null. A literal address is judged as it is; a name by every address it resolves to now (a name that
 * does not resolve yet is left to connection time, which checks again on every hop).
 */
export async function urlRefusal(url: string, egress: EgressOptions): Promise<string | null> {
  let hostname: string;
  try {
    hostname = new URL(url.replace(/^webcal:/i, "https:")).hostname.replace(/^\[|\]$/g, "");
  } catch {
    return null; // Not a URL: the configuration schema says so.
  }
  const byName = hostNameRefusal(hostname);
  if (byName) return `The address is ${byName}, which the hub does not connect to`;
  if (net.isIP(hostname)) {
    const refused = addressRefusal(hostname, egress.allowed);
    return refused ? `The address is ${refused}, which the hub does not connect to` : null;
  }
  let found: ResolvedAddress[];
  try {
    found = await withTimeout((egress.resolve ?? systemResolver)(hostname), CONFIG_LOOKUP_TIMEOUT_MS);
  } catch {
    return null;
  }
  const refused = found.map((a) => addressRefusal(a.address, egress.allowed)).find((r) => r !== null);
  return refused ? `The host name resolves to ${refused}, which the hub does not connect to` : null;
}
