/** `brume release`: the command lives in ../release/ (start, weight, promote, abort, rollback, status). */
export { releaseCommand } from "../release/command.js";
