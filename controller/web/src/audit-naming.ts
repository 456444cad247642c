/**
 * The audit page's names for the ids in its entries (people, rooms,
 * recordings and bookings, resolved by the server), in the words the
 * sentences use (`audit-sentences.ts`).
 */
import { day, purpose, time, when } from "./format.js";
import type { AuditEntry, AuditNames } from "./types-school.js";

/** The page's names, with words for an id the server could not name. */
export class Naming {
  constructor(private readonly names: AuditNames) {}

  /** "Ms Head", "the school's server", or the id itself. */
  person(id: string): string {
    if (id === "system") return "the school's server";
    if (id === "cli") return "someone at the server's command line";
    if (this.names.people[id] !== undefined) return this.names.people[id];
    return this.names.rooms[id] === undefined ? id : this.box(id);
  }

  /** A box by its room: "the box in Demo classroom". */
  box(id: string): string {
    const room = this.names.rooms[id];
    return room === undefined ? `the box “${id}”` : `the box in ${room}`;
  }

  /** "Coaching in Demo classroom, Mon, 23 Nov 2026, 09:01", or "a recording no longer listed". */
  recording(id: string): string {
    const found = this.names.recordings[id];
    if (found === undefined) return `a recording no longer listed (${id})`;
    return `${purpose(found.purpose)} in ${found.room}, ${when(found.startedAt)}`;
  }

  /** Whether the id is a recording the page names. */
  isRecording(id: string): boolean {
    return this.names.recordings[id] !== undefined;
  }

  /** "Coaching in Demo classroom, Mon, 23 Nov 2026, 09:00–10:00, sound on". */
  booking(id: string): string {
    const found = this.names.bookings[id];
    if (found === undefined) return `a booking no longer listed (${id})`;
    return bookingWords({ ...found, room: found.room });
  }

  /** What an entry is about, in words: a recording's title, a person, a box, or the subject. */
  subject(entry: AuditEntry): string {
    const id = entry.subject;
    if (id === "") return "";
    if (this.names.recordings[id] !== undefined) return this.recording(id);
    if (this.names.bookings[id] !== undefined) return `booking: ${this.booking(id)}`;
    if (this.names.people[id] !== undefined) return this.person(id);
    if (this.names.rooms[id] !== undefined) return this.box(id);
    return id;
  }
}

export function bookingWords(b: {
  purpose: string;
  room: string;
  start: string;
  end: string;
  audio: boolean;
}): string {
  const hours =
    day(b.start) === day(b.end) ? `${time(b.start)}–${time(b.end)}` : `to ${when(b.end)}`;
  return `${purpose(b.purpose)} in ${b.room}, ${day(b.start)}, ${hours}, sound ${b.audio ? "on" : "off"}`;
}

/** A booking as audited, its own masks told as how many there are (not their coordinates). */
export function masksCounted(value: unknown): Record<string, unknown> {
  const b = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  if (!Array.isArray(b.masks)) return b;
  const count = b.masks.length;
  return { ...b, masks: count === 0 ? "none" : `${count} rectangle${count === 1 ? "" : "s"}` };
}
