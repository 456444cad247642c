/** Builds the hardware backend the settings name; there is no implicit choice. */
import type { Logger } from "pino";
import type { DeviceSettings } from "../config.js";
import { linuxHardware } from "./linux/index.js";
import { simHardware } from "./sim/index.js";
import type { Hardware } from "./types.js";

export async function openHardware(
  settings: DeviceSettings["hardware"],
  logger?: Logger,
): Promise<Hardware> {
  switch (settings.backend) {
    case "linux":
      return linuxHardware(settings, { logger });
    case "sim":
      return simHardware(settings);
  }
}

export * from "./types.js";
export {
  Lamp,
  LampFault,
  REFUSED_BLINKS,
  WINK_MS,
  WINK_PERIOD_MS,
  type LampFaultDetail,
  type LitMode,
} from "./lamp.js";
export { PressDetector, type Press, type PressTimers } from "./press.js";
