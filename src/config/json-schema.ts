/** The JSON Schema of brume.yaml / brume.toml, derived from the zod schema (never hand-written). */
import { z } from "zod";
import { brumeConfigSchema } from "./schema.js";

export const schemaId = "https://brume.dev/schema/brume.schema.json";

export function brumeJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(brumeConfigSchema, { io: "input", target: "draft-2020-12" }) as Record<string, unknown>;
  return { ...schema, $id: schemaId, title: "brume config", description: "Brume project: environments, services, machines and data services." };
}
