/**
 * Connections in the portal, in Chromium at 375 px and 1280 px: the operator's health page lists a failing
 * connection first and can retry it, opens its log and replays one failed push; facility staff set their
 * connector, see credentials once, resolve a booking that arrived on a full day from their own system, send a
 * test delivery and see it in their log, preview a CSV mapping, and see a paused connection's notice. axe-core on
 * every state. Needs `npm run build`.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_BASE_URL } from "../../connectors/webhook/__fixtures__/contract.js";
import { vendorApi } from "../../connectors/webhook/__fixtures__/vendor-api.js";
import { applyChanges } from "../../hub/connections/apply.js";
import { writeLog } from "../../hub/connections/log.js";
import { newWebhookSecret, recordFailure, sealSecret } from "../../hub/connections/store.js";
import { tokyoDay as day } from "../support/dates.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import {
  checkPageAtWidths,
  FLOW_WIDTHS,
  hasChromium,
  launchBrowser,
  openMenu,
  portalHelpers,
  requirePortalBuild,
  settled,
  WIDTHS,
} from "./support.js";

describe.skipIf(!hasChromium)("connections in the portal", () => {
  let browser: Browser;
  let t: TestHub;
  let facilityId: string;
  let failingFacilityId: string;
  const { url, open, signInAsStaff } = portalHelpers(() => ({ browser, hubUrl: t.url }));

  beforeAll(async () => {
    requirePortalBuild();
    t = await startTestHub({ seed: "demo", residents: 20 });
    browser = await launchBrowser();
    const p = t.hub.prisma;
    facilityId = (await p.user.findUniqueOrThrow({ where: { email: "facility@demo.example.jp" } }))
      .facilityId as string;
    failingFacilityId = (await p.user.findUniqueOrThrow({ where: { email: "facility2@demo.example.jp" } }))
      .facilityId as string;
    // A connection that keeps failing, with a failed inbound webhook waiting to be retried.
    const failing = await p.connection.create({
      data: { facilityId: failingFacilityId, connector: "native" },
    });
    for (let i = 0; i < 4; i++) {
      await recordFailure(p, failing.id, { code: "timeout", message: "no answer in 10 s" }, new Date());
    }
    await p.inboundWebhook.create({
      data: { connectionId: failing.id, webhookId: "msg_1", body: "{}", status: "failed", error: "bad" },
    });
    // Its log: a sync that left events out, and a push the facility's system refused (a dead letter).
    const push = await p.connectorPush.create({
      data: {
        connectionId: failing.id,
        bookingId: "00000000-0000-4000-8000-000000000001",
        action: "create",
        revision: 1,
        status: "failed",
        lastError: "upstream_4xx: POST bookings: HTTP 422",
      },
    });
    await writeLog(
      p,
      {
        connectionId: failing.id,
        facilityId: failingFacilityId,
        at: new Date(Date.now() - 60_000),
        kind: "sync",
        result: "ok",
        counts: { read: 4, imported: 1, skipped: 3, applied: 1 },
        skipped: { counts: { no_service_type: 2 }, items: [{ reason: "no_service_type", line: 14 }] },
      },
      {
        connectionId: failing.id,
        facilityId: failingFacilityId,
        at: new Date(),
        kind: "push",
        result: "failed",
        failure: { code: "upstream_4xx", status: 422 },
        request: "create booking, revision 1",
        durationMs: 40,
        refs: { bookingId: push.bookingId, action: "create", revision: 1, pushIds: [String(push.id)] },
      },
    );
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  }, 60_000);

  for (const width of FLOW_WIDTHS) {
    it(`at ${width}px: the operator sees the failing connection first and retries its failed items`, async () => {
      await t.hub.prisma.inboundWebhook.updateMany({ data: { status: "failed" } });
      await t.hub.prisma.connectorPush.updateMany({ data: { status: "failed" } });
      const { page, done } = await open(width);
      await signInAsStaff(page, "operator@demo.example.jp");
      await openMenu(page);
      await page.getByRole("link", { name: "システム連携" }).first().click();
      await page.waitForURL(/\/connections$/);
      await settled(page);
      const failing = await t.hub.prisma.connection.findUniqueOrThrow({
        where: { facilityId: failingFacilityId },
      });
      const first = page.locator(`#connections-table tbody tr[data-connection-id="${failing.id}"]`);
      expect(await first.textContent()).toContain("エラーが続いています");
      // The last error in plain words, never the connector's own text.
      expect(await first.textContent()).toContain("施設のシステムから時間内に応答がありませんでした。");
      expect(await first.textContent()).not.toContain("no answer in 10 s");
      // Troubled first: the rows above it are failing too (the demo's unreachable calendar).
      const states = await page.locator("#connections-table tbody tr td:nth-child(3)").allTextContents();
      expect(states[0]).toContain("エラーが続いています");
      await checkPageAtWidths(page, "connections");
      await first.getByRole("button", { name: /失敗した処理を再実行/ }).click();
      await page.getByRole("status").filter({ hasText: "受信 1 件、送信 1 件を再実行します" }).waitFor();
      expect((await t.hub.prisma.inboundWebhook.findFirstOrThrow()).status).toBe("pending");

      // Its log, below the table: the refused push replayed on its own.
      await t.hub.prisma.connectorPush.updateMany({ data: { status: "failed" } });
      await t.hub.prisma.connectionLog.updateMany({ data: { replayedAt: null } });
      await first.getByRole("button", { name: /記録を見る/ }).click();
      const pushRow = page.locator('#connection-log-table tbody tr[data-log-kind="push"]');
      await pushRow.waitFor();
      expect(await pushRow.textContent()).toContain("施設のシステムが HTTP 422 を返しました。");
      expect(await pushRow.textContent()).toContain("予約の登録（第1版）");
      expect(await page.locator('#connection-log-table tr[data-log-kind="sync"]').textContent()).toContain(
        "サービス種別なし 2",
      );
      await checkPageAtWidths(page, "connections-log");
      await pushRow.getByRole("button", { name: /この1件を再実行/ }).click();
      await page.getByRole("status").filter({ hasText: "再実行の列に戻しました" }).waitFor();
      expect((await t.hub.prisma.connectorPush.findFirstOrThrow()).status).toBe("pending");
      await done();
    }, 120_000);
  }

  for (const width of FLOW_WIDTHS) {
    it(`at ${width}px: facility staff set the connector and resolve a booking from their system`, async () => {
      const p = t.hub.prisma;
      await p.connection.deleteMany({ where: { facilityId } });
      const { page, done } = await open(width);
      await signInAsStaff(page, "facility@demo.example.jp");
      await page.goto(url("facility/connection"));
      await settled(page);
      expect(await page.locator("main").textContent()).toContain("ポータルで管理しています");
      await checkPageAtWidths(page, "facility-connection-none");

      await page.getByLabel("連携方式").selectOption("native");
      await page.getByRole("button", { name: "保存する" }).click();
      await page.getByRole("status").filter({ hasText: "保存しました" }).waitFor();
      const conn = await p.connection.findUniqueOrThrow({ where: { facilityId } });
      expect(conn.connector).toBe("native");
      await checkPageAtWidths(page, "facility-connection-saved");

      // Two bookings from the facility's system on a night with one place: the second goes to review.
      const d = 40 + WIDTHS.indexOf(width);
      await p.slot.updateMany({ where: { facilityId, serviceType: "stay" }, data: { capacity: 1 } });
      await p.facilityService.update({
        where: { facilityId_serviceType: { facilityId, serviceType: "stay" } },
        data: { capacity: 1 },
      });
      const stay = (externalId: string) => ({
        kind: "booking" as const,
        externalId,
        revision: 1,
        status: "confirmed" as const,
        serviceType: "stay" as const,
        startDate: day(d),
        endDate: day(d + 1),
      });
      await applyChanges(
        p,
        { id: conn.id, facilityId },
        [stay(`EXT-${width}-1`), stay(`EXT-${width}-2`)],
        new Date(),
      );
      await page.reload();
      await settled(page);
      const row = page.locator("#conflicts-table tbody tr").filter({ hasText: `EXT-${width}-2` });
      await row.waitFor();
      expect(await row.textContent()).toContain("満床の日に外部の予約が入りました");
      await checkPageAtWidths(page, "facility-connection-conflict");
      await row.getByRole("button", { name: /この予約を取り消す/ }).click();
      await page.getByRole("status").filter({ hasText: "対応済みにしました" }).waitFor();
      const booking = await p.booking.findUniqueOrThrow({
        where: { facilityId_externalRef: { facilityId, externalRef: `EXT-${width}-2` } },
      });
      expect(booking.status).toBe("cancelled");

      // On the CSV connector: a file with an error is refused line by line, a clean one applies.
      await page.getByLabel("連携方式").selectOption("csv");
      await page.getByRole("button", { name: "保存する" }).click();
      await page.getByRole("status").filter({ hasText: "保存しました" }).waitFor();
      await page.getByRole("heading", { name: "CSV ファイルでのやりとり" }).waitFor();
      const upload = (text: string) =>
        page.getByLabel("取り込む CSV ファイル").setInputFiles({
          name: "bookings.csv",
          mimeType: "text/csv",
          buffer: Buffer.from(`\ufeff${text}`, "utf8"),
        });
      const header = "予約番号,改訂,状態,種類,開始日,終了日,時間帯\r\n";
      await upload(
        `${header}CSV-${width}-1,1,確定,宿泊,${day(50)},${day(51)},\r\nCSV-${width}-2,1,確定,宿泊,2026-02-30,,\r\n`,
      );
      await page.getByRole("button", { name: "内容を確認する" }).click();
      await page.locator("#file-errors tbody tr").first().waitFor();
      expect(await page.locator("#file-errors tbody tr th").first().textContent()).toBe("3");
      expect(await page.getByRole("button", { name: "このファイルを取り込む" }).count()).toBe(0);
      await checkPageAtWidths(page, "facility-connection-csv-errors");
      await upload(`${header}CSV-${width}-1,1,確定,宿泊,${day(50)},${day(51)},\r\n`);
      await page.getByRole("button", { name: "内容を確認する" }).click();
      await page.getByRole("status").filter({ hasText: "エラーはありません" }).waitFor();
      await page.getByRole("button", { name: "このファイルを取り込む" }).click();
      await page.getByRole("status").filter({ hasText: "取り込みました" }).waitFor();
      const imported = await p.booking.findUniqueOrThrow({
        where: { facilityId_externalRef: { facilityId, externalRef: `CSV-${width}-1` } },
      });
      expect(imported).toMatchObject({ source: "connector", status: "confirmed" });
      await checkPageAtWidths(page, "facility-connection-csv");

      // Going live on the webhook connector: a signed test delivery, its answer and its log entry; then a CSV
      // mapping previewed before it is saved (nothing is saved).
      const secret = newWebhookSecret();
      await p.connection.update({
        where: { facilityId },
        data: {
          connector: "webhook",
          config: { apiBaseUrl: API_BASE_URL },
          secretSealed: sealSecret(t.hub, secret),
        },
      });
      const api = vendorApi({ baseUrl: API_BASE_URL, secret });
      try {
        await page.reload();
        await settled(page);
        await page.getByRole("button", { name: /テスト送信/ }).click();
        await page.getByRole("status").filter({ hasText: "テスト送信に成功しました（HTTP 200" }).waitFor();
        expect(api.requests.some((r) => r.path.endsWith("/ping") && r.verified)).toBe(true);
        await page.locator('#connection-log-table tbody tr[data-log-kind="test"]').first().waitFor();
      } finally {
        api.stop();
      }
      await page.getByLabel("連携方式").selectOption("csv");
      await page.getByLabel("プレビューに使う CSV ファイル（見本）").setInputFiles({
        name: "sample.csv",
        mimeType: "text/csv",
        buffer: Buffer.from(
          `${header}PV-1,1,確定,宿泊,${day(60)},${day(61)},\r\nPV-2,1,確定,宿泊,2026-02-30,,\r\n`,
        ),
      });
      await page.getByRole("button", { name: "取り込み結果をプレビュー" }).click();
      await page.getByRole("heading", { name: "プレビュー（保存していません）" }).waitFor();
      expect(await page.locator("#preview-table tbody tr").first().textContent()).toContain("PV-1");
      expect(await page.locator(".mapping-preview summary").textContent()).toContain("ファイルの誤り 1");
      expect((await p.connection.findUniqueOrThrow({ where: { facilityId } })).connector).toBe("webhook");
      await checkPageAtWidths(page, "facility-connection-golive");
      await done();
    }, 120_000);
  }

  for (const width of FLOW_WIDTHS) {
    it(`at ${width}px: the operator and the facility see the events the last pull skipped, and the list`, async () => {
      const p = t.hub.prisma;
      // As hub/connections/sync.ts keeps it after a pull that left three events out.
      await p.connection.update({
        where: { facilityId: failingFacilityId },
        data: {
          lastSkipped: {
            read: 4,
            imported: 1,
            counts: { no_service_type: 2, bad_event: 1 },
            items: [
              { reason: "no_service_type", line: 14, date: day(3) },
              { reason: "bad_event", line: 29, problem: "unreadable_line" },
              { reason: "no_service_type", line: 41, date: day(5) },
            ],
          },
        },
      });
      const summary = "3件の予定を取り込んでいません: サービス種別なし 2、読み取れない予定 1 — 表示";
      const operator = await open(width);
      await signInAsStaff(operator.page, "operator@demo.example.jp");
      await operator.page.goto(url("connections"));
      await settled(operator.page);
      const conn = await p.connection.findUniqueOrThrow({ where: { facilityId: failingFacilityId } });
      const row = operator.page.locator(`#connections-table tbody tr[data-connection-id="${conn.id}"]`);
      const disclosure = row.locator("summary", { hasText: summary });
      await disclosure.waitFor();
      expect(await row.locator("li").first().isVisible()).toBe(false);
      await disclosure.focus();
      await operator.page.keyboard.press("Enter");
      await row.locator("li").first().waitFor();
      expect(await row.locator("li").allTextContents()).toEqual([
        `14行目 · ${day(3)} · サービス種別なし`,
        "29行目 · 読み取れない予定 · この行を読み取れません（引用符の閉じ忘れなど）",
        `41行目 · ${day(5)} · サービス種別なし`,
      ]);
      await checkPageAtWidths(operator.page, "connections-skipped");
      await operator.done();

      // Paused after its system answered 410 Gone: the staff's page says so and what to do, above their log.
      await p.connection.update({
        where: { facilityId: failingFacilityId },
        data: { enabled: false, disabledReason: "gone: the facility's API answered 410 Gone" },
      });
      const staff = await open(width);
      await signInAsStaff(staff.page, "facility2@demo.example.jp");
      await staff.page.goto(url("facility/connection"));
      await settled(staff.page);
      const own = staff.page.locator("summary", { hasText: summary });
      await own.click();
      await staff.page.getByText("29行目 · 読み取れない予定").waitFor();
      await staff.page
        .getByText("連携を一時停止しています（同期・送信を行いません）", { exact: false })
        .waitFor();
      await staff.page.locator('#connection-log-table tbody tr[data-log-kind="push"]').waitFor();
      await checkPageAtWidths(staff.page, "facility-connection-skipped");
      await staff.done();
    }, 120_000);
  }
});
