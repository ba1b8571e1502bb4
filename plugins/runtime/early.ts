// What a verb's launcher runs: it starts what the verb will need, then loads the plugin's bundle
// (code-cache.ts; compiling it takes about 15 ms without the cache). A verb that will talk to
// Ceph (in xapi's --json mode, every one but Plugin.*) starts its librados session's Python
// process first, so that Python's start-up overlaps Node's; with the per-host session service on,
// the service instead, when its socket is not there yet (session.ts connects to it, and falls
// back on a process of its own when it cannot).
import { serviceOn, servicePidFile, socketPath } from "../ceph/service-paths.js";
import { startService } from "../ceph/service-start.js";
import { prewarm } from "../ceph/session-process.js";
import { existsSync } from "node:fs";
import { recordedProcess } from "../pid-file.js";
import { load } from "./code-cache.js";
import { isWireMode } from "./wire-mode.js";

function startEarly(): void {
  if (!serviceOn()) return prewarm();
  // There, or running without its socket (the verb then says so, and uses a session of its own).
  if (existsSync(socketPath()) || recordedProcess(servicePidFile()) !== undefined) return;
  try {
    startService();
  } catch {
    // An unsafe run directory: the verb says why when it reaches for the service.
  }
}

// The plugin's bundle (at `bundle`, an absolute path), loaded for `verbName`; `ceph` false for a
// verb that makes no Ceph call (the launcher says so: datapath/main.ts).
export function early(verbName: string, bundle: string, ceph = true) {
  if (ceph && isWireMode(process.argv.slice(2)) && !verbName.toLowerCase().startsWith("plugin.")) startEarly();
  return load(bundle, verbName);
}
