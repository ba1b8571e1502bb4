// Clusters of a suite's own (scripts/ceph-local.sh), whose daemons a test may stop and start
// without disturbing the shared test cluster.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const SCRIPT = join(import.meta.dirname, "../../scripts/ceph-local.sh");

export interface Cluster {
  dir: string;
  conf: string;
  keyring: string;
  pool: string;
  port: number;
  osds: number;
  // True when the suite started it (and must remove it).
  owned: boolean;
}

// The KEY=value lines that `ceph-local.sh up|env` print.
export const parseEnv = (out: string): Record<string, string> =>
  Object.fromEntries(
    out
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

// The local cluster script, asynchronously (a test keeps running verbs meanwhile).
function clusterScript(args: string[], env: Record<string, string> = {}, timeoutMs = 180_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      "bash",
      [SCRIPT, ...args],
      { env: { ...process.env, ...env }, encoding: "utf8", timeout: timeoutMs, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

// A cluster of its own on a port that is a multiple of 20 in 26000..26700 (mon on PORT and
// PORT+1, mgr and OSDs within PORT+10..PORT+199). A port found busy is skipped. reuse: the
// directory of a ceph-local cluster already running (for working on a suite), not removed.
export async function startCluster(osds: number, reuse?: string): Promise<Cluster> {
  if (reuse) {
    const r = await clusterScript(["env", reuse]);
    if (r.code !== 0) throw new Error(`ceph-local env ${reuse}: ${r.stderr}`);
    const v = parseEnv(r.stdout);
    const state = parseEnv(readFileSync(join(reuse, "local.env"), "utf8"));
    return {
      dir: reuse,
      conf: v.CEPH_CONF ?? "",
      keyring: v.CEPH_KEYRING ?? "",
      pool: v.CEPH_POOL ?? "rbd",
      port: Number(state.PORT),
      osds: Number(state.OSDS),
      owned: false,
    };
  }
  const errors: string[] = [];
  for (let attempt = 0; attempt < 4; attempt++) {
    const port = 26000 + 20 * Math.floor(Math.random() * 36);
    const dir = mkdtempSync(join(tmpdir(), `ceph-rbd-faults-${osds}osd-`));
    const r = await clusterScript(["up", dir], { CEPH_LOCAL_OSDS: String(osds), CEPH_LOCAL_PORT: String(port), CEPH_LOCAL_OSD_GB: "8" });
    if (r.code === 0) {
      const v = parseEnv(r.stdout);
      return { dir, conf: v.CEPH_CONF ?? "", keyring: v.CEPH_KEYRING ?? "", pool: v.CEPH_POOL ?? "rbd", port, osds, owned: true };
    }
    errors.push(`port ${port}: ${r.stderr.split("\n").slice(-6).join("\n")}`);
    await clusterScript(["down", dir]);
    rmSync(dir, { recursive: true, force: true });
  }
  throw new Error(`could not start a ${osds}-OSD cluster:\n${errors.join("\n")}`);
}

export async function removeCluster(c: Cluster | undefined): Promise<void> {
  if (c?.owned && existsSync(c.dir)) await clusterScript(["down", c.dir]);
}

// The daemon's pid, from the cluster's pid file.
export const daemonPid = (c: Cluster, name: string): number | undefined => {
  try {
    const pid = Number(readFileSync(join(c.dir, "run", `${name}.pid`), "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
};

// Gone for good: no such process, or only a zombie (its files are closed).
const gone = (pid: number): boolean => {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return true;
  }
};

export async function stopDaemon(c: Cluster, name: string, kill = false): Promise<void> {
  const pid = daemonPid(c, name);
  const r = await clusterScript(["stop-daemon", c.dir, name, ...(kill ? ["--kill"] : [])]);
  if (r.code !== 0) throw new Error(`stop-daemon ${name}: ${r.stderr}`);
  // The script is satisfied once the process's command line is gone, which can be before the
  // last of its threads has let go of the OSD's store: a start then finds the store locked.
  for (const until = Date.now() + 30_000; pid !== undefined && !gone(pid) && Date.now() < until;) await sleep(100);
}

export async function startDaemon(c: Cluster, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const r = await clusterScript(["start-daemon", c.dir, name]);
    if (r.code === 0) return;
    // The old process still holding its store (see stopDaemon): once more, a little later.
    if (attempt < 3 && /currently in use|_lock_fsid failed/.test(r.stderr)) {
      await sleep(2000);
      continue;
    }
    throw new Error(`start-daemon ${name}: ${r.stderr}`);
  }
}
