/**
 * The controller listening for real: the app built, the MQTT broker and the
 * HTTP server on their ports, and the first-run setup token when there are
 * no accounts yet. Used by `classcam-controller serve` and by the demo.
 */
import type { Logger } from "pino";
import { build } from "./app.js";
import { mqttListenOptions } from "./tls-files.js";
import type { ControllerConfig } from "./config.js";

export type App = Awaited<ReturnType<typeof build>>;

export interface RunningController {
  app: App;
  /** The MQTT port, and the MQTT-over-TLS port when configured. */
  mqttPort: number;
  mqttTlsPort: number | null;
  /** The HTTP address, e.g. http://127.0.0.1:8080 */
  address: string;
  /** A one-time token to create the first administrator; null when accounts exist. */
  setupToken: string | null;
  close: () => Promise<void>;
}

export interface StartOptions {
  /** The demo's simulated box panel, shown live on the dashboard's demo page. */
  demoPanelUrl?: string;
  /** The level of the per-request log lines (the demo: debug, so its terminal stays readable). */
  requestLogLevel?: "info" | "debug";
}

/** Throws with the reason (e.g. the address is in use), having closed what it opened. */
export async function startController(
  config: ControllerConfig,
  logger: Logger,
  options: StartOptions = {},
): Promise<RunningController> {
  const listen = mqttListenOptions(config);
  const app = await build({
    config,
    logger,
    demoPanelUrl: options.demoPanelUrl ?? null,
    requestLogLevel: options.requestLogLevel ?? "info",
  });
  let mqttPort: number;
  let mqttTlsPort: number | null;
  let address: string;
  try {
    ({ port: mqttPort, tlsPort: mqttTlsPort } = await app.broker.listen(listen));
    address = await app.listen({ host: config.http.host, port: config.http.port });
  } catch (error) {
    await app.close();
    throw new Error(`cannot listen: ${(error as Error).message}`);
  }
  if (mqttTlsPort === null) {
    logger.warn(
      { part: "broker" },
      "MQTT without TLS: device secrets cross the network in clear; set mqtt.tls for production",
    );
  }
  logger.info(
    { mqtt: mqttPort, mqttTls: mqttTlsPort, http: address, dataDir: config.dataDir },
    "controller ready",
  );
  const setupToken = await app.people.issueSetupToken();
  return { app, mqttPort, mqttTlsPort, address, setupToken, close: () => app.close() };
}

/**
 * The one-time set-up code, printed as one block between two rules, named as
 * the dashboard's set-up page names it. `command` is how the controller's CLI
 * is run here: `classcam-controller`, or in the demo `npm start --` (as README
 * spells it).
 */
export function setupTokenNotice(
  address: string,
  token: string,
  command = "classcam-controller",
): string {
  const rule = "─".repeat(72);
  return [
    "",
    rule,
    "  No accounts yet. Create the first administrator with this one-time set-up code:",
    "",
    `    set-up code:  ${token}`,
    "",
    `  on the dashboard's set-up page (${address}/#/setup),`,
    `  or with: ${command} user add ID --name NAME --roles admin`,
    "  It works once; a new one is printed at each start until an account exists.",
    rule,
    "",
  ].join("\n");
}
