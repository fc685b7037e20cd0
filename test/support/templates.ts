/**
 * Seeded databases made once per test run and copied for every test hub (issue 13). Migrating and seeding a
 * database costs tens of seconds on PGlite and many seconds on PostgreSQL; copying one costs ~0.2 s
 * (`CREATE DATABASE … TEMPLATE …`) or ~2 s (loading a saved PGlite data directory).
 *
 * A template is built the first time a test file asks for it, by that file's own process: under the same
 * shifted clock (test/support/shifted-clock.ts) as every file of the run, so its "today" is theirs. A lock file
 * in the run's directory makes the other workers wait for it instead of building it too. The run's directory
 * and the PostgreSQL templates are removed by test/support/global-setup.ts when the run ends.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import lockfile from "proper-lockfile";
import { openDb, type PrismaClient } from "../../hub/db/client.js";
import { hashPassword } from "../../hub/identity/passwords.js";
import { withClockSetBack } from "./shifted-clock.js";

/**
 * Under TEST_CLOCK_UTC, templates are built with the clock this much earlier than the files that copy them start
 * (see withClockSetBack); 10 minutes keeps the Tokyo date at 23:30 and 14:59 UTC alike.
 */
const BUILD_CLOCK_SET_BACK_MS = 10 * 60_000;

/** What global-setup.ts gives every test file of a run. */
export type TemplateRun = { dir: string; id: string };

declare module "vitest" {
  export interface ProvidedContext {
    templates: TemplateRun;
  }
}

/** What a test hub starts from: a migrated, empty database or the demo data with `residents` residents. */
export type TemplateKind = { seed: "none" } | { seed: "demo"; residents: number };

/** Where a new test database is copied from: a PostgreSQL template database or a PGlite data directory dump. */
export type Template = { postgres: string } | { pglite: string };

/** The run's template directory, or undefined outside a vitest run with global-setup.ts (no templates then). */
export async function templateRun(): Promise<TemplateRun | undefined> {
  if (!process.env.VITEST) return undefined;
  const { inject } = await import("vitest");
  return inject("templates");
}

function keyOf(kind: TemplateKind): string {
  return kind.seed === "demo" ? `demo-${kind.residents}` : "none";
}

/** The template for `kind`, built now under a lock if no worker of this run has built it yet. */
export async function template(run: TemplateRun, kind: TemplateKind, serverUrl?: string): Promise<Template> {
  const key = `${keyOf(kind)}.${serverUrl ? "postgres" : "pglite"}`;
  const done = path.join(run.dir, key);
  if (!existsSync(done)) {
    const release = await lockfile.lock(done, {
      realpath: false,
      // A demo template takes tens of seconds to build on a loaded machine: wait for it patiently, and never take
      // a lock over from a builder that is merely slow. The lock's age is its file's time (the real clock) against
      // this process's Date.now(), which a run with TEST_CLOCK_UTC moves by up to a day: with a staleness of minutes
      // the lock looked stale the moment it was taken whenever the shifted clock was ahead, and two workers built
      // the same template at once (one's rename then found the other's file gone). The run's directory is the
      // run's own, so a lock is never left from before it.
      retries: { retries: 1000, minTimeout: 100, maxTimeout: 500 },
      stale: 2 * 24 * 3_600_000,
    });
    try {
      if (!existsSync(done)) {
        await withClockSetBack(BUILD_CLOCK_SET_BACK_MS, () => build(run, kind, key, done, serverUrl));
      }
    } finally {
      await release();
    }
  }
  return serverUrl ? { postgres: readFileSync(done, "utf8") } : { pglite: done };
}

async function build(run: TemplateRun, kind: TemplateKind, key: string, done: string, serverUrl?: string) {
  // Demo data starts from the empty template: on PGlite the migrations alone take longer than loading it.
  const base = kind.seed === "demo" ? await template(run, { seed: "none" }, serverUrl) : undefined;
  if (serverUrl) {
    const name = `hubtpl_${run.id}_${key.replace(/\W/g, "_")}`;
    await createDatabase(serverUrl, name, base && "postgres" in base ? base.postgres : undefined);
    try {
      const db = await openDb({
        databaseUrl: databaseUrl(serverUrl, name),
        dataDir: "memory://",
        poolSize: 4,
      });
      try {
        if (kind.seed === "demo") await seedDemoData(db.prisma, kind.residents);
      } finally {
        // A template database can be copied only while nobody is connected to it.
        await db.close();
      }
    } catch (err) {
      await dropDatabase(serverUrl, name);
      throw err;
    }
    writeFileSync(done, name);
    return;
  }
  const db = await openDb({
    dataDir: "memory://",
    loadDataDir: base && "pglite" in base ? loadTemplate(base) : undefined,
  });
  try {
    if (kind.seed === "demo") await seedDemoData(db.prisma, kind.residents);
    const dump = await db.pglite?.dumpDataDir("gzip");
    if (!dump) throw new Error("PGlite gave no data directory dump");
    // Written under a name of this process's own, then renamed: a reader never sees half a file.
    const partial = `${done}.${process.pid}.tmp`;
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    renameSync(partial, done);
  } finally {
    await db.close();
  }
}

async function seedDemoData(prisma: PrismaClient, residents: number) {
  const { seedDemo } = await import("../../fixtures/seed.js");
  await seedDemo(prisma, { hashPassword, residents });
}

/** A PGlite template's data directory, for `openDb({ loadDataDir })`. */
export function loadTemplate(t: { pglite: string }): Blob {
  return new Blob([readFileSync(t.pglite)]);
}

/** A new database on the server, empty or a copy of `template`. */
export async function createDatabase(serverUrl: string, name: string, template?: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ""}`);
  } finally {
    await admin.end();
  }
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** The URL of database `name` on the server of `serverUrl`. */
export function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A database name no other file or run uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
}
