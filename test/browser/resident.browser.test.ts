/**
 * A resident signs in with a one-time code read from the demo mailbox (DEMO_MAILBOX=true), in Chromium at
 * phone and desktop widths, with axe-core on every page visited and no request to another host; and the
 * mailbox page says it is demo-only on a hub without the mailbox.
 *
 * Always starts its own hubs (it delivers the outbox itself, which needs the hub's database); needs
 * `npm run build` first.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dispatchOutbox } from "../../hub/notify/outbox.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import {
  checkPageAtWidths,
  FLOW_WIDTHS,
  hasChromium,
  launchBrowser,
  portalHelpers,
  requirePortalBuild,
  settled,
} from "./support.js";

const RESIDENT = "resident@demo.example.jp";
const MAILBOX_LINK = "デモ：届いたコードはメールボックスで確認できます";
const codeIn = (body: string | null) => /(?<![0-9])([0-9]{6})(?![0-9])/.exec(body ?? "")?.[1] ?? "";

/** Opens the sign-in page and waits for the hub's answer to the mailbox probe (GET api/mailbox?limit=1). */
async function openSignIn(page: Page, href: string) {
  const probe = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith("/api/mailbox"));
  await page.goto(href);
  await settled(page);
  return (await probe).status();
}

describe.skipIf(!hasChromium)("resident sign-in with the demo mailbox", () => {
  let browser: Browser;
  let t: TestHub;
  const { url, open } = portalHelpers(() => ({ browser, hubUrl: t.url }));

  beforeAll(async () => {
    requirePortalBuild();
    t = await startTestHub({ seed: "demo", residents: 20, env: { DEMO_MAILBOX: "true" } });
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  }, 60_000);

  for (const width of FLOW_WIDTHS) {
    it(`at ${width}px: request a code, read it in the mailbox, sign in`, async () => {
      const account = await t.hub.prisma.user.findUniqueOrThrow({ where: { email: RESIDENT } });
      const { page, done } = await open(width);

      // A page that needs signing in links to the sign-in page, which comes back to it afterwards.
      await page.goto(url("my/vouchers"));
      await settled(page);
      const probe = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith("/api/mailbox"));
      await page.locator("main").getByRole("link", { name: "ログイン" }).click();
      await page.waitForURL(/\/sign-in\?next=%2Fmy%2Fvouchers$/);
      await settled(page);
      // The resident part of the sign-in page links to the mailbox once the probe says it is on.
      expect((await probe).status()).toBe(200);
      const resident = page.locator("section[aria-labelledby=resident-title]");
      await resident.getByRole("link", { name: MAILBOX_LINK }).waitFor();
      await checkPageAtWidths(page, "resident-sign-in");

      await resident.getByLabel("メールアドレスまたは携帯電話番号").fill(RESIDENT);
      await resident.getByRole("button", { name: "確認コードを送る" }).click();
      await resident.getByLabel("確認コード（6桁）").waitFor();
      expect(await resident.getByRole("status").textContent()).toMatch(/確認コードを送りました/);
      await checkPageAtWidths(page, "resident-code-sent");

      // The job workers are off in tests: deliver the outbox to the mailbox here.
      const { sent } = await dispatchOutbox(t.hub.prisma, t.hub.transport);
      expect(sent).toBeGreaterThan(0);

      await resident.getByRole("link", { name: MAILBOX_LINK }).click();
      await page.waitForURL(/\/mailbox$/);
      await settled(page);
      expect(await page.locator("h1").textContent()).toBe("デモ用メールボックス");
      await page.waitForFunction(() => document.activeElement?.tagName === "H1");
      const newest = page.locator("ol.messages > li").first();
      await newest.waitFor();
      await expect(newest.locator("dd").allTextContents()).resolves.toEqual(
        expect.arrayContaining(["メール", RESIDENT]),
      );
      await expect(newest.locator("time").getAttribute("datetime")).resolves.toMatch(/^\d{4}-\d{2}-\d{2}T/);
      const body = newest.locator("pre.message-body");
      expect(await body.evaluate((el) => getComputedStyle(el).whiteSpace)).toBe("pre-wrap");
      const code = codeIn(await body.textContent());
      expect(code).toMatch(/^\d{6}$/);
      await checkPageAtWidths(page, "mailbox");

      // The filter by recipient keeps the resident's messages.
      await page.getByLabel("宛先で絞り込む").fill(RESIDENT);
      await page.getByRole("button", { name: "絞り込む" }).click();
      await page.waitForURL(/\/mailbox\?to=/);
      await settled(page);
      await expect(page.locator("ol.messages > li").count()).resolves.toBeGreaterThan(0);
      for (const to of await page.locator("ol.messages dl > div:nth-child(2) dd").allTextContents()) {
        expect(to).toBe(RESIDENT);
      }
      await checkPageAtWidths(page, "mailbox-filtered");

      // Back to sign-in: the code step is still there, for the same destination.
      await page.goBack();
      await page.goBack();
      await page.waitForURL(/\/sign-in\?next=/);
      await settled(page);
      const codeField = resident.getByLabel("確認コード（6桁）");
      await codeField.waitFor();
      await expect(resident.locator(".meta").textContent()).resolves.toBe(RESIDENT);
      await checkPageAtWidths(page, "resident-code-step");

      await codeField.fill(code);
      await resident.getByRole("button", { name: "ログインする" }).click();
      await page.waitForURL(/\/my\/vouchers$/, { timeout: 15_000 });
      await settled(page);
      expect(await page.locator("h1").textContent()).toBe("利用券");
      await page.goto(url(""));
      await settled(page);
      expect(await page.locator("h1").textContent()).toBe("ホーム");
      await expect(page.locator("dl.identity").textContent()).resolves.toContain(account.displayName);
      // Her home names where she lives, not a role and organisation (権限 / 所属).
      const identity = (await page.locator("dl.identity").textContent()) ?? "";
      expect(identity).toContain("お住まいの市町村");
      expect(identity).not.toMatch(/権限|所属/);
      await checkPageAtWidths(page, "resident-home");
      await done();
    }, 90_000);
  }
});

describe.skipIf(!hasChromium)("the mailbox without DEMO_MAILBOX", () => {
  let browser: Browser;
  let t: TestHub;
  const { url, open } = portalHelpers(() => ({ browser, hubUrl: t.url }));

  beforeAll(async () => {
    requirePortalBuild();
    t = await startTestHub({ seed: "none" });
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  }, 60_000);

  for (const width of FLOW_WIDTHS) {
    it(`at ${width}px: /mailbox says it is demo-only, sign-in has no link to it`, async () => {
      const { page, done } = await open(width);
      await page.goto(url("mailbox"));
      await checkPageAtWidths(page, "mailbox-off");
      expect(await page.locator("h1").textContent()).toBe("デモ用メールボックス");
      await expect(page.locator("main .alert").textContent()).resolves.toContain(
        "メールボックスはデモ環境でのみ利用できます。",
      );
      await expect(page.locator("main form, main ol.messages").count()).resolves.toBe(0);

      expect(await openSignIn(page, url("sign-in"))).toBe(404);
      await expect(page.getByRole("link", { name: MAILBOX_LINK }).count()).resolves.toBe(0);
      await done();
    }, 60_000);
  }
});
