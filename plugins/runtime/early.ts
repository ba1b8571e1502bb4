// What a verb's launcher runs: it starts what the verb will need, then loads the plugin's bundle
// (code-cache.ts; compiling it takes about 15 ms without the cache). A verb that will talk to
// Ceph (in xapi's --json mode, every one but Plugin.*) starts its librados session's Python
// process first, so that Python's start-up overlaps Node's; unless the per-host session service
// is there to serve it (its socket exists: session.ts checks it, and falls back on the spare's
// absence by starting a process then).
import { serviceOn, socketPath } from "../ceph/service-paths.js";
import { prewarm } from "../ceph/session-process.js";
import { existsSync } from "node:fs";
import { load } from "./code-cache.js";
import { isWireMode } from "./wire-mode.js";

// The plugin's bundle (at `bundle`, an absolute path), loaded for `verbName`.
export function early(verbName: string, bundle: string) {
  if (isWireMode(process.argv.slice(2)) && !verbName.toLowerCase().startsWith("plugin.") && !(serviceOn() && existsSync(socketPath()))) prewarm();
  return load(bundle, verbName);
}
