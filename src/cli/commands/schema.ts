import { parseArgs } from "node:util";
import { brumeJsonSchema } from "../../config/json-schema.js";
import { writeOutput, type Command } from "../command.js";

export const schemaCommand: Command = {
  summary: "Print the JSON Schema of brume.yaml / brume.toml",
  usage: `brume schema [--out <file>]
  --out <file>          Write the schema to a file instead of stdout`,
  run(args, io) {
    const { values } = parseArgs({ args, options: { out: { type: "string" } }, strict: true });
    const text = `${JSON.stringify(brumeJsonSchema(), null, 2)}\n`;
    if (values.out) writeOutput(values.out, text);
    else io.stdout(text);
    return 0;
  },
};
