/**
 * The files the controller's two listeners read from the config: the HTTPS
 * server's certificate and key, and the broker's TLS certificate, key and CA
 * chain. A file that cannot be read is a start-up error naming it.
 */
import { readFileSync } from "node:fs";
import type { ListenOptions } from "./broker/broker.js";
import type { ControllerConfig } from "./config.js";

function readTlsFile(service: string, what: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new Error(`cannot read the ${service} ${what} ${file}: ${(error as Error).message}`);
  }
}

/** The HTTPS server's certificate and key when http.tls is set (null: plain HTTP). */
export function httpsOptions(config: ControllerConfig): { cert: Buffer; key: Buffer } | null {
  const { tls } = config.http;
  if (!tls) return null;
  return {
    cert: readTlsFile("HTTPS", "certificate", tls.certFile),
    key: readTlsFile("HTTPS", "key", tls.keyFile),
  };
}

/** The broker's listen options from the config, reading the TLS files if any. */
export function mqttListenOptions(config: ControllerConfig): ListenOptions {
  const { tls } = config.mqtt;
  return {
    host: config.mqtt.host,
    port: config.mqtt.port,
    ...(tls && {
      tls: {
        port: tls.port,
        cert: readTlsFile("MQTT TLS", "certificate", tls.certFile),
        key: readTlsFile("MQTT TLS", "key", tls.keyFile),
        ...(tls.caFile !== undefined && { ca: readTlsFile("MQTT TLS", "CA chain", tls.caFile) }),
      },
    }),
  };
}
