/**
 * The `mail` setting: e-mail through the school's SMTP relay (issue 17).
 * Absent, notifications stay in the dashboard and nothing is e-mailed.
 * Checked at start with the rest of the config (config.ts): `resolveMail`
 * reads the password's file and reports every problem in words.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Type, type Static } from "@sinclair/typebox";

const ADDRESS = '^[^\\s@<>,;"]+@[^\\s@<>,;"]+\\.[^\\s@<>,;"]+$';

export const MailConfigSchema = Type.Object(
  {
    /** The relay's host name, e.g. smtp.school.org. */
    host: Type.String({ minLength: 1, maxLength: 253 }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    /** tls: TLS from the start (port 465); starttls: upgrade, refusing a relay that cannot (587); none: plain (a relay on this machine only). */
    security: Type.Unsafe<"tls" | "starttls" | "none">({
      type: "string",
      enum: ["tls", "starttls", "none"],
    }),
    /** The account to sign in to the relay with; absent: the relay takes mail without it. */
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    /** A file holding the account's password (kept out of the config). */
    passwordFile: Type.Optional(Type.String({ minLength: 1 })),
    /** Who the messages are from, e.g. classcam@school.org. */
    from: Type.String({ pattern: ADDRESS, maxLength: 254 }),
  },
  { additionalProperties: false },
);
export type MailConfig = Static<typeof MailConfigSchema>;

/** The `mail` setting ready to use: the password read. */
export interface MailSettings {
  host: string;
  port: number;
  security: "tls" | "starttls" | "none";
  auth: { user: string; pass: string } | null;
  from: string;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** The settings to use, or every problem with them (each naming its key). */
export function resolveMail(
  config: MailConfig,
  publicUrl: string | undefined,
  cwd: string,
): { settings: MailSettings } | { problems: string[] } {
  const problems: string[] = [];
  if (config.security === "none" && !LOOPBACK.has(config.host)) {
    problems.push(
      `mail.security: 'none' sends mail unencrypted, allowed only to a relay on this machine ` +
        `(got host '${config.host}'); use 'starttls' or 'tls'`,
    );
  }
  if (publicUrl === undefined) {
    problems.push("mail: http.publicUrl is required, so that e-mails link to the dashboard");
  }
  let auth: MailSettings["auth"] = null;
  if ((config.user === undefined) !== (config.passwordFile === undefined)) {
    problems.push("mail: give both user and passwordFile, or neither");
  } else if (config.user !== undefined && config.passwordFile !== undefined) {
    const path = resolve(cwd, config.passwordFile);
    try {
      const pass = readFileSync(path, "utf8").trim();
      if (pass === "") problems.push(`mail.passwordFile: ${path} is empty`);
      auth = { user: config.user, pass };
    } catch (error) {
      problems.push(`mail.passwordFile: cannot read ${path} (${(error as Error).message})`);
    }
  }
  if (problems.length > 0) return { problems };
  return {
    settings: {
      host: config.host,
      port: config.port,
      security: config.security,
      auth,
      from: config.from,
    },
  };
}
