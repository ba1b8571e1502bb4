// The session's operation table (session-ops.ts) against the helper's own (ceph-session.py's
// OPS, RADOS_OPS, CLUSTER_OPS), read by importing the helper on the system's Python with the
// stand-in rados module (test/helpers/stub-rados): an operation added on one side only fails here.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SESSION_OPS } from "../../plugins/ceph/session-ops.js";

const SCRIPT = fileURLToPath(new URL("../../plugins/ceph/ceph-session.py", import.meta.url));
const STUB = fileURLToPath(new URL("../helpers/stub-rados", import.meta.url));

// The module's main() does not run on import; its answers' channel is the original stdout.
const LIST = `
import importlib.util, json, os, sys
spec = importlib.util.spec_from_file_location("ceph_session", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
os.write(m.ANSWERS, json.dumps({"ops": sorted(m.OPS), "rados": sorted(m.RADOS_OPS), "cluster": sorted(m.CLUSTER_OPS)}).encode())
`;

const helperOps = (): { ops: string[]; rados: string[]; cluster: string[] } =>
  JSON.parse(
    execFileSync("/usr/bin/python3", ["-S", "-c", LIST, SCRIPT], {
      env: { PATH: process.env.PATH ?? "", LC_ALL: "C", PYTHONPATH: STUB, PYTHONDONTWRITEBYTECODE: "1" },
      stdio: ["ignore", "pipe", "ignore"],
    }).toString(),
  );

const ours = (on: string) =>
  Object.entries(SESSION_OPS)
    .filter(([, s]) => s.on === on)
    .map(([op]) => op)
    .sort();

describe("the session's operations", () => {
  it("are the helper's, with the same RADOS and cluster ones", () => {
    const py = helperOps();
    expect([...ours("rados"), ...ours("rbd")].sort()).toEqual(py.ops);
    expect(ours("rados")).toEqual(py.rados);
    expect(ours("cluster")).toEqual(py.cluster);
  });
});
