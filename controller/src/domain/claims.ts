/**
 * No box is trusted beyond itself: an event that names a recording or a
 * booking may only name one of its own box's. A recording belongs to the box
 * that first named it (its `recording.started`, or any earlier report of it
 * that arrived first); a booking to the box it is booked on. A start naming
 * another box's booking is stored as the box's own recording with the booking
 * disregarded (see `check`), never counted under that booking.
 *
 * The ingest checks every event against this before storing it (refusing the
 * ones that name another box's), and the projector checks again before
 * applying one (for events stored before the check, or by another route).
 */
import type { DeviceEvent } from "@classcam/protocol";
import type { Transaction } from "../db/database.js";

/** What an event names that must be its own box's. */
export interface Named {
  recordingId: string | null;
  bookingId: string | null;
}

export function namedIn(event: DeviceEvent): Named {
  switch (event.kind) {
    case "recording.started":
      return { recordingId: event.data.recordingId, bookingId: event.data.bookingId };
    case "recording.stopped":
    case "recording.deleted":
    case "archive.requested":
      return { recordingId: event.data.recordingId, bookingId: null };
    case "recording.refused":
      return { recordingId: null, bookingId: event.data.bookingId };
    case "device.started":
    case "lamp.fault":
    case "camera.lost":
    case "camera.restored":
    case "microphone.lost":
    case "microphone.restored":
    case "storage.exhausted":
    case "config.applied":
    case "config.rejected":
    case "device.wiped":
      return { recordingId: null, bookingId: null };
  }
}

/** An event naming another box's recording or booking. */
export interface Trespass {
  what: "recording" | "booking";
  id: string;
  /** The box it belongs to. */
  owner: string;
}

/** The reason a box is given: what it may not do, without naming the other box. */
export function trespassToDevice({ what, id }: Trespass): string {
  return what === "recording"
    ? `recording ${id} belongs to another device; a device may only report on its own recordings`
    : `booking ${id} is for another device; a device may only record under its own bookings`;
}

/** The same, for IT: which box it belongs to. */
export function trespassForIt({ what, id, owner }: Trespass, deviceId: string): string {
  return `${what} ${id} belongs to device '${owner}', not to '${deviceId}' that named it`;
}

/**
 * Who owns what a set of events names, as the database knows it now; then,
 * event by event in order, `check` says whether one trespasses and, when it
 * does not, counts what it names as its box's (so a recording first named
 * earlier in the same batch belongs to that event's box).
 */
export class Claims {
  private constructor(
    private readonly recordings: Map<string, string>,
    private readonly bookings: ReadonlyMap<string, string>,
    /** The box that sent each stored event asked about (`load`'s `storedIds`). */
    readonly stored: ReadonlyMap<string, string>,
  ) {}

  /**
   * One statement for all of it (each is a trip through SQLite's threads, issue 21):
   * the owners of the recordings and bookings `events` name, and which of
   * `storedIds` are stored events already, with the box that sent each.
   */
  static async load(
    tx: Transaction,
    events: readonly DeviceEvent[],
    storedIds: readonly string[] = [],
  ): Promise<Claims> {
    const named = events.map(namedIn);
    const recordingIds = [...new Set(named.flatMap((n) => n.recordingId ?? []))];
    const bookingIds = [...new Set(named.flatMap((n) => n.bookingId ?? []))];
    const rows =
      recordingIds.length + bookingIds.length + storedIds.length === 0
        ? []
        : await tx.all<{
            what: "recording" | "booking" | "event";
            id: string;
            device_id: string | null;
          }>(
            `SELECT 'recording' AS what, j.value AS id, coalesce(
               (SELECT device_id FROM recordings WHERE id = j.value),
               (SELECT device_id FROM events WHERE data_json ->> '$.recordingId' = j.value
                ORDER BY rowid LIMIT 1)) AS device_id
             FROM json_each(?) AS j
             UNION ALL
             SELECT 'booking', id, device_id FROM bookings WHERE id IN (SELECT value FROM json_each(?))
             UNION ALL
             SELECT 'event', id, device_id FROM events WHERE id IN (SELECT value FROM json_each(?))`,
            [JSON.stringify(recordingIds), JSON.stringify(bookingIds), JSON.stringify(storedIds)],
          );
    const owners = {
      recording: new Map<string, string>(),
      booking: new Map<string, string>(),
      event: new Map<string, string>(),
    };
    for (const { what, id, device_id } of rows)
      if (device_id !== null) owners[what].set(id, device_id);
    return new Claims(owners.recording, owners.booking, owners.event);
  }

  check(deviceId: string, event: DeviceEvent): Trespass | null {
    const { recordingId, bookingId } = namedIn(event);
    if (recordingId !== null) {
      const owner = this.recordings.get(recordingId);
      if (owner !== undefined && owner !== deviceId) {
        return { what: "recording", id: recordingId, owner };
      }
    }
    // A recording the box started is its own whatever booking it names: a booking moved to
    // another room while the box was offline still reaches it under its old schedule, and
    // refusing the start would leave footage on the box the school does not know of. The
    // projector matches a start only against the box's own bookings and audits the claim.
    if (bookingId !== null && event.kind !== "recording.started") {
      const owner = this.bookings.get(bookingId);
      if (owner !== undefined && owner !== deviceId) {
        return { what: "booking", id: bookingId, owner };
      }
    }
    if (recordingId !== null) this.recordings.set(recordingId, deviceId);
    return null;
  }
}
