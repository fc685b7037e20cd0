/**
 * Once per run of the browser tests: one headless Chromium that every test file connects to (launchBrowser in
 * support.ts), instead of each file starting its own. Files stay isolated from each other: each page is opened in
 * a fresh browser context (no cookies, no storage).
 */
import type { TestProject } from "vitest/node";
import { CHROMIUM, CHROMIUM_ARGS, hasChromium } from "./chromium.js";

export default async function setup(project: TestProject) {
  if (!hasChromium) return;
  const { chromium } = await import("playwright-core");
  const server = await chromium.launchServer({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  project.provide("chromiumEndpoint", server.wsEndpoint());
  return () => server.close();
}
