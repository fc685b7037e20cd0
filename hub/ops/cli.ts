import path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config.js";
import { exportArchive, importArchive } from "./archive.js";
import { backupDir, createBackup, listBackups, pgliteInUse, restoreBackup } from "./backup.js";
import { eraseEverything, recordExport } from "./erase.js";
import { OpsError, openOpsDb } from "./sql.js";

/**
 * Operations from the command line (docs/operations.md), against the configured database (DATABASE_URL, else PGlite
 * under DATA_DIR):
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

async function main(argv: string[]): Promise<number> {
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
  const config = loadConfig();
  const log = (s: string) => process.stderr.write(`${s}\n`);

  switch (command) {
    case "backup": {
      if (values.list) {
        const list = await listBackups(backupDir(config));
        for (const b of list) console.log(b.file || `${b.sidecar} (its dump is missing)`);
        if (!list.length) console.log(`no backups in ${backupDir(config)}`);
        return 0;
      }
      log(
        `backing up ${config.DATABASE_URL ? "PostgreSQL (pg_dump)" : `the embedded database in ${config.DATA_DIR}`}…`,
      );
      const r = await createBackup({ config, force: values.force });
      const rows = Object.values(r.meta.tables).reduce((s, t) => s + t.rows, 0);
      console.log(
        `backup: ${r.file} (${(r.meta.bytes / 1e6).toFixed(1)} MB, ${Object.keys(r.meta.tables).length} tables, ${rows} rows)`,
      );
      console.log(`sidecar: ${r.sidecar}`);
      for (const f of r.removed) console.log(`removed old generation: ${f}`);
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
      console.log(`restored into ${r.target}`);
      console.log(r.report);
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
        console.log(`exported ${r.metadata.tables.length} tables, ${rows} rows to ${r.file}`);
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
        console.log(r.report);
        console.log(`imported ${r.tables} tables, ${r.rows} rows from ${file}`);
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
      console.log(r.report);
      return r.ok ? 0 : 1;
    }
    default:
      throw new UsageError(command ? `unknown command: ${command}` : "no command");
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n${USAGE}`);
      process.exit(2);
    }
    if (err instanceof OpsError || err instanceof ConfigError) {
      console.error(`error: ${err.message}`);
      process.exit(1);
    }
    if ((err as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      console.error(`${(err as Error).message}\n${USAGE}`);
      process.exit(2);
    }
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
