export * from "./config.js";
export { Daemon, type DaemonOptions } from "./daemon.js";
export { devicePaths, openStore, type DevicePaths } from "./store.js";
export { RETIRED_FILE, readRetirement, retires, type RetiredMarker } from "./link/retire.js";
export * from "./hw/index.js";
export {
  simHardware,
  type SimHardware,
  SimLamp,
  SimButton,
  SimCamera,
  SimSpeaker,
} from "./hw/sim/index.js";
export { decideBooking, type BookingDecision } from "./session/booking.js";
export { DAEMON_ENVIRONMENT, DAEMON_NODE_FLAGS, SOFTWARE_VERSION } from "./version.js";
export { EventBus, type BoxEvents } from "./bus.js";
export { Parts, type Part } from "./parts.js";
