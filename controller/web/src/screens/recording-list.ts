/**
 * A list of recordings, newest first, kept up to date by live notices: mine
 * (teacher), or shared with me (coach). Each row links to the recording.
 */
import { api, query } from "../api.js";
import { fill, h, type Child } from "../dom.js";
import { duration, percent, purpose, recordingStatus, when } from "../format.js";
import type { ScreenContext } from "../screen.js";
import type { RecordingSummary } from "../types.js";
import { Messages, badge, loading, table } from "../ui.js";

export interface ListOptions {
  scope: "mine" | "shared";
  caption: string;
  empty: Child;
}

export async function recordingList(screen: ScreenContext, options: ListOptions): Promise<void> {
  const messages = new Messages();
  const list = h("div", { class: "recording-list", attrs: { "aria-live": "polite" } });
  screen.body.append(messages.element, list);
  fill(list, loading("Loading recordings…"));
  /** Upload progress seen in notices, by recording. */
  const progress = new Map<string, number>();
  let recordings: RecordingSummary[] = [];

  const status = (recording: RecordingSummary): Child => {
    const copied = progress.get(recording.recordingId);
    return [
      recordingStatus(recording),
      copied !== undefined && recording.status === "uploading" ? ` (${copied}% copied)` : null,
      recording.onHold ? [" ", badge("On hold", "warning")] : null,
      recording.flag === "unbooked" ? [" ", badge("Outside a booking", "warning")] : null,
      recording.flag === "overran-booking" || recording.flag === "overran-unbooked-limit"
        ? [" ", badge("Ran past its end", "warning")]
        : null,
    ];
  };

  const draw = () => {
    if (recordings.length === 0) {
      fill(list, h("p", { class: "empty" }, options.empty));
      return;
    }
    const rows = recordings.map((recording) => {
      const link = h(
        "a",
        { href: `#/recordings/${recording.recordingId}` },
        when(recording.startedAt),
      );
      return options.scope === "mine"
        ? [
            link,
            recording.room,
            purpose(recording.purpose),
            recording.endedAt === null ? "Recording now" : duration(recording.durationSeconds),
            h("span", { class: "status" }, status(recording)),
          ]
        : [
            link,
            recording.ownerName ?? "—",
            recording.room,
            purpose(recording.purpose),
            duration(recording.durationSeconds),
          ];
    });
    fill(
      list,
      table(
        options.caption,
        options.scope === "mine"
          ? ["When", "Room", "Purpose", "Length", "Status"]
          : ["When", "Teacher", "Room", "Purpose", "Length"],
        rows,
      ),
    );
  };

  let timer: number | null = null;
  const reload = async () => {
    try {
      recordings = await api.get<RecordingSummary[]>(
        `/api/recordings${query({ scope: options.scope })}`,
      );
      messages.clear();
      draw();
    } catch (error) {
      messages.error(error);
    }
  };
  /** Many notices in a row make one reload. */
  const soon = () => {
    if (timer !== null) return;
    timer = window.setTimeout(() => {
      timer = null;
      void reload();
    }, 150);
  };
  screen.onLeave(() => {
    if (timer !== null) window.clearTimeout(timer);
  });
  screen.live("recordings", soon);
  screen.live("resync", soon);
  screen.live("upload", (notice) => {
    progress.set(notice.recordingId, percent(notice.receivedBytes, notice.totalBytes));
    if (recordings.some((r) => r.recordingId === notice.recordingId)) draw();
  });
  await reload();
}
