/**
 * The school's SMTP relay through nodemailer: the outbox's `SendMail` made
 * from the `mail` setting (config-mail.ts). Plain text only, one recipient a
 * message, a short timeout so a relay that hangs counts as down.
 */
import type { Transporter } from "nodemailer";
import type { MailSettings } from "./config-mail.js";
import type { SendMail } from "./domain/mail-outbox.js";

/**
 * nodemailer is loaded with the first message, not at start (about 3 MB of
 * heap held by a controller that may send a few mails a day: issue 21, peak RSS).
 */
export function smtpSender(settings: MailSettings): { send: SendMail; close: () => void } {
  let transport: Transporter | null = null;
  const open = async (): Promise<Transporter> => {
    const { default: nodemailer } = await import("nodemailer");
    transport ??= nodemailer.createTransport({
      host: settings.host,
      port: settings.port,
      secure: settings.security === "tls",
      requireTLS: settings.security === "starttls",
      ignoreTLS: settings.security === "none",
      ...(settings.auth && { auth: settings.auth }),
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
    return transport;
  };
  return {
    send: async (mail) => {
      await (transport ?? (await open())).sendMail({
        from: settings.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        messageId: mail.messageId,
      });
    },
    close: () => transport?.close(),
  };
}
