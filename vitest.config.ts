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
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration files each start their own hub and database; two at a time suits a 2-core machine.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
