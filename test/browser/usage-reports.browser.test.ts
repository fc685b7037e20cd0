/**
 * Usage reports (実績報告) in Chromium: the facility opens 実績報告 from the menu, sees last month's use with the
 * known details and the copay prefilled, submits a report (an error first: no care chosen), sees it 報告済み;
 * 仙台市 staff confirm it, after which the facility sees 確認済み and no form. At 375 and 1280 px, axe-core on
 * every state.
 *
 * Always starts its own hub; needs `npm run build` first.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { monthDay as day, tokyoMonth } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { DEMO_USERS } from "../support/sessions.js";
import {
  checkPage,
  hasChromium,
  launchBrowser,
  openMenu,
  portalHelpers,
  requirePortalBuild,
  settled,
} from "./support.js";

describe.skipIf(!hasChromium)("usage reports: facility reports, municipality confirms", () => {
  let browser: Browser;
  let t: TestHub;
  const { open, signInAsStaff } = portalHelpers(() => ({ browser, hubUrl: t.url }));
  const LAST = tokyoMonth(-1);
  let residentId: string;
  let facilityId: string;

  async function use(d: number) {
    return t.hub.prisma.booking.create({
      data: {
        residentId,
        facilityId,
        serviceType: "stay",
        startDate: day(LAST, d),
        endDate: day(LAST, d + 1),
        status: "used",
        source: "staff",
        units: 2,
        fee: 64_000,
        residentCopay: 6_000,
        municipalityShare: 58_000,
      },
    });
  }

  beforeAll(async () => {
    requirePortalBuild();
    t = await startTestHub({ seed: "demo", residents: 20 });
    browser = await launchBrowser();
    const p = t.hub.prisma;
    const facility = await p.user.findUniqueOrThrow({ where: { email: DEMO_USERS.facility.own } });
    const resident = await p.user.findUniqueOrThrow({ where: { email: DEMO_USERS.resident.own } });
    facilityId = facility.facilityId as string;
    residentId = resident.residentId as string;
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  }, 60_000);

  for (const width of [375, 1280] as const) {
    it(`at ${width} px: a prefilled report is submitted, then confirmed`, async () => {
      const booking = await use(width === 375 ? 3 : 4);
      const card = `#report-${booking.id}`;
      const { page, done } = await open(width);
      await signInAsStaff(page, DEMO_USERS.facility.own);
      await openMenu(page);
      await page.getByRole("link", { name: "実績報告", exact: true }).click();
      await page.waitForURL(/\/facility\/reports/);
      await settled(page);
      expect(await page.locator("h1").textContent()).toBe("実績報告");
      expect(await page.getByLabel("対象月", { exact: true }).inputValue()).toBe(LAST);
      await page.locator(card).waitFor();
      const text = (await page.locator(card).textContent()) ?? "";
      expect(text).toContain("要報告");
      expect(text).toContain("¥6,000");
      expect(text).toContain("2回");
      await expect(page.locator("#reports-summary").textContent()).resolves.toContain("提出期限");
      // The copay collected is prefilled with the policy's copay.
      expect(await page.locator(`#field-copayCollected-${booking.id}`).inputValue()).toBe("6000");
      await checkPage(page, `reports-due-${width}`, width);

      // No care chosen: the error is shown, tied to the fieldset, and focus goes to the first checkbox.
      await page.locator(card).getByRole("button", { name: "報告する" }).click();
      await page.locator(`#care-${booking.id}-error`).waitFor();
      expect(await page.locator(`#care-${booking.id}`).getAttribute("aria-describedby")).toBe(
        `care-${booking.id}-error`,
      );
      expect(await page.evaluate(() => (document.activeElement as HTMLInputElement)?.name)).toBe("care");
      await checkPage(page, `reports-error-${width}`, width);

      const group = page.locator(card).getByRole("group", { name: "提供したケア（1つ以上）" });
      await group.getByLabel("乳房ケア").check();
      await group.getByLabel("授乳指導").check();
      await page.locator(card).getByLabel("乳児の様子（任意）").fill("体重増加良好");
      const saved = page.waitForResponse((r) => r.url().includes(`api/bookings/${booking.id}/usage-report`));
      await page.locator(card).getByRole("button", { name: "報告する" }).click();
      expect((await saved).status()).toBe(200);
      await page.getByRole("status").filter({ hasText: "実績報告を送信しました" }).waitFor();
      await expect(page.locator(`#report-state-${booking.id}`).textContent()).resolves.toBe("報告済み");
      expect(await page.evaluate(() => document.activeElement?.id)).toBe("reports-messages");
      const row = await t.hub.prisma.booking.findUniqueOrThrow({
        where: { id: booking.id },
        include: { usageReport: true },
      });
      expect(row.status).toBe("reported");
      expect(row.usageReport).toMatchObject({
        care: ["breast_care", "feeding"],
        infantCondition: "体重増加良好",
        copayCollected: 6000,
      });
      await checkPage(page, `reports-submitted-${width}`, width);
      await done();

      // 仙台市 confirms it.
      const m = await open(width);
      await signInAsStaff(m.page, DEMO_USERS.municipality.own);
      await openMenu(m.page);
      await m.page.getByRole("link", { name: "実績報告の確認", exact: true }).click();
      await m.page.waitForURL(/\/municipality\/reports/);
      await settled(m.page);
      expect(await m.page.locator("h1").textContent()).toBe("実績報告の確認");
      await m.page.locator(card).waitFor();
      await expect(m.page.locator(card).textContent()).resolves.toContain("乳房ケア、授乳指導");
      await checkPage(m.page, `reports-municipality-${width}`, width);
      const confirmed = m.page.waitForResponse((r) => r.url().includes("api/usage-reports/confirm"));
      await m.page
        .locator(card)
        .getByRole("button", { name: /の報告を確認する$/ })
        .click();
      expect((await confirmed).status()).toBe(200);
      await m.page.getByRole("status").filter({ hasText: "1件の実績報告を確認しました" }).waitFor();
      await expect(m.page.locator(`#report-state-${booking.id}`).textContent()).resolves.toBe("確認済み");
      await checkPage(m.page, `reports-confirmed-${width}`, width);
      await m.done();
    }, 120_000);
  }
});
