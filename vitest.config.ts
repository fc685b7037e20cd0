import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "hub/**/*.test.ts",
      "jobs/**/*.test.ts",
      "connectors/**/*.test.ts",
      "fixtures/**/*.test.ts",
      "test/**/*.test.ts",
    ],
    // A no-op unless TEST_CLOCK_UTC is set (CI's runs with the clock at the hours around Tokyo midnight).
    setupFiles: ["test/support/shifted-clock.ts"],
    // Generous: a loaded CI machine can be several times slower than a quiet one; speed is the benchmark's job.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Integration files each start their own hub and database; two at a time suits a 2-core machine.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
