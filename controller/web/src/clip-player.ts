/**
 * A clip's player: its footage as HLS through hls.js (loaded when Watch is
 * pressed), the viewer's name over the picture, and no download,
 * picture-in-picture or casting — as the recording's player. Each press of
 * Watch is one viewing, audited by the server.
 */
import { h } from "./dom.js";
import { Messages, button, onPress } from "./ui.js";

export class ClipPlayer {
  readonly element: HTMLElement;
  private readonly video: HTMLVideoElement;
  private readonly messages = new Messages();
  private destroyHls: (() => void) | null = null;

  constructor(
    private readonly clipId: string,
    title: string,
    viewer: string,
  ) {
    this.video = h("video", {
      controls: true,
      playsInline: true,
      preload: "none",
      disablePictureInPicture: true,
      hidden: true,
      attrs: {
        controlslist: "nodownload noremoteplayback noplaybackrate",
        "aria-label": `The clip “${title}”`,
      },
      on: { contextmenu: (event) => event.preventDefault() },
    });
    this.video.disableRemotePlayback = true;
    const watch = button(`Watch “${title}”`, {}, "primary");
    onPress(watch, this.messages, async () => {
      watch.hidden = true;
      await this.play();
    });
    this.element = h(
      "div",
      { class: "player clip-player" },
      h(
        "div",
        { class: "player-frame" },
        this.video,
        h("div", { class: "watermark", attrs: { "aria-hidden": "true" } }, viewer),
      ),
      h("div", { class: "actions" }, watch),
      this.messages.element,
    );
  }

  private async play(): Promise<void> {
    const url = `/api/clips/${this.clipId}/footage/index.m3u8`;
    this.video.hidden = false;
    const { default: Hls } = await import("hls.js/light");
    const start = () => {
      this.video.play().catch(() => {
        // the browser wants a press of its own play button: the controls are there
      });
    };
    if (Hls.isSupported()) {
      const hls = new Hls({ enableWorker: true, startPosition: 0 });
      this.destroyHls = () => {
        hls.destroy();
      };
      hls.on(Hls.Events.ERROR, (_event, data) => {
        if (data.fatal) this.messages.problem("The clip could not be played. Please try again.");
      });
      hls.loadSource(url);
      hls.attachMedia(this.video);
      hls.once(Hls.Events.MANIFEST_PARSED, start);
    } else if (this.video.canPlayType("application/vnd.apple.mpegurl") !== "") {
      this.video.src = url;
      this.video.addEventListener("loadedmetadata", start, { once: true });
    } else {
      this.messages.problem("This browser cannot play clips. Please use a recent browser.");
    }
  }

  /** Where the player is, in seconds from the clip's start. */
  get currentTime(): number {
    return this.video.currentTime;
  }

  destroy(): void {
    this.destroyHls?.();
    this.destroyHls = null;
  }
}
