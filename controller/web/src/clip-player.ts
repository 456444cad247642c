/**
 * A clip's player: its footage as HLS through hls.js (loaded when Watch is
 * pressed), the viewer's name over the picture, and no download,
 * picture-in-picture or casting — as the recording's player. Each press of
 * Watch is one viewing, audited by the server.
 */
import { h } from "./dom.js";
import { Messages, button, onPress } from "./ui.js";

/** How often a viewer waiting for the blurred copy asks again, and for how long (an hour). */
const RETRY_MS = 3000;
const MAX_WAITS = 1200;
/** The playlist's answer while the copy with faces blurred is made. */
const COPY_BEING_MADE = 409;

/** The server's words on how far the copy is (the 409's message), or plain words. */
function waitingWords(details: unknown): string {
  const fallback = "A copy with every face blurred is being prepared for you.";
  if (!(details instanceof XMLHttpRequest)) return fallback;
  try {
    const said = JSON.parse(details.responseText) as { message?: unknown };
    return typeof said.message === "string" ? said.message : fallback;
  } catch {
    return fallback;
  }
}

export class ClipPlayer {
  readonly element: HTMLElement;
  private readonly video: HTMLVideoElement;
  private readonly messages = new Messages();
  private destroyHls: (() => void) | null = null;
  private readonly waiting = h("p", { class: "waiting-copy", attrs: { role: "status" } });

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
      this.waiting,
      this.messages.element,
    );
  }

  /**
   * A colleague may have to wait for the copy with every face blurred: the
   * playlist answers 409 (with how far it is) until it is made, which is said
   * and asked for again every few seconds by hls.js itself, so the viewing
   * that finally plays is the one audited — never the original meanwhile.
   */
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
      const preparing = (code: number | undefined) => code === COPY_BEING_MADE;
      const hls = new Hls({
        enableWorker: true,
        startPosition: 0,
        manifestLoadPolicy: {
          default: {
            maxTimeToFirstByteMs: Infinity,
            maxLoadTimeMs: 20_000,
            timeoutRetry: { maxNumRetry: 2, retryDelayMs: 0, maxRetryDelayMs: 0 },
            errorRetry: {
              maxNumRetry: MAX_WAITS,
              retryDelayMs: RETRY_MS,
              maxRetryDelayMs: RETRY_MS,
              backoff: "linear",
              // the copy being made: ask again; any other refusal is final
              shouldRetry: (_config, _count, _timeout, response, retry) =>
                preparing(response?.code) || (retry && response?.code !== 403),
            },
          },
        },
      });
      this.destroyHls = () => {
        hls.destroy();
      };
      hls.on(Hls.Events.ERROR, (_event, data) => {
        if (preparing(data.response?.code) && !data.fatal) {
          this.waiting.textContent = waitingWords(data.networkDetails);
          return;
        }
        if (data.fatal) this.messages.problem("The clip could not be played. Please try again.");
      });
      hls.loadSource(url);
      hls.attachMedia(this.video);
      hls.once(Hls.Events.MANIFEST_PARSED, () => {
        this.waiting.textContent = "";
        start();
      });
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
