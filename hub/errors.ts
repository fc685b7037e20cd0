/**
 * The one error type of the domain: a failure a caller can act on, with a stable code, a title and a detail, and
 * per-field errors where there are some. It knows nothing of HTTP: the HTTP layer answers each kind with its status
 * as problem JSON (hub/http/problem.ts); a job or the command line reads the same fields.
 */

/** What kind of failure it is; the HTTP layer maps each to a status (invalid → 400, conflict → 409, …). */
export type ErrorKind =
  | "invalid"
  | "unauthenticated"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "too_large"
  | "unprocessable"
  | "rate_limited"
  | "unavailable";

/** One field's (or one line's) error, for forms and file reports. */
export type FieldError = { path?: string; message: string; line?: number; column?: string; code?: string };

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldError[],
    readonly more: {
      /** How long to wait before trying again (a `rate_limited` error). */
      retryAfterSeconds?: number;
      /** Further members of the answer, e.g. the findings of a refused publication. */
      extensions?: Record<string, unknown>;
    } = {},
  ) {
    super(`${code}: ${detail ?? title}`);
  }
}

/** The common errors, each with its usual code and title. */
export const problems = {
  badRequest: (detail: string, errors?: FieldError[]) =>
    new DomainError("invalid", "bad_request", "The request is not valid", detail, errors),
  validation: (errors: FieldError[] | undefined, detail = "Some fields are missing or invalid") =>
    new DomainError("invalid", "validation_failed", "The request is not valid", detail, errors),
  unprocessable: (code: string, detail: string, errors?: FieldError[]) =>
    new DomainError("unprocessable", code, "The request cannot be processed", detail, errors),
  unauthenticated: (detail = "Sign in first", code = "unauthenticated") =>
    new DomainError("unauthenticated", code, "Not signed in", detail),
  forbidden: (detail = "You may not do this", code = "forbidden") =>
    new DomainError("forbidden", code, "Not allowed", detail),
  notFound: (what = "resource") => new DomainError("not_found", "not_found", "Not found", `No such ${what}`),
  conflict: (code: string, detail: string) => new DomainError("conflict", code, "Conflict", detail),
  tooMany: (detail = "Too many attempts; wait a little and try again", retryAfterSeconds?: number) =>
    new DomainError("rate_limited", "rate_limited", "Too many requests", detail, undefined, {
      retryAfterSeconds,
    }),
};
