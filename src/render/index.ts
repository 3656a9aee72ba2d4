/** Pure renderers of what runs on machines: cloud-init, scripts, systemd units, Caddyfile. */
export * from "./agent.js";
export * from "./boot.js";
export * from "./caddy.js";
export * from "./cloud-init.js";
export * from "./containers.js";
export * from "./layout.js";
export * from "./ops-agent.js";
export * from "./runners.js";
export { shQuote, systemdQuote } from "./shell.js";
