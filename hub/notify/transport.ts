import nodemailer, { type Transporter } from "nodemailer";
import type { PrismaClient } from "../db/client.js";

export type Message = { channel: "email" | "sms"; to: string; subject?: string; text: string };

export interface Transport {
  send(message: Message): Promise<void>;
}

/** The embedded default: messages land in a local mailbox table that the portal shows. */
export class LocalMailbox implements Transport {
  constructor(private readonly prisma: PrismaClient) {}
  async send(m: Message) {
    await this.prisma.mailboxMessage.create({
      data: { channel: m.channel, to: m.to, subject: m.subject ?? "", body: m.text },
    });
  }
}

/** E-mail over SMTP (SMTP_URL, e.g. smtp://user:pass@host:587); SMS falls through to `sms`. */
export class SmtpTransport implements Transport {
  private readonly mailer: Transporter;
  constructor(
    smtpUrl: string,
    private readonly from: string,
    private readonly sms: Transport,
  ) {
    this.mailer = nodemailer.createTransport(smtpUrl);
  }
  async send(m: Message) {
    if (m.channel === "sms") return this.sms.send(m);
    await this.mailer.sendMail({ from: this.from, to: m.to, subject: m.subject ?? "", text: m.text });
  }
}

/** SMTP when SMTP_URL is set, else the local mailbox. SMS providers arrive with the notifications work. */
export function createTransport(
  cfg: { SMTP_URL?: string; MAIL_FROM: string },
  prisma: PrismaClient,
): Transport {
  const local = new LocalMailbox(prisma);
  return cfg.SMTP_URL ? new SmtpTransport(cfg.SMTP_URL, cfg.MAIL_FROM, local) : local;
}
