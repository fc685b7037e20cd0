import { defineConfig } from "vitest/config";

/**
 * Three projects, so each kind of test can be run on its own (README "Testing"):
 * - unit: beside the code, no database, no services, seconds (`npm run test:unit`);
 * - integration: test/integration, a hub on PostgreSQL + Redis or PGlite + in-process jobs (`npm run test:integration`);
 * - browser: test/browser, the built portal in Chromium (`npm run test:browser`).
 * Integration and browser tests start their hubs from databases seeded once per run (test/support/templates.ts).
 */
const HUBS = ["test/support/global-setup.ts"];

export default defineConfig({
  test: {
    // A no-op unless TEST_CLOCK_UTC is set (CI's runs with the clock at the hours around Tokyo midnight).
    setupFiles: ["test/support/shifted-clock.ts"],
    // Generous: a loaded CI machine can be several times slower than a quiet one; speed is the benchmark's job.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Two test files at a time suits a 2-core machine.
    maxWorkers: 2,
    fileParallelism: true,
    // A worker keeps its loaded modules from one test file to the next instead of starting afresh for each: module
    // loading (Prisma, koa, ajv, …) was a quarter of a run. Every hub, database and mailbox is still per file, and
    // nothing in the hub may keep state in a module-level variable (the shifted clock is reset per file too).
    isolate: false,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: [
            "hub/**/*.test.ts",
            "jobs/**/*.test.ts",
            "connectors/**/*.test.ts",
            "fixtures/**/*.test.ts",
            "test/support/**/*.test.ts",
            "portal/**/*.test.ts",
          ],
        },
      },
      {
        extends: true,
        test: { name: "integration", include: ["test/integration/**/*.test.ts"], globalSetup: HUBS },
      },
      {
        extends: true,
        test: {
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          globalSetup: [...HUBS, "test/browser/global-setup.ts"],
        },
      },
    ],
  },
});
