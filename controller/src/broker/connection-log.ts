/**
 * Devices connecting and disconnecting, in the log. Each one is a debug line;
 * at info there is one line per second at most that counts them (and names
 * them when there are few). When a fleet reconnects after a restart, a line
 * per box was 1,000 synchronous writes to stdout: about 10 % of the
 * controller's main thread during the reconnect in a --cpu-prof at 1,000
 * boxes (issue 21). Refused connections are not counted here: each keeps its
 * own line (sign-in.ts).
 */
import type { Logger } from "pino";

/** Up to this many ids are named in a summary line. */
const NAMED = 10;

interface Tally {
  count: number;
  named: string[];
}

function tally(): Tally {
  return { count: 0, named: [] };
}

function add(into: Tally, deviceId: string): void {
  into.count += 1;
  if (into.named.length < NAMED) into.named.push(deviceId);
}

function described({ count, named }: Tally): { count: number; deviceIds?: string[] } {
  return count <= NAMED ? { count, deviceIds: named } : { count };
}

export class ConnectionLog {
  private connected = tally();
  private disconnected = tally();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly log: Logger,
    private readonly summaryMs = 1000,
  ) {}

  connection(deviceId: string, connected: boolean): void {
    this.log.debug({ deviceId }, connected ? "device connected" : "device disconnected");
    add(connected ? this.connected : this.disconnected, deviceId);
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, this.summaryMs);
    this.timer.unref();
  }

  /** Writes the summary of what is counted so far (at once, not after the second). */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const connected = this.connected;
    const disconnected = this.disconnected;
    this.connected = tally();
    this.disconnected = tally();
    if (connected.count === 0 && disconnected.count === 0) return;
    this.log.info(
      {
        ...(connected.count > 0 && { connected: described(connected) }),
        ...(disconnected.count > 0 && { disconnected: described(disconnected) }),
      },
      `devices: ${connected.count} connected, ${disconnected.count} disconnected`,
    );
  }
}
