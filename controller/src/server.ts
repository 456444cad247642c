/**
 * The controller listening for real: the app built, the MQTT broker and the
 * HTTP server on their ports, and the first-run setup token when there are
 * no accounts yet. Used by `classcam-controller serve` and by the demo.
 */
import type { Logger } from "pino";
import { build, mqttListenOptions } from "./app.js";
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
}

/** Throws with the reason (e.g. the address is in use), having closed what it opened. */
export async function startController(
  config: ControllerConfig,
  logger: Logger,
  options: StartOptions = {},
): Promise<RunningController> {
  const listen = mqttListenOptions(config);
  const app = await build({ config, logger, demoPanelUrl: options.demoPanelUrl ?? null });
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

/** The words printed beside a setup token. */
export function setupTokenNotice(address: string, token: string): string {
  return (
    `\nThis controller has no accounts yet. Create the first administrator with the\n` +
    `one-time setup token below (POST ${address}/api/setup, or the dashboard's set-up page),\n` +
    `or run 'classcam-controller user add ID --name NAME --roles admin'.\n` +
    `  setup token: ${token}\n` +
    "It works once, and a new one is printed at each start until an account exists.\n"
  );
}
