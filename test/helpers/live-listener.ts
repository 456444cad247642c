/**
 * One person's stream of live notices (`GET /api/events/stream`, server-sent
 * events) over real HTTP, read as it comes; tests wait for a notice they
 * expect, never for time to pass.
 */
import type { Caller, School } from "./school.js";

export interface Notice {
  event: string;
  data: Record<string, unknown>;
}

/** One person's stream, read as it comes. */
export class Listener {
  readonly notices: Notice[] = [];
  private readonly abort = new AbortController();
  private waiters: (() => void)[] = [];
  ended = false;

  private constructor(readonly who: string) {}

  static async open(school: School, caller: Caller): Promise<Listener> {
    const listener = new Listener(caller.id);
    const response = await fetch(`${school.httpUrl}/api/events/stream`, {
      headers: { cookie: caller.cookie ?? "" },
      signal: listener.abort.signal,
    });
    if (response.status !== 200 || response.body === null) {
      throw new Error(`${caller.id}: the stream answered ${response.status}`);
    }
    void listener.pump(response.body);
    return listener;
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event !== undefined && data !== undefined) {
            this.notices.push({ event, data: JSON.parse(data) as Record<string, unknown> });
          }
        }
        this.wake();
      }
    } catch {
      // aborted
    }
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Waits for a notice matching `wanted` (or the end of the stream, with `ended`). */
  async waitFor(what: string, wanted: (notice: Notice) => boolean, ms = 10_000): Promise<Notice> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.notices.find(wanted);
      if (found) return found;
      if (this.ended) throw new Error(`${this.who}'s stream ended before ${what}`);
      if (Date.now() > deadline) throw new Error(`${this.who} was not told ${what}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  async until(ended: true, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.ended !== ended) {
      if (Date.now() > deadline) throw new Error(`${this.who}'s stream did not end`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  about(recordingId: string, event = "recordings"): Notice[] {
    return this.notices.filter((n) => n.event === event && n.data.recordingId === recordingId);
  }

  close(): void {
    this.abort.abort();
  }
}
