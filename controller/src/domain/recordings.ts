/**
 * Recordings and what people may do with them: view (audited), comment,
 * share, ask to keep (archive by everyone's consent), delete, hold and
 * investigate. Every decision goes through `decide()` in `access.ts`; every
 * change is audited in the same transaction as the change itself.
 *
 * Recordings come from the devices' events (see `projector.ts`); this module
 * only reads and changes what people do with them. Each kind of thing lives
 * in its own file under `recordings/`; this class only composes them, so the
 * routes call `app.recordings.<method>`.
 */
import { EventEmitter } from "node:events";
import type { Database, Transaction } from "../db/database.js";
import type { Person } from "./access.js";
import type { AuditLog } from "./audit.js";
import type { Clock } from "./clock.js";
import type { PolicyStore } from "./policy.js";
import {
  comment,
  comments,
  markNextStep,
  type ClipPart,
  type CommentExtras,
} from "./recordings/comments.js";
import { accessOf, type RecordingContext } from "./recordings/context.js";
import { activeHolds, placeHold, releaseHold } from "./recordings/holds.js";
import { closeInvestigation, openInvestigation } from "./recordings/investigations.js";
import {
  consent,
  releaseExemplar,
  requestArchive,
  requestDeletion,
  withdrawArchive,
} from "./recordings/keeping.js";
import { awaitingMyConsent, detail, list, view } from "./recordings/listing.js";
import type {
  Comment,
  Hold,
  Investigation,
  ListScope,
  RecordingDetail,
  RecordingSummary,
  RecordingsEvents,
  Share,
} from "./recordings/model.js";
import { revokeShare, share } from "./recordings/shares.js";

export * from "./recordings/model.js";

export class Recordings extends EventEmitter<RecordingsEvents> {
  private readonly ctx: RecordingContext;

  constructor(db: Database, audit: AuditLog, policy: PolicyStore, clock: Clock = () => new Date()) {
    super();
    this.ctx = { db, audit, policy, clock, events: this };
  }

  /** What `decide()` needs to know about a recording. */
  accessOf(tx: Transaction | null, id: string): ReturnType<typeof accessOf> {
    return accessOf(this.ctx, tx, id);
  }

  // listing and looking
  list(person: Person, scope: ListScope, before?: string): Promise<RecordingSummary[]> {
    return list(this.ctx, person, scope, before);
  }
  detail(person: Person, id: string): Promise<RecordingDetail> {
    return detail(this.ctx, person, id);
  }
  /** Opening footage to watch: allowed or not, and audited either way it is allowed. */
  view(person: Person & { name: string }, id: string): ReturnType<typeof view> {
    return view(this.ctx, person, id);
  }
  /** Recordings waiting for my consent. */
  awaitingMyConsent(person: Person): Promise<RecordingSummary[]> {
    return awaitingMyConsent(this.ctx, person);
  }

  // comments
  /** With `part`, the part a clip opens to feedback (decideClip()'s, decided by the caller). */
  comments(person: Person, id: string, part?: ClipPart): Promise<Comment[]> {
    return comments(this.ctx, person, id, part);
  }
  /** A comment, or feedback of a kind about strands, or a reply to a comment. */
  comment(
    person: Person,
    id: string,
    atSeconds: number,
    body: string,
    extras: CommentExtras = {},
    part?: ClipPart,
  ): Promise<Comment> {
    return comment(this.ctx, person, id, atSeconds, body, extras, part);
  }
  /** A next step marked done or open again, by the recording's owner or whoever gave it (`part`: as for comments). */
  markNextStep(
    person: Person,
    commentId: number,
    done: boolean,
    part?: ClipPart,
  ): Promise<Comment> {
    return markNextStep(this.ctx, person, commentId, done, part);
  }

  // shares
  share(
    person: Person,
    id: string,
    withId: string,
    expiresAt: string | null,
    unblurred = false,
  ): Promise<Share> {
    return share(this.ctx, person, id, withId, expiresAt, unblurred);
  }
  revokeShare(person: Person, id: string, shareId: number): Promise<void> {
    return revokeShare(this.ctx, person, id, shareId);
  }

  // keeping by consent, deleting, exemplars
  /** The owner asks to keep a recording; the owner's own consent is given with the request. */
  requestArchive(person: Person, id: string, exemplar: boolean | undefined): Promise<void> {
    return requestArchive(this.ctx, person, id, exemplar);
  }
  /** Each member of staff on the booking agrees or declines, in their own session. */
  consent(person: Person, id: string, decision: "agree" | "decline"): Promise<void> {
    return consent(this.ctx, person, id, decision);
  }
  /** The owner withdraws the request to keep, before the upload is done. */
  withdrawArchive(person: Person, id: string): Promise<void> {
    return withdrawArchive(this.ctx, person, id);
  }
  /** The owner deletes a recording (refused while it is on hold); the sweep carries it out. */
  requestDeletion(person: Person, id: string): Promise<void> {
    return requestDeletion(this.ctx, person, id);
  }
  /** An exemplar is kept until released; then archive retention applies to it. */
  releaseExemplar(person: Person, id: string): Promise<void> {
    return releaseExemplar(this.ctx, person, id);
  }

  // holds
  /** Holds in force, for SLT, the headteacher and the DPO. */
  activeHolds(person: Person): Promise<Hold[]> {
    return activeHolds(this.ctx, person);
  }
  placeHold(person: Person, id: string, reason: string): Promise<Hold> {
    return placeHold(this.ctx, person, id, reason);
  }
  releaseHold(person: Person, holdId: number, reason: string): Promise<Hold> {
    return releaseHold(this.ctx, person, holdId, reason);
  }

  // investigations
  openInvestigation(person: Person, id: string, reason: string): Promise<Investigation> {
    return openInvestigation(this.ctx, person, id, reason);
  }
  closeInvestigation(person: Person, investigationId: number): Promise<void> {
    return closeInvestigation(this.ctx, person, investigationId);
  }
}
