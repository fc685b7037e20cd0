import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type Koa from "koa";
import { problems } from "../errors.js";

const SWAGGER_DIR = path.dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const ASSETS = new Set([
  "swagger-ui.css",
  "swagger-ui-bundle.js",
  "swagger-ui-standalone-preset.js",
  "favicon-32x32.png",
]);

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>API documentation — Miyagi postpartum-care hub</title>
<link rel="stylesheet" href="docs/assets/swagger-ui.css"><link rel="icon" href="docs/assets/favicon-32x32.png"></head>
<body><main><div id="swagger-ui"></div></main>
<script src="docs/assets/swagger-ui-bundle.js"></script><script src="docs/init.js"></script></body></html>`;
// Relative to the page at <base>api/docs, so it works under any BASE_PATH; a file, since the CSP allows no inline script.
const INIT = `window.ui = SwaggerUIBundle({ url: "openapi.json", dom_id: "#swagger-ui", deepLinking: true });`;

/** The OpenAPI document at /api/openapi.json and Swagger UI at /api/docs, every asset served by the hub. */
export function apiDocs(specJson: string, base: string): Koa.Middleware {
  return async (ctx, next) => {
    if (ctx.path === "/api/openapi.json") {
      ctx.type = "application/json";
      ctx.body = specJson;
    } else if (ctx.path === "/api/docs/") {
      ctx.redirect(`${base}api/docs`);
    } else if (ctx.path === "/api/docs") {
      ctx.type = "text/html";
      ctx.body = PAGE;
    } else if (ctx.path === "/api/docs/init.js") {
      ctx.type = "application/javascript";
      ctx.body = INIT;
    } else if (ctx.path.startsWith("/api/docs/assets/")) {
      const file = path.basename(ctx.path);
      if (!ASSETS.has(file)) throw problems.notFound("file");
      ctx.type = path.extname(file);
      ctx.set("Cache-Control", "public, max-age=86400");
      ctx.body = readFileSync(path.join(SWAGGER_DIR, file));
    } else {
      await next();
    }
  };
}
