/**
 * Where a tool on the controller (the clip cutter, the anonymiser, an export)
 * reads a recording's footage: the one place that knows how footage is kept
 * at rest — the complete recording's HLS playlist and its segments in the
 * recording's folder, encrypted (HLS AES-128) when the box sealed it. For
 * sealed footage the content key is opened for the tool: written with a
 * copy of the playlist naming it into a private temporary folder (0700, the
 * key file 0600), which `close()` removes. Never a route: what a person sees
 * goes through `decide()` and the footage routes.
 */
import { access, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { withKeyLines, type ContentKey } from "@classcam/protocol";
import { controllerRunDir } from "./copy-keys.js";
import { DomainError } from "./errors.js";
import { PLAYLIST, recordingFolder } from "./footage-facts.js";

export interface FootageSource {
  /** ffmpeg's `-i` argument. */
  input: string;
  /** ffmpeg options that go before `-i`. */
  inputOptions: readonly string[];
  /** Releases whatever was opened for the tool (always call it, in `finally`). */
  close(): Promise<void>;
}

/** Opens recordings' content keys (`FootageKeys` is one). */
export interface ContentKeySource {
  contentKey(recordingId: string): Promise<ContentKey | null>;
}

/** The key source of each recordings folder, registered by the app that owns it (`Footage`). */
const keySources = new Map<string, ContentKeySource>();

/** Says where the keys of the footage in `recordingsDir` are opened; answers the undoing. */
export function registerFootageKeys(recordingsDir: string, keys: ContentKeySource): () => void {
  const dir = resolve(recordingsDir);
  keySources.set(dir, keys);
  return () => {
    if (keySources.get(dir) === keys) keySources.delete(dir);
  };
}

/**
 * Opens a recording whose every segment is on the controller, for ffmpeg to
 * read. Throws `not-found` when its playlist is not there (not uploaded yet,
 * or deleted). `keys`: where its content key is opened (by default, the
 * source registered for `recordingsDir`).
 */
export async function openFootage(
  recordingsDir: string,
  recordingId: string,
  keys: ContentKeySource | undefined = keySources.get(resolve(recordingsDir)),
): Promise<FootageSource> {
  const folder = recordingFolder(recordingsDir, recordingId);
  const playlist = join(folder, PLAYLIST);
  try {
    await access(playlist);
  } catch {
    throw new DomainError(
      "not-found",
      "the recording's footage is not all on the controller yet: ask for it to be uploaded first",
    );
  }
  return openHls(folder, (await keys?.contentKey(recordingId)) ?? null);
}

/**
 * Opens the HLS footage in `folder` (its `index.m3u8`) for ffmpeg: as it is
 * when `content` is null (footage in the clear), else through a private
 * copy of its playlist naming the key (a copy the controller made — a clip —
 * is opened this way with its own key, `copy-keys.ts`).
 */
export async function openHls(folder: string, content: ContentKey | null): Promise<FootageSource> {
  const playlist = join(folder, PLAYLIST);
  if (content === null) {
    return { input: playlist, inputOptions: ["-f", "hls"], close: () => Promise.resolve() };
  }
  return keyedSource(folder, await readFile(playlist, "utf8"), content);
}

/**
 * A private copy of the playlist naming the key file beside it (in place of
 * any key line it had) and the segments where they are, in a 0700 folder
 * under the controller's run folder.
 */
async function keyedSource(
  folder: string,
  playlist: string,
  content: ContentKey,
): Promise<FootageSource> {
  const dir = await mkdtemp(join(controllerRunDir(), "classcam-footage-key-")); // 0700
  const close = () => rm(dir, { recursive: true, force: true });
  try {
    const keyFile = join(dir, "content.key");
    await writeFile(keyFile, content.key, { mode: 0o600 });
    const located = playlist
      .split("\n")
      .map((line) => (line === "" || line.startsWith("#") ? line : join(folder, line)))
      .join("\n");
    const input = join(dir, PLAYLIST);
    await writeFile(input, withKeyLines(located, content, keyFile), { mode: 0o600 });
    // the key file has no media extension: ffmpeg's HLS reader opens it only when allowed
    return { input, inputOptions: ["-f", "hls", "-allowed_extensions", "ALL"], close };
  } catch (error) {
    await close();
    throw error;
  }
}
