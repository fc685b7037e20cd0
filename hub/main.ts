import { ConfigError, loadConfig } from "./config.js";
import { log, logDir, logToFiles } from "./log.js";
import { createHub, startHub } from "./server.js";

/** The hub's entry point: `npm run demo` (embedded, with demo data) or `npm start` (configured by the environment). */
async function main() {
  // The hub's own code never reads the process's time zone (it converts to Asia/Tokyo itself); this makes the daily
  // log files, which pino-roll names and rolls in local time, follow Tokyo dates as their retention does.
  process.env.TZ = "Asia/Tokyo";
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const files = logDir(config);
  if (files) await logToFiles(files);
  // The demo's simulated facility calendars come with the demo data (fixtures/), never in the hub's own code.
  const demoFeed = config.SEED_DEMO
    ? (await import("../fixtures/simulators/calendar-feed.js")).demoCalendarFeed
    : undefined;
  const hub = await createHub(config, { demoFeed });
  log.info(
    {
      database: hub.db.kind === "pglite" ? `embedded PGlite in ${config.DATA_DIR}` : "PostgreSQL",
      jobs: hub.queue.kind === "memory" ? "in-process" : "BullMQ on Redis",
      roles: config.PROCESS_ROLES,
      logDir: files,
    },
    "hub starting",
  );
  if (config.SEED_DEMO) {
    const { seedDemo } = await import("../fixtures/seed.js");
    const { hashPassword } = await import("./identity/passwords.js");
    const counts = await seedDemo(hub.prisma, { hashPassword, publicUrl: config.PUBLIC_URL });
    log.info(counts, "demo data seeded");
  }
  const running = await startHub(hub);
  if (running.url) {
    log.info(
      {
        url: running.url,
        signIn: `${running.url}sign-in`,
        apiDocs: `${running.url}api/docs`,
        ...(config.SEED_DEMO
          ? {
              demoAccounts:
                'password demo-pass-2026, see README.md "Demo accounts"; residents: resident@demo.example.jp',
            }
          : {}),
        ...(config.DEMO_MAILBOX ? { demoMailbox: `${running.url}mailbox` } : {}),
      },
      `The hub is running: ${running.url}`,
    );
  }
  const shutdown = async (signal: string) => {
    log.info({ signal }, "stopping");
    await running.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((err) => {
  log.fatal({ err }, "The hub could not start");
  process.exit(1);
});
