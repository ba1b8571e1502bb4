// A pool of test hosts for a test file: the network (net.ts), N hosts (host.ts), and a cluster of
// the file's own whose daemons listen on the bridge's address, the one address every host
// reaches (the shared test cluster listens on the machine's loopback, which a network namespace
// does not see). Made before the file's tests, removed after them whatever happened: processes,
// namespaces, veths, bridge, cluster.
import { execFile, execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { parseEnv } from "../clusters.js";
import { makeHost, type TestHost } from "./host.js";
import { addHost, alive, makeNet, nsName, removeNet, type Net } from "./net.js";

const SCRIPT = join(import.meta.dirname, "../../../scripts/ceph-local.sh");

export interface Pool {
  net: Net;
  hosts: TestHost[];
  conf: string;
  pool: string;
  dir: string;
}

function clusterScript(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile("bash", [SCRIPT, ...args], { env: { ...process.env, ...env }, encoding: "utf8", timeout: 180_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`ceph-local.sh ${args[0]}: ${stderr.slice(-3000)}`)) : resolve(stdout),
    ),
  );
}

// The pool of the file, filled in by its beforeAll.
export const world = {} as Pool;

// Why test hosts cannot be made on this machine, or undefined: they need root, iproute2, and
// the kernel's bridges, veths, network namespaces and overlayfs.
function whyNoHosts(): string | undefined {
  if (process.getuid?.() !== 0) return "test hosts need root (network namespaces, a bridge, mounts)";
  try {
    execFileSync("ip", ["-V"], { stdio: "ignore" });
  } catch {
    return "test hosts need iproute2's ip";
  }
  if (!readFileSync("/proc/filesystems", "utf8").includes("overlay")) return "test hosts need overlayfs (a host's own /etc)";
  // A container may deny namespaces to root: try one (its name is swept like a pool's).
  const probe = nsName({ owner: process.pid } as Net, 99);
  try {
    execFileSync("ip", ["netns", "add", probe], { stdio: "pipe" });
    execFileSync("ip", ["netns", "del", probe], { stdio: "pipe" });
  } catch (e) {
    return `this machine denies network namespaces: ${String((e as { stderr?: unknown }).stderr ?? e).trim()}`;
  }
  return undefined;
}
export const noHosts = whyNoHosts();
// A describe title that says why it is skipped when it is.
export const titled = (title: string): string => (noHosts ? `${title} (skipped: ${noHosts})` : title);

// Clusters of pools whose test process died before its teardown (killed): stopped and removed.
async function sweepClusters(): Promise<void> {
  for (const name of readdirSync(tmpdir())) {
    const owner = /^ceph-rbd-pool-(\d+)-/.exec(name)?.[1];
    if (owner === undefined || alive(Number(owner))) continue;
    const dir = join(tmpdir(), name);
    await clusterScript(["down", join(dir, "ceph")], {}).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function poolOfHosts(n: number): void {
  if (noHosts) return;
  let dir: string | undefined;
  let net: Net | undefined;
  let clusterUp = false;
  beforeAll(async () => {
    await sweepClusters();
    dir = mkdtempSync(join(tmpdir(), `ceph-rbd-pool-${process.pid}-`));
    net = makeNet();
    const hosts = Array.from({ length: n }, (_, i) => makeHost(net as Net, i, addHost(net as Net, i), randomUUID(), dir as string));
    const cdir = join(dir, "ceph");
    clusterUp = true;
    const out = await clusterScript(["up", cdir], { CEPH_LOCAL_ADDR: net.gateway, CEPH_LOCAL_PORT: "6800", CEPH_LOCAL_OSD_GB: "8" });
    const v = parseEnv(out);
    Object.assign(world, { net, hosts, conf: v.CEPH_CONF ?? "", pool: v.CEPH_POOL ?? "rbd", dir: cdir });
  }, 240_000);
  afterAll(async () => {
    try {
      if (net) removeNet(net);
    } finally {
      if (clusterUp && dir) await clusterScript(["down", join(dir, "ceph")], {}).catch((e: Error) => console.error(e.message));
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
}
