export * from "./ids.js";
export * from "./topics.js";
export * from "./schemas.js";
export * from "./validate.js";
export * from "./buffer-rules.js";
export * from "./buffer-expiry.js";
export * from "./booking-rule.js";
export * from "./segments.js";
