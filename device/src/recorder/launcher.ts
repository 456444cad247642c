/**
 * The launcher that makes ffmpeg die with the daemon: a small script in
 * `runDir` that execs `setpriv --pdeathsig KILL -- ffmpeg …`.
 */
import { createHash, randomBytes } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import { access, chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { delimiter, join } from "node:path";

let setprivPath: Promise<string> | null = null;

async function findSetpriv(): Promise<string> {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter((part) => part !== "");
  for (const dir of [...dirs, "/usr/bin", "/bin"]) {
    const candidate = join(dir, "setpriv");
    try {
      await access(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(
    "setpriv (util-linux) was not found: it is needed so the capture dies with the daemon",
  );
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The script fluent-ffmpeg runs as "ffmpeg": it execs setpriv, which sets the
 * parent-death signal to SIGKILL and execs the real ffmpeg (same pid all the
 * way, so the pid fluent-ffmpeg reports is ffmpeg's).
 */
export async function captureProgram(runDir: string, ffmpegProgram: string): Promise<string> {
  setprivPath ??= findSetpriv();
  setprivPath.catch(() => (setprivPath = null));
  const setpriv = await setprivPath;
  const script =
    "#!/bin/sh\n" +
    "# Written by the classcam recorder: ffmpeg is killed when the daemon that started it dies.\n" +
    `exec ${shellQuote(setpriv)} --pdeathsig KILL -- ${shellQuote(ffmpegProgram)} "$@"\n`;
  const digest = createHash("sha256").update(script).digest("hex").slice(0, 12);
  const path = join(runDir, `capture-ffmpeg-${digest}.sh`);
  await mkdir(runDir, { recursive: true });
  const existing = await readFile(path, "utf8").catch(() => null);
  if (existing !== script) {
    const temporary = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    await writeFile(temporary, script, { mode: 0o755 });
    await chmod(temporary, 0o755);
    await rename(temporary, path);
  }
  try {
    await access(path, fsConstants.X_OK);
  } catch {
    throw new Error(
      `the capture launcher ${path} cannot be executed: is ${runDir} mounted noexec? (runDir must allow running programs)`,
    );
  }
  return path;
}
