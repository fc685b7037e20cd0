import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../config.js";
import { openDb } from "../db/client.js";
import { importResidents } from "./apply.js";
import { importFacilities, importMunicipalities } from "./apply-reference.js";
import { ImportFileError, readTable } from "./read.js";

/**
 * `npm run import -- residents <file> --municipality 041009 [--apply]` and
 * `npm run import -- municipalities|facilities <file> [--apply]`: initial data migration from the command line, against the configured database (DATABASE_URL, else PGlite under DATA_DIR). A dry run unless
 * --apply; prints the line-numbered report; exits 1 when the file has errors (nothing is then written).
 */
const USAGE =
  "usage: npm run import -- residents <file.csv|file.xlsx> --municipality <code> [--apply]\n" +
  "       npm run import -- municipalities|facilities <file.csv|file.xlsx> [--apply]";

function bar(label: string, done: number, total: number) {
  if (!process.stderr.isTTY && done !== total) return;
  const width = 30;
  const filled = total ? Math.round((done / total) * width) : width;
  process.stderr.write(
    `\r${label.padEnd(10)} [${"█".repeat(filled)}${"░".repeat(width - filled)}] ${done}/${total}${done === total ? "\n" : ""}`,
  );
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { municipality: { type: "string" }, apply: { type: "boolean", default: false } },
  });
  const [kind, file] = positionals;
  const known = kind === "residents" || kind === "municipalities" || kind === "facilities";
  if (!known || !file || (kind === "residents" && !values.municipality)) {
    console.error(USAGE);
    return 2;
  }
  const table = await readTable(path.basename(file), readFileSync(file));
  process.stderr.write(`${file}: ${table.rows.length} rows (${table.encoding})\n`);
  const config = loadConfig();
  const db = await openDb({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
  try {
    const started = performance.now();
    const dryRun = !values.apply;
    const result =
      kind === "municipalities"
        ? await importMunicipalities(db.prisma, table, { dryRun })
        : kind === "facilities"
          ? await importFacilities(db.prisma, table, { dryRun })
          : await importResidents(db.prisma, table, {
              municipalityCode: values.municipality ?? "",
              dryRun,
              onProgress: (done, total) => bar("validating", done, total),
            });
    for (const e of result.errors) console.log(`line ${e.line}\t${e.column || "-"}\t${e.code}\t${e.message}`);
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    if (result.errors.length) {
      console.log(`${result.errors.length} errors in ${result.rows} rows: nothing was imported.`);
      return 1;
    }
    console.log(
      `${result.dryRun ? "dry run: would create" : "created"} ${result.created}, ${result.dryRun ? "would update" : "updated"} ${result.updated} of ${result.rows} rows in ${seconds} s${result.dryRun ? " (add --apply to write)" : ""}.`,
    );
    return 0;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof ImportFileError ? `${err.code}: ${err.message}` : err);
    process.exit(1);
  },
);
