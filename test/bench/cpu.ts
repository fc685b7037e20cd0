/**
 * CPU time spent by the hub and its database during a benchmark round, read from /proc (Linux): what a request
 * costs, which stays meaningful on a shared 2-core machine where latencies move with whatever else runs.
 *
 * The database's share is its backends serving the benchmark's database (from pg_stat_activity) plus the WAL
 * writer, which every commit wakes. Other databases' backends on the same server (tests running meanwhile) are not
 * counted. On the embedded default (PGlite) the database runs inside the hub process and is counted with it.
 */
import { readFileSync } from "node:fs";
import pg from "pg";

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every Linux this runs on). */
const TICKS_PER_S = 100;

/** utime + stime of a process in ms, or 0 when it is gone. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command (which may contain spaces) start after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of stat(5); here 0-based after the command: 11 and 12.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
  } catch {
    return 0;
  }
}

/** The pids of the database's backends for `databaseUrl`'s database and of the server's WAL writer. */
async function databasePids(databaseUrl: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity
       WHERE (datname = current_database() AND pid <> pg_backend_pid()) OR backend_type = 'walwriter'`,
    );
    return rows.map((r) => r.pid);
  } finally {
    await client.end();
  }
}

export type CpuReading = { hubMs: number; databaseMs: number };

/**
 * Starts measuring the hub process `hubPid` and (with `databaseUrl`) its PostgreSQL database; `stop()` gives the CPU
 * ms each used since. Backends opened during the round are counted from their start.
 */
export async function cpuMeter(
  hubPid: number,
  databaseUrl?: string,
): Promise<{ stop(): Promise<CpuReading> }> {
  const hubStart = processCpuMs(hubPid);
  const dbStart = new Map<number, number>();
  if (databaseUrl) for (const pid of await databasePids(databaseUrl)) dbStart.set(pid, processCpuMs(pid));
  return {
    async stop() {
      const hubMs = processCpuMs(hubPid) - hubStart;
      let databaseMs = 0;
      if (databaseUrl) {
        for (const pid of new Set([...dbStart.keys(), ...(await databasePids(databaseUrl))])) {
          databaseMs += Math.max(0, processCpuMs(pid) - (dbStart.get(pid) ?? 0));
        }
      }
      return { hubMs, databaseMs };
    },
  };
}
