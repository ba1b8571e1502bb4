// The way in of a verb that needs nothing but its own code (Plugin.Query, which xapi asks at
// every start and plugin scan): its launcher loads a bundle of its own, a few dozen KiB, instead
// of the launchers' early start and the plugin's bundle, which together cost it more than Node's
// own start-up (profiled: 97 M instructions before any verb code ran, `node -e 0` 87 M). It comes
// through the code cache too (lib/load.cjs, code-cache.ts alone): compiling it was 8 ms of ~60.
// In xapi's wire mode it answers from there, through the same edge as every verb (json-mode.ts);
// an admin's human mode takes the usual way, `full`.
import { runJson } from "./json-mode.js";
import type { Verb } from "./verb.js";
import { isWireMode } from "./wire-mode.js";

export function runLight(verb: Verb, full: () => unknown): void {
  if (isWireMode(process.argv.slice(2))) void runJson(verb);
  else full();
}
