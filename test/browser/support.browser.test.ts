/**
 * The help desk in Chromium ("done when" of the issue): a resident reads the FAQ and sends an inquiry from /help
 * (an error first: no category, no subject); the operator finds it at /helpdesk, answers it (the answer is
 * e-mailed through the outbox) and turns it into a published FAQ entry; the FAQ at /help shows it to anyone; the
 * resident reads the answer at /my/inquiries; the prefecture reads the inquiry with its whole history,
 * read-only; the announcement banner is shown and dismissed. At 375 and 1280 px, axe-core on every state.
 *
 * Always starts its own hub; needs `npm run build` first.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestHub, type TestHub } from "../support/hub.js";
import { DEMO_USERS } from "../support/sessions.js";
import {
  checkPage,
  checkPageAtWidths,
  FLOW_WIDTHS,
  hasChromium,
  launchBrowser,
  portalHelpers,
  requirePortalBuild,
  settled,
} from "./support.js";

describe.skipIf(!hasChromium)("support: inquiry → answer → FAQ → prefecture history", () => {
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

  /** Signs the demo resident in with the one-time code from the local mailbox. */
  async function signInAsResident(page: Page) {
    await page.goto(url("sign-in"));
    await settled(page);
    const { createSession } = await import("../../hub/identity/sessions.js");
    const user = await t.hub.prisma.user.findUniqueOrThrow({ where: { email: DEMO_USERS.resident.own } });
    const token = await createSession(
      t.hub.prisma,
      { id: user.id },
      { verified: true, ip: "127.0.0.1", hours: 1, now: new Date() },
    );
    await page.context().addCookies([{ name: "sango_session", value: token, url: t.url }]);
  }

  for (const width of FLOW_WIDTHS) {
    it(`at ${width} px: a resident's inquiry is answered, published as FAQ and read by the prefecture`, async () => {
      const subject = `予約の変更方法（${width}）`;
      const question = `予約日を変更したいです。${width}`;
      const faqQuestion = `予約日を変更するには？（${width}）`;

      // The resident: the FAQ and the form, an error first, then the inquiry is sent.
      const r = await open(width);
      await signInAsResident(r.page);
      await r.page.goto(url("help"));
      await settled(r.page);
      expect(await r.page.locator("h1").textContent()).toBe("ヘルプ・お問い合わせ");
      // The demo announcement is shown as a banner on every page, and can be dismissed.
      const banner = r.page.getByRole("region", { name: "お知らせ" });
      await banner.waitFor();
      await checkPageAtWidths(r.page, `help-${width}`);
      await banner
        .getByRole("button", { name: /を閉じる$/ })
        .first()
        .click();
      await expect(banner.count()).resolves.toBe(0);
      // The FAQ search filters client-side.
      await r.page.getByLabel("よくある質問をさがす").fill("キャンセル料");
      await r.page.getByRole("status").filter({ hasText: "1件の質問が見つかりました" }).waitFor();

      await r.page.getByRole("button", { name: "送信する", exact: true }).click();
      await r.page.locator("#inquiry-category-error").waitFor();
      expect(await r.page.locator("#inquiry-category").getAttribute("aria-describedby")).toBe(
        "inquiry-category-error",
      );
      expect(await r.page.evaluate(() => document.activeElement?.id)).toBe("inquiry-category");
      await checkPageAtWidths(r.page, `help-error-${width}`);

      await r.page.getByLabel("お問い合わせの種類").selectOption("booking");
      await r.page.getByLabel("件名").fill(subject);
      await r.page.getByLabel("お問い合わせ内容").fill(question);
      await r.page.getByLabel("お名前").fill("宮城 花子");
      await r.page.getByLabel("メールアドレス", { exact: true }).fill("hanako@example.jp");
      const sent = r.page.waitForResponse((res) => res.url().endsWith("api/inquiries"));
      await r.page.getByRole("button", { name: "送信する", exact: true }).click();
      expect((await sent).status()).toBe(201);
      const received = r.page.locator("#inquiry-sent");
      await received.waitFor();
      const reference = /Q-\d{6}/.exec((await received.textContent()) ?? "")?.[0] ?? "";
      expect(reference).toMatch(/^Q-\d{6}$/);
      await checkPageAtWidths(r.page, `help-sent-${width}`);
      await r.done();

      // The operator answers it and makes it an FAQ entry.
      const o = await open(width);
      await signInAsStaff(o.page, DEMO_USERS.operator.own);
      await o.page.goto(url("helpdesk"));
      await settled(o.page);
      expect(await o.page.locator("h1").textContent()).toBe("ヘルプデスク");
      await checkPageAtWidths(o.page, `helpdesk-${width}`);
      await o.page.getByRole("link", { name: `${reference} を開く` }).click();
      await o.page.locator("#desk-detail").waitFor();
      await expect(o.page.locator("#desk-detail").textContent()).resolves.toContain(question);
      await checkPageAtWidths(o.page, `helpdesk-detail-${width}`);
      await o.page.getByLabel("回答", { exact: true }).fill("「予約の確認」の「変更」から変更できます。");
      await o.page.getByRole("button", { name: "回答を送信する" }).click();
      await o.page
        .getByRole("status")
        .filter({ hasText: `${reference} に回答しました。` })
        .waitFor();
      await expect(o.page.locator("#desk-detail-status").textContent()).resolves.toBe("回答済み");
      const mail = await t.hub.prisma.outboxMessage.findMany();
      expect(
        mail.some((m) => {
          const p = m.payload as { to: string; text: string };
          return (
            p.to === "hanako@example.jp" && p.text.includes("「予約の確認」の「変更」から変更できます。")
          );
        }),
      ).toBe(true);

      await o.page.getByRole("button", { name: "よくある質問にする" }).click();
      const q = o.page.getByLabel("質問（日本語）");
      await q.waitFor();
      // the draft keeps the sender's question after the subject
      expect(await q.inputValue()).toBe(`${subject}：${question}`);
      expect(await o.page.getByLabel("回答（日本語）").inputValue()).toBe(
        "「予約の確認」の「変更」から変更できます。",
      );
      await checkPageAtWidths(o.page, `helpdesk-faq-${width}`);
      await q.fill(faqQuestion);
      const created = o.page.waitForResponse((res) => res.url().endsWith("api/faq/entries"));
      await o.page.getByRole("button", { name: "保存する", exact: true }).click();
      expect((await created).status()).toBe(201);
      await o.page.getByRole("status").filter({ hasText: "よくある質問を保存しました。" }).waitFor();
      await o.done();

      // Anyone sees it in the FAQ.
      const a = await open(width);
      await a.page.goto(url("help"));
      await settled(a.page);
      await a.page.getByText(faqQuestion).waitFor();
      await a.done();

      // The resident reads the answer.
      const r2 = await open(width);
      await signInAsResident(r2.page);
      await r2.page.goto(url("my/inquiries"));
      await settled(r2.page);
      const mine = r2.page.locator("article", { hasText: reference });
      await mine.waitFor();
      await expect(mine.textContent()).resolves.toContain("「予約の確認」の「変更」から変更できます。");
      await checkPageAtWidths(r2.page, `my-inquiries-${width}`);
      await r2.done();

      // The prefecture reads its whole history, read-only.
      const p = await open(width);
      await signInAsStaff(p.page, DEMO_USERS.prefecture.own);
      await p.page.goto(url("helpdesk"));
      await settled(p.page);
      await p.page.getByText("県の職員は閲覧のみです。").waitFor();
      await p.page.getByRole("link", { name: `${reference} を開く` }).click();
      await p.page.locator("#desk-detail").waitFor();
      const history = (await p.page.locator("#desk-detail").textContent()) ?? "";
      expect(history).toContain(question);
      expect(history).toContain("「予約の確認」の「変更」から変更できます。");
      expect(await p.page.getByRole("button", { name: "回答を送信する" }).count()).toBe(0);
      await checkPageAtWidths(p.page, `helpdesk-prefecture-${width}`);
      await p.done();
    }, 180_000);
  }

  for (const width of FLOW_WIDTHS) {
    it(`at ${width} px: the FAQ editor marks possible personal data beside each field and publishes only once each is confirmed`, async () => {
      const question = `陽菜ちゃん（令和６年５月１日生まれ）の予約（${width}）`;
      const o = await open(width);
      await signInAsStaff(o.page, DEMO_USERS.operator.own);
      await o.page.goto(url("helpdesk"));
      await settled(o.page);
      await o.page.getByRole("button", { name: "よくある質問を追加する" }).click();
      await o.page.getByLabel("質問（日本語）").fill(question);
      await o.page.getByLabel("回答（日本語）").fill("０９０－１２３４－５６７８ にお電話ください。");
      await o.page.getByLabel("すぐに公開する").check();
      const refused = o.page.waitForResponse((res) => res.url().endsWith("api/faq/entries"));
      await o.page.getByRole("button", { name: "保存する", exact: true }).click();
      expect((await refused).status()).toBe(422);
      const qFindings = o.page.locator("#faq-questionJa-findings");
      await qFindings.waitFor();
      expect(await qFindings.locator("mark").allTextContents()).toEqual(["陽菜ちゃん", "令和６年５月１日"]);
      expect(await o.page.locator("#faq-answerJa-findings mark").allTextContents()).toEqual([
        "０９０－１２３４－５６７８",
      ]);
      expect(await o.page.locator("#faq-questionJa").getAttribute("aria-describedby")).toContain(
        "faq-questionJa-findings",
      );
      await o.page
        .getByText("個人情報の可能性がある箇所が確認されていないため、公開できません。", { exact: false })
        .waitFor();
      await checkPageAtWidths(o.page, `helpdesk-faq-findings-${width}`);
      expect(await t.hub.prisma.faqEntry.count({ where: { questionJa: question } })).toBe(0);

      // Confirming two of three is not enough; the form says so again.
      await o.page.getByLabel("「陽菜ちゃん」（氏名）は個人情報ではありません").check();
      // by keyboard
      await o.page.getByLabel("「令和６年５月１日」（生年月日）は個人情報ではありません").focus();
      await o.page.keyboard.press("Space");
      const again = o.page.waitForResponse((res) => res.url().endsWith("api/faq/entries"));
      await o.page.getByRole("button", { name: "保存する", exact: true }).click();
      expect((await again).status()).toBe(422);
      expect(await t.hub.prisma.faqEntry.count({ where: { questionJa: question } })).toBe(0);

      await o.page.getByLabel("「０９０－１２３４－５６７８」（電話番号）は個人情報ではありません").check();
      const saved = o.page.waitForResponse((res) => res.url().endsWith("api/faq/entries"));
      await o.page.getByRole("button", { name: "保存する", exact: true }).click();
      expect((await saved).status()).toBe(201);
      await o.page.getByRole("status").filter({ hasText: "よくある質問を保存しました。" }).waitFor();
      const entry = await t.hub.prisma.faqEntry.findFirstOrThrow({ where: { questionJa: question } });
      expect(entry.published).toBe(true);
      expect(
        await t.hub.prisma.auditLog.count({
          where: { action: "faq.findings_confirmed", resourceId: entry.id },
        }),
      ).toBe(1);
      // The list shows how many findings the entry carries.
      await o.page.locator(`#faq-row-${entry.id}`).getByText("個人情報の可能性：3件").waitFor();
      await checkPageAtWidths(o.page, `helpdesk-faq-confirmed-${width}`);
      await o.done();
    }, 120_000);
  }

  it("lets the prefecture publish an announcement shown to facility staff", async () => {
    const p = await open(1280);
    await signInAsStaff(p.page, DEMO_USERS.prefecture.own);
    await p.page.goto(url("announcements"));
    await settled(p.page);
    expect(await p.page.locator("h1").textContent()).toBe("お知らせの管理");
    await checkPage(p.page, "announcements-1280", 1280);
    await p.page.getByLabel("種類").selectOption("maintenance");
    await p.page.getByLabel("タイトル（日本語）").fill("（テスト）メンテナンスのお知らせ");
    const group = p.page.getByRole("group", { name: "表示する相手（1つ以上）" });
    await group.getByLabel("すべての人（ログインしていない人も）").uncheck();
    await group.getByLabel("事業所").check();
    const start = new Date(Date.now() - 3600_000 + 9 * 3600_000).toISOString().slice(0, 16);
    await p.page.getByLabel("表示の開始（日本時間）").fill(start);
    const saved = p.page.waitForResponse((res) => res.url().endsWith("api/announcements"));
    await p.page.getByRole("button", { name: "保存する", exact: true }).click();
    expect((await saved).status()).toBe(201);
    await p.page.getByRole("status").filter({ hasText: "お知らせを保存しました。" }).waitFor();
    await checkPage(p.page, "announcements-saved-1280", 1280);
    await p.done();

    const f = await open(375);
    await signInAsStaff(f.page, DEMO_USERS.facility.own);
    const banner = f.page.getByRole("region", { name: "お知らせ" });
    await banner.getByText("（テスト）メンテナンスのお知らせ").waitFor();
    await checkPage(f.page, "banner-facility-375", 375);
    await f.done();
  }, 120_000);
});
