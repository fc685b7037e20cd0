/**
 * The portal in a real browser (Debian's Chromium through playwright-core), against a test hub with the demo
 * data: pages render at phone and desktop widths, axe-core finds no WCAG 2.1 A/AA violation on any page
 * visited, nothing is fetched from another host, and the keyboard reaches everything (skip link first).
 *
 * Needs `npm run build` first (npm test does it). PORTAL_TEST_URL=http://host:port/base/ runs the same
 * checks against a hub that is already running instead of starting one; PORTAL_SCREENSHOTS=/tmp/dir keeps
 * a screenshot of every page visited.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`[portal browser tests] skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);
}

const STAFF_PASSWORD = "demo-pass-2026";
const WIDTHS = [375, 1280] as const;
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
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

describe.skipIf(!hasChromium)("portal in Chromium", () => {
  let browser: Browser;
  let hubUrl: string;
  let closeHub: () => Promise<void> = async () => {};

  beforeAll(async () => {
    if (process.env.PORTAL_TEST_URL) {
      hubUrl = process.env.PORTAL_TEST_URL.replace(/\/?$/, "/");
    } else {
      if (!existsSync(DIST_INDEX)) throw new Error("portal/dist is missing: run `npm run build` first");
      const { startTestHub } = await import("../support/hub.js");
      const hub = await startTestHub({ seed: "demo" });
      hubUrl = hub.url;
      closeHub = () => hub.close();
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await closeHub();
  }, 60_000);

  /**
   * A fresh browser context (no cookies, no storage) at a width, recording every request it makes.
   * The hub's Content Security Policy forbids inline scripts, which is how axe-core is injected, so these
   * contexts bypass it; the test "runs under the hub's Content Security Policy" covers the CSP itself.
   */
  async function open(width: number, opts: { enforceCsp?: boolean } = {}) {
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
    return { page, done };
  }

  const url = (p = "") => new URL(p, hubUrl).toString();

  /** Waits until the route has rendered its h1 and finished loading. */
  async function settled(page: Page) {
    await page.waitForSelector("main h1", { timeout: 15_000 });
    await page.waitForFunction(() => !document.querySelector("main .loading"), undefined, {
      timeout: 15_000,
    });
  }

  /** Checks what every page must satisfy, then runs axe-core and fails with a readable list of violations. */
  async function checkPage(page: Page, name: string, width: number) {
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

  async function signInAsStaff(page: Page, email: string) {
    await page.goto(url("sign-in"));
    await settled(page);
    await page.getByLabel("メールアドレス", { exact: true }).fill(email);
    await page.getByLabel("パスワード", { exact: true }).fill(STAFF_PASSWORD);
    await page.locator("form:has(#staff-password) button[type=submit]").click();
    await page.waitForURL((u) => !u.pathname.endsWith("/sign-in"), { timeout: 15_000 });
    await settled(page);
    expect(await page.locator("h1").textContent()).toBe("ホーム");
  }

  for (const width of WIDTHS) {
    describe(`at ${width}px`, () => {
      it("home: welcome, skip link first by keyboard, language switch", async () => {
        const { page, done } = await open(width);
        await page.goto(url());
        await checkPage(page, "home", width);
        expect(await page.locator("h1").textContent()).toBe("宮城県の産後ケア");
        await expect(page.locator("main a[href$='facilities']").count()).resolves.toBeGreaterThan(0);
        await expect(page.locator("main a[href$='sign-in']").count()).resolves.toBeGreaterThan(0);

        // Keyboard: the first Tab reaches the skip link, which moves focus to <main>.
        await page.keyboard.press("Tab");
        expect(await page.evaluate(() => document.activeElement?.className)).toContain("skip-link");
        await page.keyboard.press("Enter");
        expect(await page.evaluate(() => document.activeElement?.id)).toBe("main");
        expect(new URL(page.url()).pathname).toBe(new URL(hubUrl).pathname);

        // English, remembered across a reload, and <html lang> follows.
        await page.getByRole("button", { name: "Switch to English" }).click();
        expect(await page.evaluate(() => document.documentElement.lang)).toBe("en");
        await page.reload();
        await settled(page);
        expect(await page.locator("h1").textContent()).toBe("Postpartum care in Miyagi");
        await checkPage(page, "home-en", width);
        await page.getByRole("button", { name: "日本語に切り替える" }).click();
        expect(await page.evaluate(() => document.documentElement.lang)).toBe("ja");
        await done();
      }, 60_000);

      it("facilities: filter by service type, open a profile", async () => {
        const { page, done } = await open(width);
        await page.goto(url("facilities"));
        await checkPage(page, "facilities", width);

        await page.getByLabel("サービスの種類").selectOption("visit");
        await page.getByRole("button", { name: "検索する" }).click();
        await page.waitForURL(/serviceType=visit/);
        await settled(page);
        const cards = page.locator(".cards > li");
        await cards.first().waitFor();
        const count = await cards.count();
        expect(count).toBeGreaterThan(0);
        for (let i = 0; i < count; i++) {
          await expect(cards.nth(i).locator(".tags").textContent()).resolves.toContain("アウトリーチ型");
        }
        expect(await page.getByRole("status").first().textContent()).toMatch(/件/);
        await checkPage(page, "facilities-visit", width);

        // The profile: all the public fields, availability with its freshness, change history.
        const name = (await cards.first().locator("h3 a").textContent())?.trim() ?? "";
        await cards.first().locator("h3 a").click();
        await settled(page);
        expect(await page.locator("h1").textContent()).toBe(name);
        // After client-side navigation focus is on the new page's h1.
        await page.waitForFunction(() => document.activeElement?.tagName === "H1");
        await expect(page.locator("a[href^='tel:']").count()).resolves.toBeGreaterThan(0);
        await page.getByRole("heading", { name: /空き状況/ }).waitFor();
        await page.getByRole("heading", { name: "変更履歴" }).waitFor();
        const availability = page.locator("#availability-title + *, #availability-title ~ *");
        await expect(availability.first().textContent()).resolves.toMatch(/時点|登録されていません/);
        await checkPage(page, "facility-profile", width);
        await done();
      }, 60_000);

      it("sign-in page: both ways to sign in, every field labelled", async () => {
        const { page, done } = await open(width);
        await page.goto(url("sign-in"));
        await checkPage(page, "sign-in", width);
        await page.getByRole("heading", { name: "利用者の方" }).waitFor();
        await page.getByLabel("メールアドレスまたは携帯電話番号").waitFor();
        await page.getByLabel("メールアドレス", { exact: true }).waitFor();
        await page.getByLabel("パスワード", { exact: true }).waitFor();

        // A wrong password is reported, announced, and tied to the fields.
        await page.getByLabel("メールアドレス", { exact: true }).fill("facility@demo.example.jp");
        await page.getByLabel("パスワード", { exact: true }).fill("wrong-password");
        await page.locator("form:has(#staff-password) button[type=submit]").click();
        await page.locator("#staff-error[role=alert]").waitFor();
        expect(
          await page.getByLabel("パスワード", { exact: true }).getAttribute("aria-describedby"),
        ).toContain("staff-error");
        await checkPage(page, "sign-in-error", width);
        await done();
      }, 60_000);

      it("facility staff: sign in, open and save the own profile's edit page", async () => {
        const { page, done } = await open(width);
        await signInAsStaff(page, "facility@demo.example.jp");
        await checkPage(page, "home-facility", width);

        await page.getByRole("link", { name: "自施設のプロフィールを編集する" }).click();
        await settled(page);
        await page.waitForURL(/\/facilities\/[0-9a-f-]+\/edit$/);
        expect(await page.locator("h1").textContent()).toMatch(/の編集$/);
        await checkPage(page, "facility-edit", width);

        // A change is saved with the version being edited and announced.
        const access = page.getByLabel("アクセス");
        await access.fill(`最寄り駅から徒歩10分（ブラウザテスト ${width}px）`);
        await page.getByRole("button", { name: "保存する" }).click();
        await page.locator(".alert-success").waitFor({ timeout: 15_000 });
        expect(await page.locator(".alert-success").textContent()).toMatch(/保存しました/);
        await checkPage(page, "facility-edit-saved", width);
        await done();
      }, 90_000);

      it("prefecture: sign in and open the audit log", async () => {
        const { page, done } = await open(width);
        await signInAsStaff(page, "prefecture@demo.example.jp");
        await page.getByRole("link", { name: "監査ログ" }).first().click();
        await page.waitForURL(/\/audit$/);
        await settled(page);
        expect(await page.locator("h1").textContent()).toBe("監査ログ");
        await page
          .getByRole("status")
          .filter({ hasText: /件|ありません/ })
          .waitFor();
        await checkPage(page, "audit", width);
        await done();
      }, 90_000);
    });
  }

  it("runs under the hub's Content Security Policy", async () => {
    const { page, done } = await open(1280, { enforceCsp: true });
    await page.goto(url());
    await settled(page);
    await page.getByRole("link", { name: "施設をさがす" }).first().click();
    await settled(page);
    await page.locator(".cards > li h3 a").first().click();
    await settled(page);
    await page.getByRole("heading", { name: "変更履歴" }).waitFor();
    await page.goto(url("sign-in"));
    await settled(page);
    await done();
  }, 60_000);

  it("unknown pages get the not-found page", async () => {
    const { page, done } = await open(375);
    await page.goto(url("no-such-page"));
    await checkPage(page, "not-found", 375);
    expect(await page.locator("h1").textContent()).toBe("ページが見つかりません");
    await done();
  }, 60_000);
});
