/**
 * A small cookie-keeping HTTP client for integration tests: one instance per signed-in user.
 * It sends the session's CSRF token on writes, as the portal does.
 */
export class TestClient {
  private cookies = new Map<string, string>();
  csrfToken = "";

  constructor(readonly baseUrl: string) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const h: Record<string, string> = { ...headers };
    if (this.cookies.size) h.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    if (this.csrfToken && method !== "GET") h["x-csrf-token"] ??= this.csrfToken;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === "string" ? body : JSON.stringify(body);
      h["content-type"] ??= "application/json";
    }
    const res = await fetch(new URL(path.replace(/^\//, ""), this.baseUrl), {
      method,
      headers: h,
      body: payload,
      redirect: "manual",
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const [k, ...v] = (pair ?? "").split("=");
      if (!k) continue;
      if (/expires=Thu, 01 Jan 1970/i.test(c) || v.join("=") === "") this.cookies.delete(k.trim());
      else this.cookies.set(k.trim(), v.join("="));
    }
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text };
  }

  get = (path: string, headers?: Record<string, string>) => this.request("GET", path, undefined, headers);
  post = (path: string, body?: unknown, headers?: Record<string, string>) =>
    this.request("POST", path, body ?? {}, headers);
  put = (path: string, body?: unknown) => this.request("PUT", path, body);
  patch = (path: string, body?: unknown) => this.request("PATCH", path, body);
  delete = (path: string) => this.request("DELETE", path);

  /** The session cookie's token, for load tools that send their own requests. */
  sessionToken(): string {
    return this.cookies.get("sango_session") ?? "";
  }

  /** Uses an existing session token (e.g. one made with createSession) and fetches its CSRF token. */
  async useSession(token: string) {
    this.cookies.set("sango_session", token);
    const me = await this.get("api/me");
    if (me.status !== 200) throw new Error(`session not accepted: ${me.status} ${me.text}`);
    this.csrfToken = me.json.csrfToken;
    return me.json;
  }

  /** Staff sign-in with e-mail and password; keeps the session cookie and CSRF token. */
  async signIn(email: string, password = "demo-pass-2026") {
    const res = await this.post("api/auth/sign-in", { email, password });
    if (res.status !== 200) throw new Error(`sign-in of ${email} failed: ${res.status} ${res.text}`);
    this.csrfToken = res.json.csrfToken;
    return res.json;
  }
}
