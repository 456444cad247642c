/**
 * The anonymiser's child process: makes one rendition and exits, so the
 * detector's work never holds up the controller's event loop (ingest, the
 * dashboard). Started by `Anonymiser` with the job as JSON in argv[2]; tells
 * its parent over IPC: `{ progress }` now and then, `{ done }` or `{ failed }`.
 */
import type { TeacherZones } from "../domain/zone-rule.js";
import { DetectorUnavailable, type DetectorSettings } from "./detector.js";
import { makeRendition, type RenditionSettings } from "./rendition.js";
import { loadTiledDetector, type Tiling } from "./tiles.js";

export interface WorkerJob {
  /** The footage as `openFootage()` opened it in the controller (which closes it). */
  source: { input: string; inputOptions: string[] };
  dir: string;
  detector: DetectorSettings;
  tiling: Tiling;
  rendition: RenditionSettings;
  /** ffmpeg's key info file for the copy's own key (written and removed by the controller). */
  keyInfoFile: string;
  /** The room's teacher zones when the copy was begun. */
  zones: TeacherZones;
}

export type WorkerMessage =
  | { progress: number; detector: string }
  | { done: true }
  | { failed: string; unavailable: boolean };

function tell(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) {
      resolve();
      return;
    }
    process.send(message, undefined, undefined, () => resolve());
  });
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? "{}") as WorkerJob;
  try {
    const detector = await loadTiledDetector(job.detector, job.tiling);
    const source = { ...job.source, close: () => Promise.resolve() };
    let told = -1;
    await makeRendition({
      source,
      dir: job.dir,
      detector,
      settings: job.rendition,
      keyInfoFile: job.keyInfoFile,
      zones: job.zones,
      progress: (done) => {
        // a message a percent at most
        const percent = Math.floor(done * 100);
        if (percent === told) return;
        told = percent;
        void tell({ progress: done, detector: detector.name });
      },
    });
    await tell({ done: true });
  } catch (error) {
    await tell({
      failed: (error as Error).message,
      unavailable: error instanceof DetectorUnavailable,
    });
    process.exitCode = 1;
  }
  if (process.connected) process.disconnect();
}

await main();
