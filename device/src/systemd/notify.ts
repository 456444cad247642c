/**
 * Notifications to systemd (`sd_notify`): READY=1, STOPPING=1, WATCHDOG=1 and
 * STATUS= lines, sent as datagrams to the socket named by `NOTIFY_SOCKET`.
 *
 * Node cannot send unix datagrams (its `dgram` has no AF_UNIX), and the
 * `systemd-notify` program of systemd 252 exits before the service manager
 * has looked up which unit sent the message, so its messages are dropped
 * unless the sender outlives them. So the daemon keeps one small forwarder in
 * its own control group for its whole life: `socat -u STDIN UNIX-SENDTO:…`
 * (`ABSTRACT-SENDTO:` for a socket in the abstract namespace, `@…`) reads
 * the daemon's lines on a pipe and sends each read as one datagram. The unit
 * says `NotifyAccess=all` because the forwarder, not the main process, sends.
 *
 * The forwarder sends nothing of its own: when the daemon hangs, the pings
 * stop. It dies with the daemon — end of file on its stdin, and `setpriv
 * --pdeathsig KILL` if the daemon is killed — as the capture does.
 *
 * Without `NOTIFY_SOCKET` (the daemon run by hand, or in the tests) there is
 * no forwarder and every notification is dropped: `fromEnvironment` gives null.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { Logger } from "pino";

/** Where the service manager listens. */
export type NotifyAddress =
  | { kind: "path"; path: string }
  /** A socket in the abstract namespace (`NOTIFY_SOCKET=@name`), without the `@`. */
  | { kind: "abstract"; name: string };

/** One notification: any of its parts, sent together in one datagram. */
export interface Notification {
  /** READY=1: the daemon has started and does its work. */
  ready?: true;
  /** STOPPING=1: the daemon is shutting down. */
  stopping?: true;
  /** WATCHDOG=1: the daemon is alive and healthy. */
  watchdog?: true;
  /** STATUS=…: what the daemon is doing, one line, for `systemctl status`. */
  status?: string;
}

/** Something that passes notifications on to the service manager. */
export interface Notifier {
  send(notification: Notification): void;
  /** Sends what is queued, then lets the forwarder go. */
  close(): Promise<void>;
}

/** The longest STATUS text sent (systemd reads at most a page per datagram). */
export const MAX_STATUS_CHARS = 1000;

/**
 * Characters a socket path may hold here: socat reads its address with its
 * own syntax, in which `:` `,` `!` quotes and spaces mean something.
 */
const SAFE_ADDRESS = /^[A-Za-z0-9_./@+=%-]+$/;

/** `NOTIFY_SOCKET`'s value, checked. Throws with what is wrong. */
export function parseNotifySocket(value: string): NotifyAddress {
  if (value.startsWith("@")) {
    const name = value.slice(1);
    if (name === "") throw new Error("NOTIFY_SOCKET '@' names no abstract socket");
    if (!SAFE_ADDRESS.test(name)) {
      throw new Error(`NOTIFY_SOCKET '${value}' holds characters the forwarder cannot pass on`);
    }
    return { kind: "abstract", name };
  }
  if (!value.startsWith("/")) {
    throw new Error(
      `NOTIFY_SOCKET '${value}' is neither an absolute path nor an abstract name ('@…')`,
    );
  }
  if (!SAFE_ADDRESS.test(value)) {
    throw new Error(`NOTIFY_SOCKET '${value}' holds characters the forwarder cannot pass on`);
  }
  return { kind: "path", path: value };
}

/** The address as socat spells it. */
export function socatAddress(address: NotifyAddress): string {
  switch (address.kind) {
    case "path":
      return `UNIX-SENDTO:${address.path}`;
    case "abstract":
      return `ABSTRACT-SENDTO:${address.name}`;
  }
}

/**
 * How often to ping: half the watchdog's timeout (`WATCHDOG_USEC`), as
 * `sd_watchdog_enabled` advises. Null when there is no watchdog, or when it
 * watches another process (`WATCHDOG_PID`). Throws on a value that is not a
 * whole positive number.
 */
export function watchdogPingMs(env: NodeJS.ProcessEnv, pid = process.pid): number | null {
  const usec = env.WATCHDOG_USEC;
  if (usec === undefined || usec === "") return null;
  if (!/^\d+$/.test(usec) || Number(usec) <= 0) {
    throw new Error(`WATCHDOG_USEC '${usec}' is not a positive whole number of microseconds`);
  }
  const watched = env.WATCHDOG_PID;
  if (watched !== undefined && watched !== "") {
    if (!/^\d+$/.test(watched)) throw new Error(`WATCHDOG_PID '${watched}' is not a process id`);
    if (Number(watched) !== pid) return null;
  }
  return Math.max(1, Math.floor(Number(usec) / 2000));
}

/** The datagram for a notification: `KEY=value` lines, each ending in a newline. */
export function formatNotification(notification: Notification): string {
  const lines: string[] = [];
  if (notification.ready === true) lines.push("READY=1");
  if (notification.stopping === true) lines.push("STOPPING=1");
  if (notification.watchdog === true) lines.push("WATCHDOG=1");
  if (notification.status !== undefined) {
    const oneLine = notification.status.replace(/[\r\n]+/g, " ").trim();
    lines.push(`STATUS=${oneLine.slice(0, MAX_STATUS_CHARS)}`);
  }
  return lines.map((line) => `${line}\n`).join("");
}

export interface NotifySocketOptions {
  address: NotifyAddress;
  logger: Logger;
  /** The forwarder's program (`socat`, found on PATH). */
  socat?: string;
  /** Wait at least this long before starting a forwarder again after one ended. */
  respawnMs?: number;
}

/** The sd_notify protocol over a long-lived socat forwarder. */
export class NotifySocket implements Notifier {
  private forwarder: ChildProcess | null = null;
  private lastSpawnAt = Number.NEGATIVE_INFINITY;
  private closing = false;
  /** After STOPPING=1 no new forwarder is started (systemd may already have signalled it). */
  private stopping = false;
  private lastComplaint: string | null = null;
  private readonly log: Logger;

  constructor(private readonly options: NotifySocketOptions) {
    this.log = options.logger.child({ part: "systemd" });
  }

  /**
   * The notifier `NOTIFY_SOCKET` asks for, or null when it is not set. A bad
   * value is logged and gives null (systemd then never hears READY=1 and
   * says so). The variables are taken out of `env` (as sd_notify's
   * `unset_environment` does), so the capture and other children never see them.
   */
  static fromEnvironment(
    env: NodeJS.ProcessEnv,
    logger: Logger,
    options: { unset?: boolean } = {},
  ): NotifySocket | null {
    const value = env.NOTIFY_SOCKET;
    if (options.unset === true) delete env.NOTIFY_SOCKET;
    if (value === undefined || value === "") return null;
    try {
      return new NotifySocket({ address: parseNotifySocket(value), logger });
    } catch (error) {
      logger.error({ part: "systemd", err: error }, "cannot notify systemd");
      return null;
    }
  }

  send(notification: Notification): void {
    const text = formatNotification(notification);
    if (text === "" || this.closing) return;
    const forwarder = this.running();
    if (notification.stopping === true) this.stopping = true;
    if (forwarder === null) return;
    forwarder.stdin?.write(text);
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const forwarder = this.forwarder;
    if (forwarder === null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => forwarder.kill("SIGKILL"), 2000);
      forwarder.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      forwarder.stdin?.end();
    });
  }

  /** The forwarder, started now if there is none (not more often than every `respawnMs`). */
  private running(): ChildProcess | null {
    if (this.forwarder !== null) return this.forwarder;
    if (this.stopping) return null;
    const now = performance.now();
    if (now - this.lastSpawnAt < (this.options.respawnMs ?? 1000)) return null;
    this.lastSpawnAt = now;
    const socat = this.options.socat ?? "socat";
    const address = socatAddress(this.options.address);
    const forwarder = spawn(
      "setpriv",
      ["--pdeathsig", "KILL", "--", socat, "-u", "STDIN", address],
      { stdio: ["pipe", "ignore", "pipe"] },
    );
    let stderr = "";
    forwarder.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    forwarder.stdin.on("error", () => undefined); // EPIPE: the close below says why
    forwarder.once("error", (error) => {
      this.complain(`cannot start the notification forwarder (setpriv, ${socat})`, error.message);
    });
    forwarder.once("close", (code, signal) => {
      if (this.forwarder === forwarder) this.forwarder = null;
      if (this.closing) return;
      if (signal === "SIGTERM") {
        // KillMode=control-group: systemd stops the whole group, the forwarder with the daemon
        this.log.info("the notification forwarder was stopped (SIGTERM)");
        return;
      }
      this.complain(
        `the notification forwarder (${socat} → ${address}) ended (${signal ?? `exit ${String(code)}`})`,
        stderr.trim().split("\n").slice(-2).join(" "),
      );
    });
    this.forwarder = forwarder;
    return forwarder;
  }

  /** Logs a problem once (again only when it changes). */
  private complain(problem: string, detail: string): void {
    if (problem === this.lastComplaint) return;
    this.lastComplaint = problem;
    this.log.error(
      { problem, detail },
      "systemd may not hear from the daemon (without watchdog pings it restarts it)",
    );
  }
}
