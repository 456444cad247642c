/**
 * Coaching (issue 17): the school's framework of strands, assignments set by
 * a coach or SLT and answered by a teacher with a recording and a
 * reflection, and each teacher's timeline. Feedback itself is a comment of a
 * kind on the recording (`recordings/comments.ts`), and who may watch what
 * was submitted is `decide()`'s (`assignedTo`). Each part lives in its own
 * file under `coaching/`; this class composes them for the routes
 * (`app.coaching.<method>`).
 */
import type { Database } from "../db/database.js";
import type { Person } from "./access.js";
import type { AuditLog } from "./audit.js";
import type { Clock } from "./clock.js";
import {
  assignment,
  assignments,
  setAssignment,
  type Assignment,
  type AssignmentInput,
  type SubmissionInput,
} from "./coaching/assignments.js";
import { submit } from "./coaching/submissions.js";
import type { CoachingContext } from "./coaching/context.js";
import {
  addStrand,
  listStrands,
  renameStrand,
  retireStrand,
  type Strand,
} from "./coaching/strands.js";
import { exportTimeline, timeline, type Timeline } from "./coaching/timeline.js";

export type { Assignment, Strand, Timeline };

export class Coaching {
  private readonly ctx: CoachingContext;

  constructor(db: Database, audit: AuditLog, clock: Clock = () => new Date()) {
    this.ctx = { db, audit, clock };
  }

  // the school's framework
  strands(includeRetired: boolean): Promise<Strand[]> {
    return listStrands(this.ctx, includeRetired);
  }
  addStrand(person: Person, input: { framework: string; code: string; name: string }) {
    return addStrand(this.ctx, person, input);
  }
  renameStrand(person: Person, strandId: number, name: string): Promise<Strand> {
    return renameStrand(this.ctx, person, strandId, name);
  }
  retireStrand(person: Person, strandId: number): Promise<Strand> {
    return retireStrand(this.ctx, person, strandId);
  }

  // assignments
  setAssignment(person: Person, input: AssignmentInput): Promise<Assignment> {
    return setAssignment(this.ctx, person, input);
  }
  assignments(person: Person, strand?: number) {
    return assignments(this.ctx, person, strand);
  }
  assignment(person: Person, id: string): Promise<Assignment> {
    return assignment(this.ctx, person, id);
  }
  submit(person: Person, id: string, input: SubmissionInput): Promise<Assignment> {
    return submit(this.ctx, person, id, input);
  }

  // the timeline
  timeline(person: Person, teacherId: string, strand?: number): Promise<Timeline> {
    return timeline(this.ctx, person, teacherId, strand);
  }
  exportTimeline(person: Person, format: "json" | "csv") {
    return exportTimeline(this.ctx, person, format);
  }
}
