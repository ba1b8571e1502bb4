// The end of a bench run, on exit or on a signal: children, the throwaway cluster, the build.
import { rmSync } from "node:fs";
import { log } from "./base.mjs";
import { clusterDown } from "./cluster.mjs";
import { live, state, tree } from "./state.mjs";

// Ctrl-C: children get SIGTERM and the run stops at its next step (a second one quits at once);
// the throwaway cluster and the private build go in any case.
export function installCleanup() {
  const cleanup = () => {
    clusterDown();
    if (tree.dir) rmSync(tree.dir, { recursive: true, force: true });
    tree.dir = undefined;
  };
  let signals = 0;
  const onSignal = (sig) => {
    state.interrupted = true;
    if (++signals > 1) {
      for (const c of live) c.kill("SIGKILL");
      process.exit(130);
    }
    log(`${sig}: stopping (send it again to quit at once)`);
    for (const c of live) c.kill("SIGTERM");
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("exit", cleanup);
  return cleanup;
}
