/**
 * Once per vitest run: a directory for the run's database templates (test/support/templates.ts), given to every
 * test file, and at the end the PostgreSQL template databases dropped and the directory removed. Several projects
 * (integration, browser) share one set of templates: the first to start makes it, the last to finish removes it.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { dropDatabase, type TemplateRun } from "./templates.js";

const SHARED = Symbol.for("sango.test.templates");
type Shared = { run: TemplateRun; users: number };
const g = globalThis as typeof globalThis & { [SHARED]?: Shared };

export default function setup(project: TestProject) {
  const shared = g[SHARED] ?? {
    run: { dir: mkdtempSync(path.join(tmpdir(), "sango-templates-")), id: randomBytes(3).toString("hex") },
    users: 0,
  };
  g[SHARED] = shared;
  shared.users++;
  project.provide("templates", shared.run);
  return async () => {
    if (--shared.users > 0) return;
    g[SHARED] = undefined;
    const serverUrl = process.env.DATABASE_URL;
    for (const file of readdirSync(shared.run.dir).filter((f) => f.endsWith(".postgres"))) {
      if (serverUrl) await dropDatabase(serverUrl, readFileSync(path.join(shared.run.dir, file), "utf8"));
    }
    rmSync(shared.run.dir, { recursive: true, force: true });
  };
}
