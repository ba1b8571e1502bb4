// The cluster the bench runs against: a throwaway one from scripts/ceph-local.sh, or the one
// CEPH_CONF names.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { log, ROOT, tail } from "./base.mjs";
import { setupEnv } from "./env.mjs";
import { run } from "./process.mjs";
import { checkInterrupt, cluster } from "./state.mjs";

const CEPH_LOCAL = join(ROOT, "scripts/ceph-local.sh");

// Ports with a listening TCP socket, from /proc.
function listeningPorts() {
  const ports = new Set();
  for (const f of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, "utf8").split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === "0A") ports.add(parseInt(cols[1].split(":")[1], 16));
    }
  }
  return ports;
}

// A multiple of 20 in 23000..23980 whose PORT..PORT+199 range (mon, mgr, OSDs) looks unused.
function pickPort(avoid) {
  const busy = listeningPorts();
  const all = Array.from({ length: 50 }, (_, i) => 23000 + i * 20).filter((p) => !avoid.has(p));
  const free = all.filter((p) => ![...Array(200).keys()].some((q) => busy.has(p + q)));
  const from = free.length ? free : all;
  return from[Math.floor(Math.random() * from.length)];
}

export function clusterDown() {
  if (!cluster.throwaway || !cluster.dir) return;
  const dir = cluster.dir;
  cluster.dir = undefined;
  log(`removing the throwaway cluster in ${dir}`);
  const r = spawnSync("bash", [CEPH_LOCAL, "down", dir], { stdio: ["ignore", "ignore", "inherit"], env: setupEnv({ CEPH_LOCAL_PORT: String(cluster.port) }) });
  if (r.status !== 0) log(`warning: ceph-local.sh down ${dir} exited ${r.status ?? r.signal}`);
}

// CEPH_CONF set: that cluster (pool CEPH_POOL, default rbd; cephx id CEPH_CLIENT_ID, default
// admin). Otherwise a throwaway cluster with one bluestore OSD of `osdGb` (a sparse file).
export async function clusterUp({ osdGb }) {
  if (process.env.CEPH_CONF) {
    cluster.conf = process.env.CEPH_CONF;
    cluster.pool = process.env.CEPH_POOL || "rbd";
    cluster.user = process.env.CEPH_CLIENT_ID || "admin";
    log(`using the existing cluster of ${cluster.conf}, pool ${cluster.pool}`);
    return;
  }
  cluster.throwaway = true;
  const tried = new Set();
  for (let attempt = 1; ; attempt++) {
    const port = pickPort(tried);
    tried.add(port);
    const dir = mkdtempSync(join(tmpdir(), "bench-ceph-"));
    Object.assign(cluster, { dir, port });
    log(`starting a throwaway cluster in ${dir} (CEPH_LOCAL_PORT=${port}, ${osdGb} GB OSD)`);
    const env = setupEnv({ CEPH_LOCAL_PORT: String(port), CEPH_LOCAL_OSD_GB: String(osdGb) });
    const r = await run("bash", [CEPH_LOCAL, "up", dir], { env, deadlineMs: 10 * 60_000 });
    checkInterrupt();
    const conf = /^CEPH_CONF=(.*)$/m.exec(r.stdout)?.[1]?.replace(/^'(.*)'$/, "$1");
    if (r.code === 0 && conf) {
      cluster.conf = conf;
      cluster.pool = /^CEPH_POOL=(.*)$/m.exec(r.stdout)?.[1]?.replace(/^'(.*)'$/, "$1") || "rbd";
      return;
    }
    clusterDown();
    if (attempt >= 2) throw new Error(`scripts/ceph-local.sh up failed (exit ${r.code ?? r.signal}): ${tail(r.stderr)}`);
    log(`ceph-local.sh up failed (exit ${r.code ?? r.signal}); retrying once on another port`);
  }
}
