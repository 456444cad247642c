/**
 * Where a tool on the controller (the clip cutter, the anonymiser, an export)
 * reads a recording's footage: the one place that knows how footage is kept
 * at rest. Today that is the complete recording's HLS playlist and its
 * segments in the recording's folder; when footage is kept encrypted, this
 * is where the content key is opened for the tool (and closed after it).
 * Never a route: what a person sees goes through `decide()` and the
 * footage routes.
 */
import { access } from "node:fs/promises";
import { join } from "node:path";
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

/**
 * Opens a recording whose every segment is on the controller, for ffmpeg to
 * read. Throws `not-found` when its playlist is not there (not uploaded yet,
 * or deleted).
 */
export async function openFootage(
  recordingsDir: string,
  recordingId: string,
): Promise<FootageSource> {
  const playlist = join(recordingFolder(recordingsDir, recordingId), PLAYLIST);
  try {
    await access(playlist);
  } catch {
    throw new DomainError(
      "not-found",
      "the recording's footage is not all on the controller yet: ask for it to be uploaded first",
    );
  }
  return {
    input: playlist,
    inputOptions: ["-f", "hls"],
    close: () => Promise.resolve(),
  };
}
