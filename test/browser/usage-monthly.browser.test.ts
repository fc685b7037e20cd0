/**
 * Monthly confirmation of usage (確認・承認) in Chromium: 仙台市 staff open last month from the menu, see its
 * totals, the per-facility and item tables, the unredeemed warning and 未確認, confirm it with a note; a use
 * redeemed afterwards shows the difference and the month is confirmed again; the current month cannot be
 * confirmed yet. The prefecture reads the same month read-only, in English too. axe-core on every state.
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

const jaMonth = (month: string) => `${Number(month.slice(0, 4))}年${Number(month.slice(5, 7))}月`;

describe.skipIf(!hasChromium)("municipality staff: monthly usage confirmation", () => {
  let browser: Browser;
  let t: TestHub;
  const { url, open, signInAsStaff } = portalHelpers(() => ({ browser, hubUrl: t.url }));
  const LAST = tokyoMonth(-1);
  let residentId: string;
  let facilityId: string;

  async function use(d: number, status: "used" | "reported" | "confirmed" = "used") {
    await t.hub.prisma.booking.create({
      data: {
        residentId,
        facilityId,
        serviceType: "stay",
        startDate: day(LAST, d),
        endDate: day(LAST, d + 1),
        status,
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
    await use(3);
    await use(10, "reported");
    await use(20, "confirmed");
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  }, 60_000);

  it("confirms last month, sees a later change, confirms again; the current month waits", async () => {
    const { page, done } = await open(375);
    await signInAsStaff(page, "sendai@demo.example.jp");
    await openMenu(page);
    await page.getByRole("link", { name: "利用実績の確認", exact: true }).click();
    await page.waitForURL(/\/municipality\/usage$/);
    await settled(page);
    expect(await page.locator("h1").textContent()).toBe("利用実績の確認・承認");
    expect(await page.getByLabel("対象月", { exact: true }).inputValue()).toBe(LAST);
    // The month picker offers this month and the ones before it, newest first.
    const offered = await page
      .locator("#field-month option")
      .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(offered.slice(0, 2)).toEqual([tokyoMonth(0), LAST]);
    await page.getByRole("heading", { name: `仙台市　${jaMonth(LAST)}の利用実績` }).waitFor();

    const state = page.locator("#usage-state");
    await expect(state.textContent()).resolves.toContain("未確認");
    await expect(page.locator("#usage-unredeemed").textContent()).resolves.toContain("1件");
    const totals = (await page.locator("#usage-totals-list").textContent()) ?? "";
    expect(totals).toContain("2件");
    expect(totals).toContain("4回");
    expect(totals).toContain("¥128,000");
    expect(totals).toContain("¥12,000");
    expect(totals).toContain("¥116,000");
    expect(await page.locator("#usage-facilities tbody tr").count()).toBe(1);
    await expect(page.locator("#usage-facilities tfoot").textContent()).resolves.toContain("¥116,000");
    expect(await page.locator("#usage-items tbody tr").count()).toBe(2);
    await expect(page.locator("#usage-items caption").textContent()).resolves.toContain("2件");
    await checkPage(page, "usage-unconfirmed", 375);

    // Confirm with a note: the hub answers 200, the outcome is announced and focused, the state is shown.
    await page.getByLabel("メモ（任意）").fill("請求書と照合済み");
    const confirmed = page.waitForResponse((r) => r.url().includes(`api/usage/monthly/${LAST}/confirm`));
    await page.getByRole("button", { name: "確認・承認する", exact: true }).click();
    expect((await confirmed).status()).toBe(200);
    await page.getByRole("status").filter({ hasText: "確認・承認しました" }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("usage-messages");
    await expect(state.textContent()).resolves.toContain("確認済み");
    await expect(state.textContent()).resolves.toContain("請求書と照合済み");
    await page.locator("#usage-up-to-date").waitFor();
    expect(await page.getByRole("button", { name: "確認・承認する", exact: true }).count()).toBe(0);
    const row = await t.hub.prisma.usageConfirmation.findFirstOrThrow({ where: { month: LAST } });
    expect(row).toMatchObject({
      municipalityCode: "041009",
      uses: 2,
      fee: 128_000,
      note: "請求書と照合済み",
    });
    await checkPage(page, "usage-confirmed", 375);

    // A use of that month redeemed after confirming: the page shows the difference; confirming again.
    await use(25);
    await page.reload();
    await settled(page);
    await page.locator("#usage-differs").waitFor();
    await expect(page.locator("#usage-snapshot").textContent()).resolves.toContain("¥128,000");
    await expect(page.locator("#usage-totals-list").textContent()).resolves.toContain("¥192,000");
    await checkPage(page, "usage-differs", 375);
    const again = page.waitForResponse((r) => r.url().includes(`api/usage/monthly/${LAST}/confirm`));
    await page.getByRole("button", { name: "もう一度確認・承認する" }).click();
    expect((await again).status()).toBe(200);
    await page.getByRole("status").filter({ hasText: "確認・承認しました" }).waitFor();
    await page.locator("#usage-up-to-date").waitFor();
    expect(await page.locator("#usage-differs").count()).toBe(0);
    expect(await t.hub.prisma.usageConfirmation.count({ where: { month: LAST } })).toBe(1);

    // The current month: nothing to confirm yet.
    await page.getByLabel("対象月", { exact: true }).selectOption(tokyoMonth(0));
    await page.getByRole("button", { name: "表示する" }).click();
    await page.waitForURL(new RegExp(`month=${tokyoMonth(0)}`));
    await page.getByRole("heading", { name: `仙台市　${jaMonth(tokyoMonth(0))}の利用実績` }).waitFor();
    await page.locator("#usage-not-ended").waitFor();
    expect(await page.getByRole("button", { name: "確認・承認する", exact: true }).count()).toBe(0);
    await checkPage(page, "usage-not-ended", 375);

    // A month that is not one (typed into the address) is refused with an alert.
    await page.goto(url("municipality/usage?month=2026-13"));
    await settled(page);
    await page.locator("main [role=alert]").filter({ hasText: "年と月で指定してください" }).waitFor();
    await checkPage(page, "usage-bad-month", 375);
    await done();
  }, 120_000);

  it("prefecture: reads the confirmed month read-only, in Japanese and English", async () => {
    // Confirmed by the test above; on its own, this test records a confirmation first.
    const sendaiStaff = await t.hub.prisma.user.findUniqueOrThrow({
      where: { email: DEMO_USERS.municipality.own },
    });
    await t.hub.prisma.usageConfirmation.upsert({
      where: { municipalityCode_month: { municipalityCode: "041009", month: LAST } },
      update: {},
      create: {
        municipalityCode: "041009",
        month: LAST,
        uses: 3,
        units: 6,
        fee: 192_000,
        residentCopay: 18_000,
        municipalityShare: 174_000,
        confirmedBy: sendaiStaff.id,
      },
    });
    const { page, done } = await open(1280);
    await signInAsStaff(page, "prefecture@demo.example.jp");
    await page.getByRole("link", { name: "利用実績の確認", exact: true }).click();
    await page.waitForURL(/\/municipality\/usage$/);
    await settled(page);
    await page.getByText("市町村を選んで「表示する」を押してください。").waitFor();
    await checkPage(page, "usage-prefecture", 1280);
    await page.getByRole("combobox", { name: "市町村" }).selectOption("041009");
    await page.getByRole("button", { name: "表示する" }).click();
    await page.waitForURL(/municipality=041009/);
    await page.getByRole("heading", { name: `仙台市　${jaMonth(LAST)}の利用実績` }).waitFor();
    await expect(page.locator("#usage-state").textContent()).resolves.toContain("確認済み");
    await page.locator("#usage-read-only").waitFor();
    expect(await page.locator("form textarea").count()).toBe(0);
    await checkPage(page, "usage-prefecture-sendai", 1280);

    await page.getByRole("button", { name: "Switch to English" }).click();
    await page.getByRole("heading", { level: 1, name: "Monthly usage confirmation" }).waitFor();
    await expect(page.locator("#usage-state").textContent()).resolves.toContain("Confirmed");
    await checkPage(page, "usage-prefecture-en", 1280);
    await done();
  }, 90_000);

  it("is not for facility staff", async () => {
    const { page, done } = await open(375);
    await signInAsStaff(page, DEMO_USERS.facility.own);
    expect(await page.getByRole("link", { name: "利用実績の確認", exact: true }).count()).toBe(0);
    await page.goto(url(`municipality/usage?month=${LAST}`));
    await settled(page);
    await page.locator("main [role=alert]").filter({ hasText: "権限がありません" }).waitFor();
    await checkPage(page, "usage-forbidden", 375);
    await done();
  }, 90_000);
});
