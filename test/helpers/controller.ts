/**
 * Test harness: a real controller (built in-process, or as a child process)
 * on a temporary data folder, listening on real loopback sockets, and real
 * MQTT clients connecting to it with their own credentials.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { pino, type Logger } from "pino";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { FastifyInstance } from "fastify";
import {
  build,
  CONTROLLER_ENVIRONMENT,
  CONTROLLER_NODE_FLAGS,
  DEFAULT_CONFIG,
  type ControllerConfig,
  type SignInLimits,
} from "@classcam/controller";
import { topics } from "@classcam/protocol";

export const REPO = fileURLToPath(new URL("../..", import.meta.url));

export function tempDir(prefix = "classcam-test-"): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A pino logger whose JSON lines are kept for assertions. */
export function captureLogger(level = "info"): {
  logger: Logger;
  lines: Record<string, unknown>[];
} {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n")) {
        if (line.trim() !== "") lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

export function testConfig(
  dataDir: string,
  overrides: Partial<ControllerConfig> = {},
): ControllerConfig {
  return {
    ...DEFAULT_CONFIG,
    dataDir,
    http: { ...DEFAULT_CONFIG.http, host: "127.0.0.1", port: 0 },
    mqtt: { host: "127.0.0.1", port: 0 },
    log: { level: "warn" },
    ...overrides,
  };
}

export interface TestController {
  app: FastifyInstance;
  port: number;
  url: string;
  dataDir: string;
  lines: Record<string, unknown>[];
  enrol: (id: string, room?: string) => Promise<string>;
  close: () => Promise<void>;
}

export async function startController(
  options: {
    dataDir?: string;
    config?: Partial<ControllerConfig>;
    port?: number;
    syncIntervalMs?: number;
    now?: () => Date;
    signInLimits?: SignInLimits;
  } = {},
): Promise<TestController> {
  const dir = options.dataDir === undefined ? tempDir() : null;
  const dataDir = options.dataDir ?? dir?.path ?? "";
  const { logger, lines } = captureLogger();
  const app = await build({
    config: testConfig(dataDir, options.config),
    logger,
    ...(options.syncIntervalMs !== undefined && { syncIntervalMs: options.syncIntervalMs }),
    ...(options.now !== undefined && { now: options.now }),
    ...(options.signInLimits !== undefined && { signInLimits: options.signInLimits }),
    timers: false,
  });
  const { port } = await app.broker.listen({ host: "127.0.0.1", port: options.port ?? 0 });
  return {
    app,
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dataDir,
    lines,
    enrol: async (id, room = `Room ${id}`) => (await app.devices.enrol({ id, room })).secret,
    close: async () => {
      await app.close();
      dir?.remove();
    },
  };
}

/** The Last Will every device sets: its own availability, retained, "offline". */
export function deviceWill(id: string): NonNullable<IClientOptions["will"]> {
  return {
    topic: topics.availability(id),
    payload: Buffer.from('{"status":"offline"}'),
    retain: true,
    qos: 1,
  };
}

/** A device secret one character off the given one: never the same, whatever it ends in. */
export function wrongSecret(secret: string): string {
  return `${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`;
}

/** Connects as a device; rejects with the MQTT error (its `code` is the CONNACK return code). */
export function connectDevice(
  url: string,
  id: string,
  secret: string,
  options: IClientOptions = {},
): Promise<MqttClient> {
  return mqtt.connectAsync(url, {
    clientId: id,
    username: id,
    password: secret,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    will: deviceWill(id),
    ...options,
  });
}

/** Waits for a client to be closed by the broker (or for `ms` to pass: false). */
export function closedWithin(client: MqttClient, ms: number): Promise<boolean> {
  if (!client.connected) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    client.once("close", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` returns a truthy value, or throws after `ms`. */
export async function eventually<T>(
  check: () => Promise<T> | T,
  ms = 10_000,
  what = "condition",
): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== "object" || address === null) throw new Error("no port");
  return address.port;
}

/**
 * Listens on a free loopback port; at the test's end every connection it took
 * (and any `also` holds, e.g. a proxy's upstream ones) is destroyed and it
 * closes. Resolves to the port.
 */
export async function listenOnLoopback(
  t: { teardown: (fn: () => void) => void },
  server: Server,
  also: Set<Socket> = new Set(),
): Promise<number> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.teardown(() => {
    for (const socket of [...sockets, ...also]) socket.destroy();
    server.close();
  });
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("no port");
  return address.port;
}

/** The controller as its own process (`classcam-controller serve`), for crash tests. */
export class ControllerProcess {
  private child: ChildProcess | null = null;
  output = "";

  /**
   * `source` runs the TypeScript through tsx, as the tests do; `built` runs
   * the compiled `controller/dist` (after `npm run build`), as production does.
   */
  constructor(
    readonly dataDir: string,
    readonly mqttPort: number,
    readonly runtime: "source" | "built" = "source",
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private entry(): string[] {
    return this.runtime === "built"
      ? [...CONTROLLER_NODE_FLAGS, ...profilingArgs(), join(REPO, "controller/dist/main.js")]
      : [...nodeArgs(), join(REPO, "controller/src/main.ts")];
  }

  get configFile(): string {
    return join(this.dataDir, "controller.json");
  }

  writeConfig(): void {
    writeFileSync(
      this.configFile,
      JSON.stringify({
        dataDir: this.dataDir,
        mqtt: { host: "127.0.0.1", port: this.mqttPort },
        http: { ...DEFAULT_CONFIG.http, host: "127.0.0.1", port: 0 },
        log: { level: "info" },
      }),
    );
  }

  /** Runs a CLI command (e.g. `device enrol …`) against the same data folder. */
  async cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    this.writeConfig();
    const child = spawn(process.execPath, [...this.entry(), ...args, "--config", this.configFile], {
      cwd: REPO,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? -1)));
    return { code, stdout, stderr };
  }

  async start(): Promise<void> {
    this.writeConfig();
    const child = spawn(process.execPath, [...this.entry(), "--config", this.configFile], {
      cwd: REPO,
      stdio: ["ignore", "pipe", "pipe"],
      // built, it runs as the systemd unit runs it (controller/src/runtime.ts)
      ...(this.runtime === "built" && { env: { ...process.env, ...CONTROLLER_ENVIRONMENT } }),
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString();
        if (this.output.includes('"msg":"controller ready"')) resolve();
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
      child.once("exit", (code) =>
        reject(new Error(`controller exited (${String(code)}) before ready:\n${this.output}`)),
      );
    });
  }

  kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once("exit", () => resolve());
      child.kill(signal);
    });
  }
}

/** How tests run TypeScript in a child process: the same way tap runs them. */
export function nodeArgs(): string[] {
  return ["--conditions=classcam-source", "--import=tsx", ...profilingArgs()];
}

/**
 * Extra node options for the processes tests and benchmarks start, from
 * CLASSCAM_CHILD_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to
 * profile a benchmark's controller; NODE_OPTIONS refuses --cpu-prof).
 */
export function profilingArgs(): string[] {
  return process.env.CLASSCAM_CHILD_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
}
