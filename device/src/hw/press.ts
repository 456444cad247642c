/**
 * Turns the button's raw edges into presses: edges closer together than the
 * debounce time are bounce and ignored; a press held `longPressMs` is a long
 * press (ask to keep), reported while still held; a shorter one is a short
 * press (start/stop), reported on release.
 */
export type Press = "short" | "long";

export class PressDetector {
  private down = false;
  private lastEdgeAt = Number.NEGATIVE_INFINITY;
  private longTimer: NodeJS.Timeout | null = null;
  private longReported = false;

  constructor(
    private readonly options: {
      debounceMs: number;
      longPressMs: number;
      onPress: (press: Press) => void;
      now?: () => number;
    },
  ) {}

  /** One raw edge from the button's wire. */
  edge(pressed: boolean): void {
    const now = (this.options.now ?? performance.now.bind(performance))();
    if (now - this.lastEdgeAt < this.options.debounceMs) return;
    if (pressed === this.down) return;
    this.lastEdgeAt = now;
    this.down = pressed;
    if (pressed) {
      this.longReported = false;
      this.longTimer = setTimeout(() => {
        this.longTimer = null;
        if (!this.down) return;
        this.longReported = true;
        this.options.onPress("long");
      }, this.options.longPressMs);
      return;
    }
    if (this.longTimer !== null) clearTimeout(this.longTimer);
    this.longTimer = null;
    if (!this.longReported) this.options.onPress("short");
  }

  close(): void {
    if (this.longTimer !== null) clearTimeout(this.longTimer);
    this.longTimer = null;
  }
}
