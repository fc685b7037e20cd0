import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendAnnouncementEmails } from "../../hub/support/announcements.js";
import { TestClient } from "../support/client.js";
import { expectContract, expectProblem } from "../support/contract.js";
import { startTestHub, type TestHub } from "../support/hub.js";
import { clientFor, DEMO_USERS } from "../support/sessions.js";

const INQUIRY = {
  category: "booking",
  subject: "予約の変更について",
  text: "予約日を変更したいのですが、どうすればよいですか。連絡先は hanako@example.jp です。",
  contactName: "宮城 花子",
  contactEmail: "hanako@example.jp",
};

/**
 * The help desk, the FAQ and announcements through the API: who may send, read, answer and manage what; the
 * history of an inquiry; e-mail through the outbox; refusals as problem JSON with codes.
 */
describe("support: help desk, FAQ, announcements", () => {
  let t: TestHub;
  let anon: TestClient;
  let resident: TestClient;
  let operator: TestClient;
  let prefecture: TestClient;
  let facility: TestClient;
  let facility2: TestClient;

  const outboxTo = async (to: string) =>
    (await t.hub.prisma.outboxMessage.findMany({ orderBy: { id: "asc" } }))
      .map((o) => o.payload as { to: string; subject: string; text: string })
      .filter((p) => p.to === to);

  beforeAll(async () => {
    t = await startTestHub({ seed: "demo", residents: 20 });
    anon = new TestClient(t.url);
    resident = await clientFor(t, DEMO_USERS.resident.own);
    operator = await clientFor(t, DEMO_USERS.operator.own);
    prefecture = await clientFor(t, DEMO_USERS.prefecture.own);
    facility = await clientFor(t, DEMO_USERS.facility.own);
    facility2 = await clientFor(t, DEMO_USERS.facility.other as string);
  }, 180_000);
  afterAll(() => t?.close());

  it("takes an anonymous inquiry, numbers it and e-mails a receipt", async () => {
    const res = await anon.post("api/inquiries", { ...INQUIRY, contactEmail: "anon@example.jp" });
    expect(res.status, res.text).toBe(201);
    await expectContract("createInquiry", res);
    expect(res.json.reference).toMatch(/^Q-\d{6}$/);
    expect(res.json.status).toBe("open");
    expect(res.json.authorRole).toBe("anonymous");
    expect(res.json.messages).toMatchObject([{ kind: "question", status: "open" }]);
    const mail = await outboxTo("anon@example.jp");
    expect(mail).toHaveLength(1);
    expect(mail[0]?.text).toContain(res.json.reference);
  });

  it("refuses incomplete inquiries with an error per field", async () => {
    const res = await anon.post("api/inquiries", {
      category: "weather",
      subject: "",
      text: "x",
      contactName: "名前",
    });
    expectProblem(res, 422, "invalid_inquiry");
    const paths = res.json.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(["category", "contactEmail", "subject"]);
    const badContact = await anon.post("api/inquiries", {
      ...INQUIRY,
      contactEmail: "no-at-sign",
      contactPhone: "call me",
    });
    expectProblem(badContact, 422, "invalid_inquiry");
    expect(badContact.json.errors.map((e: { path: string }) => e.path)).toEqual([
      "contactEmail",
      "contactPhone",
    ]);
    // A phone number alone is enough.
    const phoneOnly = await anon.post("api/inquiries", {
      ...INQUIRY,
      contactEmail: null,
      contactPhone: "022-555-0100",
    });
    expect(phoneOnly.status, phoneOnly.text).toBe(201);
  });

  let inquiryId = "";

  it("runs an inquiry from question to answer, follow-up, close and reopen, with its history", async () => {
    const sent = await resident.post("api/inquiries", INQUIRY);
    expect(sent.status, sent.text).toBe(201);
    inquiryId = sent.json.id;
    expect(sent.json.authorRole).toBe("resident");

    // The sender sees it; another user does not.
    const mine = await resident.get("api/me/inquiries");
    expect(mine.status).toBe(200);
    await expectContract("listMyInquiries", mine);
    expect(mine.json.items.map((i: { id: string }) => i.id)).toContain(inquiryId);
    expect((await facility.get("api/me/inquiries")).json.items).toEqual([]);

    // The help desk lists it with filters.
    const open = await operator.get("api/inquiries?status=open&category=booking");
    expect(open.status).toBe(200);
    await expectContract("listInquiries", open);
    expect(open.json.items.map((i: { id: string }) => i.id)).toContain(inquiryId);
    expect(open.json.counts.open).toBeGreaterThanOrEqual(1);
    const byNumber = await operator.get(`api/inquiries?q=${sent.json.reference}`);
    expect(byNumber.json.items.map((i: { id: string }) => i.id)).toEqual([inquiryId]);
    const otherCategory = await operator.get("api/inquiries?category=billing");
    expect(otherCategory.json.items).toEqual([]);
    expectProblem(await operator.get("api/inquiries?status=pending"), 422, "invalid_filter");

    // Answered: status, history and the e-mail with the answer.
    const answered = await operator.post(`api/inquiries/${inquiryId}/answer`, {
      text: "「予約の確認」から変更できます。",
    });
    expect(answered.status, answered.text).toBe(200);
    await expectContract("answerInquiry", answered);
    expect(answered.json.status).toBe("answered");
    const mail = await outboxTo("hanako@example.jp");
    expect(mail.map((m) => m.subject).join("\n")).toContain("回答");
    expect(mail[mail.length - 1]?.text).toContain("「予約の確認」から変更できます。");
    expectProblem(
      await operator.post(`api/inquiries/${inquiryId}/answer`, { text: " " }),
      422,
      "invalid_message",
    );

    // The sender reads the answer and follows up: open again.
    const after = await resident.get("api/me/inquiries");
    const mineNow = after.json.items.find((i: { id: string }) => i.id === inquiryId);
    expect(mineNow.messages.map((m: { kind: string }) => m.kind)).toEqual(["question", "answer"]);
    const follow = await resident.post(`api/me/inquiries/${inquiryId}/follow-ups`, {
      text: "ありがとうございます。",
    });
    expect(follow.status, follow.text).toBe(200);
    expect(follow.json.status).toBe("open");
    // Nobody else can follow up on it.
    expectProblem(
      await facility.post(`api/me/inquiries/${inquiryId}/follow-ups`, { text: "x" }),
      404,
      "not_found",
    );

    // Answer again, close, reopen.
    await operator.post(`api/inquiries/${inquiryId}/answer`, { text: "どういたしまして。" });
    const closed = await operator.post(`api/inquiries/${inquiryId}/close`, {});
    expect(closed.json.status).toBe("closed");
    expectProblem(await operator.post(`api/inquiries/${inquiryId}/close`, {}), 409, "invalid_transition");
    expectProblem(
      await operator.post(`api/inquiries/${inquiryId}/answer`, { text: "x" }),
      409,
      "inquiry_closed",
    );
    expectProblem(
      await resident.post(`api/me/inquiries/${inquiryId}/follow-ups`, { text: "もう一つ" }),
      409,
      "inquiry_closed",
    );
    const reopened = await operator.post(`api/inquiries/${inquiryId}/reopen`, { text: "再確認します" });
    expect(reopened.json.status).toBe("open");
    expect(
      reopened.json.messages.map((m: { kind: string; status: string }) => `${m.kind}:${m.status}`),
    ).toEqual([
      "question:open",
      "answer:answered",
      "follow_up:open",
      "answer:answered",
      "status:closed",
      "status:open",
    ]);
    await operator.post(`api/inquiries/${inquiryId}/answer`, {
      text: "「予約の確認」の「変更」ボタンから変更できます。",
    });
  });

  it("lets the prefecture read every inquiry with its history, read-only, and audits staff reads", async () => {
    const list = await prefecture.get("api/inquiries");
    expect(list.status).toBe(200);
    expect(list.json.total).toBeGreaterThanOrEqual(3);
    const one = await prefecture.get(`api/inquiries/${inquiryId}`);
    expect(one.status).toBe(200);
    await expectContract("getInquiry", one);
    expect(one.json.messages.length).toBe(7);
    expect((await prefecture.post(`api/inquiries/${inquiryId}/answer`, { text: "x" })).status).toBe(403);
    expect((await prefecture.post(`api/inquiries/${inquiryId}/close`, {})).status).toBe(403);
    expect((await facility.get("api/inquiries")).status).toBe(403);
    expect((await resident.get(`api/inquiries/${inquiryId}`)).status).toBe(403);
    expect((await anon.get("api/inquiries")).status).toBe(401);
    expectProblem(
      await prefecture.get("api/inquiries/00000000-0000-4000-8000-000000000000"),
      404,
      "not_found",
    );
    const audited = await t.hub.prisma.auditLog.findMany({
      where: { action: "getInquiry", resourceId: inquiryId, actorRole: "prefecture" },
    });
    expect(audited.length).toBeGreaterThanOrEqual(1);
    expect(
      await t.hub.prisma.auditLog.count({ where: { action: "listInquiries", actorRole: "operator" } }),
    ).toBeGreaterThan(0);
  });

  it("turns an answered inquiry into a published FAQ entry without the sender's personal data", async () => {
    const unanswered = await resident.post("api/inquiries", { ...INQUIRY, subject: "まだ回答のない質問" });
    expectProblem(
      await operator.get(`api/inquiries/${unanswered.json.id}/faq-draft`),
      409,
      "inquiry_not_answered",
    );
    expectProblem(
      await operator.post("api/faq/entries", {
        category: "booking",
        questionJa: "Q",
        answerJa: "A",
        sourceInquiryId: unanswered.json.id,
      }),
      409,
      "inquiry_not_answered",
    );

    const draft = await operator.get(`api/inquiries/${inquiryId}/faq-draft`);
    expect(draft.status, draft.text).toBe(200);
    await expectContract("getInquiryFaqDraft", draft);
    expect(draft.json).toMatchObject({
      category: "booking",
      questionJa:
        "予約の変更について：予約日を変更したいのですが、どうすればよいですか。連絡先は ＊＊＊ です。",
      answerJa: "「予約の確認」の「変更」ボタンから変更できます。",
    });
    expect(JSON.stringify(draft.json)).not.toContain("hanako");
    expect((await prefecture.get(`api/inquiries/${inquiryId}/faq-draft`)).status).toBe(403);

    const created = await operator.post("api/faq/entries", {
      category: draft.json.category,
      questionJa: "予約日を変更するには？",
      answerJa: draft.json.answerJa,
      sourceInquiryId: inquiryId,
    });
    expect(created.status, created.text).toBe(201);
    await expectContract("createFaqEntry", created);
    expect(created.json.published).toBe(false);
    expectProblem(
      await operator.post("api/faq/entries", {
        category: "booking",
        questionJa: "Q",
        answerJa: "A",
        sourceInquiryId: inquiryId,
      }),
      409,
      "faq_exists",
    );
    expect((await prefecture.get(`api/inquiries/${inquiryId}`)).json.faqEntryId).toBe(created.json.id);

    // Not public until published.
    const before = await anon.get("api/faq");
    expect(JSON.stringify(before.json)).not.toContain("予約日を変更するには？");
    const published = await operator.patch(`api/faq/entries/${created.json.id}`, {
      published: true,
      questionEn: "How do I change the date of a booking?",
      answerEn: "Use Change in My bookings.",
    });
    expect(published.status, published.text).toBe(200);
    expect(published.json.publishedAt).not.toBeNull();
    const faq = await anon.get("api/faq");
    expect(faq.status).toBe(200);
    await expectContract("getFaq", faq);
    const booking = faq.json.categories.find((c: { category: string }) => c.category === "booking");
    expect(booking.items.map((i: { questionJa: string }) => i.questionJa)).toContain(
      "予約日を変更するには？",
    );
    // Categories come in the fixed order.
    const order = faq.json.categories.map((c: { category: string }) => c.category);
    expect(order.indexOf("account")).toBeLessThan(order.indexOf("booking"));

    expectProblem(
      await operator.patch(`api/faq/entries/${created.json.id}`, { questionEn: "" }),
      422,
      "invalid_faq",
    );
    expectProblem(
      await operator.post("api/faq/entries", { category: "x", questionJa: "", answerJa: "A" }),
      422,
      "invalid_faq",
    );
    expect((await prefecture.patch(`api/faq/entries/${created.json.id}`, { published: false })).status).toBe(
      403,
    );
    const unpublished = await operator.patch(`api/faq/entries/${created.json.id}`, { published: false });
    expect(unpublished.json.publishedAt).toBeNull();
    const all = await operator.get("api/faq/entries");
    await expectContract("listFaqEntries", all);
    expect(all.json.items.length).toBeGreaterThan(1);
    expect((await operator.delete(`api/faq/entries/${created.json.id}`)).status).toBe(204);
    expectProblem(await operator.delete(`api/faq/entries/${created.json.id}`), 404, "not_found");
  });

  it("publishes nothing that looks like personal data, full-width or half-width, until each finding is confirmed", async () => {
    const fullWidth = (x: string) =>
      x.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).replace(/ /g, "\u3000");
    const samples: [string, string][] = [
      ["email", "mama.hina@example.jp"],
      ["phone", "090-1234-5678"],
      ["postal_code", "〒980-0014"],
      ["address", "仙台市青葉区本町3-8-1"],
      ["birth_date", "令和6年5月1日生まれ"],
      ["birth_date", "R6.5.1生まれ"],
      ["number", "宛名番号12345678"],
      ["name", "陽菜ちゃん"],
      ["name", "佐藤さん"],
    ];
    const entries: { id: string; text: string }[] = [];
    for (const [cls, sample] of samples) {
      for (const text of [sample, fullWidth(sample)]) {
        const body = { category: "other", questionJa: `質問 ${text}`, answerJa: "回答です。" };
        // created published: refused, nothing saved
        const refused = await operator.post("api/faq/entries", { ...body, published: true });
        expectProblem(refused, 422, "personal_data_suspected");
        await expectContract("createFaqEntry", refused);
        expect(
          refused.json.findings.map((f: { class: string }) => f.class),
          text,
        ).toContain(cls);
        expect(refused.json.findings[0]).toMatchObject({ field: "questionJa" });
        // saved as a draft, with its findings; publishing it refused the same way
        const draft = await operator.post("api/faq/entries", body);
        expect(draft.status, draft.text).toBe(201);
        const finding = draft.json.findings.find((f: { class: string }) => f.class === cls);
        expect(finding, text).toBeDefined();
        expect(draft.json.questionJa.slice(finding.start, finding.end)).toBe(finding.text);
        expectProblem(
          await operator.patch(`api/faq/entries/${draft.json.id}`, { published: true }),
          422,
          "personal_data_suspected",
        );
        entries.push({ id: draft.json.id, text });
      }
    }
    const publicText = JSON.stringify((await anon.get("api/faq")).json);
    for (const { text } of entries) expect(publicText).not.toContain(text);
    expect(
      await t.hub.prisma.faqEntry.count({ where: { id: { in: entries.map((e) => e.id) }, published: true } }),
    ).toBe(0);

    // The operator confirms one entry's finding as not personal data (a made-up example): published, audited.
    const example = entries.find((e) => e.text === "佐藤さん");
    const listed = await operator.get("api/faq/entries");
    await expectContract("listFaqEntries", listed);
    const item = listed.json.items.find((i: { id: string }) => i.id === example?.id);
    const ids = item.findings.map((f: { id: string }) => f.id);
    expect(ids.length).toBeGreaterThan(0);
    const ok = await operator.patch(`api/faq/entries/${example?.id}`, {
      published: true,
      confirmFindings: ids,
    });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json.published).toBe(true);
    const audited = await t.hub.prisma.auditLog.findFirst({
      where: { action: "faq.findings_confirmed", resourceId: example?.id },
    });
    expect(audited?.detail).toMatchObject({ findings: [{ field: "questionJa", class: "name" }] });
    // The finding's id (a hash of the matched text) stays out of the audit log.
    expect(JSON.stringify(audited?.detail)).not.toContain(ids[0]);
    // Saving it again while published, with new personal data, is refused; the entry stays as it was.
    const edited = await operator.patch(`api/faq/entries/${example?.id}`, {
      answerJa: "連絡は０２２－５５５－０１００へ",
      confirmFindings: ids,
    });
    expectProblem(edited, 422, "personal_data_suspected");
    expect(edited.json.findings.map((f: { class: string; field: string }) => [f.field, f.class])).toEqual([
      ["questionJa", "name"],
      ["answerJa", "phone"],
    ]);
    expect(edited.json.unconfirmed).toEqual([edited.json.findings[1].id]);
    expect((await t.hub.prisma.faqEntry.findUnique({ where: { id: example?.id } }))?.answerJa).toBe(
      "回答です。",
    );
    expectProblem(
      await operator.patch(`api/faq/entries/${example?.id}`, { confirmFindings: "all" }),
      400,
      "validation_failed",
    );
    // Edited away, it may be saved and stays published.
    const clean = await operator.patch(`api/faq/entries/${example?.id}`, {
      questionJa: "担当者に伝えるには？",
    });
    expect(clean.status, clean.text).toBe(200);
    expect(clean.json).toMatchObject({ published: true, findings: [] });
    for (const e of entries) await operator.delete(`api/faq/entries/${e.id}`);
  });

  it("shows announcements to their audiences during their period and e-mails them once", async () => {
    const now = Date.now();
    const iso = (ms: number) => new Date(now + ms).toISOString();
    const maintenance = await prefecture.post("api/announcements", {
      kind: "maintenance",
      titleJa: "メンテナンスのお知らせ",
      bodyJa: "12月1日 2:00〜4:00 は利用できません。",
      audiences: ["facility", "municipality"],
      startsAt: iso(-60_000),
      endsAt: iso(86_400_000),
      sendEmail: true,
    });
    expect(maintenance.status, maintenance.text).toBe(201);
    await expectContract("createAnnouncement", maintenance);
    const future = await operator.post("api/announcements", {
      titleJa: "来月のお知らせ",
      audiences: ["public"],
      startsAt: iso(10 * 86_400_000),
      endsAt: iso(11 * 86_400_000),
      sendEmail: true,
    });
    expect(future.status, future.text).toBe(201);

    const ids = (res: { json: { items: { id: string }[] } }) => res.json.items.map((i) => i.id);
    const anonymous = await anon.get("api/announcements/current");
    expect(anonymous.status).toBe(200);
    await expectContract("getCurrentAnnouncements", anonymous);
    expect(ids(anonymous)).not.toContain(maintenance.json.id);
    expect(ids(anonymous)).not.toContain(future.json.id);
    const forFacility = await facility.get("api/announcements/current");
    expect(ids(forFacility)[0]).toBe(maintenance.json.id);
    expect(ids(await resident.get("api/announcements/current"))).not.toContain(maintenance.json.id);

    // E-mailed once, to the staff of those roles.
    const first = await sendAnnouncementEmails(t.hub.prisma, new Date());
    expect(first.announcements).toBe(1);
    expect(first.messages).toBeGreaterThanOrEqual(3);
    expect(await outboxTo(DEMO_USERS.facility.own)).toHaveLength(1);
    expect(await outboxTo(DEMO_USERS.municipality.own)).toHaveLength(1);
    expect(await outboxTo(DEMO_USERS.operator.own)).toHaveLength(0);
    expect((await sendAnnouncementEmails(t.hub.prisma, new Date())).announcements).toBe(0);
    const list = await operator.get("api/announcements");
    await expectContract("listAnnouncements", list);
    expect(
      list.json.items.find((a: { id: string }) => a.id === maintenance.json.id).emailedAt,
    ).not.toBeNull();

    // Edits, refusals, deletion.
    const edited = await operator.patch(`api/announcements/${maintenance.json.id}`, { kind: "important" });
    expect(edited.status, edited.text).toBe(200);
    expect(edited.json.kind).toBe("important");
    expectProblem(
      await operator.patch(`api/announcements/${maintenance.json.id}`, { endsAt: iso(-86_400_000) }),
      422,
      "invalid_announcement",
    );
    const bad = await prefecture.post("api/announcements", {
      kind: "party",
      titleJa: "",
      audiences: ["everyone"],
      startsAt: "tomorrow",
      endsAt: iso(0),
    });
    expectProblem(bad, 422, "invalid_announcement");
    expect(bad.json.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      "audiences",
      "kind",
      "startsAt",
      "titleJa",
    ]);
    expect((await facility.post("api/announcements", { titleJa: "x" })).status).toBe(403);
    expect((await facility2.get("api/announcements")).status).toBe(403);
    expect((await prefecture.delete(`api/announcements/${future.json.id}`)).status).toBe(204);
    expectProblem(await prefecture.delete(`api/announcements/${future.json.id}`), 404, "not_found");
  });

  it("limits how many inquiries one address sends", async () => {
    const other = new TestClient(t.url);
    const codes: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await other.post("api/inquiries", { ...INQUIRY, subject: `連投 ${i}` });
      codes.push(res.status);
    }
    // Earlier tests already spent some of this address's allowance (10 an hour).
    expect(codes).toContain(429);
    const last = await other.post("api/inquiries", INQUIRY);
    expectProblem(last, 429, "rate_limited");
    // A mistyped form is refused without spending the allowance (and still says why).
    expectProblem(await other.post("api/inquiries", { ...INQUIRY, subject: "" }), 422, "invalid_inquiry");
    // Signed-in senders have their own allowance.
    expect((await facility2.post("api/inquiries", INQUIRY)).status).toBe(201);
  });
});
