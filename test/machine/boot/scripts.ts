/**
 * The startup scripts the boot test boots: examples/machines' `edge` group planned with the
 * stand-ins' pinned values (agent and vfox SHA-256, the renderer's commit), exactly as a user pins
 * theirs; the "bad" one pins a wrong agent SHA-256 (a checksum mismatch).
 */
import { ofType } from "../../harness.js";
import { machinesExample, planMachines } from "../fixtures.js";

export interface StandinPins {
  AGENT_SHA256: string;
  VFOX_SHA256: string;
  GIT_REF: string;
}

async function edgeStartupScript(pins: StandinPins, agentSha256: string): Promise<string> {
  const doc = machinesExample();
  doc.machines.edge.agent.sha256 = agentSha256;
  doc.machines.edge.vfox.sha256 = pins.VFOX_SHA256;
  doc.services.renderer.source.ref = pins.GIT_REF;
  const plan = await planMachines(doc);
  const scripts = ofType(plan, "gcp:compute/instanceTemplate:InstanceTemplate")
    .map((t) => (t.inputs.metadata as Record<string, string> | undefined)?.["startup-script"])
    .filter((s): s is string => typeof s === "string");
  if (scripts.length !== 1) throw new Error(`expected one Debian template with a startup-script, found ${scripts.length}`);
  return scripts[0]!;
}

export async function bootStartupScripts(pins: StandinPins): Promise<{ good: string; bad: string }> {
  return { good: await edgeStartupScript(pins, pins.AGENT_SHA256), bad: await edgeStartupScript(pins, "0".repeat(64)) };
}

export function parsePins(text: string): StandinPins {
  const pins = Object.fromEntries(text.trim().split("\n").map((l) => l.split("=", 2) as [string, string]));
  for (const key of ["AGENT_SHA256", "VFOX_SHA256", "GIT_REF"]) if (!/^[0-9a-f]{40,64}$/.test(pins[key] ?? "")) throw new Error(`prepare printed no ${key}: ${text}`);
  return pins as unknown as StandinPins;
}
