// One entry for every executable of a plugin: the verb comes from the executable's own name,
// `--json` selects xapi's wire mode, anything else the admin's human mode.
import type { VerbTable } from "./verb.js";
import { isWireMode } from "./wire-mode.js";

const findVerb = (table: VerbTable, name: string) => {
  // xapi-storage-script falls back to a case-insensitive match (Plugin.query -> Plugin.Query).
  const hit = Object.keys(table).find((k) => k === name) ?? Object.keys(table).find((k) => k.toLowerCase() === name.toLowerCase());
  return hit === undefined ? undefined : table[hit];
};

// Whatever goes wrong, even loading the verb's own code, xapi gets an error object, not a trace.
async function runWire(table: VerbTable, verbName: string): Promise<void> {
  const { toWireError } = await import("./wire-error.js");
  const { printError } = await import("./output.js");
  try {
    const load = findVerb(table, verbName);
    if (load === undefined) {
      const { Unimplemented } = await import("../wire/errors.js");
      return await printError(toWireError(new Unimplemented(verbName)));
    }
    const { runJson } = await import("./json-mode.js");
    return await runJson((await load()).default);
  } catch (e) {
    return printError(toWireError(e));
  }
}

export async function runMain(table: VerbTable, verbName: string, argv: readonly string[]): Promise<void> {
  // (The launcher has already started the librados session's process: runtime/early.ts.)
  if (isWireMode(argv)) return runWire(table, verbName);
  const { runHuman } = await import("./human-mode.js");
  return runHuman(table, verbName, argv);
}
