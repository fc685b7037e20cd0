/**
 * Municipality staff create a policy version in Chromium (仙台市, sendai@demo.example.jp): the form is prefilled
 * from the version in force, the cancellation cut-off's kind included; 「影響を確認」 lists the changes; a copay above the fee is refused with the error next
 * to its input and in the summary; 「作成する」 adds the version, listed as 適用予定. axe-core on every state at
 * phone and desktop widths. The prefecture (read-only) gets no form.
 *
 * Always starts its own hub; needs `npm run build` first.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestHub, type TestHub } from "../support/hub.js";
import {
  checkPage,
  hasChromium,
  launchBrowser,
  portalHelpers,
  requirePortalBuild,
  settled,
  WIDTHS,
} from "./support.js";

const yen = (n: number) => `¥${n.toLocaleString("en-US")}`;

describe.skipIf(!hasChromium)("municipality staff: a new policy version", () => {
  let browser: Browser;
  let t: TestHub;
  const { url, open, signInAsStaff } = portalHelpers(() => ({ browser, hubUrl: t.url }));

  beforeAll(async () => {
    requirePortalBuild();
    t = await startTestHub({ seed: "demo", residents: 20 });
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  }, 60_000);

  WIDTHS.forEach((width, i) => {
    it(`at ${width}px: preview, a field error, then 作成する → 適用予定`, async () => {
      const { page, done } = await open(width);
      await signInAsStaff(page, "sendai@demo.example.jp");
      await page.goto(url("municipality/policies"));
      await settled(page);
      await page.locator("#policy-versions tbody tr").first().waitFor();
      const before = await page.locator("#policy-versions tbody tr").count();

      await page.getByRole("button", { name: "新しい版を作成" }).click();
      const form = page.getByRole("form", { name: "新しい版の作成" });
      await form.waitFor();
      const fee = page.locator("#policy-services-stay-unitFee");
      // Prefilled from the version in force (第1版: ¥32,000, 一般 ¥3,000, 7回).
      expect(await fee.inputValue()).toBe("32000");
      expect(await page.getByLabel("利用者負担（一般）").first().inputValue()).toBe("3000");
      expect(await page.locator("#policy-services-stay-maxUnits").inputValue()).toBe("7");
      const date = await page.getByLabel("適用開始日").inputValue();
      expect(date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      if (i === 0) expect(date).toMatch(/-01$/);
      // The cut-off's kind, pre-selected as the version in force states it (仙台市: the calendar day before, the
      // day before that when the facility is closed).
      const calendarDay = page.getByLabel("前日（土日・祝日も数える。仕様書の「前日10時」）");
      const businessDay = page.getByLabel("前の営業日（土日・祝日は数えない）");
      const closures = page.getByLabel("施設の休業日は数えない（休業日の前の日に繰り上げる）");
      expect(await calendarDay.isChecked()).toBe(true);
      expect(await businessDay.isChecked()).toBe(false);
      expect(await closures.isChecked()).toBe(true);
      await checkPage(page, "policy-create", width);
      // At desktop width the new version counts business days, closures not moving it (chosen by keyboard).
      if (i === 1) {
        await businessDay.focus();
        await page.keyboard.press("Space");
        await closures.focus();
        await page.keyboard.press("Space");
        expect(await businessDay.isChecked()).toBe(true);
        expect(await closures.isChecked()).toBe(false);
      }

      // The stay fee changes: the preview lists it, before → after, in yen.
      const newFee = 33_000 + i * 1_000;
      await fee.fill(String(newFee));
      const previewed = page.waitForResponse((r) => r.url().includes("/policies/preview"));
      await page.getByRole("button", { name: "影響を確認" }).click();
      expect((await previewed).status()).toBe(200);
      await page.locator("#policy-changes").waitFor();
      await expect(page.locator("#policy-affected").textContent()).resolves.toMatch(
        /影響を受ける住民：\d+人/,
      );
      const change = page.locator("#policy-changes tbody tr").filter({ hasText: "宿泊型 1回あたりの委託料" });
      await expect(change.textContent()).resolves.toContain(`→ ${yen(newFee)}`);
      expect(await page.locator("#policy-changes tbody tr").count()).toBe(1);
      await checkPage(page, "policy-preview", width);

      // A copay above the fee: 422, the message next to the input and in the summary.
      const copay = page.locator("#policy-services-stay-copayPerUnit-general");
      await copay.fill(String(newFee + 1_000));
      const refused = page.waitForResponse(
        (r) => r.url().endsWith("/policies") && r.request().method() === "POST",
      );
      await page.getByRole("button", { name: "作成する" }).click();
      expect((await refused).status()).toBe(422);
      const summary = page.locator("#policy-create-error[role=alert]");
      await summary.waitFor();
      await expect(summary.textContent()).resolves.toContain(
        "宿泊型 利用者負担（一般）：委託料以下の金額にしてください。",
      );
      const fieldError = page.locator("#policy-services-stay-copayPerUnit-general-error");
      await expect(fieldError.textContent()).resolves.toBe("委託料以下の金額にしてください。");
      expect(await copay.getAttribute("aria-invalid")).toBe("true");
      expect(await copay.getAttribute("aria-describedby")).toContain(
        "policy-services-stay-copayPerUnit-general-error",
      );
      await checkPage(page, "policy-invalid", width);
      // The summary's link takes the keyboard to the field.
      await summary.getByRole("link").first().click();
      expect(await page.evaluate(() => document.activeElement?.id)).toBe(
        "policy-services-stay-copayPerUnit-general",
      );

      // Fixed, then created: the new version is listed as 適用予定.
      await copay.fill("3000");
      const createdRes = page.waitForResponse(
        (r) => r.url().endsWith("/policies") && r.request().method() === "POST",
      );
      await page.getByRole("button", { name: "作成する" }).click();
      expect((await createdRes).status()).toBe(201);
      await page.getByRole("status").filter({ hasText: "を作成しました" }).waitFor();
      const version = before + 1;
      const row = page.locator("#policy-versions tbody tr").filter({ hasText: `第${version}版` });
      await row.waitFor();
      await expect(row.textContent()).resolves.toContain("適用予定");
      expect(await page.locator("#policy-versions tbody tr").count()).toBe(before + 1);
      const stored = await t.hub.prisma.policyVersion.findFirst({
        where: { municipalityCode: "041009", version },
      });
      const rules = stored?.rules as
        | { services: { stay: { unitFee: number } }; cancellation: { cutoff: unknown } }
        | undefined;
      expect(rules?.services.stay.unitFee).toBe(newFee);
      expect(rules?.cancellation.cutoff).toEqual({
        businessDaysBefore: 1,
        time: "10:00",
        ...(i === 1 ? { days: "business", closuresMove: false } : { days: "calendar", closuresMove: true }),
      });
      await checkPage(page, "policy-created", width);
      await done();
    }, 120_000);
  });

  it("the form and its preview fit 320 px", async () => {
    const { page, done } = await open(320);
    await signInAsStaff(page, "sendai@demo.example.jp");
    await page.goto(url("municipality/policies"));
    await settled(page);
    await page.getByRole("button", { name: "新しい版を作成" }).click();
    await page.locator("#policy-services-stay-unitFee").fill("36000");
    await page.getByRole("button", { name: "影響を確認" }).click();
    await page.locator("#policy-changes").waitFor();
    await checkPage(page, "policy-preview-320", 320);
    await done();
  }, 60_000);

  it("prefecture: reads the policies but gets no form", async () => {
    const { page, done } = await open(320);
    await signInAsStaff(page, "prefecture@demo.example.jp");
    await page.goto(url("municipality/policies?municipality=041009"));
    await settled(page);
    await page.locator("#policy-versions tbody tr").first().waitFor();
    expect(await page.getByRole("button", { name: "新しい版を作成" }).count()).toBe(0);
    await done();
  }, 60_000);
});
