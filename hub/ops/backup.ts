import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { openEncrypted, readIdentities, writeMaybeEncrypted } from "./encryption.js";
import { OpsError, pgClientSql, pgliteDir, pgliteSql } from "./sql.js";
import {
  CHANGE_COUNTER_TABLE,
  compareSnapshots,
  formatComparison,
  instanceId,
  type Snapshot,
  snapshot,
} from "./tables.js";

const run = promisify(execFile);

/** What backup, restore and erase need from the configuration (hub/config.ts). */
export type OpsConfig = {
  DATABASE_URL?: string;
  DATA_DIR: string;
  BACKUP_DIR?: string;
  BACKUP_GENERATIONS: number;
  /** age public keys (age1…): backups are encrypted to them (hub/ops/encryption.ts); none: not encrypted. */
  BACKUP_RECIPIENTS?: string[];
  /** The age identity file (secret keys) a restore of an encrypted backup reads. */
  BACKUP_IDENTITY_FILE?: string;
};

export const backupDir = (c: OpsConfig) => path.resolve(c.BACKUP_DIR ?? path.join(c.DATA_DIR, "backups"));

/** The sidecar written next to every backup: what it holds, so a restore can be verified. */
export type BackupMeta = DumpState & {
  format: "sango-backup";
  version: 1;
  kind: "postgres" | "pglite";
  createdAt: string;
  file: string;
  bytes: number;
  sha256: string;
  /** How the file is encrypted (absent: not encrypted); the recipients are public keys. */
  encryption?: { scheme: "age"; recipients: string[] };
};

/** What a dump holds, and whose it is: the database's instance id (hub_instance; null before it existed). */
type DumpState = Snapshot & { instance: string | null };

const PREFIX = "sango-";
const EXT = { postgres: ".pgdump", pglite: ".pglite.tar.gz" } as const;
/** Appended to an encrypted backup's name. */
const AGE = ".age";
/** A backup file's name without its kind and encryption extensions, to find its sidecar. */
const BACKUP_FILE = /(\.pgdump|\.pglite\.tar\.gz)(\.age)?$/;

export type BackupResult = { file: string; sidecar: string; meta: BackupMeta; removed: string[] };

export type BackupOptions = {
  config: OpsConfig;
  /** The hub's live PGlite instance (the scheduled job); without it the CLI opens DATA_DIR/pglite itself. */
  lite?: PGlite;
  /** Open DATA_DIR/pglite even though a postmaster.pid says it may be in use. */
  force?: boolean;
  now?: Date;
};

/**
 * One backup: `pg_dump -Fc` of a PostgreSQL server, or a gzipped tarball of the PGlite data directory, encrypted as it
 * is written when BACKUP_RECIPIENTS is set (no plain copy touches the disk). Written under a temporary name and
 * renamed when complete, with a JSON sidecar (row counts, checksums, migrations); then only the newest
 * BACKUP_GENERATIONS backups are kept.
 */
export async function createBackup(opts: BackupOptions): Promise<BackupResult> {
  const { config } = opts;
  const dir = backupDir(config);
  await mkdir(dir, { recursive: true });
  const stamp = (opts.now ?? new Date()).toISOString().replace(/[:.]/g, "-");
  const kind = config.DATABASE_URL ? "postgres" : "pglite";
  const recipients = config.BACKUP_RECIPIENTS ?? [];
  const base = `${PREFIX}${stamp}`;
  const name = base + EXT[kind] + (recipients.length ? AGE : "");
  const file = path.join(dir, name);
  const tmp = path.join(dir, `.tmp-${name}`);
  let state: DumpState;
  try {
    state = config.DATABASE_URL
      ? await dumpPostgres(config.DATABASE_URL, tmp, recipients)
      : await dumpPglite(opts.lite, config.DATA_DIR, tmp, opts.force ?? false, recipients);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  const meta: BackupMeta = {
    format: "sango-backup",
    version: 1,
    kind,
    createdAt: (opts.now ?? new Date()).toISOString(),
    file: path.basename(file),
    bytes: (await stat(tmp)).size,
    sha256: await sha256File(tmp),
    ...(recipients.length ? { encryption: { scheme: "age", recipients } } : {}),
    ...state,
  };
  const sidecar = path.join(dir, `${base}.json`);
  await writeFile(`${sidecar}.tmp`, `${JSON.stringify(meta, null, 2)}\n`);
  await rename(tmp, file);
  await rename(`${sidecar}.tmp`, sidecar);
  const removed = await pruneBackups(dir, config.BACKUP_GENERATIONS, state.instance);
  return { file, sidecar, meta, removed };
}

/** pg_dump from an exported snapshot, with the sidecar computed in that same snapshot: they describe the same data. */
async function dumpPostgres(url: string, out: string, recipients: string[]): Promise<DumpState> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => {});
  await client.connect();
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    await client.query(
      "SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL extra_float_digits = 1",
    );
    const [{ id }] = (await client.query("SELECT pg_export_snapshot() AS id")).rows;
    await pgDump(
      [
        "--format=custom",
        `--snapshot=${id}`,
        `--exclude-table-data=${CHANGE_COUNTER_TABLE}`,
        `--dbname=${url}`,
      ],
      out,
      recipients,
    );
    const q = async <T>(s: string, p?: unknown[]) => (await client.query(s, p as unknown[])).rows as T[];
    const state = { ...(await snapshot(q)), instance: await instanceId(q) };
    await client.query("COMMIT");
    return state;
  } finally {
    await client.end();
  }
}

/**
 * The PGlite data directory as a gzipped tarball (`dumpDataDir`). The sidecar is computed from the tarball itself,
 * loaded into a throwaway in-memory instance: it describes exactly what was saved, even while the hub kept writing,
 * and proves the backup can be opened.
 */
async function dumpPglite(
  live: PGlite | undefined,
  dataDir: string,
  out: string,
  force: boolean,
  recipients: string[],
): Promise<DumpState> {
  let lite = live;
  if (!lite) {
    assertNotInUse(dataDir, force, "back up");
    if (!existsSync(pgliteDir(dataDir))) throw new OpsError(`no embedded database in ${pgliteDir(dataDir)}`);
    lite = await PGlite.create(pgliteDir(dataDir));
  }
  try {
    // Inside a PGlite transaction: the Prisma adapter runs its transactions through the same lock, so the files are
    // never copied in the middle of one of the hub's transactions.
    const instance = lite;
    const blob = await instance.transaction(() => instance.dumpDataDir("gzip"));
    const state = await describePgliteDump(blob);
    await writeMaybeEncrypted(Readable.from([Buffer.from(await blob.arrayBuffer())]), out, recipients);
    return state;
  } finally {
    if (!live) await lite.close();
  }
}

async function describePgliteDump(dump: Blob): Promise<DumpState> {
  const copy = await PGlite.create("memory://", { loadDataDir: dump });
  try {
    return await pgliteSql(copy).tx(async (q) => ({ ...(await snapshot(q)), instance: await instanceId(q) }));
  } finally {
    await copy.close();
  }
}

/** PGlite writes postmaster.pid while an instance has the directory open (it is removed on close). */
export function pgliteInUse(dataDir: string): boolean {
  return existsSync(path.join(pgliteDir(dataDir), "postmaster.pid"));
}

function assertNotInUse(dataDir: string, force: boolean, what: string) {
  if (!force && pgliteInUse(dataDir)) {
    throw new OpsError(
      `the embedded database ${pgliteDir(dataDir)} seems to be in use (postmaster.pid exists): stop the hub first ` +
        `(the running hub backs itself up daily), or pass --force if it crashed and nothing uses it. Refusing to ${what}.`,
    );
  }
}

export type BackupEntry = {
  base: string;
  file: string;
  sidecar: string;
  /** The instance the backup is of (null: written before backups recorded it). */
  instance: string | null;
};

/**
 * Complete backups in a directory, newest first (a backup is complete when its sidecar exists). With `instance`, only
 * that instance's: several instances may share one backup folder. A backup written before sidecars recorded their
 * instance counts as everyone's own, as it did then.
 */
export async function listBackups(dir: string, instance?: string | null): Promise<BackupEntry[]> {
  if (!existsSync(dir)) return [];
  const names = await readdir(dir);
  const entries: BackupEntry[] = [];
  for (const base of names
    .filter((n) => n.startsWith(PREFIX) && n.endsWith(".json"))
    .map((n) => n.slice(0, -".json".length))
    .sort()
    .reverse()) {
    const file = names.find((n) => n !== `${base}.json` && n.startsWith(`${base}.`)) ?? "";
    const sidecar = path.join(dir, `${base}.json`);
    const entry = {
      base,
      file: file && path.join(dir, file),
      sidecar,
      instance: await sidecarInstance(sidecar),
    };
    if (instance === undefined || isOwnBackup(entry, instance)) entries.push(entry);
  }
  return entries;
}

/** Whether a backup is `instance`'s (one from before sidecars recorded their instance is everyone's). */
export const isOwnBackup = (b: BackupEntry, instance: string | null) =>
  b.instance === null || b.instance === instance;

async function sidecarInstance(sidecar: string): Promise<string | null> {
  try {
    const meta = JSON.parse(await readFile(sidecar, "utf8")) as Partial<BackupMeta>;
    return typeof meta.instance === "string" ? meta.instance : null;
  } catch {
    return null;
  }
}

/** Deletes all but the newest `keep` backups of `instance` (the new one is already complete when this runs). */
export async function pruneBackups(dir: string, keep: number, instance: string | null): Promise<string[]> {
  const removed: string[] = [];
  for (const b of (await listBackups(dir, instance)).slice(keep)) {
    for (const f of [b.file, b.sidecar].filter(Boolean)) {
      await rm(f, { force: true });
      removed.push(f);
    }
  }
  return removed;
}

export type RestoreOptions = {
  config: OpsConfig;
  file: string;
  /** PostgreSQL: restore into this database instead of DATABASE_URL (e.g. a fresh one, to check a backup). */
  targetUrl?: string;
  /** The age identity file for an encrypted backup (default BACKUP_IDENTITY_FILE). */
  identityFile?: string;
  /** PGlite: replace DATA_DIR/pglite even though postmaster.pid says it may be in use. */
  force?: boolean;
};

export type RestoreResult = { ok: boolean; report: string; target: string };

/**
 * Restores a backup: `pg_restore --clean --if-exists --no-owner` into the target database, or the tarball into
 * DATA_DIR/pglite (the old directory is replaced only after the restored copy verified). Then compares every table's
 * row count and checksum with the sidecar.
 */
export async function restoreBackup(opts: RestoreOptions): Promise<RestoreResult> {
  const file = path.resolve(opts.file);
  if (!existsSync(file)) throw new OpsError(`backup file not found: ${opts.file}`);
  const sidecarPath = file.replace(BACKUP_FILE, ".json");
  if (sidecarPath === file || !existsSync(sidecarPath)) {
    throw new OpsError(
      `the backup's sidecar ${path.basename(sidecarPath)} is missing: cannot verify, refusing`,
    );
  }
  const meta = JSON.parse(await readFile(sidecarPath, "utf8")) as BackupMeta;
  if (meta.format !== "sango-backup") throw new OpsError(`${sidecarPath} is not a backup sidecar`);
  const sum = await sha256File(file);
  if (sum !== meta.sha256) {
    throw new OpsError(
      `${path.basename(file)} is damaged: its sha256 ${sum} differs from the sidecar's ${meta.sha256}`,
    );
  }
  const identityFile = opts.identityFile ?? opts.config.BACKUP_IDENTITY_FILE;
  if (meta.encryption && !identityFile) {
    throw new OpsError(
      `${path.basename(file)} is encrypted: give the age secret key with --identity <file> (or BACKUP_IDENTITY_FILE)`,
    );
  }
  const identities = meta.encryption && identityFile ? await readIdentities(identityFile) : [];
  if (meta.kind === "postgres") {
    const url = opts.targetUrl ?? opts.config.DATABASE_URL;
    if (!url) throw new OpsError("a PostgreSQL backup needs DATABASE_URL (or --target) to restore into");
    await withPlainFile(file, identities, (plain) =>
      tool("pg_restore", [
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        `--dbname=${url}`,
        plain,
      ]),
    );
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const actual = await pgClientSql(client).tx((q) => snapshot(q));
      return verdict(meta, actual, redact(url));
    } finally {
      await client.end();
    }
  }
  if (opts.config.DATABASE_URL || opts.targetUrl) {
    throw new OpsError("this is a backup of the embedded database (PGlite): restore it without DATABASE_URL");
  }
  const { DATA_DIR } = opts.config;
  assertNotInUse(DATA_DIR, opts.force ?? false, "restore");
  const target = pgliteDir(DATA_DIR);
  const staging = `${target}.restoring`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(path.dirname(target), { recursive: true });
  const bytes = identities.length
    ? await Readable.from(await openEncrypted(file, identities)).toArray()
    : [await readFile(file)];
  const lite = await PGlite.create(staging, { loadDataDir: new Blob(bytes) });
  let result: RestoreResult;
  try {
    result = verdict(meta, await pgliteSql(lite).tx((q) => snapshot(q)), target);
  } finally {
    await lite.close();
  }
  if (!result.ok) {
    await rm(staging, { recursive: true, force: true });
    return {
      ...result,
      report: `${result.report}\nthe restored copy did not verify: ${target} was left unchanged`,
    };
  }
  const old = `${target}.replaced`;
  await rm(old, { recursive: true, force: true });
  if (existsSync(target)) await rename(target, old);
  await rename(staging, target);
  await rm(old, { recursive: true, force: true });
  return result;
}

function verdict(meta: BackupMeta, actual: Snapshot, target: string): RestoreResult {
  const result = compareSnapshots(meta, actual);
  return { ok: result.ok, report: formatComparison(meta, actual, result), target };
}

/**
 * Runs `use` with a plain copy of an encrypted dump (pg_restore needs a seekable file to restore out of dump order),
 * in a private temporary folder removed afterwards; a plain dump is used as it is.
 */
async function withPlainFile(file: string, identities: string[], use: (plain: string) => Promise<void>) {
  if (!identities.length) return use(file);
  const dir = await mkdtemp(path.join(tmpdir(), "sango-restore-"));
  try {
    const plain = path.join(dir, path.basename(file, AGE));
    await writeMaybeEncrypted(await openEncrypted(file, identities), plain, []);
    await use(plain);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** pg_dump writing to stdout, streamed (and encrypted when there are recipients) into `out`. */
async function pgDump(args: string[], out: string, recipients: string[]) {
  const child = spawn("pg_dump", args, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  try {
    const [, code] = await Promise.all([writeMaybeEncrypted(child.stdout, out, recipients), exited]);
    if (code !== 0) throw new OpsError(`pg_dump failed: ${firstLines(stderr)}`);
  } catch (err) {
    child.kill();
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw notInstalled("pg_dump");
    throw err;
  }
}

const firstLines = (s: string) => s.trim().split("\n").slice(0, 5).join("\n");
const notInstalled = (cmd: string) =>
  new OpsError(`${cmd} is not installed: install the PostgreSQL client tools (Debian: postgresql-client)`);

export const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");

async function tool(cmd: string, args: string[]) {
  try {
    await run(cmd, args, { maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT") throw notInstalled(cmd);
    throw new OpsError(`${cmd} failed: ${firstLines(e.stderr ?? e.message)}`);
  }
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
