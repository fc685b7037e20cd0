import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Encrypter } from "age-encryption";
import { z } from "zod";
import { validCidr } from "./network.js";

/** Process roles: one codebase, chosen per process (see README "Scaling out"). */
export const PROCESS_ROLES = ["api", "workers", "cron"] as const;
export type ProcessRole = (typeof PROCESS_ROLES)[number];
export const STAFF_ROLES = ["facility", "municipality", "association", "prefecture", "operator"] as const;

const list = (s: string) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);

const cidr = z.string().refine(validCidr, "must be an IP address or CIDR range");

/** An age public key (hub/ops/encryption.ts): age itself decides, so every recipient type it supports passes. */
const ageRecipient = z.string().refine((r) => {
  try {
    new Encrypter().addRecipient(r);
    return r.startsWith("age1");
  } catch {
    return false;
  }
}, "must be an age public key (age1…, from age-keygen)");

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  DATA_DIR: z.string().min(1).default("./data"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL")
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "must be a redis:// URL")
    .optional(),
  /** Prefix of every Redis key (queues, throttles): instances sharing one Redis keep their work apart. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/, "letters, digits, - and _ only (at most 40)")
    .default("sango"),
  PROCESS_ROLES: z
    .string()
    .default("api,workers,cron")
    .transform(list)
    .pipe(z.array(z.enum(PROCESS_ROLES)).min(1)),
  BASE_PATH: z
    .string()
    .default("/")
    .refine((s) => s.startsWith("/"), "must start with /")
    .transform((s) => (s.endsWith("/") ? s : `${s}/`)),
  PUBLIC_URL: z.url().optional(),
  TRUSTED_PROXIES: z.string().default("").transform(list).pipe(z.array(cidr)),
  SECRET_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex characters (32 bytes)")
    .optional(),
  COOKIE_SECURE: z
    .enum(["true", "false"])
    .default("true")
    .transform((s) => s === "true"),
  TOTP_REQUIRED_ROLES: z
    .string()
    .default("")
    .transform(list)
    .pipe(z.array(z.enum(STAFF_ROLES))),
  SESSION_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(12),
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).default(180),
  /** Daily JSON log files (besides standard output); default DATA_DIR/logs, none with an in-memory DATA_DIR. */
  LOG_DIR: z.string().min(1).optional(),
  /** Application log files older than this are deleted by the retention job (the SLA keeps 180 days). */
  LOG_RETENTION_DAYS: z.coerce.number().int().min(1).default(180),
  /** How long a resident has to accept a place offered from the waitlist before it goes to the next. */
  WAITLIST_OFFER_MINUTES: z.coerce
    .number()
    .int()
    .min(5)
    .max(7 * 24 * 60)
    .default(120),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, "must be an smtp:// or smtps:// URL")
    .optional(),
  MAIL_FROM: z.string().min(3).default("産後ケア みやぎ <no-reply@sango-care.miyagi.example>"),
  /** The generic HTTP SMS provider: POST {to, text} as JSON; without it SMS go to the local mailbox. */
  SMS_API_URL: z
    .string()
    .regex(/^https?:\/\//, "must be an http:// or https:// URL")
    .pipe(z.url())
    .optional(),
  /** Sent to the SMS provider as `Authorization: Bearer <token>`. */
  SMS_API_TOKEN: z.string().min(1).max(4096).optional(),
  DEMO_MAILBOX: z
    .enum(["true", "false"])
    .default("false")
    .transform((s) => s === "true"),
  SEED_DEMO: z
    .enum(["true", "false"])
    .default("false")
    .transform((s) => s === "true"),
  /**
   * Networks whose addresses facility systems may live at (LGWAN, a data centre): connection URLs resolving into
   * private, loopback, link-local and other non-public ranges are refused unless listed here.
   */
  CONNECTOR_ALLOWED_NETWORKS: z.string().default("").transform(list).pipe(z.array(cidr)),
  /** Bearer token that reads /metrics from anywhere (hub/http/metrics-access.ts). */
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").max(4096).optional(),
  /** Networks that read /metrics without a token; "none" for none. */
  METRICS_ALLOWED_NETWORKS: z
    .string()
    .default("127.0.0.0/8,::1/128")
    .transform((s) => (s.trim().toLowerCase() === "none" ? [] : list(s)))
    .pipe(z.array(cidr)),
  /** Where backups go (hub/ops/backup.ts); default DATA_DIR/backups. */
  BACKUP_DIR: z.string().min(1).optional(),
  /** How many backups to keep: older ones are deleted once a new one is complete. */
  BACKUP_GENERATIONS: z.coerce.number().int().min(1).max(365).default(3),
  /** age public keys backups are encrypted to (hub/ops/encryption.ts); none: backups are not encrypted. */
  BACKUP_RECIPIENTS: z.string().default("").transform(list).pipe(z.array(ageRecipient)),
  /** The age identity file (secret key) `npm run restore` reads for an encrypted backup; not needed to back up. */
  BACKUP_IDENTITY_FILE: z.string().min(1).optional(),
  /**
   * PostgreSQL: the longest a request's statement may run, wait for a lock, or wait for a connection before the
   * request ends in 503 (hub/db/unavailable.ts). Migrations and operations commands are not bounded by them.
   */
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  DB_LOCK_TIMEOUT_MS: z.coerce.number().int().min(50).max(3_600_000).default(5_000),
  DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  /** PostgreSQL: connections per hub process (default twice the cores plus one, hub/db/client.ts DEFAULT_POOL_SIZE). */
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(500).optional(),
});

export type Config = Omit<z.infer<typeof schema>, "SECRET_KEY" | "PUBLIC_URL"> & {
  SECRET_KEY: Buffer;
  PUBLIC_URL: string;
};

export class ConfigError extends Error {}

/**
 * Reads and validates the environment once. Every invalid variable is listed in one error.
 * Without SECRET_KEY the embedded default keeps a generated key in DATA_DIR, so a demo needs no setup;
 * production sets it explicitly (encryption at rest of TOTP seeds and connector credentials).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (`DATABASE_URL=`) means unset, as in most env files.
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== "")));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const c = parsed.data;
  return {
    ...c,
    SECRET_KEY: c.SECRET_KEY ? Buffer.from(c.SECRET_KEY, "hex") : localSecretKey(c.DATA_DIR),
    PUBLIC_URL: (c.PUBLIC_URL ?? `http://localhost:${c.PORT}${c.BASE_PATH}`).replace(/\/?$/, "/"),
  };
}

function localSecretKey(dataDir: string): Buffer {
  const file = path.join(dataDir, "secret.key");
  if (existsSync(file)) return Buffer.from(readFileSync(file, "utf8").trim(), "hex");
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString("hex"), { mode: 0o600 });
  return key;
}
