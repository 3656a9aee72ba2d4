/**
 * The plan JSON contract (`brume plan --format json`), as a zod schema: tests validate every plan
 * against it, and consumers can too (`import { planContract } from "@brume/infra/plan"`).
 */
import { z } from "zod";

const urn = z.string().regex(/^urn:pulumi:[^:]+::[^:]+::.+::.+$/);

export const plannedResourceContract = z.strictObject({
  urn,
  type: z.string().min(1),
  name: z.string().min(1),
  parent: z.union([urn, z.literal("")]),
  inputs: z.record(z.string(), z.unknown()),
  dependencies: z.array(urn),
  provider: z.union([urn, z.literal("")]),
  protect: z.boolean(),
  custom: z.boolean(),
  ignoreChanges: z.array(z.string().min(1)).min(1).optional(),
  retainOnDelete: z.literal(true).optional(),
  aliases: z.array(urn).min(1).optional(),
});

export const planContract = z.strictObject({
  project: z.string().min(1),
  stack: z.string().min(1),
  resources: z.array(plannedResourceContract),
  outputs: z.record(z.string(), z.unknown()),
});
