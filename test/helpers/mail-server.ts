/**
 * The school's SMTP relay, for tests: a real SMTP server (`smtp-server`) on
 * a loopback port that keeps every message it takes, parsed (`mailparser`).
 * `stop()` takes the relay down and `start()` brings it back on the same
 * port, as when the school's relay is down for a while.
 */
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { freePort } from "./controller.js";

export interface ReceivedMail {
  to: string;
  from: string;
  subject: string;
  text: string;
  messageId: string;
}

export class MailServer {
  readonly received: ReceivedMail[] = [];
  private server: SMTPServer | null = null;

  private constructor(readonly port: number) {}

  static async start(): Promise<MailServer> {
    const relay = new MailServer(await freePort());
    await relay.start();
    return relay;
  }

  /** The controller's `mail` setting for this relay. */
  get config() {
    return {
      host: "127.0.0.1",
      port: this.port,
      security: "none" as const,
      from: "classcam@school.example",
    };
  }

  async start(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS", "AUTH"],
      logger: false,
      onData: (stream, _session, callback) => {
        simpleParser(stream).then(
          (mail) => {
            const to = Array.isArray(mail.to) ? mail.to[0] : mail.to;
            this.received.push({
              to: to?.value[0]?.address ?? "",
              from: mail.from?.value[0]?.address ?? "",
              subject: mail.subject ?? "",
              text: mail.text ?? "",
              messageId: mail.messageId ?? "",
            });
            callback();
          },
          (error: unknown) => callback(error as Error),
        );
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The messages that reached `address`. */
  to(address: string): ReceivedMail[] {
    return this.received.filter((mail) => mail.to === address);
  }
}
