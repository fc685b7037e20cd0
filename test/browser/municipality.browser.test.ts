/**
 * Municipality staff in Chromium (仙台市, sendai@demo.example.jp): the policy versions (利用条件) with their
 * amounts in yen, and the residents import — a file with errors gets the line-numbered table and cannot be
 * applied; a clean file is checked (dry run), then imported. axe-core on every state at phone and desktop
 * widths, nothing fetched from another host. The prefecture reads any municipality's policies.
 *
 * Always starts its own hub; needs `npm run build` first.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoResidentsCsv } from "../../fixtures/import/residents-csv.js";
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

const FIXTURES = fileURLToPath(new URL("../../fixtures/import/", import.meta.url));
const WITH_ERRORS = path.join(FIXTURES, "residents-with-errors.csv");
/** 5 仙台市 (041009) residents, 宛名番号 200001–200005, UTF-8 with BOM. */
const UTF8_BOM = path.join(FIXTURES, "residents-utf8-bom.csv");

describe.skipIf(!hasChromium)("municipality staff: policies and residents import", () => {
  let browser: Browser;
  let t: TestHub;
  let tmp: string;
  const { url, open, signInAsStaff } = portalHelpers(() => ({ browser, hubUrl: t.url }));

  beforeAll(async () => {
    requirePortalBuild();
    tmp = mkdtempSync(path.join(tmpdir(), "portal-import-"));
    t = await startTestHub({ seed: "demo", residents: 20 });
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  async function signIn(page: Page, email: string) {
    await signInAsStaff(page, email);
    expect(await page.locator("h1").textContent()).toBe("ホーム");
  }

  /** Chooses a file, checks it (dry run) and waits for the hub's answer. */
  async function check(page: Page, file: string) {
    await page.getByLabel("取り込むファイル").setInputFiles(file);
    const answer = page.waitForResponse((r) => r.url().includes("api/imports/residents?dryRun=true"));
    await page.getByRole("button", { name: "内容を確認する" }).click();
    return (await answer).status();
  }

  for (const width of WIDTHS) {
    describe(`at ${width}px`, () => {
      it("policies: 仙台市's version with the amounts in yen", async () => {
        const { page, done } = await open(width);
        await signIn(page, "sendai@demo.example.jp");
        await page.getByRole("link", { name: "利用条件（料金・回数）" }).click();
        await page.waitForURL(/\/municipality\/policies$/);
        await settled(page);
        expect(await page.locator("h1").textContent()).toBe("利用条件");
        await page.getByRole("heading", { name: "仙台市の利用条件" }).waitFor();

        const versions = page.locator("#policy-versions tbody tr");
        await versions.first().waitFor();
        await expect(versions.first().textContent()).resolves.toMatch(/第1版.*2025.*適用中/);

        const detail = page.locator("section.policy-detail");
        await detail.getByRole("heading", { name: /第1版の内容/ }).waitFor();
        const stay = detail.locator("section[aria-labelledby=policy-stay]");
        await expect(stay.getByRole("heading").textContent()).resolves.toBe("宿泊型");
        const stayText = (await stay.textContent()) ?? "";
        expect(stayText).toContain("¥32,000");
        expect(stayText).toContain("一般：¥3,000");
        expect(stayText).toContain("住民税非課税：¥1,000");
        expect(stayText).toContain("生活保護：¥0");
        expect(stayText).toContain("7回まで");
        expect(stayText).toContain("1泊2日は2回");
        expect(stayText).toContain("生後4か月未満");
        await expect(detail.locator("section[aria-labelledby=policy-day]").textContent()).resolves.toMatch(
          /デイサービス型.*¥[0-9,]+/,
        );
        // 仙台市 offers no home visits in the demo policy.
        await expect(
          detail.locator("section[aria-labelledby=policy-visit]").textContent(),
        ).resolves.toContain("提供していません");
        await checkPage(page, "policies", width);
        await done();
      }, 90_000);

      it("import: errors by line block the import; a clean file is checked, then imported", async () => {
        const { page, done } = await open(width);
        await signIn(page, "sendai@demo.example.jp");
        await page.getByRole("link", { name: "住民データの取り込み" }).click();
        await page.waitForURL(/\/municipality\/import$/);
        await settled(page);
        expect(await page.locator("h1").textContent()).toBe("住民データの取り込み");
        const apply = page.getByRole("button", { name: "取り込む", exact: true });
        expect(await apply.isDisabled()).toBe(true);
        await checkPage(page, "import", width);

        // Checking without a file: the field says so, announced and tied to it.
        await page.getByRole("button", { name: "内容を確認する" }).click();
        await page.locator("#field-file-error[role=alert]").waitFor();
        expect(await page.getByLabel("取り込むファイル").getAttribute("aria-describedby")).toContain(
          "field-file-error",
        );

        // A file with errors: 422, an alert, and the table of errors by line; nothing can be applied.
        expect(await check(page, WITH_ERRORS)).toBe(422);
        await page.locator("#import-error[role=alert]").waitFor();
        const rows = page.locator("#import-errors tbody tr");
        await rows.first().waitFor();
        const lines = await page.locator("#import-errors tbody th").allTextContents();
        for (const line of ["3", "4", "5", "6", "7", "8", "9", "10", "11", "12"])
          expect(lines).toContain(line);
        expect(lines).not.toContain("2");
        await expect(page.locator("#import-errors thead").textContent()).resolves.toMatch(/行.*列.*内容/);
        expect(await page.getByLabel("取り込むファイル").getAttribute("aria-describedby")).toContain(
          "import-error",
        );
        expect(await apply.isDisabled()).toBe(true);
        await checkPage(page, "import-errors", width);

        // A clean file of 仙台市 residents (new 宛名番号 at each width, so each import creates them).
        let file = UTF8_BOM;
        let expected = 5;
        if (width !== WIDTHS[0]) {
          file = path.join(tmp, `sendai-${width}.csv`);
          expected = 3;
          writeFileSync(
            file,
            demoResidentsCsv("041009", expected, {
              externalIdStart: 300001 + width * 10,
              emailPrefix: `portal${width}-`,
              seed: width,
            }),
          );
        }
        expect(await check(page, file)).toBe(200);
        await page.getByRole("status").filter({ hasText: "誤りはありません" }).waitFor();
        expect(await page.locator("#import-errors").count()).toBe(0);
        await expect(page.locator("#import-rows").textContent()).resolves.toBe(String(expected));
        await expect(page.locator("#import-created").textContent()).resolves.toBe(String(expected));
        expect(await apply.isDisabled()).toBe(false);
        await checkPage(page, "import-checked", width);

        const applied = page.waitForResponse((r) => r.url().includes("api/imports/residents?dryRun=false"));
        await apply.click();
        expect((await applied).status()).toBe(200);
        await page.getByRole("status").filter({ hasText: "取り込みました" }).waitFor();
        await expect(
          page.getByRole("status").filter({ hasText: "取り込みました" }).textContent(),
        ).resolves.toContain(`新規 ${expected}件`);
        await expect(page.locator("#import-created").textContent()).resolves.toBe(String(expected));
        expect(await apply.isDisabled()).toBe(true);
        expect(
          await t.hub.prisma.resident.count({
            where: { municipalityCode: "041009", externalId: { not: null } },
          }),
        ).toBe(width === WIDTHS[0] ? 5 : 8);
        await checkPage(page, "import-applied", width);
        await done();
      }, 120_000);
    });
  }

  it("prefecture: chooses a municipality's policies; the new pages fit 320 px", async () => {
    const { page, done } = await open(320);
    await signIn(page, "prefecture@demo.example.jp");
    await page.getByRole("link", { name: "市町村の利用条件" }).click();
    await page.waitForURL(/\/municipality\/policies$/);
    await settled(page);
    await checkPage(page, "policies-prefecture", 320);
    await page.getByRole("combobox", { name: "市町村" }).selectOption("042072");
    await page.getByRole("button", { name: "表示する" }).click();
    await page.waitForURL(/municipality=042072/);
    await page.getByRole("heading", { name: "名取市の利用条件" }).waitFor();
    await expect(page.locator("section[aria-labelledby=policy-stay]").textContent()).resolves.toContain(
      "¥30,000",
    );
    await checkPage(page, "policies-natori-320", 320);

    // The import page is for municipality staff only.
    await page.goto(url("municipality/import"));
    await settled(page);
    await page.locator("main [role=alert]").filter({ hasText: "権限がありません" }).waitFor();
    await checkPage(page, "import-forbidden-320", 320);
    await done();
  }, 90_000);
});
