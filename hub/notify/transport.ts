import nodemailer, { type Transporter } from "nodemailer";
import { PLAN_CACHED, Prisma, type PrismaClient } from "../db/client.js";
import { hotRows } from "../db/hot.js";
import { DeliveryError, NETWORK_ERROR_CODES } from "./errors.js";
import { redact } from "./mask.js";
import { createSmsProvider, type SmsProvider } from "./sms.js";

export { DeliveryError } from "./errors.js";

/** Whom a message concerns: the delivery log is scoped by it (a facility sees its own, a municipality its residents'). */
export type MessageAbout = { residentId?: string; facilityId?: string; municipalityCode?: string };

export type Message = {
  channel: "email" | "sms";
  to: string;
  subject?: string;
  text: string;
  /** Whom the message concerns, for the delivery log. */
  about?: MessageAbout;
  /** The recipient's language (e.g. "ja", "en"), when the text was written for it. */
  language?: string;
  /** ISO time after which the message is useless and is not sent (a sign-in code's validity). */
  expiresAt?: string;
};

/**
 * What a transport knows of the outbox row it is sending: its key (outboxKey), which providers use to refuse
 * duplicates.
 */
export type SendContext = { key: string };

/** A sent message: the provider's own id of it, when it gives one (an SMTP server's queue id, an SMS id). */
export type SendResult = { providerRef?: string };

export interface Transport {
  send(message: Message, ctx?: SendContext): Promise<SendResult | undefined>;
}

/** The embedded default: messages land in a local mailbox table that the portal shows. */
export class LocalMailbox implements Transport {
  constructor(private readonly prisma: PrismaClient) {}
  async send(m: Message): Promise<SendResult> {
    // Every booking's notice passes here in the demo and the bench: a hot statement (hub/db/hot.ts).
    const [row] = await hotRows<{ id: string }>(
      this.prisma,
      Prisma.sql`${PLAN_CACHED}
        INSERT INTO mailbox_message (channel, to_address, subject, body, created_at)
        VALUES (${m.channel}, ${m.to}, ${m.subject ?? ""}, ${m.text}, ${new Date()}::timestamp)
        RETURNING id::text`,
    );
    return { providerRef: `mailbox:${row?.id}` };
  }
}

type SmtpError = Error & { code?: string; responseCode?: number; command?: string };

/**
 * Classifies an SMTP failure. A 5xx answer to the recipient or the message (550 no such user, 552, 554) is
 * permanent; a 4xx answer (421, 450, 451) or no answer at all (refused, timed out, TLS or login failure:
 * the operator can fix those, so the message waits) is retried.
 */
export function smtpDeliveryError(err: unknown, to: string): DeliveryError {
  const e = err as SmtpError;
  const text = redact(String(e?.message ?? err).slice(0, 400), to);
  const code = e?.code ?? "";
  const response = typeof e?.responseCode === "number" ? e.responseCode : undefined;
  if (response !== undefined && response >= 500 && response < 600 && code !== "EAUTH") {
    return new DeliveryError(`SMTP ${response}: ${text}`, { permanent: true });
  }
  // "No recipients defined": the address itself is unusable.
  if (code === "EENVELOPE" && response === undefined) {
    return new DeliveryError(`SMTP: ${text}`, { permanent: true });
  }
  if (response !== undefined && response >= 400 && response < 500) {
    // 421: the server is closing the connection for everyone; 45x: this message, later.
    return new DeliveryError(`SMTP ${response}: ${text}`, { unavailable: response === 421 });
  }
  return new DeliveryError(`SMTP ${code || "error"}: ${text}`, {
    unavailable: NETWORK_ERROR_CODES.has(code) || response === undefined,
  });
}

/** E-mail over SMTP (SMTP_URL, e.g. smtp://user:pass@host:587); SMS falls through to `sms`. */
export class SmtpTransport implements Transport {
  private readonly mailer: Transporter;
  private readonly host: string;
  constructor(
    smtpUrl: string,
    private readonly from: string,
    private readonly sms: Transport,
  ) {
    // Bounded waits: a dispatcher holds its claim on a row for OUTBOX_LEASE_MS, and a send must end well
    // within it, or another dispatcher could send the same message again.
    // (Parameters in the URL, e.g. ?socketTimeout=…, take precedence.)
    this.mailer = nodemailer.createTransport({
      url: smtpUrl,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 30_000,
      dnsTimeout: 10_000,
    });
    this.host = senderDomain(from);
  }
  async send(m: Message, ctx?: SendContext): Promise<SendResult | undefined> {
    if (m.channel === "sms") return this.sms.send(m, ctx);
    try {
      const info = await this.mailer.sendMail({
        from: this.from,
        to: m.to,
        subject: m.subject ?? "",
        text: m.text,
        // The same outbox row always has the same Message-ID, so a receiving server can drop a duplicate.
        ...(ctx ? { messageId: `<${ctx.key}@${this.host}>` } : {}),
        ...(m.language ? { headers: { "Content-Language": m.language } } : {}),
      });
      if (info.rejected?.length) {
        throw Object.assign(new Error(`recipient rejected: ${String(info.response ?? "")}`), {
          code: "EENVELOPE",
          responseCode: 550,
        });
      }
      return { providerRef: smtpQueueId(info.response) ?? info.messageId };
    } catch (err) {
      throw smtpDeliveryError(err, m.to);
    }
  }
}

/** "250 2.0.0 Ok: queued as 4Bx1yZ" → "4Bx1yZ"; the server's own id of the message, when it says one. */
export function smtpQueueId(response: string | undefined): string | undefined {
  const m = /queued as\s+([^\s]+)/i.exec(response ?? "");
  return m?.[1];
}

function senderDomain(from: string): string {
  const m = /@([A-Za-z0-9.-]+)/.exec(from);
  return m?.[1] ?? "sango-care.miyagi.example";
}

/** SMS through an SmsProvider; e-mail falls through to `email`. */
export class SmsTransport implements Transport {
  constructor(
    private readonly provider: SmsProvider,
    private readonly email: Transport,
  ) {}
  async send(m: Message, ctx?: SendContext): Promise<SendResult | undefined> {
    if (m.channel !== "sms") return this.email.send(m, ctx);
    return this.provider.send({ to: m.to, text: m.text }, ctx);
  }
}

/**
 * E-mail over SMTP when SMTP_URL is set, SMS through the HTTP provider when SMS_API_URL is set; whatever has
 * no transport configured lands in the local mailbox (the embedded default and the demo).
 */
export function createTransport(
  cfg: { SMTP_URL?: string; MAIL_FROM: string; SMS_API_URL?: string; SMS_API_TOKEN?: string },
  prisma: PrismaClient,
): Transport {
  const local = new LocalMailbox(prisma);
  const sms = createSmsProvider(cfg);
  const smsTransport: Transport = sms ? new SmsTransport(sms, local) : local;
  return cfg.SMTP_URL ? new SmtpTransport(cfg.SMTP_URL, cfg.MAIL_FROM, smsTransport) : smsTransport;
}
