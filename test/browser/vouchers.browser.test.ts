/**
 * Vouchers (電子利用券) in Chromium. The resident (resident@demo.example.jp, with an active 仙台市 voucher in
 * the demo seed) sees the number, what is left per service type and a QR code that loads, at 375 px; 仙台市
 * staff open a resident without a voucher from the residents list, issue one (a second try is refused
 * with 409 active_voucher_exists, shown), then revoke it with a reason. axe-core on every state at phone
 * and desktop widths, nothing fetched from another host.
 *
 * Signs in by putting a fresh session cookie in the browser context. Always starts its own hub; needs
 * `npm run build` first.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, SESSION_COOKIE } from "../../hub/identity/sessions.js";
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
const STAFF = "sendai@demo.example.jp";
const SENDAI = "041009";
const NUMBER = /^[0-9]{5}-[0-9]{7}-[0-9]$/;

describe.skipIf(!hasChromium)(
  "vouchers: the resident's cards and municipality staff issuing and revoking",
  () => {
    let browser: Browser;
    let t: TestHub;
    const { url, open } = portalHelpers(() => ({ browser, hubUrl: t.url }));

    beforeAll(async () => {
      requirePortalBuild();
      t = await startTestHub({ seed: "demo", residents: 20 });
      browser = await launchBrowser();
    }, 180_000);

    afterAll(async () => {
      await browser?.close();
      await t?.close();
    }, 60_000);

    /** Signs the page's context in as the user (a verified session, as after the full sign-in). */
    async function signInAs(page: Page, email: string) {
      const user = await t.hub.prisma.user.findUniqueOrThrow({ where: { email } });
      const token = await createSession(
        t.hub.prisma,
        { id: user.id },
        { verified: true, ip: "127.0.0.1", hours: 1, now: new Date() },
      );
      await page.context().addCookies([{ name: SESSION_COOKIE, value: token, url: t.url }]);
    }

    for (const width of FLOW_WIDTHS) {
      it(`at ${width}px: the resident's voucher with its balances and QR code`, async () => {
        const { page, done } = await open(width);
        await signInAs(page, RESIDENT);
        await page.goto(url(""));
        await settled(page);
        await page.getByRole("link", { name: "利用券を見る" }).click();
        await page.waitForURL(/\/my\/vouchers$/);
        await settled(page);
        expect(await page.locator("h1").textContent()).toBe("利用券");

        const card = page.locator("article.voucher").first();
        await card.waitFor();
        const number = ((await card.locator(".voucher-number").textContent()) ?? "").trim();
        expect(number).toMatch(NUMBER);
        expect(await card.locator(".voucher-number").isVisible()).toBe(true);
        const text = (await card.textContent()) ?? "";
        expect(text).toContain("有効");
        expect(text).toContain("宿泊型");
        expect(text).toMatch(/残り [0-9]+ \/ [0-9]+回/);
        expect(text).toMatch(/予約中 [0-9]+回・利用済み [0-9]+回/);
        // The stay balance in 仙台市's own count (days), as on the booking page; day care stays in 回.
        const stay = card.locator(".balances li").filter({ hasText: "宿泊型" });
        expect(await stay.textContent()).toMatch(
          /残り [0-9]+ \/ [0-9]+日分\s*予約中 [0-9]+日分・利用済み [0-9]+日分/,
        );
        expect(text).toContain("宿泊を日数で数えます。1泊2日は2日分です。");

        const qr = card.getByRole("img", { name: `利用券 ${number} のQRコード` });
        await qr.scrollIntoViewIfNeeded();
        expect(await qr.isVisible()).toBe(true);
        await page.waitForFunction(
          (el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0,
          await qr.elementHandle(),
          { timeout: 15_000 },
        );
        expect(await card.getByRole("button", { name: "この利用券を印刷する" }).isVisible()).toBe(true);
        await checkPageAtWidths(page, "my-vouchers");
        await done();
      }, 90_000);

      it(`at ${width}px: staff issue a voucher to a resident, are told of a duplicate, then revoke it`, async () => {
        // The demo gives every resident a voucher: register one without, with a month-old baby.
        const resident = await t.hub.prisma.resident.create({
          data: {
            municipalityCode: SENDAI,
            familyName: `発行${width}`,
            givenName: "花子",
            kana: "はっこう はなこ",
            children: { create: { birthDate: new Date(Date.now() - 30 * 86_400_000) } },
          },
        });
        const name = `${resident.familyName} ${resident.givenName}`;
        const { page, done } = await open(width);
        await signInAs(page, STAFF);
        await page.goto(url("residents"));
        await settled(page);
        await page.getByLabel("氏名・ふりがなで検索").fill(resident.familyName);
        await page.getByRole("button", { name: "検索する" }).click();
        await page.getByRole("link", { name, exact: true }).first().click();
        await page.waitForURL(new RegExp(`/residents/${resident.id}$`));
        await settled(page);
        expect(await page.locator("h1").textContent()).toBe(name);
        await page.getByText("利用券はありません。").waitFor();
        await checkPageAtWidths(page, "resident-detail");

        await page.getByRole("button", { name: "利用券を発行する" }).click();
        const card = page.locator("article.voucher").first();
        await card.waitFor();
        await expect(
          page
            .getByRole("status")
            .filter({ hasText: /を発行しました/ })
            .textContent(),
        ).resolves.toMatch(/利用券 [0-9-]+ を発行しました。/);
        const number = ((await card.locator(".voucher-number").textContent()) ?? "").trim();
        expect(number).toMatch(NUMBER);
        expect(await card.locator(".voucher-status").textContent()).toBe("有効");
        await checkPageAtWidths(page, "resident-voucher-issued");

        // A second voucher for the same child: the hub's 409 is shown as an alert.
        await page.getByRole("button", { name: "利用券を発行する" }).click();
        const alert = page.locator("section[aria-labelledby=resident-vouchers] [role=alert]");
        await alert.waitFor();
        expect(await alert.textContent()).toContain("すでに有効な利用券があります");
        await checkPageAtWidths(page, "resident-voucher-conflict");

        // Revoking asks for a reason first.
        await card.getByRole("button", { name: `利用券 ${number} を無効にする` }).click();
        const reason = card.getByLabel("理由（必須）");
        await reason.waitFor();
        await card.locator("form").getByRole("button", { name: "無効にする", exact: true }).click();
        await card.getByText("理由を入力してください。").waitFor();
        expect(await reason.getAttribute("aria-invalid")).toBe("true");
        await checkPageAtWidths(page, "resident-voucher-revoke-form");
        await reason.fill("転出のため");
        await card.locator("form").getByRole("button", { name: "無効にする", exact: true }).click();
        await page
          .getByRole("status")
          .filter({ hasText: `利用券 ${number} を無効にしました。` })
          .waitFor();
        await expect(card.locator(".voucher-status").textContent()).resolves.toBe("無効");
        expect(await card.textContent()).toContain("転出のため");
        await checkPageAtWidths(page, "resident-voucher-revoked");
        await done();
      }, 90_000);
    }
  },
);
