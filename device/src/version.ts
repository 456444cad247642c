/** The daemon's software version, as reported in its state and `device.started` event. */
import { readFileSync } from "node:fs";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
};

export const SOFTWARE_VERSION = `classcam-device ${pkg.version}`;

/**
 * How Node should run the daemon on a box (the systemd unit and the benchmark
 * use these). The daemon is mostly idle and its hot paths are native (ffmpeg,
 * hashing, SQLite), so a small young generation and no optimising compiler
 * (TurboFan's code and its working memory) cost it next to no CPU and save
 * some 15–20 MB of resident memory; glibc keeps few arenas.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=1", "--no-opt"];
export const DAEMON_ENVIRONMENT: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: "2" };
