/**
 * One recording: what it is and where its footage is; the player, or why
 * this person cannot watch it (the server's access decision, in its words);
 * the comments on its timeline (recording-comments.ts); and, for what the
 * person may do (the API's `allowed`), sharing with a colleague, asking to
 * keep it with each member of staff's answer, agreeing or declining, and
 * deleting it. The way back leads to a page this person has. Kept up to date
 * by live notices.
 */
import { api } from "../api.js";
import { fill, h, type Child } from "../dom.js";
import { day, duration, percent, purpose, recordingStatus, when } from "../format.js";
import { Player } from "../player.js";
import { clipCut } from "./clip-cut.js";
import { mayOpen, type Screen, type ScreenContext } from "../screen.js";
import { COLLEAGUE_ROLES, type Policy, type RecordingDetail, type StaffMember } from "../types.js";
import {
  Messages,
  badge,
  button,
  confirmDialog,
  field,
  onPress,
  onSubmit,
  section,
  table,
} from "../ui.js";
import { audit } from "./audit.js";
import { holds as holdsScreen } from "./holds.js";
import { RecordingComments } from "./recording-comments.js";
import { myRecordings } from "./recordings.js";
import { sharedWithMe } from "./shared.js";
import { concernFlag } from "./concern-flag.js";
import { anonymisedCopyWords, type AnonymisedCopy } from "./anonymised-copy.js";

const DECISION_WORDS = { agree: "Agreed", decline: "Declined", pending: "Not answered yet" };

/** The server's reason as a sentence: "Footage is need-to-know: … first." */
const asSentence = (reason: string) =>
  `${reason.charAt(0).toUpperCase()}${reason.slice(1).replace(/[.;:,\s]+$/, "")}.`;

/** Where the recording is and what happens to it next; a kept one says until when. */
function statusWords(d: RecordingDetail): string {
  const words = recordingStatus(d);
  if (d.status !== "archived") return words;
  if (d.exemplar) return `${words}, until it is released`;
  return d.keptUntil === null ? words : `${words} until ${day(d.keptUntil)}`;
}

export const recordingScreen: Screen = {
  path: "recordings/:id",
  title: "Recording",
  who: "anyone",
  render: (screen) => new RecordingPage(screen).open(),
};

class RecordingPage {
  private detail!: RecordingDetail;
  /** The copy with every face blurred: whether it is made, and which copy I see. */
  private copy: AnonymisedCopy | null = null;
  /** Whether the school's policy lets owners share unblurred (read when the share form is drawn). */
  private unblurredAllowed: boolean | null = null;
  private staff: StaffMember[] = [];
  private player: Player | null = null;
  private comments: RecordingComments | null = null;
  /** The screen is built; until then a notice only marks it to be read again. */
  private built = false;
  private changedMeanwhile = false;
  private timer: number | null = null;
  private readonly id: string;
  private readonly summary = h("div", { class: "summary" });
  private readonly notices = h("div", { class: "notices" });
  private readonly sharePart = h("div");
  private readonly keepPart = h("div");
  private readonly deletePart = h("div");
  private readonly messages = new Messages();

  constructor(private readonly screen: ScreenContext) {
    this.id = screen.params.id ?? "";
  }

  private get me(): string {
    return this.screen.person?.id ?? "";
  }

  private name(id: string): string {
    return this.staff.find((s) => s.id === id)?.displayName ?? id;
  }

  private may(action: RecordingDetail["allowed"][number]): boolean {
    return this.detail.allowed.includes(action);
  }

  async open(): Promise<void> {
    const { screen } = this;
    this.listen();
    [this.detail, this.staff, this.copy] = await Promise.all([
      api.get<RecordingDetail>(`/api/recordings/${this.id}`),
      api.get<StaffMember[]>("/api/staff"),
      this.loadCopy(),
    ]);
    screen.setTitle(`${purpose(this.detail.purpose)} — ${when(this.detail.startedAt)}`);
    await this.markSeen();
    screen.body.append(
      h("p", { class: "back" }, this.back()),
      this.messages.element,
      this.summary,
      this.notices,
    );
    if (this.may("view")) {
      const player = new Player(this.detail);
      this.player = player;
      screen.onLeave(() => {
        player.destroy();
      });
      const comments = new RecordingComments(screen, this.id, player);
      this.comments = comments;
      screen.body.append(section("Watch", player.element), comments.element);
      if (this.may("cut-clip") && this.detail.durationSeconds !== null) {
        screen.body.append(clipCut(this.id, player, this.detail.durationSeconds));
      }
      await comments.load();
    }
    screen.body.append(this.keepPart, this.sharePart, this.deletePart, concernFlag(this.id));
    this.draw();
    this.built = true;
    if (this.changedMeanwhile) this.refresh();
  }

  /**
   * Listens from before the first read: a change that lands while the screen
   * is being built (the box's stop, applied just as the teacher opens her
   * recording) is read again once it is built, not missed until a reload.
   */
  private listen(): void {
    const { screen } = this;
    screen.onLeave(() => {
      if (this.timer !== null) window.clearTimeout(this.timer);
    });
    screen.live("recordings", (notice) => {
      if (notice.recordingId === this.id) this.refresh();
    });
    screen.live("resync", () => {
      this.refresh();
    });
    screen.live("upload", (notice) => {
      if (notice.recordingId !== this.id) return;
      this.player?.progress(notice.receivedBytes, notice.totalBytes);
      if (notice.complete) this.refresh();
    });
  }

  /** Reads the recording again, once for a burst of notices. */
  private refresh(): void {
    if (!this.built) {
      this.changedMeanwhile = true;
      return;
    }
    if (this.timer !== null) return;
    this.timer = window.setTimeout(() => {
      this.timer = null;
      this.reload().catch((error: unknown) => {
        this.messages.error(error);
      });
    }, 100);
  }

  private async reload(): Promise<void> {
    [this.detail, this.copy] = await Promise.all([
      api.get<RecordingDetail>(`/api/recordings/${this.id}`),
      this.loadCopy(),
    ]);
    this.player?.update(this.detail);
    this.draw();
    // feedback given, a reply, a next step marked: the comments follow too
    await this.comments?.load();
    await this.markSeen();
  }

  /** The copy with faces blurred, when I may see the recording's footage or details. */
  private loadCopy(): Promise<AnonymisedCopy> {
    return api.get<AnonymisedCopy>(`/api/recordings/${this.id}/anonymised-copy`);
  }

  /** What was shared or commented on it until now is no longer new on my home. */
  private async markSeen(): Promise<void> {
    await api.post(`/api/recordings/${this.id}/seen`);
  }

  private draw(): void {
    this.drawSummary();
    this.drawNotices();
    this.comments?.draw(this.detail);
    this.drawKeep();
    this.drawShare();
    this.drawDelete();
  }

  // ------------------------------------------------------------------ what it is

  private drawSummary(): void {
    const d = this.detail;
    const rows: [string, Child][] = [
      ["Teacher", d.ownerName ?? "—"],
      ["Room", d.room],
      ["Purpose", purpose(d.purpose)],
      ["Started", when(d.startedAt)],
      ["Length", d.endedAt === null ? "Recording now" : duration(d.durationSeconds)],
      ["Sound", d.audio ? "Picture and sound" : "Picture only"],
      ["Staff in it", d.staff.map((id) => this.name(id)).join(", ") || "—"],
      [
        "Status",
        h(
          "span",
          { class: "status", attrs: { "data-status": d.status } },
          statusWords(d),
          d.status === "uploading" && d.footage.state === "uploading"
            ? ` (${percent(d.footage.receivedBytes, d.footage.totalBytes)}% copied)`
            : null,
          d.onHold ? [" ", badge("On hold", "warning")] : null,
        ),
      ],
    ];
    const faces = this.copy === null ? null : anonymisedCopyWords(this.copy);
    if (faces !== null) rows.push(["Faces", h("span", { class: "anonymised-copy" }, faces)]);
    fill(
      this.summary,
      h(
        "dl",
        { class: "facts" },
        rows.map(([term, value]) => h("div", null, h("dt", null, term), h("dd", null, value))),
      ),
    );
  }

  /** Holds and investigations: the owner sees that they happened, and why. */
  private drawNotices(): void {
    const holds = this.detail.holds.filter((hold) => hold.releasedAt === null);
    const investigations = this.detail.investigations.filter((i) => i.closedAt === null);
    fill(
      this.notices,
      holds.map((hold) =>
        h(
          "p",
          { class: "message warning" },
          `On hold since ${when(hold.placedAt)}, placed by ${this.name(hold.placedBy)}: “${hold.reason}”. ` +
            "Nothing of it is deleted or overwritten until the hold is released.",
        ),
      ),
      investigations.map((i) =>
        h(
          "p",
          { class: "message warning" },
          `Opened for an investigation on ${when(i.openedAt)} by ${this.name(i.openedBy)}: “${i.reason}”.`,
        ),
      ),
      this.detail.cannotWatch !== null &&
        this.detail.status !== "deleted" &&
        h(
          "p",
          { class: "message info", attrs: { "data-part": "cannot-watch" } },
          `You cannot watch this recording. ${asSentence(this.detail.cannotWatch)}`,
        ),
    );
  }

  /** Back to a page this person has: their recordings, what is shared with them, their work. */
  private back(): HTMLElement {
    const d = this.detail;
    const investigating = d.investigations.some(
      (i) => i.openedBy === this.me && i.closedAt === null,
    );
    const order =
      d.ownerId === this.me
        ? [myRecordings, sharedWithMe, holdsScreen, audit]
        : investigating
          ? [holdsScreen, sharedWithMe, audit, myRecordings]
          : [sharedWithMe, holdsScreen, audit, myRecordings];
    const to = order.find((screen) => mayOpen(screen, this.screen.person, this.screen.app));
    return to === undefined
      ? h("a", { href: "#/" }, "← Home")
      : h("a", { href: `#/${to.path}` }, `← ${to.title}`);
  }

  // ------------------------------------------------------------------ keeping it

  private drawKeep(): void {
    const d = this.detail;
    const asked = d.consents.length > 0;
    const mine = d.consents.find((c) => c.userId === this.me);
    const parts: Child[] = [];
    if (!asked && this.may("request-archive") && d.status === "in-buffer" && d.onDevice) {
      const ask = button("Ask to keep it", {}, "primary");
      onPress(ask, this.messages, async () => {
        this.detail = await api.post<RecordingDetail>(`/api/recordings/${this.id}/archive`, {});
        this.screen.announce("Asked to keep it. Everyone in the recording must agree.");
        this.player?.update(this.detail);
        this.draw();
      });
      parts.push(
        h(
          "p",
          null,
          d.overwriteAt === null
            ? "The classroom box keeps it for a few days, then overwrites it."
            : `The classroom box overwrites it on ${when(d.overwriteAt)} unless it is kept. ` +
                "Keeping it needs everyone in the recording to agree.",
        ),
        ask,
      );
    }
    if (asked) {
      parts.push(
        table(
          "Who has agreed to keep it",
          ["Member of staff", "Answer"],
          d.consents.map((consent) => [
            consent.name,
            h(
              "span",
              { attrs: { "data-decision": consent.decision } },
              DECISION_WORDS[consent.decision],
              consent.decidedAt === null ? null : ` (${when(consent.decidedAt)})`,
            ),
          ]),
        ),
      );
      if (mine?.decision === "pending" && this.may("consent")) {
        const agree = button("Agree to keep it", {}, "primary");
        const decline = button("Decline");
        const answer = (decision: "agree" | "decline") => async () => {
          this.detail = await api.put<RecordingDetail>(`/api/recordings/${this.id}/consent`, {
            decision,
          });
          this.screen.announce(decision === "agree" ? "You agreed." : "You declined.");
          this.player?.update(this.detail);
          this.draw();
        };
        onPress(agree, this.messages, answer("agree"));
        onPress(decline, this.messages, answer("decline"));
        parts.push(h("div", { class: "actions" }, agree, decline));
      }
      if (this.may("request-archive") && d.status !== "archived") {
        const withdraw = button("Withdraw the request to keep it");
        onPress(withdraw, this.messages, async () => {
          this.detail = await api.delete<RecordingDetail>(`/api/recordings/${this.id}/archive`);
          this.screen.announce("The request to keep it is withdrawn.");
          this.draw();
        });
        parts.push(h("div", { class: "actions" }, withdraw));
      }
    }
    fill(this.keepPart, parts.length === 0 ? null : section("Keeping it", parts));
  }

  // ------------------------------------------------------------------ sharing

  private drawShare(): void {
    if (!this.may("share")) {
      fill(this.sharePart);
      return;
    }
    const d = this.detail;
    const now = Date.now();
    const live = d.shares.filter(
      (s) => s.revokedAt === null && (s.expiresAt === null || Date.parse(s.expiresAt) > now),
    );
    const shareList =
      live.length === 0
        ? h("p", { class: "empty" }, "Not shared with anyone.")
        : h(
            "ul",
            { class: "shares" },
            live.map((share) => {
              const withdraw = button("Withdraw", {
                attrs: { "aria-label": `Withdraw the share with ${share.withName}` },
              });
              onPress(withdraw, this.messages, async () => {
                await api.delete(`/api/recordings/${this.id}/shares/${share.shareId}`);
                this.screen.announce(`No longer shared with ${share.withName}.`);
                await this.reload();
              });
              return h(
                "li",
                null,
                `${share.withName} — `,
                share.expiresAt === null ? "no end date" : `until ${when(share.expiresAt)}`,
                share.unblurred
                  ? " — unblurred (faces as recorded while the policy allows it)"
                  : "",
                " ",
                withdraw,
              );
            }),
          );
    const colleagues = this.staff.filter(
      (s) =>
        s.id !== this.me &&
        s.roles.some((role) => COLLEAGUE_ROLES.includes(role)) &&
        !live.some((share) => share.withId === s.id),
    );
    const who = h(
      "select",
      { required: true },
      h("option", { value: "" }, "Choose a colleague"),
      colleagues.map((s) => h("option", { value: s.id }, s.displayName)),
    );
    const until = h("input", { type: "date", min: new Date().toISOString().slice(0, 10) });
    if (this.unblurredAllowed === null) this.readUnblurredAllowed();
    const unblurred = h("input", { type: "checkbox", name: "unblurred" });
    const messages = new Messages();
    const form = h(
      "form",
      { class: "form", noValidate: true },
      h("div", { class: "row" }, field("Share with", who), field("Until (optional)", until)),
      // only where the school's policy allows it: otherwise a colleague always sees faces blurred
      this.unblurredAllowed === true
        ? h(
            "label",
            { class: "check" },
            unblurred,
            " Share unblurred: this colleague sees pupils' faces as recorded, not blurred. " +
              "Only when they need to see faces; it is recorded in the audit log, and faces are " +
              "blurred again if the school stops allowing it.",
          )
        : null,
      messages.element,
      h("button", { type: "submit", class: "button primary" }, "Share"),
    );
    onSubmit(form, messages, async () => {
      if (who.value === "") {
        messages.problem("Choose the colleague to share it with.");
        who.focus();
        return;
      }
      // until the end of the chosen day, in the school's time
      const expiresAt =
        until.value === "" ? null : new Date(`${until.value}T23:59:59`).toISOString();
      const name = who.selectedOptions[0]?.textContent ?? who.value;
      const plain = !(this.unblurredAllowed === true && unblurred.checked);
      await api.post(`/api/recordings/${this.id}/shares`, {
        withId: who.value,
        expiresAt,
        ...(!plain && { unblurred: true }),
      });
      this.screen.announce(plain ? `Shared with ${name}.` : `Shared unblurred with ${name}.`);
      await this.reload();
    });
    fill(
      this.sharePart,
      section(
        "Share with a colleague",
        h(
          "p",
          { class: "hint" },
          "They can watch it and comment. They cannot share it on or download it.",
        ),
        shareList,
        form,
      ),
    );
  }

  /** Reads whether the policy allows unblurred shares, then draws the share form again. */
  private readUnblurredAllowed(): void {
    this.unblurredAllowed = false;
    void api.get<Policy>("/api/policy").then(
      (policy) => {
        this.unblurredAllowed = policy.anonymity.ownerMayShareUnblurred;
        if (this.unblurredAllowed) this.drawShare();
      },
      () => {
        // the form stays as it is: shares are then made with faces blurred
        this.unblurredAllowed = null;
      },
    );
  }

  // ------------------------------------------------------------------ deleting

  private drawDelete(): void {
    if (!this.may("delete") || this.detail.deletionRequestedAt !== null) {
      fill(this.deletePart);
      return;
    }
    const remove = button("Delete this recording", {}, "danger");
    onPress(remove, this.messages, async () => {
      const sure = await confirmDialog(
        "Delete this recording?",
        "It is deleted from the classroom box and the school server, and cannot be brought back.",
        "Delete it",
      );
      if (!sure) return;
      await api.delete(`/api/recordings/${this.id}`);
      this.screen.navigate("recordings", "The recording is being deleted.");
    });
    fill(this.deletePart, section("Delete", remove));
  }
}
