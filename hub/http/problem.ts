import { DomainError, type ErrorKind, type FieldError } from "../errors.js";

/** The HTTP status of each kind of domain error. */
const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
};

/**
 * An error as HTTP answers it, rendered as application/problem+json (RFC 9457) with a stable code: a domain error
 * (hub/errors.ts) mapped by `toProblem`, or what only HTTP knows (a method not allowed, a media type, a fault).
 */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldError[],
    /** Response headers that go with it, e.g. Retry-After on a 429. */
    readonly headers?: Record<string, string>,
    /** Further members of the problem object (RFC 9457 extensions). */
    readonly extensions?: Record<string, unknown>,
  ) {
    super(`${code}: ${detail ?? title}`);
  }

  toJSON() {
    return {
      type: `https://sango-care.miyagi.example/problems/${this.code}`,
      title: this.title,
      status: this.status,
      code: this.code,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(this.errors?.length ? { errors: this.errors } : {}),
      ...this.extensions,
    };
  }
}

/** The problem HTTP answers for `err`, or null when it is neither a domain error nor a Problem. */
export function toProblem(err: unknown): Problem | null {
  if (err instanceof Problem) return err;
  if (!(err instanceof DomainError)) return null;
  const { retryAfterSeconds, extensions } = err.more;
  const headers = retryAfterSeconds ? { "Retry-After": String(retryAfterSeconds) } : undefined;
  return new Problem(STATUS[err.kind], err.code, err.title, err.detail, err.errors, headers, extensions);
}
