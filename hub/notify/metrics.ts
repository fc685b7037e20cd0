import { Counter, register } from "prom-client";

/** A counter registered once per process (a module loaded twice must not register the name twice). */
function counter<L extends string>(name: string, help: string, labelNames: L[]): Counter<L> {
  return (
    (register.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames })
  );
}

/** Messages handed to their transport (SMTP, the SMS provider or the local mailbox), by channel. */
export const messagesSent = counter(
  "notify_messages_sent_total",
  "Outbox messages sent, by channel (email, sms)",
  ["channel"],
);

/** Failed attempts that will be tried again after a backoff, by channel. */
export const messagesRetried = counter(
  "notify_messages_retried_total",
  "Failed send attempts scheduled for another try, by channel",
  ["channel"],
);

/** Messages given up: refused for good (`permanent`) or out of attempts (`exhausted`). */
export const messagesFailed = counter(
  "notify_messages_failed_total",
  "Outbox messages given up, by channel and reason (permanent, exhausted)",
  ["channel", "reason"],
);
