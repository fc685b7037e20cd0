import { createHash, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { constants as zlib } from "node:zlib";
import Koa from "koa";
import compress from "koa-compress";
import helmet from "koa-helmet";
import serve from "koa-static";
import type { Document } from "openapi-backend";
import type { Hub } from "../context.js";
import { textProblems } from "../db/text.js";
import { unavailability } from "../db/unavailable.js";
import { problems } from "../errors.js";
import { checkOperationAccess } from "../identity/access.js";
import { type Actor, isStaff } from "../identity/actor.js";
import { actorForToken, SESSION_COOKIE } from "../identity/sessions.js";
import { log } from "../log.js";
import { clientAddressResolver } from "../network.js";
import { nudgeOutbox } from "../notify/outbox.js";
import { bodyLimitFor, RAW_BODY_OPERATIONS, readJsonBody, readRawBody } from "./body.js";
import { apiDocs } from "./docs.js";
import { databaseUnavailableTotal, httpDuration } from "./metrics.js";
import { createOpenApi, type HubOperation, loadCheckedOpenApiDocument } from "./openapi.js";
import { pathProblem } from "./path.js";
import { Problem, toProblem } from "./problem.js";
import { allHandlers } from "./routes/index.js";
import type { Handlers, OpRequest, OpResponse } from "./types.js";

/** A caller's request id is kept when it is a plausible id (a UUID, a trace id); anything else is replaced. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;
/** Polled by load balancers and monitoring: logged at debug only. */
const QUIET_PATHS = /(^|\/)(healthz|readyz|metrics)$/;

const PORTAL_DIST = new URL("../../portal/dist/", import.meta.url);
/** Vite's content-hashed output (`assets/<name>-<hash>.<ext>`): a changed file gets a new name. */
const PORTAL_ASSETS = new URL("assets/", PORTAL_DIST).pathname;
const IMMUTABLE = "public, max-age=31536000, immutable";
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Builds the Koa application: API (OpenAPI-routed), docs, health, metrics and the portal, under BASE_PATH. */
export async function createApp(hub: Hub, handlers: Handlers = allHandlers): Promise<Koa> {
  const document = await loadCheckedOpenApiDocument();
  const api = await createOpenApi(document);
  assertEveryOperationHandled(document, handlers);
  const clientAddress = clientAddressResolver(hub.config.TRUSTED_PROXIES);
  const base = hub.config.BASE_PATH;
  const specJson = JSON.stringify(document);
  const indexHtml = portalIndex(base);
  const indexEtag = `"${createHash("sha256").update(indexHtml).digest("base64url").slice(0, 27)}"`;

  const app = new Koa();
  app.silent = true;

  // Outermost: a request id (the caller's X-Request-Id when it looks like one), answered in the same header
  // and carried by every log line of the request; one line per request with its outcome and duration.
  app.use(async (ctx, next) => {
    const given = ctx.get("X-Request-Id");
    const requestId = REQUEST_ID.test(given) ? given : randomUUID();
    ctx.state.requestId = requestId;
    ctx.set("X-Request-Id", requestId);
    const path = ctx.path;
    const started = performance.now();
    try {
      await next();
    } finally {
      const entry = {
        reqId: requestId,
        method: ctx.method,
        path,
        status: ctx.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
        role: (ctx.state.actor as Actor | null | undefined)?.role,
      };
      if (QUIET_PATHS.test(path)) log.debug(entry, "request");
      else log.info(entry, "request");
    }
  });

  // Responses are compressed when the client accepts it (brotli first, then gzip; Vary: Accept-Encoding): API JSON,
  // problem JSON, CSV exports, index.html. Not below 1 kB, not types that are compressed already (xlsx, docx, zip,
  // images: koa-compress asks the `compressible` list), not HEAD. The portal's built files are compressed once at
  // build time (portal/vite.config.ts writes .br and .gz beside them) and koa-static serves those as they are: a
  // response that already has a Content-Encoding is left alone. Every body the hub sends is a buffer, a string or
  // a file stream, and nothing is streamed as events, so compressing whole responses delays nothing.
  app.use(
    compress({
      threshold: 1024,
      br: { params: { [zlib.BROTLI_PARAM_QUALITY]: 4 } },
      gzip: { level: 6 },
      deflate: false,
      zstd: false,
    }),
  );

  // Every error becomes problem JSON; nothing a client sends yields a stack trace.
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const where = { reqId: ctx.state.requestId, path: ctx.path };
      const problem = toProblem(err) ?? clientError(err) ?? databaseUnavailable(err, where);
      if (!problem) log.error({ err, ...where }, "request failed");
      const p =
        problem ??
        new Problem(
          500,
          "internal_error",
          "Something went wrong",
          `The error was logged with request id ${ctx.state.requestId}`,
        );
      ctx.status = p.status;
      for (const [k, v] of Object.entries(p.headers ?? {})) ctx.set(k, v);
      ctx.type = "application/problem+json";
      ctx.body = JSON.stringify(p.toJSON());
      // A body still arriving (too large, or refused before it was read) is not read to its end, which could be
      // never: the connection closes once the answer is sent.
      if (!ctx.req.complete) ctx.set("Connection", "close");
    }
  });

  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", "data:"],
          connectSrc: ["'self'"],
          fontSrc: ["'self'"],
          frameAncestors: ["'none'"],
          formAction: ["'self'"],
          upgradeInsecureRequests: null,
        },
      },
      hsts: hub.config.COOKIE_SECURE,
    }),
  );

  // A path that does not decode, or decodes to a NUL or a '..' segment, names nothing the hub serves.
  app.use(async (ctx, next) => {
    const problem = pathProblem(ctx.path);
    if (problem) throw new Problem(400, "bad_path", "The address is not valid", problem);
    await next();
  });

  // The hub may sit behind a reverse proxy under a base path: everything lives below it.
  app.use(async (ctx, next) => {
    if (base !== "/") {
      if (ctx.path === base.slice(0, -1)) return ctx.redirect(base);
      if (!ctx.path.startsWith(base)) throw problems.notFound("page");
      ctx.path = `/${ctx.path.slice(base.length)}`;
    }
    await next();
  });

  app.use(apiDocs(specJson, base));

  // API operations, routed and validated by the OpenAPI document.
  app.use(async (ctx, next) => {
    const isApi = ctx.path.startsWith("/api/") || ["/healthz", "/readyz", "/metrics"].includes(ctx.path);
    if (!isApi) return next();
    const started = process.hrtime.bigint();
    let operationId = "unmatched";
    try {
      const request = {
        method: ctx.method,
        path: ctx.path,
        query: ctx.querystring,
        headers: ctx.headers as Record<string, string>,
      };
      const operation = api.matchOperation(request) as HubOperation | undefined;
      if (!operation) {
        const pathKnown = api.router
          .getOperations()
          .some(
            (o: { method: string }) =>
              api.router.matchOperation({ ...request, method: o.method }) !== undefined,
          );
        throw pathKnown
          ? new Problem(
              405,
              "method_not_allowed",
              "Method not allowed",
              `${ctx.method} is not supported here`,
            )
          : problems.notFound("API route");
      }
      operationId = operation.operationId ?? "unknown";
      const ip = clientAddress(ctx.req);
      const actor = await resolveActor(hub, ctx);
      ctx.state.actor = actor;
      checkOperationAccess(operation["x-access"], actor, operation["x-allow-unverified"] === true);
      if (actor) await hub.networks.assertAllowed(actor, ip);
      if (actor && UNSAFE.has(ctx.method) && ctx.get("x-csrf-token") !== actor.csrfToken) {
        throw problems.forbidden("Missing or wrong X-CSRF-Token header", "csrf_failed");
      }

      const rawBody = RAW_BODY_OPERATIONS[operationId];
      const body = rawBody
        ? await readRawBody(ctx.req, rawBody)
        : await readJsonBody(ctx.req, bodyLimitFor(operationId));
      const badText = [...textProblems(ctx.query, "/query"), ...textProblems(body, "/requestBody")];
      if (badText.length) {
        throw new Problem(
          400,
          "invalid_text",
          "The request is not valid",
          "Some text cannot be stored",
          badText,
        );
      }
      const validation = api.validateRequest({ ...request, body }, operation);
      if (!validation.valid) {
        throw problems.validation(
          (validation.errors ?? []).map(
            (e: { instancePath?: string; params?: unknown; message?: string }) => ({
              path: e.instancePath || (e.params as { missingProperty?: string })?.missingProperty || "",
              message: `${e.message ?? "invalid"}${additional(e.params)}`,
            }),
          ),
        );
      }
      const parsed = api.router.parseRequest({ ...request, body }, operation);
      const handler = handlers[operationId];
      if (!handler) throw new Error(`no handler for ${operationId}`);
      const req: OpRequest = {
        hub,
        actor,
        operationId,
        params: parsed.params as Record<string, string>,
        query: coerceQuery(parsed.query as Record<string, unknown>, operation),
        headers: ctx.headers,
        body,
        ip,
        koa: ctx,
      };
      // Staff writes and staff reads of personal data are audited, refusals included (probing leaves a trace).
      const audited = isStaff(actor) && (UNSAFE.has(ctx.method) || operation["x-personal-data"] === true);
      const record = (status: number, outcome: "ok" | "denied") =>
        hub.audit.write(
          actor,
          ip,
          {
            action: operationId,
            resourceType: resourceTypeOf(req.params),
            resourceId: Object.values(req.params)[0] ?? "",
            outcome,
            detail: { method: ctx.method, path: ctx.path, status },
          },
          hub.now(),
        );
      let res: OpResponse;
      try {
        res = await handler(req);
      } catch (err) {
        const refused = audited ? toProblem(err) : null;
        if (refused && (refused.status === 403 || refused.status === 404))
          await record(refused.status, "denied");
        throw err;
      }
      if (audited) await record(res.status ?? 200, "ok");
      // A write may have left work in the outbox (messages, waitlist offers, pushes to facilities): it is dispatched
      // now rather than at the cron's next pass (nudgeOutbox never waits for the job store).
      if (UNSAFE.has(ctx.method)) nudgeOutbox(hub.queue);
      ctx.status = res.status ?? 200;
      for (const [k, v] of Object.entries(res.headers ?? {})) ctx.set(k, String(v));
      if (res.body !== undefined) {
        if (res.type) ctx.type = res.type;
        ctx.body = res.type ? res.body : JSON.stringify(res.body);
        if (!res.type) ctx.type = "application/json";
      }
      if (ctx.path.startsWith("/api/")) ctx.set("Cache-Control", "no-store");
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      httpDuration.observe(
        { operation: operationId, method: ctx.method, status: String(ctx.status) },
        seconds,
      );
    }
  });

  // The demo's simulated facility calendars (fixtures/simulators), only on an instance seeded with the demo data.
  const { demoFeed } = hub;
  if (demoFeed) {
    app.use(async (ctx, next) => {
      const match = /^\/demo\/feeds\/([0-9a-f-]{36})\.ics$/.exec(ctx.path);
      if (!match?.[1] || ctx.method !== "GET") return next();
      ctx.type = "text/calendar; charset=utf-8";
      ctx.body = demoFeed(match[1], hub.now());
    });
  }

  // The portal: built assets, and index.html for every other path (client-side routing). Hashed assets never
  // change under their name and are cached for a year; everything else (index.html, unhashed files) is revalidated
  // on every use (no-cache with Last-Modified or an ETag, answered 304 when unchanged). The precompressed
  // .br/.gz twins are chosen by Accept-Encoding.
  const servePortal = serve(PORTAL_DIST.pathname, {
    index: false,
    brotli: true,
    gzip: true,
    setHeaders: (res, file) =>
      res.setHeader("Cache-Control", file.startsWith(PORTAL_ASSETS) ? IMMUTABLE : "no-cache"),
  });
  app.use(async (ctx, next) => {
    // index.html is always served with its <base>, below.
    if (ctx.path === "/index.html") return next();
    await servePortal(ctx, next);
    if (ctx.status === 200 && ctx.fresh) ctx.status = 304;
  });
  app.use(async (ctx) => {
    if (ctx.method !== "GET" && ctx.method !== "HEAD") throw problems.notFound("page");
    ctx.type = "text/html";
    ctx.set("Cache-Control", "no-cache");
    ctx.set("ETag", indexEtag);
    ctx.status = 200;
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.body = indexHtml;
  });

  return app;
}

/**
 * Errors thrown by the libraries under the hub (koa-static refusing a path, Koa's own ctx.throw) that blame the
 * request: their 4xx status, as problem JSON. Anything else is the hub's fault (null: a logged 500).
 */
function clientError(err: unknown): Problem | null {
  const e = err as { status?: unknown; expose?: unknown };
  if (typeof e?.status !== "number" || e.status < 400 || e.status >= 500 || e.expose !== true) return null;
  if (e.status === 403 || e.status === 404) return toProblem(problems.notFound("page"));
  if (e.status === 413) return new Problem(413, "payload_too_large", "Payload too large");
  return toProblem(problems.badRequest("The request could not be understood"));
}

/**
 * The database could not serve the request in time (a lock or statement timeout, no connection): 503 with
 * Retry-After, so clients and load balancers try again shortly instead of reading a 500 as a bug.
 */
function databaseUnavailable(err: unknown, where: { reqId: string; path: string }): Problem | null {
  const kind = unavailability(err);
  if (!kind) return null;
  databaseUnavailableTotal.inc({ kind });
  log.warn({ ...where, kind }, "database unavailable");
  const why =
    kind === "lock_timeout"
      ? "The data this request needs is being changed by a long operation"
      : kind === "timeout"
        ? "The database did not answer in time"
        : "The database cannot be reached";
  return new Problem(
    503,
    "database_unavailable",
    "Service temporarily unavailable",
    `${why}; try again shortly`,
    undefined,
    {
      "Retry-After": "5",
    },
  );
}

async function resolveActor(hub: Hub, ctx: Koa.Context): Promise<Actor | null> {
  const token = ctx.cookies.get(SESSION_COOKIE);
  if (!token || token.length > 200) return null;
  return actorForToken(hub.prisma, token, hub.now());
}

/** "facilityId" → "facility", "code" (a municipality code) → "municipality". */
function resourceTypeOf(params: Record<string, string>): string {
  const first = Object.keys(params)[0];
  if (!first) return "";
  return first === "code" ? "municipality" : first.replace(/Id$/, "");
}

function additional(params: unknown): string {
  const p = params as { additionalProperty?: string; allowedValues?: unknown[] } | undefined;
  if (p?.additionalProperty) return `: ${p.additionalProperty}`;
  if (p?.allowedValues) return `: ${p.allowedValues.join(", ")}`;
  return "";
}

/** Query values arrive as strings; give handlers the integers and booleans the schema declares. */
function coerceQuery(query: Record<string, unknown>, operation: HubOperation): Record<string, unknown> {
  const out: Record<string, unknown> = { ...query };
  for (const p of (operation.parameters ?? []) as {
    in?: string;
    name?: string;
    schema?: { type?: string; default?: unknown };
  }[]) {
    if (p.in !== "query" || !p.name) continue;
    const v = out[p.name];
    if (v === undefined) {
      if (p.schema?.default !== undefined) out[p.name] = p.schema.default;
      continue;
    }
    if (p.schema?.type === "integer" || p.schema?.type === "number") out[p.name] = Number(v);
    if (p.schema?.type === "boolean") out[p.name] = v === "true";
  }
  return out;
}

function assertEveryOperationHandled(document: Document, handlers: Handlers) {
  const ops = Object.values(document.paths ?? {}).flatMap((p) =>
    Object.values(p ?? {}).map((o) => (o as { operationId?: string }).operationId),
  );
  const missing = ops.filter((id): id is string => !!id && !handlers[id]);
  const extra = Object.keys(handlers).filter((h) => !ops.includes(h));
  if (missing.length || extra.length) {
    throw new Error(`Handlers do not match schemas/openapi.yaml: missing [${missing}], unknown [${extra}]`);
  }
}

/** The portal's index.html with the <base> its relative URLs need; read once when the app is built. */
function portalIndex(base: string): string {
  let html: string;
  try {
    html = readFileSync(new URL("index.html", PORTAL_DIST), "utf8");
  } catch {
    html = `<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>産後ケア</title></head><body><main><h1>産後ケア ポータル</h1><p>The portal has not been built. Run <code>npm run build</code>.</p></main></body></html>`;
  }
  return html.replace("<head>", `<head><base href="${base}">`);
}
