import { existsSync } from "node:fs";

/** Debian's Chromium (apt-get install chromium), driven by playwright-core. */
export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);

/** Headless, and nothing that would call home. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

declare module "vitest" {
  export interface ProvidedContext {
    /** The run's shared Chromium (global-setup.ts), when there is one. */
    chromiumEndpoint?: string;
  }
}
