/** Builds the hardware backend the settings name; there is no implicit choice. */
import type { Logger } from "pino";
import type { DeviceSettings } from "../config.js";
import { linuxHardware } from "./linux/index.js";
import type { Lamp } from "./lamp.js";
import type { Press } from "./press.js";
import { SimLamp, simHardware } from "./sim/index.js";
import { SimPanel } from "./sim/panel.js";
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

/** The demo's front panel over HTTP (the sim box only): see the lamp, press the button. */
export interface DemoPanel {
  /** Where the panel listens, e.g. `http://127.0.0.1:8091`. */
  readonly url: string;
  close(): Promise<void>;
}

/** Opens the demo panel on the sim box's lamp; refuses on any other backend. */
export async function openDemoPanel(options: {
  hardware: Hardware;
  host: string;
  port: number;
  lamp: Pick<Lamp, "mode" | "onModeChange">;
  press: (press: Press) => Promise<void>;
}): Promise<DemoPanel> {
  const { hardware, lamp } = options;
  if (!(hardware.lamp instanceof SimLamp)) {
    throw new Error("the demo panel needs the sim hardware backend");
  }
  return SimPanel.start({
    host: options.host,
    port: options.port,
    lamp: hardware.lamp,
    mode: () => lamp.mode,
    onModeChange: (listener) => lamp.onModeChange(listener),
    press: options.press,
  });
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
