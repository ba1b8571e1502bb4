// One throwaway cluster of the matrix: on this machine, or inside a root (its daemons run there,
// in the root's mount namespace, on this machine's network).
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";

const here = import.meta.dirname;
const LOCAL = join(here, "../ceph-local.sh");
const ROOTS = join(here, "../ceph-roots.sh");

// Debian trixie's Ceph names its OSD class directory relative to the working directory
// (lib/x86_64-linux-gnu/rados-classes): its daemons start from /.
const local = (cluster, args, port) => {
  const argv = cluster.root ? [ROOTS, "run", cluster.root, "bash", LOCAL, ...args] : [LOCAL, ...args];
  return execFileSync("bash", argv, {
    cwd: "/",
    env: { ...process.env, ...cluster.env, CEPH_LOCAL_PORT: String(port) },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
};

export function startCluster(cluster, port) {
  const dir = mkdtempSync("/tmp/ceph-rbd-matrix-");
  const out = local(cluster, ["up", dir], port);
  const conf = /^CEPH_CONF=(.*)$/m.exec(out)?.[1];
  if (!conf) throw new Error(`ceph-local up printed no CEPH_CONF:\n${out}`);
  const versions = JSON.parse(execFileSync("ceph", ["--conf", conf, "versions", "--format", "json"], { encoding: "utf8" }));
  return { dir, conf, version: Object.keys(versions.overall ?? {}).join(", "), stop: () => local(cluster, ["down", dir], port) };
}

const inRoot = (rootDir, cmd, args) =>
  rootDir
    ? execFileSync("bash", [join(here, "../ceph-roots/run.sh"), rootDir, cmd, ...args], { encoding: "utf8" })
    : execFileSync(cmd, args, { encoding: "utf8" });

// The client's release, as the root (or this machine) runs it, and the Python of its bindings.
export function clientVersion(rootDir) {
  const cli = inRoot(rootDir, "ceph", ["--version"]);
  const py = inRoot(rootDir, "/usr/bin/python3", ["-c", "import platform, rados, rbd; print(platform.python_version())"]);
  return `${/ceph version (\S+)/.exec(cli)?.[1] ?? cli.trim()}, Python ${py.trim()}`;
}
