/**
 * Runs a test file with this process's clock moved to a chosen time of the UTC day, still ticking:
 * `TEST_CLOCK_UTC=23:30` starts every test file at 23:30 UTC today (08:30 tomorrow in Tokyo, when the UTC date
 * is still yesterday's), `TEST_CLOCK_UTC=14:59` a minute before midnight in Tokyo. CI runs the unit and
 * integration tests again at both hours, so a test that builds "today" in UTC while the hub uses Asia/Tokyo fails
 * at once instead of nine hours a day.
 *
 * Only `Date` moves (timers and performance.now() do not). The embedded database (PGlite) reads its clock through
 * `Date.now()`, so `now()` in SQL moves with it; a PostgreSQL server, Redis and Chromium do not, so these runs use
 * the embedded default and leave the browser tests out.
 */
const REAL_DATE = Symbol.for("sango.test.realDate");
const REWOUND = Symbol.for("sango.test.clockRewound");
type Patched = typeof globalThis & { [REAL_DATE]?: DateConstructor; [REWOUND]?: number };

/**
 * Runs `fn` with the shifted clock set back by `ms` (a no-op without TEST_CLOCK_UTC). The database templates are
 * built this way (test/support/templates.ts): every file's clock starts again at TEST_CLOCK_UTC, so what a template
 * built a minute into its file wrote (created-at times, a vacancy's "as of") would otherwise lie in the future of
 * the files that copy it.
 */
export async function withClockSetBack<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  const g = globalThis as Patched;
  // Nested calls (a demo template built on the empty one) keep the outer setting.
  if (!process.env.TEST_CLOCK_UTC || g[REWOUND]) return fn();
  g[REWOUND] = ms;
  try {
    return await fn();
  } finally {
    g[REWOUND] = 0;
  }
}

const wanted = process.env.TEST_CLOCK_UTC;
if (wanted) {
  const match = /^(\d{2}):(\d{2})$/.exec(wanted);
  if (!match) throw new Error(`TEST_CLOCK_UTC must be HH:MM (UTC), got "${wanted}"`);
  const g = globalThis as Patched;
  const RealDate = g[REAL_DATE] ?? Date;
  g[REAL_DATE] = RealDate;

  const real = new RealDate();
  const start = RealDate.UTC(
    real.getUTCFullYear(),
    real.getUTCMonth(),
    real.getUTCDate(),
    Number(match[1]),
    Number(match[2]),
  );
  const offset = start - RealDate.now();
  const now = () => RealDate.now() + offset - (g[REWOUND] ?? 0);

  class ShiftedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(now());
      else super(...(args as [number]));
    }
    static override now(): number {
      return now();
    }
    // Dates made by Node itself (fs.stat, …) come from the real constructor; they are dates all the same.
    static override [Symbol.hasInstance](value: unknown): boolean {
      return value instanceof RealDate;
    }
  }
  globalThis.Date = ShiftedDate as DateConstructor;
}
