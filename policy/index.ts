/**
 * Brume's CrossGuard policy pack: the hardened rules our components apply by default, for any
 * Pulumi stack. Build it (`npm ci && npm run build` in this directory), then
 * `pulumi preview --policy-pack <path to policy/>`.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies.js";

new PolicyPack("brume", { enforcementLevel: "mandatory", policies });
