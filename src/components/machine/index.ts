export * from "./machine-group.js";
export * from "./machines.js";
export * from "./releases.js";
export * from "./from-config.js";
export * from "./frontend.js";
