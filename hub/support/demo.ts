/**
 * Demo data of the support area (fixtures/seed.ts): a few published FAQ entries and one current announcement.
 * Insert-only with fixed ids, so re-seeding never overwrites what the help desk changed.
 */

import type { PrismaClient } from "../db/client.js";

const FAQ = [
  {
    id: "5a0f0000-0000-4000-8000-000000000001",
    category: "account",
    questionJa: "ログインのコードが届きません。",
    answerJa:
      "迷惑メールフォルダを確認してください。それでも届かない場合は、登録したメールアドレスまたは携帯電話番号が正しいか、お住まいの市町村の窓口に確認してください。",
    questionEn: "The sign-in code does not arrive.",
    answerEn:
      "Check your spam folder. If it still does not arrive, ask your municipality whether the e-mail address or mobile number they registered is right.",
    sortOrder: 10,
  },
  {
    id: "5a0f0000-0000-4000-8000-000000000002",
    category: "booking",
    questionJa: "予約をキャンセルするとキャンセル料はかかりますか。",
    answerJa:
      "施設の前営業日の10時までは無料でキャンセルできます（市町村により異なります）。それ以降は、市町村の定めるキャンセル料がかかる場合があります。「予約の確認」で金額を確認できます。",
    questionEn: "Is there a fee if I cancel a booking?",
    answerEn:
      "You can cancel free of charge until 10:00 on the facility's previous business day (it depends on your municipality). After that a fee set by your municipality may apply; My bookings shows the amount.",
    sortOrder: 10,
  },
  {
    id: "5a0f0000-0000-4000-8000-000000000003",
    category: "voucher",
    questionJa: "利用券の残りの回数はどこで確認できますか。",
    answerJa:
      "ログイン後の「利用券を見る」で、サービスの種類ごとの残りの回数と、これまでの利用を確認できます。",
    questionEn: "Where can I see how many uses my voucher has left?",
    answerEn:
      "After signing in, open My vouchers: it shows the uses left per service type and every use so far.",
    sortOrder: 10,
  },
  {
    id: "5a0f0000-0000-4000-8000-000000000004",
    category: "facility",
    questionJa: "施設の情報を更新したいのですが、どうすればよいですか。",
    answerJa:
      "事業所のアカウントでログインし、「自施設のプロフィールを編集する」から更新してください。変更はすぐに公開され、変更履歴に残ります。",
    questionEn: "",
    answerEn: "",
    sortOrder: 10,
  },
];

const ANNOUNCEMENT_ID = "5a0a0000-0000-4000-8000-000000000001";

/** Seeds the demo FAQ and announcement (the announcement runs from yesterday for 60 days). */
export async function seedSupportDemo(
  prisma: PrismaClient,
  today: Date,
): Promise<{ faq: number; announcements: number }> {
  const faq = await prisma.faqEntry.createMany({
    data: FAQ.map((f) => ({ ...f, published: true, publishedAt: today })),
    skipDuplicates: true,
  });
  const start = new Date(today.getTime() - 86_400_000);
  const announcements = await prisma.announcement.createMany({
    data: [
      {
        id: ANNOUNCEMENT_ID,
        kind: "info",
        titleJa: "（デモ）産後ケア ポータルのお問い合わせ窓口を開設しました",
        bodyJa:
          "ご不明な点は「ヘルプ」のよくある質問をご覧いただくか、お問い合わせフォームからご連絡ください。",
        titleEn: "(Demo) The portal's help desk is open",
        bodyEn: "See the FAQ under Help, or send us an inquiry from the form there.",
        audiences: ["public"],
        startsAt: start,
        endsAt: new Date(start.getTime() + 60 * 86_400_000),
        sendEmail: false,
      },
    ],
    skipDuplicates: true,
  });
  return { faq: faq.count, announcements: announcements.count };
}
