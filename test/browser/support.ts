/**
 * What the browser tests share: Debian's Chromium through playwright-core, fresh contexts that record every
 * request (to prove nothing goes to another host), and the checks every page must pass (one h1 named in the
 * title, landmarks, no sideways scrolling, zero axe-core WCAG 2.1 A/AA violations).
 *
 * PORTAL_SCREENSHOTS=/tmp/dir keeps a screenshot of every page checked.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { expect, inject } from "vitest";
import { CHROMIUM, CHROMIUM_ARGS, hasChromium } from "./chromium.js";

export { CHROMIUM, hasChromium };

if (!hasChromium) {
  console.warn(`[portal browser tests] skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);
}

export const STAFF_PASSWORD = "demo-pass-2026";
export const WIDTHS = [375, 1280] as const;
/**
 * The widths a flow whose steps do not change with the screen is run at: a phone's only. Such a flow checks each of
 * its states with checkPageAtWidths, at every width of WIDTHS, instead of being run again at each.
 */
export const FLOW_WIDTHS = [375] as const;
export const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const DIST_INDEX = new URL("../../portal/dist/index.html", import.meta.url);
const SHOTS = process.env.PORTAL_SCREENSHOTS;

type AxeResult = {
  violations: {
    id: string;
    impact: string | null;
    help: string;
    helpUrl: string;
    nodes: { target: unknown[]; failureSummary?: string }[];
  }[];
};

/** Fails early with a clear message when the portal has not been built (the hub serves portal/dist). */
export function requirePortalBuild() {
  if (!existsSync(DIST_INDEX)) throw new Error("portal/dist is missing: run `npm run build` first");
}

/**
 * Headless Chromium with nothing that would call home: the run's shared Chromium (test/browser/global-setup.ts)
 * when there is one, else a new one. `close()` disconnects from the shared one, closing this file's contexts.
 */
export async function launchBrowser(): Promise<Browser> {
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  const shared = inject("chromiumEndpoint");
  if (shared) return chromium.connect(shared);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/**
 * Helpers bound to a browser and a hub that are only known once beforeAll has run (hence the getter).
 * `open` gives a fresh browser context (no cookies, no storage) at a width, recording every request it
 * makes; `done` then checks that no request went to another host and no error escaped in the page.
 * The hub's Content Security Policy forbids inline scripts, which is how axe-core is injected, so these
 * contexts bypass it unless `enforceCsp` is set.
 */
export function portalHelpers(target: () => { browser: Browser; hubUrl: string }) {
  const url = (p = "") => new URL(p, target().hubUrl).toString();

  async function open(width: number, opts: { enforceCsp?: boolean } = {}) {
    const { browser, hubUrl } = target();
    const context: BrowserContext = await browser.newContext({
      viewport: { width, height: 800 },
      locale: "ja-JP",
      timezoneId: "Asia/Tokyo",
      reducedMotion: "reduce",
      bypassCSP: !opts.enforceCsp,
    });
    const page = await context.newPage();
    const requests: string[] = [];
    const pageErrors: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    page.on("console", (m) => {
      if (m.type() === "error" && /Content Security Policy/i.test(m.text())) pageErrors.push(m.text());
    });
    const done = async () => {
      // data: URLs (the empty favicon) are not requests to any host.
      const foreign = requests.filter((u) => !u.startsWith(hubUrl) && !u.startsWith("data:"));
      expect(foreign, `requests to another host: ${foreign.join(", ")}`).toEqual([]);
      expect(pageErrors, `uncaught errors in the page: ${pageErrors.join("\n")}`).toEqual([]);
      await context.close();
    };
    return { page, requests, done };
  }

  /** Staff sign-in through the portal's own form, waiting until it has left the sign-in page. */
  async function signInAsStaff(page: Page, email: string) {
    await page.goto(url("sign-in"));
    await settled(page);
    await page.getByLabel("メールアドレス", { exact: true }).fill(email);
    await page.getByLabel("パスワード", { exact: true }).fill(STAFF_PASSWORD);
    await page.locator("form:has(#staff-password) button[type=submit]").click();
    await page.waitForURL((u) => !u.pathname.endsWith("/sign-in"), { timeout: 15_000 });
    await settled(page);
  }

  return { url, open, signInAsStaff };
}

/**
 * Staff navigation is folded behind the 「メニュー」 button on a phone: open it before following a menu link (on a
 * wider screen the button is hidden and there is nothing to do). Call it signed in as staff.
 */
export async function openMenu(page: Page) {
  const button = page.locator("header .menu-button");
  await button.waitFor({ state: "attached" });
  if ((await button.isVisible()) && (await button.getAttribute("aria-expanded")) === "false")
    await button.click();
}

/** Waits until the route has rendered its h1 and finished loading. */
export async function settled(page: Page) {
  await page.waitForSelector("main h1", { timeout: 15_000 });
  await page.waitForFunction(() => !document.querySelector("main .loading"), undefined, {
    timeout: 15_000,
  });
}

/**
 * checkPage at every width of WIDTHS, on the page as it stands: the viewport is resized for each and put back, so a
 * flow run once (FLOW_WIDTHS) has each of its states checked on a phone and on a desktop.
 */
export async function checkPageAtWidths(page: Page, name: string) {
  const viewport = page.viewportSize() ?? { width: WIDTHS[0], height: 800 };
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: viewport.height });
    await checkPage(page, name, width);
  }
  await page.setViewportSize(viewport);
}

/** Checks what every page must satisfy, then runs axe-core and fails with a readable list of violations. */
export async function checkPage(page: Page, name: string, width: number) {
  await settled(page);
  const h1s = await page.locator("h1").allTextContents();
  expect(h1s, `${name}: exactly one h1`).toHaveLength(1);
  const title = await page.title();
  expect(title, `${name}: document.title names the page`).toContain(h1s[0]?.trim() ?? "");
  expect(await page.evaluate(() => document.documentElement.lang)).toMatch(/^(ja|en)$/);
  for (const landmark of ["header", "nav", "main", "footer"]) {
    expect(await page.locator(landmark).count(), `${name}: <${landmark}> landmark`).toBeGreaterThan(0);
  }
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow, `${name} at ${width}px: no horizontal scrolling`).toBeLessThanOrEqual(0);

  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ content: AXE_SOURCE });
  const result = (await page.evaluate(
    (tags) =>
      (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<unknown> } }).axe.run(
        document,
        {
          runOnly: { type: "tag", values: tags },
          // Violations are all this reports; axe then skips building selectors for every passing node, which
          // was half of its time.
          resultTypes: ["violations"],
        },
      ),
    AXE_TAGS,
  )) as AxeResult;
  const report = result.violations
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help}\n  ${v.helpUrl}\n` +
        v.nodes
          .map(
            (n) =>
              `    at ${n.target.join(" ")}\n      ${(n.failureSummary ?? "").replace(/\n/g, "\n      ")}`,
          )
          .join("\n"),
    )
    .join("\n");
  expect(report, `axe-core found WCAG 2.1 AA violations on ${name} at ${width}px:\n${report}`).toBe("");

  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}-${width}.png`), fullPage: true });
}
