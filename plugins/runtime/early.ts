// What a verb's launcher runs before it loads its plugin's bundle, whose compiling alone takes
// about 15 ms: a verb that will talk to Ceph (in xapi's --json mode, every one but Plugin.*)
// starts its librados session's Python process first, so that Python's start-up overlaps Node's.
import { prewarm } from "../ceph/session-process.js";

export function early(verbName: string): void {
  const argv = process.argv.slice(2);
  if (argv.length === 1 && argv[0] === "--json" && !verbName.toLowerCase().startsWith("plugin.")) prewarm();
}
