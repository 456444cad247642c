export { run, HELP, processIo, type Io } from "./cli.js";
export { ControllerClient, ControllerError, type FleetDevice, type DeviceAction } from "./api.js";
export {
  CA_FILE,
  SETTINGS_FILE,
  DEFAULT_DATA_DIR,
  BundleExists,
  bundleSettings,
  bundleProblem,
  cameraSettings,
  readBundle,
  replaceSecret,
  writeBundle,
  type BundleInput,
  type CameraIdentity,
} from "./bundle.js";
export { parseCsv, readHeader, readRoom, COLUMNS, type CsvRecord, type RoomRow } from "./csv.js";
export { bulkEnrol, readRooms, summary, problemLine, type BulkOutcome } from "./bulk.js";
export { checkBundle, type CheckReport, type CheckStatus } from "./check.js";
export { tlsInit, tlsImport, tlsInstructions, TLS_FILES, type TlsSummary } from "./tls.js";
