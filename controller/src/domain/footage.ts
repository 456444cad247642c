/**
 * Footage on the controller, one object for the app and its routes: the
 * receiving end of a device's upload (`footage-uploads.ts`) and the viewer's
 * end (`footage-viewing.ts`), sharing the facts in `footage-facts.ts`. Both
 * ends announce through this emitter: `uploadWanted` (someone opened footage
 * still only on the device) and `uploaded` (every segment is in).
 *
 * No fastify here: the routes are in `routes/uploads.ts` and `routes/footage.ts`.
 */
import { EventEmitter } from "node:events";
import type { Readable } from "node:stream";
import type { Database } from "../db/database.js";
import type { Person } from "./access.js";
import type { AuditLog } from "./audit.js";
import type { Clock } from "./clock.js";
import type { FootageEvents, ManifestSegment, UploadProgress } from "./footage-facts.js";
import { FootageKeys, type SealingKeyRing } from "./footage-keys.js";
import { registerFootageKeys } from "./footage-source.js";
import { FootageUploads } from "./footage-uploads.js";
import { UploadPriority } from "./footage-live.js";
import {
  FootageViewing,
  type AnonymisedFootage,
  type ViewableRecordings,
} from "./footage-viewing.js";

export * from "./footage-facts.js";

export class Footage extends EventEmitter<FootageEvents> {
  private readonly uploads: FootageUploads;
  private readonly viewing: FootageViewing;
  /** The content keys of footage sealed on its box (for `openFootage()` too). */
  readonly keys: FootageKeys;
  /** Undoes the registration for `openFootage()` (when the app closes). */
  readonly forgetKeys: () => void;

  constructor(
    db: Database,
    audit: AuditLog,
    recordings: ViewableRecordings,
    /** One folder per recording: `<recordingsDir>/<recordingId>/`. */
    recordingsDir: string,
    clock: Clock = () => new Date(),
    /** The controller's sealing keys; null: sealed footage is refused, saying so. */
    sealing: SealingKeyRing | null = null,
    /** The copies with faces blurred, for viewers other than the owner; null: none are made. */
    anonymised: AnonymisedFootage | null = null,
  ) {
    super();
    const priority = new UploadPriority();
    this.keys = new FootageKeys(db, sealing);
    // tools on the controller open sealed footage through footage-source.ts
    this.forgetKeys = registerFootageKeys(recordingsDir, this.keys);
    this.uploads = new FootageUploads(db, audit, recordingsDir, clock, this, priority, this.keys);
    this.viewing = new FootageViewing(
      db,
      audit,
      recordings,
      recordingsDir,
      clock,
      this,
      priority,
      this.keys,
      anonymised,
    );
  }

  // ---------------------------------------------------------------- the device's side

  /** See `FootageUploads.authenticate`. */
  authenticate(recordingId: string, authorization: string | undefined): Promise<void> {
    return this.uploads.authenticate(recordingId, authorization);
  }

  /** See `FootageUploads.putManifest`. */
  putManifest(
    recordingId: string,
    segments: readonly ManifestSegment[],
    sealedKey?: string,
  ): Promise<{ received: string[]; complete: boolean; next?: string }> {
    return this.uploads.putManifest(recordingId, segments, sealedKey);
  }

  /** See `FootageUploads.receiveSegment`. */
  receiveSegment(
    recordingId: string,
    name: string,
    body: Readable,
    declared: { sha256: string | undefined; contentLength: number | undefined },
  ): Promise<{
    name: string;
    receivedBytes: number;
    totalBytes: number;
    complete: boolean;
    next?: string;
  }> {
    return this.uploads.receiveSegment(recordingId, name, body, declared);
  }

  /** How far the upload got. */
  progress(recordingId: string): Promise<UploadProgress> {
    return this.uploads.progress(recordingId);
  }

  // ---------------------------------------------------------------- the viewer's side

  /** See `FootageViewing.playlist`. */
  playlist(person: Person, recordingId: string, at?: number): Promise<string> {
    return this.viewing.playlist(person, recordingId, at);
  }

  /** See `FootageViewing.segment`. */
  segment(person: Person, recordingId: string, name: string): Promise<string> {
    return this.viewing.segment(person, recordingId, name);
  }

  /** See `FootageViewing.key`. */
  key(person: Person, recordingId: string): Promise<Buffer> {
    return this.viewing.key(person, recordingId);
  }
}
