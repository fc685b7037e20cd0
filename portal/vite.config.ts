import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { defineConfig, type Plugin } from "vite";
import solid from "vite-plugin-solid";

const root = fileURLToPath(new URL(".", import.meta.url));

/** Text assets worth compressing; images and fonts in the build are compressed already. */
const COMPRESSIBLE = /\.(js|mjs|css|svg|json|txt|map)$/;
/** Below this a compressed copy saves less than its headers cost (the hub's koa-compress uses the same floor). */
const THRESHOLD = 1024;

/**
 * Writes a brotli (quality 11) and a gzip (level 9) twin beside every compressible file of the build, once, at
 * build time; the hub's koa-static serves the twin the browser accepts (Accept-Encoding). Compressing at the
 * highest levels per request would cost the hub hundreds of milliseconds of CPU per file; done here it costs
 * nothing at serve time and the files are smaller than on-the-fly compression at a cheap level would make them.
 */
function precompress(): Plugin {
  return {
    name: "precompress",
    apply: "build",
    writeBundle(options, bundle) {
      const dir = options.dir ?? "";
      for (const name of Object.keys(bundle)) {
        if (!COMPRESSIBLE.test(name)) continue;
        const file = path.join(dir, name);
        const bytes = readFileSync(file);
        if (bytes.length < THRESHOLD) continue;
        writeFileSync(
          `${file}.br`,
          brotliCompressSync(bytes, {
            params: {
              [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
              [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
            },
          }),
        );
        writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }));
      }
    },
  };
}

/**
 * A <link rel="modulepreload"> in index.html for the Japanese dictionary, the language most visitors start in: the
 * browser fetches it beside the entry chunk instead of after the entry has run and asked for it (one round trip
 * less before the first render on a slow line). Someone who chose English also fetches it (about 25 kB).
 */
function preloadDefaultDictionary(): Plugin {
  return {
    name: "preload-default-dictionary",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler(_html, ctx) {
        const chunk = Object.values(ctx.bundle ?? {}).find(
          (c) => c.type === "chunk" && c.facadeModuleId?.endsWith("/src/i18n/ja.ts"),
        );
        if (!chunk)
          throw new Error("the Japanese dictionary chunk (src/i18n/ja.ts) is missing from the build");
        return [
          {
            tag: "link",
            attrs: { rel: "modulepreload", crossorigin: true, href: `./${chunk.fileName}` },
            injectTo: "head",
          },
        ];
      },
    },
  };
}

// The hub serves portal/dist and injects <base href="/…/"> into index.html at serve time, so every URL in the
// build is relative to the document base (base: "./").
export default defineConfig({
  root,
  base: "./",
  plugins: [solid(), preloadDefaultDictionary(), precompress()],
  build: {
    outDir: fileURLToPath(new URL("dist", import.meta.url)),
    emptyOutDir: true,
    target: "es2020",
  },
});
