/**
 * How a failed HTTP exchange reads to facility staff and operators (a connection's last error, its health page,
 * the warning e-mail): the kind of failure in plain words, never the driver's message, an address or a port, which
 * would tell whoever configured the URL what answers where inside the hub's network.
 */
import { AxiosError } from "axios";
import { fail, REFUSED_DESTINATION, type Result } from "./contract.js";

const TLS_CODE = /^(CERT_|ERR_TLS_|ERR_SSL_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|EPROTO$)/;

/** The code of an error as axios, Node or the hub's HTTP client (ctx.http) reports it. */
function codeOf(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * A request that got no HTTP answer (refused destination, timeout, TLS, name not found, no connection) as the
 * contract's error value; `what` names the request ("the feed", "GET changes").
 */
export function transportFailure(err: unknown, what: string, signal?: AbortSignal): Result<never> {
  const code = codeOf(err);
  if (code === REFUSED_DESTINATION) {
    return fail(
      "refused_address",
      `${what}: the address is in a private or local network, which the hub does not connect to (an operator can allow a network)`,
      { retryable: false },
    );
  }
  if (
    signal?.aborted ||
    code === "ECONNABORTED" ||
    code === "ETIMEDOUT" ||
    code === AxiosError.ERR_CANCELED ||
    (err instanceof AxiosError && /timeout/i.test(err.message))
  ) {
    return fail("timeout", `${what}: no answer in time`);
  }
  if (code && TLS_CODE.test(code)) {
    return fail("tls", `${what}: the secure connection (TLS) failed; is the server's certificate valid?`);
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return fail("network", `${what}: the server's name could not be found`);
  }
  if (code === "ERR_FR_TOO_MANY_REDIRECTS") {
    return fail("network", `${what}: too many redirects`, { retryable: false });
  }
  return fail("network", `${what}: the server could not be reached`);
}
