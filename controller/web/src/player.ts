/**
 * The player: a recording's footage as HLS through hls.js (loaded only when
 * someone presses Watch), with the viewer's name and the time written over
 * the picture, and no download, picture-in-picture or casting. Footage still
 * in the classroom box is asked for and plays as soon as its first segments
 * are in: the server's playlist grows as they arrive (HLS EVENT) and hls.js
 * follows it. A seek ahead of what has arrived tells the server where the
 * viewer waits (`?at=`), so the box sends that part first.
 */
import { api } from "./api.js";
import { fill, h } from "./dom.js";
import { percent, when } from "./format.js";
import type { RecordingDetail } from "./types.js";
import { Messages, button, onPress } from "./ui.js";

type HlsInstance = InstanceType<(typeof import("hls.js"))["default"]>;

export class Player {
  readonly element: HTMLElement;
  readonly video: HTMLVideoElement;
  private readonly frame: HTMLDivElement;
  private readonly watermark: HTMLDivElement;
  private readonly state = h("div", { class: "footage-state", attrs: { "aria-live": "polite" } });
  private readonly watch = button("Watch", {}, "primary");
  private readonly fullScreen = button("Full screen");
  private readonly messages = new Messages();
  private hls: HlsInstance | null = null;
  /** Watch was pressed: play as soon as the footage is here. */
  private wanted = false;
  private started = false;
  private pendingSeek: number | null = null;
  /** A try of the playlist is under way (footage arriving from the box). */
  private trying = false;
  /** The server said the copy with faces blurred is still being made for this viewer (409). */
  private waitingForCopy = false;
  private detail: RecordingDetail;
  private readonly timeListeners: ((seconds: number) => void)[] = [];

  constructor(detail: RecordingDetail) {
    this.detail = detail;
    this.video = h("video", {
      controls: true,
      playsInline: true,
      preload: "metadata",
      disablePictureInPicture: true,
      attrs: {
        controlslist: "nodownload noremoteplayback nofullscreen noplaybackrate",
        "aria-label": "The recording",
      },
      on: { contextmenu: (event) => event.preventDefault() },
    });
    this.video.disableRemotePlayback = true;
    this.watermark = h("div", { class: "watermark", attrs: { "aria-hidden": "true" } });
    this.frame = h("div", { class: "player-frame", hidden: true }, this.video, this.watermark);
    this.video.addEventListener("timeupdate", () => {
      for (const listener of this.timeListeners) listener(this.video.currentTime);
    });
    onPress(this.watch, this.messages, () => this.start());
    onPress(this.fullScreen, this.messages, () => this.frame.requestFullscreen());
    this.element = h(
      "div",
      { class: "player" },
      this.frame,
      h(
        "p",
        { class: "hint watermark-note" },
        "Your name and the time are shown over the picture. Recordings cannot be downloaded.",
      ),
      this.state,
      h("div", { class: "actions" }, this.watch, this.fullScreen),
      this.messages.element,
    );
    this.fullScreen.hidden = true;
    this.update(detail);
  }

  /** Calls back with the position as it plays. */
  onTime(listener: (seconds: number) => void): void {
    this.timeListeners.push(listener);
  }

  get currentTime(): number {
    return this.started ? this.video.currentTime : (this.pendingSeek ?? 0);
  }

  /** Goes to `seconds` (once the footage is loaded, if it is not yet). */
  seek(seconds: number): void {
    if (
      this.started &&
      this.video.readyState >= HTMLMediaElement.HAVE_METADATA &&
      this.arrived(seconds)
    ) {
      this.video.currentTime = seconds;
      return;
    }
    this.pendingSeek = seconds;
    // ahead of what has arrived: the box is asked for that part first
    if (this.started && this.hls !== null) {
      fetch(this.playlistUrl(seconds), { credentials: "same-origin" }).catch(() => undefined);
    }
  }

  /** Whether the footage at `seconds` is in the playlist loaded, not a gap still to come. */
  private arrived(seconds: number): boolean {
    const details = this.hls?.latestLevelDetails;
    if (!details?.live) return true; // finished footage (or Safari's own player)
    const fragment = details.fragments.find((f) => f.start <= seconds && seconds < f.end);
    return fragment !== undefined && !fragment.gap;
  }

  /** The recording's details changed: where its footage is. */
  update(detail: RecordingDetail): void {
    this.detail = detail;
    const { footage } = detail;
    this.watch.hidden = this.started || footage.state === "unavailable";
    if (this.started) {
      fill(this.state);
      return;
    }
    if (detail.status === "recording") {
      fill(this.state, h("p", null, "Recording now: watch it when it has ended."));
      this.watch.hidden = true;
      return;
    }
    switch (footage.state) {
      case "on-controller":
        // Watch was pressed: play once the playlist answers (a blurred copy may still be made)
        if (this.wanted) void this.tryPlaylist();
        else fill(this.state, h("p", null, "Ready to watch."));
        return;
      case "on-device":
        fill(
          this.state,
          h(
            "p",
            null,
            "The footage is in the classroom box. Press Watch to fetch it: it takes a minute or so.",
          ),
        );
        return;
      case "upload-requested":
        fill(this.state, h("p", null, "The classroom box has been asked for the footage…"));
        return;
      case "uploading":
        this.progress(footage.receivedBytes ?? 0, footage.totalBytes ?? 0);
        return;
      case "unavailable":
        fill(
          this.state,
          h("p", null, "The footage is no longer available: it was deleted or overwritten."),
        );
        return;
    }
  }

  /** Footage arriving from the classroom box. */
  progress(received: number, total: number): void {
    if (this.started) return;
    // the first segments may be in: Watch was pressed, so play what has arrived
    if (this.wanted) void this.tryPlaylist();
    const done = percent(received, total);
    fill(
      this.state,
      h(
        "div",
        { class: "copying" },
        h("label", { htmlFor: "footage-progress" }, `Copying from the classroom box: ${done}%`),
        h("progress", { id: "footage-progress", max: 100, value: done }),
      ),
    );
  }

  /** Watch: audited as a view; fetches the footage from the box first when it must. */
  private async start(): Promise<void> {
    const { watermark } = await api.post<{ watermark: string }>(
      `/api/recordings/${this.detail.recordingId}/views`,
    );
    this.showWatermark(watermark);
    this.wanted = true;
    // asking for the playlist of footage still in the box asks the box for it; footage on the
    // controller may wait for the copy with every face blurred (never the original meanwhile)
    if (!(await this.tryPlaylist()) && !this.waitingForCopy) {
      fill(this.state, h("p", null, "The classroom box has been asked for the footage…"));
    }
  }

  /** Plays when the playlist answers (its first segments have arrived); false while not. */
  private async tryPlaylist(): Promise<boolean> {
    if (this.trying || this.started) return this.started;
    this.trying = true;
    try {
      const answer = await fetch(this.playlistUrl(this.pendingSeek ?? undefined), {
        credentials: "same-origin",
      });
      this.waitingForCopy = answer.status === 409;
      if (this.waitingForCopy) {
        // how far the copy with faces blurred is, in the server's words; played when it is made
        const said = (await answer.json().catch(() => ({}))) as { message?: string };
        const words = said.message ?? "A copy with every face blurred is being prepared for you.";
        fill(this.state, h("p", { class: "waiting-copy" }, words));
      }
      if (!answer.ok) return false;
      await this.play();
      return true;
    } finally {
      this.trying = false;
    }
  }

  /** The playlist; `at` tells the server where the viewer waits (seconds from the start). */
  private playlistUrl(at?: number): string {
    const url = `/api/recordings/${this.detail.recordingId}/footage/index.m3u8`;
    return at === undefined ? url : `${url}?at=${Math.max(0, Math.floor(at))}`;
  }

  private showWatermark(text: string): void {
    const [name, at] = text.split(" · ");
    const words = `${name ?? text} · ${at === undefined ? "" : when(at)}`;
    fill(
      this.watermark,
      ["at-top", "at-middle", "at-bottom"].map((place) =>
        h("span", { class: `mark ${place}` }, words),
      ),
    );
    this.frame.dataset.watermark = words;
  }

  private async play(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.wanted = false;
    this.watch.hidden = true;
    this.fullScreen.hidden = false;
    this.frame.hidden = false;
    fill(this.state);
    const { default: Hls } = await import("hls.js/light");
    const seekWhenReady = () => {
      if (this.pendingSeek !== null && this.arrived(this.pendingSeek)) {
        this.video.currentTime = this.pendingSeek;
        this.pendingSeek = null;
      }
      this.video.play().catch(() => {
        // the browser wants a press of its own play button: the controls are there
      });
    };
    if (Hls.isSupported()) {
      // a growing playlist is played from its start (not from its end, as live TV would be)
      const hls = new Hls({ enableWorker: true, startPosition: 0 });
      this.hls = hls;
      hls.on(Hls.Events.ERROR, (_event, data) => {
        if (data.fatal) {
          this.messages.problem(
            "The recording could not be played. Please reload the page and try again.",
          );
        }
      });
      hls.loadSource(this.playlistUrl());
      hls.attachMedia(this.video);
      hls.once(Hls.Events.MANIFEST_PARSED, seekWhenReady);
      // a seek that waited for its part of the footage goes there once it has arrived
      hls.on(Hls.Events.LEVEL_UPDATED, () => {
        const wanted = this.pendingSeek;
        if (wanted !== null && this.arrived(wanted)) {
          this.pendingSeek = null;
          this.video.currentTime = wanted;
        }
      });
    } else if (this.video.canPlayType("application/vnd.apple.mpegurl") !== "") {
      // Safari plays HLS itself
      this.video.src = this.playlistUrl();
      this.video.addEventListener("loadedmetadata", seekWhenReady, { once: true });
    } else {
      this.messages.problem("This browser cannot play recordings. Please use a recent browser.");
    }
  }

  destroy(): void {
    this.hls?.destroy();
    this.hls = null;
  }
}
