export { build, mqttListenOptions, DATABASE_FILE, type BuildOptions } from "./app.js";
export { loadConfig, ConfigError, DEFAULT_CONFIG, type ControllerConfig } from "./config.js";
export { Broker, ConnackCode, MAX_PACKET_BYTES } from "./broker/broker.js";
export { DeviceRegistry, type Device } from "./domain/devices.js";
export { Database } from "./db/database.js";
export { migrate, migrations, type Migration } from "./db/migrations.js";
export { AuditLog, type AuditEntry, type AuditInput } from "./domain/audit.js";
export { People, type SignInLimits, type User } from "./domain/people.js";
export { ROLES, type Role } from "./domain/access.js";
