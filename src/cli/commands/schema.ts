import { brumeJsonSchema } from "../../config/json-schema.js";
import type { Command } from "../command.js";

export const schemaCommand: Command = {
  summary: "Print the JSON Schema of brume.yaml / brume.toml",
  usage: "brume schema",
  run(_args, io) {
    io.stdout(`${JSON.stringify(brumeJsonSchema(), null, 2)}\n`);
    return 0;
  },
};
