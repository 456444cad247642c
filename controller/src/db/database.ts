/** The controller's database is the shared SQLite wrapper (also used by the device's buffer). */
export * from "@classcam/sqlite";
