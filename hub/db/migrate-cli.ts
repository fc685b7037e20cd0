import { loadConfig } from "../config.js";
import { openDb } from "./client.js";

/** `npm run db:migrate`: applies pending migrations to the configured database and exits. */
const config = loadConfig();
const db = await openDb({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
console.log(`Migrations applied (${db.kind}).`);
await db.close();
