/**
 * CPU time spent by the hub and its database during a benchmark round, read from /proc (Linux): what a request
 * costs, which stays meaningful on a shared 2-core machine where latencies move with whatever else runs.
 *
 * The database's share is its backends serving the benchmark's database (from pg_stat_activity) plus the WAL
 * writer, which every commit wakes, plus the processes that ended meanwhile: the parallel workers a large read
 * starts (billing's), counted in their parent's (the postmaster's) children's time once they end. Other databases'
 * live backends on the same server are not counted; one of theirs ending during the round would be. On the embedded
 * default (PGlite) the database runs inside the hub process and is counted with it.
 */
import { readFileSync } from "node:fs";
import pg from "pg";

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every Linux this runs on). */
const TICKS_PER_S = 100;

/** The fields of /proc/<pid>/stat after the command (which may contain spaces), or null when the process is gone. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

const ticksMs = (fields: string[] | null, a: number, b: number) =>
  fields ? ((Number(fields[a]) + Number(fields[b])) * 1000) / TICKS_PER_S : 0;

/** utime + stime of a process in ms, or 0 when it is gone. */
export function processCpuMs(pid: number): number {
  // utime and stime are fields 14 and 15 of stat(5); here 0-based after the command: 11 and 12.
  return ticksMs(statFields(pid), 11, 12);
}

/** cutime + cstime (fields 16 and 17): the CPU ms of the process's children that ended and were waited for. */
function endedChildrenCpuMs(pid: number): number {
  return ticksMs(statFields(pid), 13, 14);
}

/** The parent of a process (field 4), for a backend: the postmaster. */
function parentPid(pid: number): number | null {
  const ppid = Number(statFields(pid)?.[1]);
  return Number.isInteger(ppid) && ppid > 1 ? ppid : null;
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
  const first = dbStart.keys().next().value;
  const postmaster = first === undefined ? null : parentPid(first);
  const endedStart = postmaster ? endedChildrenCpuMs(postmaster) : 0;
  return {
    async stop() {
      const hubMs = processCpuMs(hubPid) - hubStart;
      let databaseMs = postmaster ? endedChildrenCpuMs(postmaster) - endedStart : 0;
      if (databaseUrl) {
        for (const pid of new Set([...dbStart.keys(), ...(await databasePids(databaseUrl))])) {
          databaseMs += Math.max(0, processCpuMs(pid) - (dbStart.get(pid) ?? 0));
        }
      }
      return { hubMs, databaseMs };
    },
  };
}
