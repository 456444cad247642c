/**
 * The school's SMTP relay through nodemailer: the outbox's `SendMail` made
 * from the `mail` setting (config-mail.ts). Plain text only, one recipient a
 * message, a short timeout so a relay that hangs counts as down.
 */
import nodemailer from "nodemailer";
import type { MailSettings } from "./config-mail.js";
import type { SendMail } from "./domain/mail-outbox.js";

export function smtpSender(settings: MailSettings): { send: SendMail; close: () => void } {
  const transport = nodemailer.createTransport({
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
  return {
    send: async (mail) => {
      await transport.sendMail({
        from: settings.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        messageId: mail.messageId,
      });
    },
    close: () => transport.close(),
  };
}
