import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import solid from "vite-plugin-solid";

const root = fileURLToPath(new URL(".", import.meta.url));

// The hub serves portal/dist and injects <base href="/…/"> into index.html at serve time, so every URL in the
// build is relative to the document base (base: "./").
export default defineConfig({
  root,
  base: "./",
  plugins: [solid()],
  build: {
    outDir: fileURLToPath(new URL("dist", import.meta.url)),
    emptyOutDir: true,
    target: "es2020",
  },
});
