/**
 * What a person reads about their own account: the proofs sent to their registered e-mail (a code to enrol a
 * second factor, a link to set a new password) and a notice after each security change (password changed or
 * reset, a new or reset second factor, a recovery code used, other sessions ended, sign-in being throttled).
 * Pure: callers write the message to the outbox in the transaction that makes the change. Japanese for "ja",
 * English for "en", both (Japanese first) for any other locale. Notices never carry a password or a code
 * beyond the one a message exists to deliver.
 */
import type { Message } from "../notify/transport.js";

export type AccountMessage =
  | { kind: "enrolment_code"; code: string; minutes: number }
  | { kind: "password_reset_link"; url: string; minutes: number }
  | { kind: "second_factor_enrolled" }
  | { kind: "second_factor_reset"; by: "operator" | "prefecture" }
  | { kind: "recovery_code_used"; remaining: number }
  | { kind: "password_changed" }
  | { kind: "password_reset_done" }
  | { kind: "sessions_ended"; count: number }
  | { kind: "sign_in_throttled" };

type Text = { subject: string; lines: string[] };

const tokyo = (d: Date) =>
  new Intl.DateTimeFormat("ja-JP", {
    timeZone: "Asia/Tokyo",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  }).format(d);

const notYouJa = "お心当たりがない場合は、すぐにパスワードを変更し、運営事務局にご連絡ください。";
const notYouEn = "If this was not you, change your password now and contact the service desk.";

function japanese(m: AccountMessage, when: string, ip: string): Text {
  const at = `日時: ${when}（日本時間）${ip ? `\n接続元: ${ip}` : ""}`;
  switch (m.kind) {
    case "enrolment_code":
      return {
        subject: "2段階認証の設定用コード",
        lines: [
          `2段階認証（認証アプリ）の設定用コードは ${m.code} です。`,
          `有効期限は${m.minutes}分間です。設定画面に入力してください。`,
          "このコードを他の人に教えないでください。",
          notYouJa,
        ],
      };
    case "password_reset_link":
      return {
        subject: "パスワードの再設定",
        lines: [
          "パスワード再設定のご依頼を受け付けました。次のリンクから新しいパスワードを設定してください。",
          m.url,
          `リンクの有効期限は${m.minutes}分間で、一度だけ使えます。`,
          "ご依頼に心当たりがない場合は、このメールを破棄してください。パスワードは変わりません。",
        ],
      };
    case "second_factor_enrolled":
      return {
        subject: "2段階認証が設定されました",
        lines: ["お使いのアカウントに新しい認証アプリが設定されました。", at, notYouJa],
      };
    case "second_factor_reset":
      return {
        subject: "2段階認証がリセットされました",
        lines: [
          `${m.by === "operator" ? "運営事務局" : "宮城県"}がお使いのアカウントの2段階認証をリセットしました。すべてのセッションが終了しています。`,
          "次回のサインインで、登録メールアドレスに届くコードを使って認証アプリを設定し直してください。",
          at,
          notYouJa,
        ],
      };
    case "recovery_code_used":
      return {
        subject: "リカバリーコードが使われました",
        lines: [
          `リカバリーコードでサインインしました。残りは${m.remaining}個です。`,
          "認証アプリを失くした場合は、アカウント画面で認証アプリを設定し直してください。",
          at,
          notYouJa,
        ],
      };
    case "password_changed":
      return {
        subject: "パスワードが変更されました",
        lines: ["パスワードが変更されました。ほかのセッションは終了しています。", at, notYouJa],
      };
    case "password_reset_done":
      return {
        subject: "パスワードが再設定されました",
        lines: [
          "メールのリンクからパスワードが再設定されました。すべてのセッションが終了しています。",
          at,
          notYouJa,
        ],
      };
    case "sessions_ended":
      return {
        subject: "ほかのセッションを終了しました",
        lines: [`ほかの端末でのセッション${m.count}件を終了しました。`, at, notYouJa],
      };
    case "sign_in_throttled":
      return {
        subject: "サインインの失敗が続いています",
        lines: [
          "お使いのアカウントで、パスワードまたは認証コードの誤りが続いたため、サインインの試行を一時的に遅らせています。",
          "時間をおけば、正しいパスワードで再びサインインできます。アカウントはロックされていません。",
          at,
          notYouJa,
        ],
      };
  }
}

function english(m: AccountMessage, when: string, ip: string): Text {
  const at = `Time: ${when} (Japan time)${ip ? `\nFrom: ${ip}` : ""}`;
  switch (m.kind) {
    case "enrolment_code":
      return {
        subject: "Code to set up two-step verification",
        lines: [
          `Your code to set up two-step verification (an authenticator app) is ${m.code}.`,
          `It is valid for ${m.minutes} minutes. Enter it on the set-up page.`,
          "Do not share this code.",
          notYouEn,
        ],
      };
    case "password_reset_link":
      return {
        subject: "Reset your password",
        lines: [
          "We received a request to reset your password. Set a new one with this link:",
          m.url,
          `The link is valid for ${m.minutes} minutes and works once.`,
          "If you did not ask for this, ignore this e-mail: your password stays as it is.",
        ],
      };
    case "second_factor_enrolled":
      return {
        subject: "Two-step verification was set up",
        lines: ["A new authenticator app was set up for your account.", at, notYouEn],
      };
    case "second_factor_reset":
      return {
        subject: "Two-step verification was reset",
        lines: [
          `The ${m.by === "operator" ? "service operator" : "prefecture"} reset two-step verification for your account. All your sessions were ended.`,
          "At your next sign-in, set up your authenticator app again with a code sent to your registered e-mail.",
          at,
          notYouEn,
        ],
      };
    case "recovery_code_used":
      return {
        subject: "A recovery code was used",
        lines: [
          `You signed in with a recovery code. ${m.remaining} remain.`,
          "If you lost your authenticator app, set it up again on your account page.",
          at,
          notYouEn,
        ],
      };
    case "password_changed":
      return {
        subject: "Your password was changed",
        lines: ["Your password was changed. Your other sessions were ended.", at, notYouEn],
      };
    case "password_reset_done":
      return {
        subject: "Your password was reset",
        lines: [
          "Your password was reset with the e-mailed link. All your sessions were ended.",
          at,
          notYouEn,
        ],
      };
    case "sessions_ended":
      return {
        subject: "Your other sessions were ended",
        lines: [`${m.count} session(s) on other devices were ended.`, at, notYouEn],
      };
    case "sign_in_throttled":
      return {
        subject: "Repeated failed sign-ins",
        lines: [
          "Several wrong passwords or codes were entered for your account, so sign-in attempts are being slowed down for a while.",
          "Your account is not locked: after a short wait you can sign in with your right password.",
          at,
          notYouEn,
        ],
      };
  }
}

/** The languages a message is written in for a locale: ja by default, en, or both (Japanese first). */
export function languagesFor(locale: string | null | undefined): ("ja" | "en")[] {
  const l = (locale ?? "").trim().toLowerCase();
  if (l === "" || l === "ja" || l.startsWith("ja-")) return ["ja"];
  if (l === "en" || l.startsWith("en-")) return ["en"];
  return ["ja", "en"];
}

/** The e-mail for one account message, addressed to the person's registered e-mail. */
export function accountMessage(
  message: AccountMessage,
  opts: { to: string; locale: string; at: Date; ip?: string },
): Message {
  const when = tokyo(opts.at);
  const ip = opts.ip ?? "";
  const languages = languagesFor(opts.locale);
  const texts = languages.map((l) => (l === "ja" ? japanese(message, when, ip) : english(message, when, ip)));
  return {
    channel: "email",
    to: opts.to,
    subject: `【産後ケア みやぎ】${texts.map((t) => t.subject).join(" / ")}`,
    text: [
      ...texts.flatMap((t, i) => [...(i ? ["", "----", ""] : []), ...t.lines]),
      "",
      "産後ケア みやぎ",
    ].join("\n"),
    ...(languages.length === 1 ? { language: languages[0] } : {}),
  };
}
