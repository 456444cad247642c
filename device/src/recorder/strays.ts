/**
 * Captures left behind by a daemon that died. Every capture names its
 * recording folder (inside the buffer folder) on ffmpeg's command line, so at
 * daemon start, before anything else, the processes whose command line points
 * into the buffer folder are killed: they hold the camera and write footage
 * nobody indexes.
 */
import { readdir, readFile } from "node:fs/promises";
import { resolve, sep } from "node:path";
import type { Logger } from "pino";

export interface StrayOptions {
  /** How long to wait for the killed processes to be gone before giving up with an error. */
  timeoutMs?: number;
  /** Where the process table is read (tests may point elsewhere). */
  proc?: string;
}

interface ProcessSeen {
  pid: number;
  /** The kernel's start time of the process: tells a reused pid apart. */
  startTime: string;
  commandLine: string;
}

/**
 * Finds every process whose command line has an argument inside `bufferDir`
 * (the folder itself or a path under it), SIGKILLs them, waits until they are
 * gone (exited or a zombie), and returns the pids killed. Never touches this
 * process or its ancestors.
 */
export async function killStrayCaptures(
  bufferDir: string,
  logger: Logger,
  options: StrayOptions = {},
): Promise<number[]> {
  const log = logger.child({ part: "recorder" });
  const proc = options.proc ?? "/proc";
  const timeoutMs = options.timeoutMs ?? 10_000;
  const folder = resolve(bufferDir);
  const spared = await ownLineage(proc);

  const strays: ProcessSeen[] = [];
  for (const entry of await readdir(proc)) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (spared.has(pid)) continue;
    const seen = await readProcess(proc, pid);
    if (seen === null || seen.state === "Z" || seen.state === "X") continue;
    if (!seen.args.some((arg) => pointsInto(arg, folder))) continue;
    strays.push({ pid, startTime: seen.startTime, commandLine: seen.args.join(" ") });
  }
  if (strays.length === 0) return [];

  for (const stray of strays) {
    log.warn(
      { pid: stray.pid, commandLine: stray.commandLine.slice(0, 500) },
      "killing a capture left behind by an earlier daemon",
    );
    try {
      process.kill(stray.pid, "SIGKILL");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
    }
  }

  const deadline = Date.now() + timeoutMs;
  let alive = strays;
  for (;;) {
    const still: ProcessSeen[] = [];
    for (const stray of alive) {
      if (await isAlive(proc, stray)) still.push(stray);
    }
    alive = still;
    if (alive.length === 0) break;
    if (Date.now() > deadline) {
      const pids = alive.map((stray) => stray.pid).join(", ");
      log.error({ pids: alive.map((stray) => stray.pid) }, "stray captures would not die");
      throw new Error(
        `stray captures in ${folder} are still running ${timeoutMs} ms after SIGKILL (pid ${pids}); the camera may be stuck in its driver`,
      );
    }
    await new Promise((done) => setTimeout(done, 20));
  }
  return strays.map((stray) => stray.pid);
}

/** `arg` is `folder`, or a path under it, possibly after `name=` (e.g. `-hls_segment_filename`). */
function pointsInto(arg: string, folder: string): boolean {
  const within = folder.endsWith(sep) ? folder : folder + sep;
  const index = arg.indexOf(folder);
  if (index < 0) return false;
  if (index > 0 && !/[=:,'"]/.test(arg.charAt(index - 1))) return false;
  const rest = arg.slice(index);
  return rest === folder || rest.startsWith(within);
}

async function readProcess(
  proc: string,
  pid: number,
): Promise<{ args: string[]; state: string; startTime: string } | null> {
  try {
    const [cmdline, stat] = await Promise.all([
      readFile(`${proc}/${pid}/cmdline`),
      readFile(`${proc}/${pid}/stat`, "utf8"),
    ]);
    const fields = parseStat(stat);
    if (fields === null) return null;
    const args = cmdline
      .toString("utf8")
      .split("\0")
      .filter((arg) => arg !== "");
    return { args, state: fields.state, startTime: fields.startTime };
  } catch {
    // gone meanwhile, or not ours to read
    return null;
  }
}

/** `/proc/<pid>/stat`: the name in parentheses may hold spaces and parentheses itself. */
function parseStat(stat: string): { state: string; ppid: number; startTime: string } | null {
  const close = stat.lastIndexOf(")");
  if (close < 0) return null;
  // after the name: state(3) ppid(4) … starttime(22); index 0 here is field 3
  const fields = stat
    .slice(close + 2)
    .trim()
    .split(" ");
  const state = fields[0];
  const ppid = Number(fields[1]);
  const startTime = fields[19];
  if (state === undefined || startTime === undefined || !Number.isInteger(ppid)) return null;
  return { state, ppid, startTime };
}

async function isAlive(proc: string, stray: ProcessSeen): Promise<boolean> {
  try {
    const fields = parseStat(await readFile(`${proc}/${stray.pid}/stat`, "utf8"));
    if (fields === null) return false;
    if (fields.startTime !== stray.startTime) return false; // the pid was reused
    return fields.state !== "Z" && fields.state !== "X";
  } catch {
    return false;
  }
}

/** This process and its ancestors: never killed, whatever their command line says. */
async function ownLineage(proc: string): Promise<Set<number>> {
  const lineage = new Set<number>([process.pid]);
  let pid = process.ppid;
  while (pid > 1 && !lineage.has(pid)) {
    lineage.add(pid);
    try {
      const fields = parseStat(await readFile(`${proc}/${pid}/stat`, "utf8"));
      if (fields === null) break;
      pid = fields.ppid;
    } catch {
      break;
    }
  }
  return lineage;
}
