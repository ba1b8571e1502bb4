// The private build of the plugins the bench measures.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./base.mjs";
import { tree } from "./state.mjs";

// The plugins built from the working tree into a private directory (scripts/build.mjs --out), so
// that neither a rebuild by someone else during the run nor this build disturbs anything; with
// the floor clients of the service topic (scripts/bench/floor/).
export function buildTree() {
  const dir = mkdtempSync(join(tmpdir(), "bench-build-"));
  const r = spawnSync(process.execPath, [join(ROOT, "scripts/build.mjs"), `--out=${dir}`, "--bench-floor"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`scripts/build.mjs failed: ${r.stderr}`);
  Object.assign(tree, {
    dir,
    volume: join(dir, "volume/org.xen.xapi.storage.ceph-rbd"),
    datapath: join(dir, "datapath/rbd+nbd"),
    admin: join(dir, "bin/ceph-rbd-admin"),
    runDir: join(dir, "run"),
  });
  mkdirSync(tree.runDir, { mode: 0o700 });
}
