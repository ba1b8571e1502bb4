// The test pool's network: a bridge in the machine's own namespace, one network namespace per
// test host joined to it by a veth pair, all in one private /24 (10.213.<n>.0/24, n picked
// free). The bridge's address (.1) is where the suite's cluster listens; host i is .(10 + i).
// Names carry the owning process's pid, so a run that died without its teardown is swept by the
// next one: every name with a dead owner is removed before anything is made.
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";

const PREFIX = "crh";

export const ip = (args: string[]): string => execFileSync("ip", args, { encoding: "utf8", timeout: 10_000, stdio: ["ignore", "pipe", "pipe"] });
const quietly = (args: string[]): void => {
  try {
    ip(args);
  } catch {
    // Already gone.
  }
};

export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export interface Net {
  bridge: string;
  // The bridge's address (the cluster's), and the subnet's first three octets.
  gateway: string;
  prefix: string;
  owner: number;
}

// The namespace and root-side veth names of host i of a pool.
export const nsName = (net: Net, i: number) => `${PREFIX}${net.owner}-${i}`;
export const vethName = (net: Net, i: number) => `${PREFIX}${net.owner}v${i}`;

// Kills every process left in a namespace, then deletes it (a namespace with processes would
// live on, unnamed, holding its veth).
export function killAllIn(ns: string): number {
  let killed = 0;
  for (let round = 0; round < 50; round++) {
    let pids: number[];
    try {
      pids = ip(["netns", "pids", ns]).split("\n").filter(Boolean).map(Number);
    } catch {
      return killed;
    }
    if (pids.length === 0) return killed;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
        killed++;
      } catch {
        // Gone meanwhile.
      }
    }
    execFileSync("sleep", ["0.1"]);
  }
  throw new Error(`processes in network namespace ${ns} survive SIGKILL`);
}

// Removes every namespace, veth and bridge whose owner process is dead (or is `owner`).
export function sweep(owner?: number): void {
  const dead = (name: string): boolean => {
    const m = new RegExp(`^${PREFIX}(\\d+)`).exec(name);
    return m !== null && (Number(m[1]) === owner || !alive(Number(m[1])));
  };
  let namespaces: string[] = [];
  try {
    namespaces = readdirSync("/run/netns");
  } catch {
    // No namespace at all.
  }
  for (const ns of namespaces.filter(dead)) {
    killAllIn(ns);
    quietly(["netns", "del", ns]);
  }
  const links = ip(["-o", "link", "show"])
    .split("\n")
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? "")
    .filter((n) => n.startsWith(PREFIX));
  for (const link of links.filter(dead)) quietly(["link", "del", link]);
}

// A /24 in 10.213.0.0/16 that no interface of the machine uses yet.
function freePrefix(): string {
  const used = ip(["-4", "-o", "addr", "show"]);
  for (let n = 0; n < 256; n++) {
    const prefix = `10.213.${(process.pid + n) % 256}`;
    if (!used.includes(` ${prefix}.`)) return prefix;
  }
  throw new Error("no free /24 in 10.213.0.0/16");
}

export function makeNet(): Net {
  sweep();
  const owner = process.pid;
  const prefix = freePrefix();
  const net = { bridge: `${PREFIX}${owner}br`, gateway: `${prefix}.1`, prefix, owner };
  ip(["link", "add", net.bridge, "type", "bridge"]);
  ip(["addr", "add", `${net.gateway}/24`, "dev", net.bridge]);
  ip(["link", "set", net.bridge, "up"]);
  return net;
}

// Host i's namespace, its veth on the bridge, its address; returns the address.
export function addHost(net: Net, i: number): string {
  const ns = nsName(net, i);
  const addr = `${net.prefix}.${10 + i}`;
  ip(["netns", "add", ns]);
  ip(["link", "add", vethName(net, i), "type", "veth", "peer", "name", "eth0", "netns", ns]);
  ip(["link", "set", vethName(net, i), "master", net.bridge, "up"]);
  ip(["-n", ns, "addr", "add", `${addr}/24`, "dev", "eth0"]);
  ip(["-n", ns, "link", "set", "eth0", "up"]);
  ip(["-n", ns, "link", "set", "lo", "up"]);
  return addr;
}

// Cuts host i off the network (its link down, as a pulled cable), or brings it back.
export const setLink = (net: Net, i: number, up: boolean): void => {
  ip(["link", "set", vethName(net, i), up ? "up" : "down"]);
};

export const removeNet = (net: Net): void => sweep(net.owner);
