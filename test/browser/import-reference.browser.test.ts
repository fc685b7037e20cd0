/**
 * The prefecture's reference data in Chromium (prefecture@demo.example.jp): facilities and municipalities are
 * imported with the same page as residents. A facilities file with errors gets the line-numbered table, in
 * Japanese, and changes nothing; the 35 municipalities are checked (dry run), then imported. axe-core on every
 * state at phone and desktop widths, nothing fetched from another host. Municipality staff cannot use them.
 *
 * Always starts its own hub; needs `npm run build` first.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
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

const FIXTURES = fileURLToPath(new URL("../../fixtures/import/", import.meta.url));
/** Line 2 valid; lines 3–11 each carry one kind of error. */
const FACILITIES_WITH_ERRORS = path.join(FIXTURES, "facilities-with-errors.csv");
/** The 35 demo municipalities; 石巻市, 塩竈市 and 気仙沼市 with example LGWAN networks. */
const MUNICIPALITIES = path.join(FIXTURES, "municipalities.csv");

describe.skipIf(!hasChromium)("prefecture: municipalities and facilities import", () => {
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

  /** The reference data an import may change. */
  const snapshot = async () => ({
    municipalities: await t.hub.prisma.municipality.findMany({ orderBy: { code: "asc" } }),
    facilities: await t.hub.prisma.facility.findMany({ orderBy: { id: "asc" } }),
    services: await t.hub.prisma.facilityService.findMany({
      orderBy: [{ facilityId: "asc" }, { serviceType: "asc" }],
    }),
    revisions: await t.hub.prisma.facilityRevision.count(),
  });

  /** Signs in as the prefecture and follows a link of its home page to an import page. */
  async function openImport(page: Page, link: string, route: RegExp) {
    await signInAsStaff(page, "prefecture@demo.example.jp");
    expect(await page.locator("h1").textContent()).toBe("ホーム");
    await page.getByRole("link", { name: link }).click();
    await page.waitForURL(route);
    await settled(page);
    expect(await page.locator("h1").textContent()).toBe(link);
  }

  /** Chooses a file, checks it (dry run) and waits for the hub's answer. */
  async function check(page: Page, kind: "municipalities" | "facilities", file: string) {
    await page.getByLabel("取り込むファイル").setInputFiles(file);
    const answer = page.waitForResponse((r) => r.url().includes(`api/imports/${kind}?dryRun=true`));
    await page.getByRole("button", { name: "内容を確認する" }).click();
    return (await answer).status();
  }

  for (const width of WIDTHS) {
    describe(`at ${width}px`, () => {
      it("facilities: errors by line, with the columns and problems in Japanese; nothing changes", async () => {
        const { page, done } = await open(width);
        await openImport(page, "施設データの取り込み", /\/prefecture\/import\/facilities$/);
        const apply = page.getByRole("button", { name: "取り込む", exact: true });
        expect(await apply.isDisabled()).toBe(true);
        await expect(page.locator("section[aria-labelledby=import-format]").textContent()).resolves.toContain(
          "所属団体",
        );
        await checkPage(page, "import-facilities", width);

        const before = await snapshot();
        expect(await check(page, "facilities", FACILITIES_WITH_ERRORS)).toBe(422);
        await page.locator("#import-error[role=alert]").waitFor();
        await expect(page.locator("#import-error").textContent()).resolves.toContain(
          "何も取り込まれていません",
        );
        const rows = page.locator("#import-errors tbody tr");
        await rows.first().waitFor();
        const lines = await page.locator("#import-errors tbody th").allTextContents();
        for (const line of ["3", "4", "5", "6", "7", "8", "9", "10", "11"]) expect(lines).toContain(line);
        expect(lines).not.toContain("2");
        await expect(page.locator("#import-errors thead").textContent()).resolves.toMatch(/行.*列.*内容/);
        // Each line's column by its Japanese header, and the problem in Japanese rather than the hub's English.
        const row = (line: string) =>
          rows.filter({ has: page.locator("th", { hasText: new RegExp(`^${line}$`) }) });
        await expect(row("3").textContent()).resolves.toMatch(/施設名.*入力が必要です/);
        await expect(row("4").textContent()).resolves.toMatch(/種別.*「病院」「診療所」「助産所」/);
        await expect(row("5").textContent()).resolves.toMatch(/所属団体.*助産所は助産師会/);
        await expect(row("6").textContent()).resolves.toMatch(
          /市町村コード.*宮城県内の市町村コードではありません/,
        );
        await expect(row("7").textContent()).resolves.toMatch(/電話番号.*電話番号が正しくありません/);
        await expect(row("8").textContent()).resolves.toMatch(/ウェブサイト.*https:\/\//);
        await expect(row("9").textContent()).resolves.toMatch(/サービス.*定員は1〜999/);
        await expect(row("10").textContent()).resolves.toMatch(/施設ID.*UUID/);
        await expect(row("11").textContent()).resolves.toMatch(/施設名.*重複/);
        expect(await page.locator("#import-errors").textContent()).not.toMatch(/is not|already appears/);
        expect(await page.getByLabel("取り込むファイル").getAttribute("aria-describedby")).toContain(
          "import-error",
        );
        expect(await apply.isDisabled()).toBe(true);
        expect(await snapshot()).toEqual(before);
        await checkPage(page, "import-facilities-errors", width);
        await done();
      }, 120_000);

      it("municipalities: the 35 are checked, then imported with their LGWAN networks", async () => {
        const { page, done } = await open(width);
        await openImport(page, "市町村データの取り込み", /\/prefecture\/import\/municipalities$/);
        const apply = page.getByRole("button", { name: "取り込む", exact: true });
        expect(await apply.isDisabled()).toBe(true);
        await expect(page.locator("section[aria-labelledby=import-format]").textContent()).resolves.toContain(
          "LGWAN接続元",
        );
        await checkPage(page, "import-municipalities", width);

        const before = await snapshot();
        expect(await check(page, "municipalities", MUNICIPALITIES)).toBe(200);
        await page.getByRole("status").filter({ hasText: "誤りはありません" }).waitFor();
        expect(await page.locator("#import-errors").count()).toBe(0);
        await expect(page.locator("#import-rows").textContent()).resolves.toBe("35");
        await expect(page.locator("#import-created").textContent()).resolves.toBe("0");
        await expect(page.locator("#import-updated").textContent()).resolves.toBe("35");
        expect(await apply.isDisabled()).toBe(false);
        // A dry run writes nothing.
        expect(await snapshot()).toEqual(before);
        await checkPage(page, "import-municipalities-checked", width);

        const applied = page.waitForResponse((r) =>
          r.url().includes("api/imports/municipalities?dryRun=false"),
        );
        await apply.click();
        expect((await applied).status()).toBe(200);
        const status = page.getByRole("status").filter({ hasText: "取り込みました" });
        await status.waitFor();
        await expect(status.textContent()).resolves.toContain("35行（新規 0件、更新 35件）");
        await expect(page.locator("#import-updated").textContent()).resolves.toBe("35");
        expect(await apply.isDisabled()).toBe(true);
        expect(await t.hub.prisma.municipality.count()).toBe(35);
        const ishinomaki = await t.hub.prisma.municipality.findUniqueOrThrow({ where: { code: "042021" } });
        expect(ishinomaki.allowedCidrs).toEqual(["10.21.0.0/16", "192.0.2.1"]);
        const sendai = await t.hub.prisma.municipality.findUniqueOrThrow({ where: { code: "041009" } });
        expect(sendai.allowedCidrs).toEqual([]);
        await checkPage(page, "import-municipalities-applied", width);
        await done();
      }, 120_000);
    });
  }

  it("municipality staff cannot open the prefecture's import pages", async () => {
    const { page, done } = await open(320);
    await signInAsStaff(page, "sendai@demo.example.jp");
    for (const kind of ["municipalities", "facilities"]) {
      await page.goto(url(`prefecture/import/${kind}`));
      await settled(page);
      await page.locator("main [role=alert]").filter({ hasText: "権限がありません" }).waitFor();
      expect(await page.getByRole("button", { name: "内容を確認する" }).count()).toBe(0);
    }
    await checkPage(page, "import-facilities-forbidden-320", 320);
    await done();
  }, 90_000);
});
