/**
 * Test harness for the provisioning CLI: a real controller listening for
 * HTTP (and MQTT) on loopback, an IT account with a real password, and the
 * CLI run in-process with its output captured (or as its own process).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import type { ControllerConfig } from "@classcam/controller";
import { DEFAULT_CONFIG } from "@classcam/controller";
import { run, type Io } from "@classcam/provisioning";
import {
  REPO,
  freePort,
  nodeArgs,
  startController,
  type TestController,
} from "../helpers/controller.js";

export const IT_USER = "it-jo";
export const IT_PASSWORD = "correct horse battery staple";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `classcam-provision` in-process with `env` (not the test's own environment). */
export async function provision(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  options: { tty?: boolean } = {},
): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    out: (line) => (stdout += `${line}\n`),
    err: (line) => (stderr += `${line}\n`),
    progress: (text) => (stderr += `\r${text}`),
    isTTY: options.tty ?? false,
    env,
    askPassword: () => Promise.resolve(null),
  };
  const code = await run(args, io);
  return { code, stdout, stderr };
}

/** Runs a command of the repository as its own process (TypeScript through tsx). */
export function runNode(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<CliResult> {
  const child = spawn(process.execPath, [...nodeArgs(), join(REPO, script), ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => {
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export interface ProvisionedSchool {
  controller: TestController;
  /** http(s)://127.0.0.1:PORT */
  httpUrl: string;
  /** The environment the CLI needs to reach it as IT. */
  env: NodeJS.ProcessEnv;
  close: () => Promise<void>;
}

/** Adds an account and gives it a real password (through the HTTP API, as a person would). */
export async function addAccount(
  controller: TestController,
  id: string,
  roles: ("it" | "bursar" | "teacher" | "admin")[],
  password: string,
): Promise<void> {
  const { temporaryPassword } = await controller.app.people.add(
    { id, displayName: `Ms ${id}`, roles },
    "test",
  );
  const signIn = await controller.app.inject({
    method: "POST",
    url: "/api/session",
    payload: { id, password: temporaryPassword },
  });
  if (signIn.statusCode !== 200) throw new Error(`sign-in ${id}: ${signIn.body}`);
  const cookie = signIn.cookies.find((c) => c.name === "classcam_session")?.value ?? "";
  const { csrfToken } = signIn.json<{ csrfToken: string }>();
  const changed = await controller.app.inject({
    method: "POST",
    url: "/api/session/password",
    headers: { "x-csrf-token": csrfToken, origin: "http://localhost:80" },
    cookies: { classcam_session: cookie },
    payload: { current: temporaryPassword, next: password },
  });
  if (changed.statusCode !== 200) throw new Error(`password ${id}: ${changed.body}`);
}

/**
 * A controller listening on loopback for HTTP and MQTT (and MQTT over TLS,
 * HTTPS when `config` says so), with the IT account `it-jo`.
 */
export async function startProvisionedSchool(
  options: {
    config?: (httpPort: number) => Partial<ControllerConfig>;
    syncIntervalMs?: number;
  } = {},
): Promise<ProvisionedSchool> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const extra = options.config?.(port) ?? {};
    const https = extra.http?.tls !== undefined;
    const httpUrl = `${https ? "https" : "http"}://127.0.0.1:${port}`;
    const controller = await startController({
      config: {
        http: { ...DEFAULT_CONFIG.http, host: "127.0.0.1", port, publicUrl: httpUrl },
        ...extra,
      },
      ...(options.syncIntervalMs !== undefined && { syncIntervalMs: options.syncIntervalMs }),
    });
    try {
      await controller.app.listen({ host: "127.0.0.1", port });
    } catch (error) {
      await controller.close();
      if ((error as { code?: unknown }).code !== "EADDRINUSE" || attempt >= 5) throw error;
      continue;
    }
    await addAccount(controller, IT_USER, ["it"], IT_PASSWORD);
    return {
      controller,
      httpUrl,
      env: {
        CLASSCAM_CONTROLLER: httpUrl,
        CLASSCAM_USER: IT_USER,
        CLASSCAM_PASSWORD: IT_PASSWORD,
      },
      close: () => controller.close(),
    };
  }
}
