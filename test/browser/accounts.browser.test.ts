/**
 * Issue 12, part 2, in Chromium at phone and desktop widths with axe-core on every step: a municipal officer
 * whose role needs TOTP enrols an authenticator app at sign-in (proving the registered e-mail first) and keeps
 * the recovery codes; staff change their password and end their other sessions on the account page; a
 * forgotten password is reset through the e-mailed link; the operator or the prefecture resets a second factor.
 *
 * Starts its own hub (it reads the e-mails from the outbox); needs `npm run build` first.
 */
import { generate } from "otplib";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dispatchOutbox } from "../../hub/notify/outbox.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import {
  checkPage,
  hasChromium,
  launchBrowser,
  openMenu,
  portalHelpers,
  requirePortalBuild,
  STAFF_PASSWORD,
  settled,
  WIDTHS,
} from "./support.js";

const NEW_PASSWORD = "quiet-harbour-lantern-42";
/** Per width, different people, so the flows at one width do not change the accounts of the other. */
const PEOPLE = {
  375: {
    officer: "sendai@demo.example.jp",
    staff: "facility@demo.example.jp",
    forgetful: "medical@demo.example.jp",
    admin: "operator@demo.example.jp",
  },
  1280: {
    officer: "natori@demo.example.jp",
    staff: "facility2@demo.example.jp",
    forgetful: "midwife@demo.example.jp",
    admin: "prefecture@demo.example.jp",
  },
} as const;

describe.skipIf(!hasChromium)("accounts in Chromium", () => {
  let browser: Browser;
  let t: TestHub;
  const { url, open, signInAsStaff } = portalHelpers(() => ({ browser, hubUrl: t.url }));

  beforeAll(async () => {
    requirePortalBuild();
    t = await startTestHub({ seed: "demo", residents: 20, env: { TOTP_REQUIRED_ROLES: "municipality" } });
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  }, 60_000);

  async function lastMail(to: string) {
    await dispatchOutbox(t.hub.prisma, t.hub.transport);
    const m = await t.hub.prisma.mailboxMessage.findFirstOrThrow({ where: { to }, orderBy: { id: "desc" } });
    return m.body;
  }

  async function passwordSignIn(page: Page, email: string, password = STAFF_PASSWORD) {
    await page.goto(url("sign-in"));
    await settled(page);
    await page.getByLabel("メールアドレス", { exact: true }).fill(email);
    await page.getByLabel("パスワード", { exact: true }).fill(password);
    await page.locator("form:has(#staff-password) button[type=submit]").click();
  }

  for (const width of WIDTHS) {
    const who = PEOPLE[width];

    it(`at ${width}px: enrols an authenticator app at sign-in, with the e-mailed code, and shows the recovery codes`, async () => {
      const { page, done } = await open(width);
      await passwordSignIn(page, who.officer);
      const staff = page.locator("section[aria-labelledby=staff-title]");
      await staff.getByRole("heading", { name: "認証アプリの設定" }).waitFor();
      await checkPage(page, "enrol-start", width);

      await staff.getByRole("button", { name: "設定用コードをメールで送る" }).click();
      await staff.getByLabel("メールに届いた設定用コード（6桁）").waitFor();
      const emailCode = /([0-9]{6})/.exec(await lastMail(who.officer))?.[1] ?? "";
      await staff.getByLabel("メールに届いた設定用コード（6桁）").fill(emailCode);
      await staff.getByRole("button", { name: "次へ" }).click();
      await staff.getByRole("img", { name: "認証アプリ用のQRコード" }).waitFor();
      await checkPage(page, "enrol-scan", width);

      const secret = (await staff.locator(".totp-secret").textContent()) ?? "";
      await staff.getByLabel("認証アプリに表示された6桁のコード").fill(await generate({ secret }));
      await staff.getByRole("button", { name: "設定を完了する" }).click();
      await staff.getByRole("heading", { name: "リカバリーコード" }).waitFor();
      expect(await staff.locator(".code-list li").count()).toBe(10);
      await checkPage(page, "enrol-recovery-codes", width);
      await staff.getByRole("button", { name: "保存しました" }).click();
      await page.waitForURL((u) => !u.pathname.endsWith("/sign-in"));
      await settled(page);
      expect(await page.locator("h1").textContent()).toBe("ホーム");
      await done();
    }, 120_000);

    it(`at ${width}px: changes the password and signs out everywhere else on the account page`, async () => {
      const other = await open(width);
      await signInAsStaff(other.page, who.staff);
      const { page, done } = await open(width);
      await signInAsStaff(page, who.staff);
      await page.getByRole("link", { name: "アカウント" }).click();
      await page.getByRole("heading", { level: 1, name: "アカウント" }).waitFor();
      await page.getByRole("table", { name: "ログイン中のセッション" }).waitFor();
      await checkPage(page, "account", width);

      await page.getByLabel("現在のパスワード").fill(STAFF_PASSWORD);
      await page.getByLabel("新しいパスワード", { exact: true }).fill("password1234");
      await page.getByLabel("新しいパスワード（確認）").fill("password1234");
      await page.getByRole("button", { name: "パスワードを変更する" }).click();
      await page.getByRole("alert").getByText("新しいパスワードが条件を満たしていません。").waitFor();
      await checkPage(page, "account-weak-password", width);

      await page.getByLabel("新しいパスワード", { exact: true }).fill(NEW_PASSWORD);
      await page.getByLabel("新しいパスワード（確認）").fill(NEW_PASSWORD);
      await page.getByRole("button", { name: "パスワードを変更する" }).click();
      await page.getByRole("status").getByText("パスワードを変更しました。").waitFor();
      // The other browser's session was ended by the change.
      await other.page.reload();
      await settled(other.page);
      expect(await other.page.getByRole("link", { name: "ログイン" }).count()).toBeGreaterThan(0);

      await page.getByRole("button", { name: "ほかの端末からすべてログアウトする" }).click();
      await page
        .getByRole("status")
        .getByText(/ほかの端末のセッションはありません|セッション\d+件を終了しました/)
        .waitFor();
      await checkPage(page, "account-done", width);
      await other.done();
      await done();
    }, 120_000);

    it(`at ${width}px: resets a forgotten password through the e-mailed link`, async () => {
      const { page, done } = await open(width);
      await page.goto(url("sign-in"));
      await settled(page);
      await page.getByRole("link", { name: "パスワードを忘れた方" }).click();
      await page.getByRole("heading", { level: 1, name: "パスワードの再設定" }).waitFor();
      await checkPage(page, "forgot-password", width);
      await page.getByLabel("メールアドレス").fill(who.forgetful);
      await page.getByRole("button", { name: "再設定用のリンクを送る" }).click();
      await page
        .getByRole("status")
        .getByText(/再設定用のリンクを送りました/)
        .waitFor();

      const link = /(http\S+reset-password#token=\S+)/.exec(await lastMail(who.forgetful))?.[1] ?? "";
      const token = link.split("#")[1] ?? "";
      await page.goto(url(`reset-password#${token}`));
      await page.getByRole("heading", { level: 1, name: "新しいパスワードの設定" }).waitFor();
      await checkPage(page, "reset-password", width);
      await page.getByLabel("新しいパスワード", { exact: true }).fill(NEW_PASSWORD);
      await page.getByLabel("新しいパスワード（確認）").fill(NEW_PASSWORD);
      await page.getByRole("button", { name: "パスワードを設定する" }).click();
      await page
        .getByRole("status")
        .getByText("新しいパスワードを設定しました。ログインしてください。")
        .waitFor();
      expect(page.url()).not.toContain("token");
      await checkPage(page, "reset-password-done", width);

      await passwordSignIn(page, who.forgetful, NEW_PASSWORD);
      await page.waitForURL((u) => !u.pathname.endsWith("/sign-in"));
      await done();
    }, 120_000);

    it(`at ${width}px: the ${who.admin.split("@")[0]} resets the officer's second factor`, async () => {
      const { page, done } = await open(width);
      await signInAsStaff(page, who.admin);
      await openMenu(page);
      await page.getByRole("link", { name: "2段階認証のリセット" }).click();
      await page.getByRole("table", { name: "職員アカウント" }).waitFor();
      await checkPage(page, "staff-accounts", width);
      const officer = await t.hub.prisma.user.findUniqueOrThrow({ where: { email: who.officer } });
      await page.getByRole("button", { name: `${officer.displayName}さんの2段階認証をリセットする` }).click();
      await page.getByLabel("理由（問い合わせ番号など）").fill("携帯電話の紛失（Q-000042）");
      await checkPage(page, "staff-accounts-reset", width);
      await page.getByRole("button", { name: "リセットを実行する" }).click();
      await page
        .getByRole("status")
        .getByText(/2段階認証をリセットしました/)
        .waitFor();
      expect(await t.hub.prisma.user.findUniqueOrThrow({ where: { id: officer.id } })).toMatchObject({
        totpEnabled: false,
      });
      await checkPage(page, "staff-accounts-done", width);
      await done();
    }, 120_000);
  }
});
