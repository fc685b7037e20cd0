import type Koa from "koa";
import type { Config } from "../config.js";
import { SESSION_COOKIE } from "./sessions.js";

type CookieConfig = Pick<Config, "BASE_PATH" | "COOKIE_SECURE" | "SESSION_HOURS">;

/**
 * The session cookie: httpOnly, SameSite=Lax, scoped to the base path, Secure unless configured off
 * (plain-http development). Behind a TLS-terminating proxy Koa sees http, so Secure is forced.
 */
export function setSessionCookie(ctx: Koa.Context, config: CookieConfig, token: string): void {
  if (config.COOKIE_SECURE) ctx.cookies.secure = true;
  ctx.cookies.set(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "lax",
    path: config.BASE_PATH,
    secure: config.COOKIE_SECURE,
    maxAge: config.SESSION_HOURS * 3600_000,
    overwrite: true,
  });
}

export function clearSessionCookie(ctx: Koa.Context, config: CookieConfig): void {
  if (config.COOKIE_SECURE) ctx.cookies.secure = true;
  ctx.cookies.set(SESSION_COOKIE, null, {
    httpOnly: true,
    sameSite: "lax",
    path: config.BASE_PATH,
    secure: config.COOKIE_SECURE,
    overwrite: true,
  });
}
