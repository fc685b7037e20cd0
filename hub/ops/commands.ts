import path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config.js";
import { exportArchive, importArchive } from "./archive.js";
import { backupDir, createBackup, listBackups, pgliteInUse, restoreBackup } from "./backup.js";
import { eraseEverything, recordExport } from "./erase.js";
import { OpsError, openOpsDb } from "./sql.js";

/**
 * Operations from the command line (docs/operations.md; the entry point is hub/ops/cli.ts), against the configured
 * database (DATABASE_URL, else PGlite under DATA_DIR):
 *   npm run backup                                   a backup now (keeps BACKUP_GENERATIONS)
 *   npm run restore -- <file> [--target <url>] [--identity <age key file>] [--force]
 *   npm run export -- [<file.zip>]
 *   npm run import-archive -- <file.zip>
 *   npm run erase -- --yes-delete-everything [--redis-prefix <p>] [--force]
 * Expected failures print a message and exit 1 (2 for usage errors), never a stack trace.
 */
const USAGE = `usage: tsx hub/ops/cli.ts <command>
  backup [--list] [--force]                      back up the database now (--list: the backups kept)
  restore <file> [--target <url>] [--identity <key file>] [--force]
                                                 restore a backup, then verify counts and checksums
                                                 (--identity: the age secret key of an encrypted backup)
  export [<file.zip>]                            export everything (CSV per table + metadata.json)
  import <file.zip>                              import an export into an empty instance
  erase --yes-delete-everything [--redis-prefix <p>] [--force]
                                                 (--redis-prefix: default REDIS_PREFIX)
                                                 delete all data, backups, exports and queued jobs`;

class UsageError extends Error {}

/** Where a command writes: its result (stdout) and progress and errors (stderr). */
export type CliOutput = { out(line: string): void; err(line: string): void };

const STDIO: CliOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * Runs one command line and gives its exit code: 0 done, 1 an expected failure (a message, never a stack trace),
 * 2 a usage error (the message and the usage).
 */
export async function runCli(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  io: CliOutput = STDIO,
): Promise<number> {
  try {
    return await run(argv, env, io);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      io.err(`${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    if (err instanceof OpsError || err instanceof ConfigError) {
      io.err(`error: ${err.message}`);
      return 1;
    }
    io.err(`error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

async function run(argv: string[], env: NodeJS.ProcessEnv, io: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      force: { type: "boolean", default: false },
      list: { type: "boolean", default: false },
      target: { type: "string" },
      identity: { type: "string" },
      "redis-prefix": { type: "string" },
      "yes-delete-everything": { type: "boolean", default: false },
    },
  });
  const [command, file] = positionals;
  const config = loadConfig(env);
  const log = io.err;

  switch (command) {
    case "backup": {
      if (values.list) {
        const list = await listBackups(backupDir(config));
        for (const b of list) io.out(b.file || `${b.sidecar} (its dump is missing)`);
        if (!list.length) io.out(`no backups in ${backupDir(config)}`);
        return 0;
      }
      log(
        `backing up ${config.DATABASE_URL ? "PostgreSQL (pg_dump)" : `the embedded database in ${config.DATA_DIR}`}…`,
      );
      const r = await createBackup({ config, force: values.force });
      const rows = Object.values(r.meta.tables).reduce((s, t) => s + t.rows, 0);
      io.out(
        `backup: ${r.file} (${(r.meta.bytes / 1e6).toFixed(1)} MB, ${Object.keys(r.meta.tables).length} tables, ${rows} rows)`,
      );
      io.out(`sidecar: ${r.sidecar}`);
      for (const f of r.removed) io.out(`removed old generation: ${f}`);
      return 0;
    }
    case "restore": {
      if (!file) throw new UsageError("restore needs the backup file");
      log(`restoring ${file}…`);
      const r = await restoreBackup({
        config,
        file,
        targetUrl: values.target,
        identityFile: values.identity,
        force: values.force,
      });
      io.out(`restored into ${r.target}`);
      io.out(r.report);
      return r.ok ? 0 : 1;
    }
    case "export": {
      const stamp = new Date().toISOString().replace(/[:.]/g, "-");
      const out = file ?? path.join(config.DATA_DIR, "exports", `sango-export-${stamp}.zip`);
      if (!config.DATABASE_URL && pgliteInUse(config.DATA_DIR) && !values.force) {
        throw new OpsError(
          "the embedded database seems to be in use (postmaster.pid exists): stop the hub first, or --force",
        );
      }
      const db = await openOpsDb({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
      try {
        const r = await exportArchive(db.sql, out);
        await recordExport(config.DATA_DIR, r.file);
        const rows = r.metadata.tables.reduce((s, t) => s + t.rows, 0);
        io.out(`exported ${r.metadata.tables.length} tables, ${rows} rows to ${r.file}`);
        return 0;
      } finally {
        await db.close();
      }
    }
    case "import": {
      if (!file) throw new UsageError("import needs the archive (.zip)");
      if (!config.DATABASE_URL && pgliteInUse(config.DATA_DIR) && !values.force) {
        throw new OpsError(
          "the embedded database seems to be in use (postmaster.pid exists): stop the hub first, or --force",
        );
      }
      const db = await openOpsDb({
        databaseUrl: config.DATABASE_URL,
        dataDir: config.DATA_DIR,
        migrate: true,
      });
      try {
        const r = await importArchive(db.sql, file);
        io.out(r.report);
        io.out(`imported ${r.tables} tables, ${r.rows} rows from ${file}`);
        return 0;
      } finally {
        await db.close();
      }
    }
    case "erase": {
      if (!values["yes-delete-everything"]) {
        throw new UsageError(
          "erase deletes the database, every file under DATA_DIR, the backups, exported archives and the queued jobs, " +
            "for good. Stop the hub, then run it again with --yes-delete-everything.",
        );
      }
      const r = await eraseEverything({
        config,
        redisPrefix: values["redis-prefix"] ?? config.REDIS_PREFIX,
        force: values.force,
      });
      io.out(r.report);
      return r.ok ? 0 : 1;
    }
    default:
      throw new UsageError(command ? `unknown command: ${command}` : "no command");
  }
}
