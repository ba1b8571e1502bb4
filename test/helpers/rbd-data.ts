// Reads and writes volume data behind the plugin's back, with Ceph's and QEMU's own tools, to
// prove what a volume holds (the datapath is another issue's concern). The shared test cluster
// unless a suite with clusters of its own names a ceph.conf.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { inject } from "vitest";
import { cephRead } from "./ceph-read.js";

const parse = (uri: string) => {
  const m = /^[a-z+]+:\/\/([^/]+)\/([^/]+)\/([^?]+)\?(.*)$/.exec(uri);
  if (!m) throw new Error(`unexpected URI ${uri}`);
  const q = new URLSearchParams(m[4]);
  return { pool: decodeURIComponent(m[1] ?? ""), ns: decodeURIComponent(m[2] ?? ""), image: decodeURIComponent(m[3] ?? ""), snap: q.get("snap") ?? undefined };
};

export const specOf = (uri: string): string => {
  const p = parse(uri);
  return `${p.pool}/${p.ns}/${p.image}${p.snap ? `@${p.snap}` : ""}`;
};

// The RBD image behind a volume's URI.
export const imageOf = (uri: string): string => parse(uri).image;

// Fills [offset, offset+length) with one byte value, through librbd (qemu's rbd driver).
export function writePattern(uri: string, byte: number, offset: number, length: number, conf = inject("ceph").conf): void {
  execFileSync("qemu-io", ["-f", "raw", "-c", `write -P 0x${byte.toString(16)} ${offset} ${length}`, `rbd:${specOf(uri)}:conf=${conf}:id=admin`], {
    stdio: "ignore",
  });
}

// SHA-256 of the whole volume (or snapshot) as a VM would read it.
export function checksum(uri: string, conf = inject("ceph").conf): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    const child = spawn("rbd", ["--conf", conf, "export", "--no-progress", specOf(uri), "-"], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stdout.on("data", (d) => hash.update(d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => (code === 0 ? resolve(hash.digest("hex")) : reject(new Error(`rbd export ${specOf(uri)}: ${err}`))));
  });
}

// How many clients watch the volume's image (`rbd status`): a process that died holding one leaves
// its watch until the OSD times it out (osd_client_watch_timeout, 30 s), and until then librbd will
// not break that process's exclusive lock.
export function watcherCount(uri: string, conf = inject("ceph").conf): number {
  const out = cephRead("rbd", ["--conf", conf, "status", "--format", "json", specOf(uri)]);
  return (JSON.parse(out) as { watchers?: unknown[] }).watchers?.length ?? 0;
}

// What `rbd du` reports for the image (or snapshot) behind a volume's URI: the reference for
// physical_utilisation.
export function rbdDu(uri: string, conf = inject("ceph").conf): number {
  const out = JSON.parse(cephRead("rbd", ["--conf", conf, "du", "--format", "json", specOf(uri)])) as {
    images: Array<{ snapshot?: string; used_size: number }>;
  };
  return out.images.find((i) => i.snapshot === parse(uri).snap)?.used_size ?? Number.NaN;
}

// What the pool holds for an SR, seen by the Ceph CLIs directly.
export function rbdImages(pool: string, ns: string): string[] {
  const { conf } = inject("ceph");
  return JSON.parse(cephRead("rbd", ["--conf", conf, "ls", "--format", "json", `${pool}/${ns}`])) as string[];
}

export function omapKeys(pool: string, ns: string): string[] {
  const { conf } = inject("ceph");
  return cephRead("rados", ["--conf", conf, "--pool", pool, "--namespace", ns, "listomapkeys", "ceph_rbd_sr"]).split("\n").filter(Boolean);
}
