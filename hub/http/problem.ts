/** An error a client can act on, rendered as application/problem+json with a stable code. */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: { path?: string; message: string; line?: number; column?: string; code?: string }[],
    /** Response headers that go with it, e.g. Retry-After on a 429. */
    readonly headers?: Record<string, string>,
    /** Further members of the problem object (RFC 9457 extensions), e.g. the findings of a refused publication. */
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

export const problems = {
  badRequest: (detail: string, errors?: Problem["errors"]) =>
    new Problem(400, "bad_request", "The request is not valid", detail, errors),
  validation: (errors: Problem["errors"], detail = "Some fields are missing or invalid") =>
    new Problem(400, "validation_failed", "The request is not valid", detail, errors),
  unprocessable: (code: string, detail: string, errors?: Problem["errors"]) =>
    new Problem(422, code, "The request cannot be processed", detail, errors),
  unauthenticated: (detail = "Sign in first", code = "unauthenticated") =>
    new Problem(401, code, "Not signed in", detail),
  forbidden: (detail = "You may not do this", code = "forbidden") =>
    new Problem(403, code, "Not allowed", detail),
  notFound: (what = "resource") => new Problem(404, "not_found", "Not found", `No such ${what}`),
  conflict: (code: string, detail: string) => new Problem(409, code, "Conflict", detail),
  tooMany: (detail = "Too many attempts; wait a little and try again") =>
    new Problem(429, "rate_limited", "Too many requests", detail),
};
