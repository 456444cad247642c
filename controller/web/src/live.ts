/**
 * Live notices from `GET /api/events/stream`: small "something changed"
 * messages per topic, only about what the signed-in person may see. Screens
 * subscribe through their context (`screen.live(...)`) and refetch what a
 * notice names. When the stream comes back after a break, every subscriber
 * is told `resync` (things may have changed meanwhile).
 */

export interface NoticeData {
  recordings: { recordingId: string };
  upload: { recordingId: string; receivedBytes: number; totalBytes: number; complete: boolean };
  consents: { recordingId: string };
  devices: { all: boolean; deviceIds: string[] };
  bookings: { deviceId: string };
  /** How far my staff import has got: one-time passwords made of those to add. */
  "staff-import": { done: number; total: number };
  /** My notifications changed: one arrived, or I read some (refetch the count). */
  notifications: Record<string, never>;
  /** Coaching I am in changed: an assignment set or answered, feedback, a reply, a next step marked. */
  coaching: Record<string, never>;
  /** The stream was broken and is back: refetch. */
  resync: Record<string, never>;
}
export type Topic = keyof NoticeData;
const TOPICS: readonly Topic[] = [
  "recordings",
  "upload",
  "consents",
  "devices",
  "bookings",
  "staff-import",
  "notifications",
  "coaching",
];

type Handler<T extends Topic> = (data: NoticeData[T]) => void;

export class LiveNotices {
  private source: EventSource | null = null;
  private readonly handlers = new Map<Topic, Set<Handler<Topic>>>();
  private opened = false;

  constructor(
    private readonly url: string,
    /** The stream ended for good (the session did, or it was refused): check the session. */
    private readonly onEnded: () => void,
  ) {}

  start(): void {
    if (this.source) return;
    const source = new EventSource(this.url);
    this.source = source;
    source.addEventListener("open", () => {
      document.body.dataset.live = "connected";
      if (this.opened) this.emit("resync", {});
      this.opened = true;
    });
    source.addEventListener("error", () => {
      document.body.dataset.live = source.readyState === EventSource.CLOSED ? "closed" : "retrying";
      // closed for good (a refusal, e.g. no session): check and tell the app
      if (source.readyState === EventSource.CLOSED) {
        this.stop();
        this.onEnded();
      }
    });
    source.addEventListener("signed-out", () => {
      this.stop();
      this.onEnded();
    });
    for (const topic of TOPICS) {
      source.addEventListener(topic, (event) => {
        let data: unknown;
        try {
          data = JSON.parse((event as MessageEvent<string>).data);
        } catch {
          return;
        }
        this.emit(topic, data as NoticeData[typeof topic]);
      });
    }
  }

  stop(): void {
    this.source?.close();
    this.source = null;
    this.opened = false;
    delete document.body.dataset.live;
  }

  on<T extends Topic>(topic: T, handler: Handler<T>): () => void {
    let set = this.handlers.get(topic);
    if (!set) this.handlers.set(topic, (set = new Set()));
    set.add(handler as Handler<Topic>);
    return () => set.delete(handler as Handler<Topic>);
  }

  private emit<T extends Topic>(topic: T, data: NoticeData[T]): void {
    for (const handler of this.handlers.get(topic) ?? []) {
      try {
        handler(data);
      } catch (error) {
        console.error(`a ${topic} notice handler failed`, error);
      }
    }
  }
}
