/**
 * `check`: a bundle as the daemon would load it, then the controller as the
 * device would reach it — the address, TLS with only the bundle's CA, and the
 * device's own credentials — and whether the controller says it is retired.
 */
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import mqtt, { type MqttClient } from "mqtt";
import { readRetirement, retires, type DeviceSettings } from "@classcam/device";
import { topics } from "@classcam/protocol";
import { readBundle } from "./bundle.js";

export type CheckStatus = "good" | "bad-bundle" | "unreachable" | "refused" | "retired";

export interface CheckReport {
  status: CheckStatus;
  lines: string[];
}

export interface CheckOptions {
  /** Connect to the controller (default true). */
  connect?: boolean;
  timeoutMs?: number;
  /** How long to listen for a retire notice once connected. */
  listenMs?: number;
}

/** Words for a refused or failed MQTT connection. */
export function connectionProblem(
  error: unknown,
  url: string,
  hasCa: boolean,
): { status: CheckStatus; text: string } {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 2:
      return {
        status: "refused",
        text: "the controller refused the client id (it must be the device id)",
      };
    case 3:
      return {
        status: "refused",
        text: "the controller is refusing connections from this address for now (too many refusals); try later",
      };
    case 4:
      return {
        status: "refused",
        text: "the controller refused the device's secret: it is wrong, or was rotated away (rotate again and install the new bundle)",
      };
    case 5:
      return {
        status: "refused",
        text: "the controller refuses this device: it is disabled (enable it from the dashboard)",
      };
    case "ECONNREFUSED":
      return { status: "unreachable", text: `nothing listens at ${url} (connection refused)` };
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return {
        status: "unreachable",
        text: `the controller's name in ${url} does not resolve (${code})`,
      };
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "SELF_SIGNED_CERT_IN_CHAIN":
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "UNABLE_TO_GET_ISSUER_CERT_LOCALLY":
    case "CERT_SIGNATURE_FAILURE":
      return {
        status: "refused",
        text:
          `TLS: the controller's certificate is not signed by the ${hasCa ? "school CA in the bundle" : "system's CAs (the bundle has no CA)"} ` +
          `(${code}): the bundle's ca.pem and the controller's certificate belong to different CAs`,
      };
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return {
        status: "refused",
        text: `TLS: the controller's certificate is not for the name in ${url}: ${message}`,
      };
    case "CERT_HAS_EXPIRED":
      return { status: "refused", text: "TLS: the controller's certificate has expired" };
    default:
      return { status: "unreachable", text: `cannot reach ${url}: ${message}` };
  }
}

function describeHardware(settings: DeviceSettings): string {
  const { lamp, button, camera } = settings.hardware;
  const cam = camera as { match?: Record<string, string>; device?: string };
  const which =
    cam.match !== undefined
      ? Object.entries(cam.match)
          .map(([k, v]) => `${k} '${v}'`)
          .join(", ")
      : (cam.device ?? "the one USB camera present");
  return (
    `${settings.hardware.backend} hardware: lamp GPIO ${lamp.pin}${lamp.activeLow ? " (active low)" : ""}, ` +
    `button GPIO ${button.pin}${button.activeLow ? " (active low)" : ""}, camera ${which}`
  );
}

/** Connects as the device; resolves with what the controller said. */
async function reach(
  settings: DeviceSettings,
  options: CheckOptions,
): Promise<{ status: CheckStatus; text: string }> {
  const url = settings.controller.mqttUrl;
  const caFile = settings.controller.caFile;
  const timeoutMs = options.timeoutMs ?? 10_000;
  let client: MqttClient | null = null;
  const attempt = new Promise<MqttClient>((resolveClient, reject) => {
    const connecting = mqtt.connect(url, {
      clientId: settings.deviceId,
      username: settings.deviceId,
      password: settings.secret,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: timeoutMs,
      ...(caFile !== undefined && { ca: readFileSync(caFile), rejectUnauthorized: true }),
    });
    client = connecting;
    connecting.once("connect", () => resolveClient(connecting));
    connecting.once("error", reject);
    connecting.once("close", () =>
      reject(new Error("the connection closed before the controller answered")),
    );
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
  });
  try {
    const connected = await Promise.race([attempt, timeout]);
    const notice = topics.request(settings.deviceId, "retire");
    // listened for before subscribing, so a notice sent with the SUBACK is not missed; the
    // listening time starts once the controller has acknowledged the subscription
    const noticed = new Promise<boolean>((resolveNoticed) => {
      connected.on("message", (topic) => {
        if (topic === notice) resolveNoticed(true);
      });
    });
    await connected.subscribeAsync(notice, { qos: 1 });
    let wait: NodeJS.Timeout | undefined;
    const quiet = new Promise<boolean>((resolveQuiet) => {
      wait = setTimeout(() => resolveQuiet(false), options.listenMs ?? 2000);
    });
    const retired = await Promise.race([noticed, quiet]);
    clearTimeout(wait);
    if (retired) {
      return {
        status: "retired",
        text: "the controller accepted the secret and says this device is RETIRED: it will wipe its buffer and never record again",
      };
    }
    return { status: "good", text: `the controller at ${url} accepted the device's secret` };
  } catch (error) {
    return connectionProblem(error, url, caFile !== undefined);
  } finally {
    clearTimeout(timer);
    const open = client as MqttClient | null;
    if (open !== null) await open.endAsync(true).catch(() => undefined);
  }
}

export async function checkBundle(path: string, options: CheckOptions = {}): Promise<CheckReport> {
  const lines: string[] = [];
  let settings: DeviceSettings;
  let file: string;
  try {
    ({ settings, file } = readBundle(path));
  } catch (error) {
    return { status: "bad-bundle", lines: [`bundle: ${(error as Error).message}`] };
  }
  lines.push(
    `bundle ${file}: device ${settings.deviceId}, controller ${settings.controller.mqttUrl}`,
  );
  lines.push(describeHardware(settings));
  const { caFile } = settings.controller;
  if (caFile !== undefined) {
    let ca: X509Certificate;
    try {
      ca = new X509Certificate(readFileSync(caFile));
    } catch (error) {
      lines.push(`CA ${caFile}: ${(error as Error).message}`);
      return { status: "bad-bundle", lines };
    }
    const days = Math.floor((Date.parse(ca.validTo) - Date.now()) / 86_400_000);
    lines.push(
      `trusts only the CA '${ca.subject.replace(/\n/g, ", ")}' (valid for ${days} more days)`,
    );
    if (days < 0)
      return { status: "bad-bundle", lines: [...lines, "the CA certificate has expired"] };
  } else if (settings.controller.mqttUrl.startsWith("mqtt://")) {
    lines.push(
      "warning: plain MQTT: the secret crosses the network in clear (use mqtts:// and --ca)",
    );
  }
  const marker = readRetirement(settings.dataDir);
  if (marker !== null && retires(marker, settings.deviceId)) {
    lines.push(
      `RETIRED: ${settings.dataDir} says this box was retired at ${marker.retiredAt}` +
        (marker.wipedAt === null ? " (wipe unfinished)" : `, buffer wiped at ${marker.wipedAt}`),
    );
    return { status: "retired", lines };
  }
  if (options.connect === false) return { status: "good", lines };
  const reached = await reach(settings, options);
  lines.push(reached.text);
  return { status: reached.status, lines };
}
