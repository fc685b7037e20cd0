import { defineConfig } from "prisma/config";

// The CLI checks for its native schema engine before `generate`, which never runs it. Offline machines
// cannot download it, so point the check at an existing file unless a real engine is configured.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= new URL("./package.json", import.meta.url).pathname;

// `prisma generate` never talks to a database; the placeholder keeps it working without DATABASE_URL.
export default defineConfig({
  schema: "schemas/prisma/schema.prisma",
  migrations: { path: "schemas/prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost:5432/placeholder" },
});
