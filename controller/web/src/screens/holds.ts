/**
 * Holds and investigations, for SLT and the headteacher. A hold, placed with
 * a written reason, stops any deletion or overwrite of a recording until it
 * is released (with a reason). Opening footage for an investigation, with a
 * written reason, lets the person who opened it watch the recording; its
 * owner sees who opened it and why. Every step is in the audit log.
 */
import { api, query } from "../api.js";
import { fill, h } from "../dom.js";
import { purpose, recordingStatus, when } from "../format.js";
import type { Screen, ScreenContext } from "../screen.js";
import type { RecordingSummary } from "../types.js";
import type { Governance } from "../types-school.js";
import {
  Messages,
  badge,
  button,
  field,
  loading,
  onPress,
  reasonDialog,
  section,
  table,
} from "../ui.js";
import { throttle } from "./school-parts.js";
import { MIN_HOLD_REASON, MIN_INVESTIGATION_REASON } from "../../../src/domain/form-limits.js";

const SHOWN = 50;

export const holds: Screen = {
  path: "holds",
  title: "Holds and investigations",
  menu: "Holds",
  who: ["slt", "headteacher"],
  async render(screen) {
    await new HoldsView(screen).start();
  },
};

const recordingWords = (r: { room: string; startedAt: string; ownerName: string | null }) =>
  `${r.room}, ${when(r.startedAt)}${r.ownerName === null ? "" : ` (${r.ownerName})`}`;

class HoldsView {
  private readonly messages = new Messages();
  private readonly inForce = h("div");
  private readonly recordingsPlace = h("div");
  private readonly filter = h("input", { type: "search", name: "filter", autocomplete: "off" });
  private recordings: RecordingSummary[] = [];
  private more = true;
  private shown = SHOWN;

  constructor(private readonly screen: ScreenContext) {}

  async start(): Promise<void> {
    this.filter.addEventListener("input", () => {
      this.shown = SHOWN;
      this.drawRecordings();
    });
    this.screen.body.append(
      h(
        "p",
        null,
        "A hold keeps a recording from being deleted or overwritten until it is released. " +
          "Opening a recording for an investigation lets you watch it; its owner sees who opened it and why.",
      ),
      this.messages.element,
      this.inForce,
      section(
        "Recordings",
        h(
          "form",
          {
            class: "toolbar",
            attrs: { role: "search", "aria-label": "Find recordings" },
            on: { submit: (event) => event.preventDefault() },
          },
          field("Room, teacher or purpose", this.filter),
        ),
        this.recordingsPlace,
      ),
    );
    fill(this.inForce, loading("Loading holds and investigations…"));
    fill(this.recordingsPlace, loading("Loading recordings…"));
    const live = throttle(() => void this.reload(true), 1500);
    this.screen.onLeave(live.stop);
    this.screen.live("recordings", live.run);
    this.screen.live("resync", live.run);
    await this.reload(false);
  }

  private async reload(quiet: boolean): Promise<void> {
    try {
      const [governance, recordings] = await Promise.all([
        api.get<Governance>("/api/governance"),
        api.get<RecordingSummary[]>("/api/recordings?scope=all"),
      ]);
      this.recordings = recordings;
      this.more = recordings.length >= 200;
      this.drawGovernance(governance);
      this.drawRecordings();
    } catch (error) {
      if (!quiet) this.messages.error(error);
    }
  }

  private async older(): Promise<void> {
    const last = this.recordings.at(-1);
    if (!last) return;
    const page = await api.get<RecordingSummary[]>(
      `/api/recordings${query({ scope: "all", before: last.startedAt })}`,
    );
    this.recordings.push(...page);
    this.more = page.length >= 200;
    this.shown += SHOWN;
    this.drawRecordings();
  }

  private drawGovernance(governance: Governance): void {
    const me = this.screen.person;
    const holdsMessages = new Messages();
    const investigationMessages = new Messages();
    fill(
      this.inForce,
      section(
        "Holds in force",
        holdsMessages.element,
        governance.holds.length === 0
          ? h("p", { class: "empty" }, "No recording is on hold.")
          : table(
              "Holds in force, newest first",
              ["Recording", "Reason", "Placed", ""],
              governance.holds.map((hold) => {
                const release = button("Release", {
                  attrs: { "aria-label": `Release the hold on ${recordingWords(hold)}` },
                });
                onPress(release, holdsMessages, async () => {
                  const reason = await reasonDialog(
                    "Release this hold?",
                    `${recordingWords(hold)}. Once released, the recording is deleted or overwritten as usual.`,
                    `Why is it released? (at least ${MIN_HOLD_REASON} characters)`,
                    "Release the hold",
                    MIN_HOLD_REASON,
                  );
                  if (reason === null) return;
                  await api.post(`/api/holds/${hold.holdId}/release`, { reason });
                  this.say(`The hold on ${recordingWords(hold)} is released.`);
                  await this.reload(false);
                });
                return [
                  recordingWords(hold),
                  hold.reason,
                  `${hold.placedByName}, ${when(hold.placedAt)}`,
                  release,
                ];
              }),
            ),
      ),
      section(
        "Open investigations",
        investigationMessages.element,
        governance.investigations.length === 0
          ? h("p", { class: "empty" }, "No investigation is open.")
          : table(
              "Open investigations, newest first",
              ["Recording", "Reason", "Opened", ""],
              governance.investigations.map((investigation) => {
                const mine = investigation.openedBy === me?.id;
                const mayClose = mine || me?.roles.includes("headteacher") === true;
                const close = button("Close", {
                  attrs: {
                    "aria-label": `Close the investigation of ${recordingWords(investigation)}`,
                  },
                });
                onPress(close, investigationMessages, async () => {
                  await api.post(`/api/investigations/${investigation.investigationId}/close`);
                  this.say(`The investigation of ${recordingWords(investigation)} is closed.`);
                  await this.reload(false);
                });
                return [
                  recordingWords(investigation),
                  investigation.reason,
                  `${investigation.openedByName}, ${when(investigation.openedAt)}`,
                  h(
                    "div",
                    { class: "actions tight" },
                    mine &&
                      h(
                        "a",
                        {
                          class: "button secondary",
                          href: `#/recordings/${investigation.recordingId}`,
                        },
                        "Watch",
                        h(
                          "span",
                          { class: "visually-hidden" },
                          ` ${recordingWords(investigation)}`,
                        ),
                      ),
                    mayClose && close,
                  ),
                ];
              }),
            ),
      ),
    );
  }

  private drawRecordings(): void {
    const words = this.filter.value.trim().toLowerCase();
    const matching = this.recordings.filter(
      (r) =>
        words === "" ||
        [r.room, r.ownerName ?? "", purpose(r.purpose)].some((text) =>
          text.toLowerCase().includes(words),
        ),
    );
    if (matching.length === 0) {
      fill(
        this.recordingsPlace,
        h(
          "p",
          { class: "empty" },
          this.recordings.length === 0 ? "No recordings yet." : "No recording matches.",
        ),
      );
      return;
    }
    const messages = new Messages();
    const visible = matching.slice(0, this.shown);
    const moreButton =
      matching.length > visible.length
        ? button(`Show ${Math.min(SHOWN, matching.length - visible.length)} more`, {
            on: {
              click: () => {
                this.shown += SHOWN;
                this.drawRecordings();
              },
            },
          })
        : this.more
          ? button("Load older recordings")
          : null;
    if (moreButton !== null && matching.length <= visible.length) {
      onPress(moreButton, messages, () => this.older());
    }
    fill(
      this.recordingsPlace,
      messages.element,
      table(
        "Recordings, newest first",
        ["When", "Room", "Teacher", "Purpose", "Status", ""],
        visible.map((recording) => [
          when(recording.startedAt),
          recording.room,
          recording.ownerName ?? "—",
          purpose(recording.purpose),
          h(
            "span",
            null,
            recordingStatus(recording),
            recording.onHold && [" ", badge("On hold", "warning")],
          ),
          this.recordingActions(recording, messages),
        ]),
      ),
      moreButton && h("div", { class: "actions" }, moreButton),
    );
  }

  private recordingActions(recording: RecordingSummary, messages: Messages): HTMLElement | null {
    if (recording.status === "deleted") return null;
    const what = recordingWords(recording);
    const hold = button("Place a hold", { attrs: { "aria-label": `Place a hold on ${what}` } });
    onPress(hold, messages, async () => {
      const reason = await reasonDialog(
        "Place a hold?",
        `${what}. Nothing of it will be deleted or overwritten until the hold is released.`,
        `Why is it held? (at least ${MIN_HOLD_REASON} characters)`,
        "Place the hold",
        MIN_HOLD_REASON,
      );
      if (reason === null) return;
      await api.post(`/api/recordings/${recording.recordingId}/holds`, { reason });
      this.say(`${what} is on hold.`);
      await this.reload(false);
    });
    const open = button("Open for an investigation", {
      attrs: { "aria-label": `Open for an investigation: ${what}` },
    });
    onPress(open, messages, async () => {
      const reason = await reasonDialog(
        "Open this recording for an investigation?",
        `${what}. You will be able to watch it. Its owner will see that you opened it, and your reason.`,
        `Why? (at least ${MIN_INVESTIGATION_REASON} characters)`,
        "Open it",
        MIN_INVESTIGATION_REASON,
      );
      if (reason === null) return;
      await api.post(`/api/recordings/${recording.recordingId}/investigations`, { reason });
      this.say(`${what} is open for your investigation: choose Watch under Open investigations.`);
      await this.reload(false);
    });
    return h("div", { class: "actions tight" }, hold, open);
  }

  private say(words: string): void {
    this.messages.success(words);
  }
}
