/**
 * Controller settings: defaults, overlaid by a JSON config file, overlaid by
 * environment variables. The result is checked against one schema and every
 * problem is reported at once, each naming where the bad value came from.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Type, type Static } from "@sinclair/typebox";
import { compile } from "@classcam/protocol";
import { OidcConfigSchema, resolveOidc } from "./config-oidc.js";
import { MailConfigSchema, resolveMail } from "./config-mail.js";

const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const strict = { additionalProperties: false } as const;
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export const ControllerConfigSchema = Type.Object(
  {
    /** Where the database and other state live. */
    dataDir: Type.String({ minLength: 1 }),
    http: Type.Object(
      {
        host: Type.String({ minLength: 1 }),
        port: Port,
        /** The address devices and browsers reach the controller at (for upload URLs). */
        publicUrl: Type.Optional(Type.String({ format: "uri", pattern: "^https?://" })),
        /** A session ends this many hours after sign-in. */
        sessionHours: Type.Integer({ minimum: 1, maximum: 24 }),
        /** A session ends after this many minutes without a request. */
        idleMinutes: Type.Integer({ minimum: 5, maximum: 1440 }),
        /** Serve HTTPS with this certificate and key (e.g. from classcam-provision tls init). */
        tls: Type.Optional(
          Type.Object(
            { certFile: Type.String({ minLength: 1 }), keyFile: Type.String({ minLength: 1 }) },
            strict,
          ),
        ),
      },
      strict,
    ),
    retention: Type.Object(
      {
        /** How often the retention sweep runs. */
        sweepMinutes: Type.Integer({ minimum: 1, maximum: 1440 }),
      },
      strict,
    ),
    mqtt: Type.Object(
      {
        host: Type.String({ minLength: 1 }),
        port: Port,
        tls: Type.Optional(
          Type.Object(
            {
              port: Port,
              certFile: Type.String({ minLength: 1 }),
              keyFile: Type.String({ minLength: 1 }),
              caFile: Type.Optional(Type.String({ minLength: 1 })),
            },
            strict,
          ),
        ),
      },
      strict,
    ),
    security: Type.Object(
      {
        /** Refused MQTT connections allowed per source address per window. */
        connectFailuresPerWindow: Type.Integer({ minimum: 1, maximum: 10_000 }),
        connectFailureWindowSeconds: Type.Integer({ minimum: 1, maximum: 86_400 }),
        /**
         * The key device secrets are checked under (device-key.ts), kept out of the database;
         * made at first start. Default: device-secrets.key in dataDir.
         */
        deviceKeyFile: Type.Optional(Type.String({ minLength: 1 })),
      },
      strict,
    ),
    log: Type.Object(
      {
        level: Type.Unsafe<(typeof LOG_LEVELS)[number]>({ type: "string", enum: [...LOG_LEVELS] }),
      },
      strict,
    ),
    /** Sign-in through the school's identity provider (config-oidc.ts); absent: passwords only. */
    oidc: Type.Optional(OidcConfigSchema),
    /** E-mail through the school's SMTP relay (config-mail.ts); absent: notifications in the dashboard only. */
    mail: Type.Optional(MailConfigSchema),
    /** Face blurring (issue 19); absent: one rendition at a time, the detector's own model. */
    anonymiser: Type.Optional(
      Type.Object(
        {
          /** Renditions made at once, each taking about one core; at most the machine's cores. */
          cores: Type.Integer({ minimum: 1, maximum: 64 }),
          /** Where the face model's files are; default: inside the @vladmandic/face-api package. */
          modelDir: Type.Optional(Type.String({ minLength: 1 })),
        },
        strict,
      ),
    ),
  },
  strict,
);
export type ControllerConfig = Static<typeof ControllerConfigSchema>;

/** The address people and boxes reach the controller at: `http.publicUrl`, or where it listens. */
export function publicUrlOf(config: ControllerConfig): string {
  const scheme = config.http.tls ? "https" : "http";
  return config.http.publicUrl ?? `${scheme}://${config.http.host}:${config.http.port}`;
}

export const DEFAULT_CONFIG: ControllerConfig = {
  dataDir: "data/controller",
  http: { host: "127.0.0.1", port: 8080, sessionHours: 12, idleMinutes: 120 },
  retention: { sweepMinutes: 60 },
  mqtt: { host: "0.0.0.0", port: 1883 },
  security: { connectFailuresPerWindow: 10, connectFailureWindowSeconds: 60 },
  log: { level: "info" },
};

/** Environment variables and the setting each one overrides. */
export const ENVIRONMENT: readonly {
  name: string;
  path: string;
  type: "string" | "integer";
  help: string;
}[] = [
  { name: "CLASSCAM_DATA_DIR", path: "dataDir", type: "string", help: "folder for the database" },
  { name: "CLASSCAM_HTTP_HOST", path: "http.host", type: "string", help: "HTTP listen address" },
  { name: "CLASSCAM_HTTP_PORT", path: "http.port", type: "integer", help: "HTTP port" },
  { name: "CLASSCAM_MQTT_HOST", path: "mqtt.host", type: "string", help: "MQTT listen address" },
  { name: "CLASSCAM_MQTT_PORT", path: "mqtt.port", type: "integer", help: "MQTT port (plain TCP)" },
  {
    name: "CLASSCAM_MQTT_TLS_PORT",
    path: "mqtt.tls.port",
    type: "integer",
    help: "MQTT over TLS port",
  },
  {
    name: "CLASSCAM_MQTT_TLS_CERT",
    path: "mqtt.tls.certFile",
    type: "string",
    help: "TLS certificate (PEM)",
  },
  {
    name: "CLASSCAM_MQTT_TLS_KEY",
    path: "mqtt.tls.keyFile",
    type: "string",
    help: "TLS private key (PEM)",
  },
  {
    name: "CLASSCAM_MQTT_TLS_CA",
    path: "mqtt.tls.caFile",
    type: "string",
    help: "TLS CA chain (PEM)",
  },
  {
    name: "CLASSCAM_HTTP_TLS_CERT",
    path: "http.tls.certFile",
    type: "string",
    help: "HTTPS certificate (PEM)",
  },
  {
    name: "CLASSCAM_HTTP_TLS_KEY",
    path: "http.tls.keyFile",
    type: "string",
    help: "HTTPS private key (PEM)",
  },
  {
    name: "CLASSCAM_PUBLIC_URL",
    path: "http.publicUrl",
    type: "string",
    help: "URL devices reach the controller at",
  },
  {
    name: "CLASSCAM_DEVICE_KEY_FILE",
    path: "security.deviceKeyFile",
    type: "string",
    help: "key device secrets are checked under",
  },
  {
    name: "CLASSCAM_LOG_LEVEL",
    path: "log.level",
    type: "string",
    help: "fatal|error|warn|info|debug|trace|silent",
  },
];

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

type Tree = Record<string, unknown>;
const isTree = (value: unknown): value is Tree =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function merge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isTree(current) && isTree(value) ? merge(current, value) : value;
  }
  return out;
}

function setPath(tree: Tree, path: string, value: unknown): void {
  const keys = path.split(".");
  const last = keys.pop() ?? path;
  let node = tree;
  for (const key of keys) {
    const next = node[key];
    node = isTree(next) ? next : (node[key] = {});
  }
  node[last] = value;
}

const checkConfig = compile(ControllerConfigSchema);

export interface LoadOptions {
  /** A JSON config file; its settings override the defaults. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export function loadConfig(options: LoadOptions = {}): ControllerConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const problems: string[] = [];
  let tree: Tree = structuredClone(DEFAULT_CONFIG);

  const file = options.file ?? env.CLASSCAM_CONFIG;
  if (file !== undefined && file !== "") {
    const path = resolve(cwd, file);
    try {
      const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
      if (isTree(parsed)) tree = merge(tree, parsed);
      else problems.push(`config file ${path}: must hold a JSON object`);
    } catch (error) {
      problems.push(`config file ${path}: ${(error as Error).message}`);
    }
  }

  const fromEnv = new Map<string, string>();
  for (const variable of ENVIRONMENT) {
    const raw = env[variable.name];
    if (raw === undefined || raw === "") continue;
    if (variable.type === "integer") {
      if (!/^\d+$/.test(raw.trim())) {
        problems.push(`${variable.name}: must be a whole number (got '${raw}')`);
        continue;
      }
      setPath(tree, variable.path, Number(raw.trim()));
    } else {
      setPath(tree, variable.path, raw);
    }
    fromEnv.set(variable.path, variable.name);
  }

  const checked = checkConfig(tree);
  if (!checked.ok) {
    // name the environment variable when that is where the bad value came from
    problems.push(
      ...checked.error.split("; ").map((problem) => {
        const path = problem.slice(0, problem.indexOf(":"));
        const name = fromEnv.get(path);
        return name === undefined ? problem : `${name}${problem.slice(path.length)} (sets ${path})`;
      }),
    );
  }
  if (checked.ok && checked.value.oidc !== undefined) {
    const oidc = resolveOidc(checked.value.oidc, checked.value.http.publicUrl, cwd);
    if ("problems" in oidc) problems.push(...oidc.problems);
  }
  if (checked.ok && checked.value.mail !== undefined) {
    const mail = resolveMail(checked.value.mail, checked.value.http.publicUrl, cwd);
    if ("problems" in mail) problems.push(...mail.problems);
  }
  if (problems.length > 0 || !checked.ok) throw new ConfigError(problems);
  const config = checked.value;
  const { deviceKeyFile } = config.security;
  return {
    ...config,
    dataDir: resolve(cwd, config.dataDir),
    ...(deviceKeyFile !== undefined && {
      security: { ...config.security, deviceKeyFile: resolve(cwd, deviceKeyFile) },
    }),
    ...(config.oidc?.clientSecretFile !== undefined && {
      oidc: { ...config.oidc, clientSecretFile: resolve(cwd, config.oidc.clientSecretFile) },
    }),
    ...(config.mail?.passwordFile !== undefined && {
      mail: { ...config.mail, passwordFile: resolve(cwd, config.mail.passwordFile) },
    }),
  };
}
