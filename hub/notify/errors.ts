/**
 * A failed send, classified. `permanent`: trying again cannot help (the provider refused the address or the
 * message), so the outbox gives up at once. `unavailable`: the provider or server cannot be reached or is
 * overloaded, so the other messages of the same channel in the batch wait too instead of failing one by one.
 * `retryAfterMs`: how long the provider asked us to wait.
 */
export class DeliveryError extends Error {
  readonly permanent: boolean;
  readonly unavailable: boolean;
  readonly retryAfterMs?: number;
  constructor(
    message: string,
    opts: { permanent?: boolean; unavailable?: boolean; retryAfterMs?: number } = {},
  ) {
    super(message);
    this.name = "DeliveryError";
    this.permanent = opts.permanent ?? false;
    this.unavailable = !this.permanent && (opts.unavailable ?? false);
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** Network failures that mean "the other side is not there right now". */
export const NETWORK_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  // nodemailer's own codes for the same
  "ECONNECTION",
  "ESOCKET",
  "EDNS",
  "ETLS",
  "EAUTH",
  "EPROTOCOL",
]);
