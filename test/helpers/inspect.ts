// An independent look at an SR's state in Ceph (omap entries, images, snapshots, trash), for
// the tests that check what a crash or a race left behind. The shared test cluster unless a
// suite with clusters of its own names a ceph.conf.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import { cephRead } from "./ceph-read.js";

export interface SrView {
  keys: string[];
  records: Map<string, { image: string; snap?: string }>;
  tombs: Set<string>;
  ops: number;
  images: string[];
  // User snapshots per image (trash-namespace snapshots are Ceph's own business).
  snaps: Map<string, string[]>;
}

export function inspectSr(pool: string, ns: string, conf = inject("ceph").conf): SrView {
  const base = ["--conf", conf, "--pool", pool, "--namespace", ns];
  const keys = cephRead("rados", [...base, "listomapkeys", "ceph_rbd_sr"])
    .split("\n")
    .filter(Boolean);
  const records = new Map<string, { image: string; snap?: string }>();
  // getomapval writes raw bytes only to a file (node's stdio pipes are sockets it cannot open).
  const dir = mkdtempSync(join(tmpdir(), "inspect-"));
  try {
    for (const k of keys.filter((k) => k.startsWith("vol:"))) {
      cephRead("rados", [...base, "getomapval", "ceph_rbd_sr", k, join(dir, "v")]);
      records.set(k.slice(4), JSON.parse(readFileSync(join(dir, "v"), "utf8")));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const images = JSON.parse(cephRead("rbd", ["--conf", conf, "ls", "--format", "json", `${pool}/${ns}`])) as string[];
  const snaps = new Map<string, string[]>();
  for (const image of images) {
    const list = JSON.parse(cephRead("rbd", ["--conf", conf, "snap", "ls", "--format", "json", `${pool}/${ns}/${image}`])) as Array<{ name: string }>;
    snaps.set(
      image,
      list.map((s) => s.name),
    );
  }
  return {
    keys,
    records,
    tombs: new Set(keys.filter((k) => k.startsWith("tomb:")).map((k) => k.slice(5))),
    ops: keys.filter((k) => k.startsWith("op:")).length,
    images,
    snaps,
  };
}

// Entries of the SR's RBD trash (images the GC has still to purge).
export const trashOf = (pool: string, ns: string, conf = inject("ceph").conf): Array<{ id: string; name: string }> =>
  JSON.parse(cephRead("rbd", ["--conf", conf, "trash", "ls", "--all", "--format", "json", `${pool}/${ns}`]));

// Every snapshot of a trashed image, of any namespace, as the CLI prints them (for a diagnosis).
export const trashSnapsOf = (pool: string, ns: string, id: string, conf = inject("ceph").conf): string => {
  try {
    return cephRead("rbd", ["--conf", conf, "snap", "ls", "--all", "--format", "json", "--pool", pool, "--namespace", ns, "--image-id", id]).trim();
  } catch (e) {
    return (e as Error).message.slice(0, 300);
  }
};

export const hasParent = (pool: string, ns: string, image: string, conf = inject("ceph").conf): boolean =>
  "parent" in JSON.parse(cephRead("rbd", ["--conf", conf, "info", "--format", "json", `${pool}/${ns}/${image}`]));

// What must hold whenever no operation is under way: nothing half-done, nothing orphaned.
export function problemsOf(v: SrView): string[] {
  const problems: string[] = [];
  if (v.ops > 0) problems.push(`${v.ops} journal entries left`);
  const used = new Set([...[...v.records.values()].map((r) => r.image), ...v.tombs]);
  for (const image of v.images) if (!used.has(image)) problems.push(`orphan image ${image}`);
  const snapRefs = new Set([...v.records.values()].filter((r) => r.snap).map((r) => `${r.image}@${r.snap}`));
  for (const [image, names] of v.snaps) for (const n of names) if (!snapRefs.has(`${image}@${n}`)) problems.push(`leaked snapshot ${image}@${n}`);
  for (const r of v.records.values()) {
    if (!v.images.includes(r.image)) problems.push(`record points at missing image ${r.image}`);
    if (r.snap && !(v.snaps.get(r.image) ?? []).includes(r.snap)) problems.push(`record points at missing snapshot ${r.image}@${r.snap}`);
  }
  // The image index (layout 2): exactly one entry per snapshot record, written and removed with it.
  const index = new Set(v.keys.filter((k) => k.startsWith("img:")));
  for (const [key, r] of v.records) if (r.snap && !index.has(`img:${r.image}:${key}`)) problems.push(`snapshot ${key} missing from the index`);
  for (const k of index) {
    const r = v.records.get(k.slice(-36));
    if (!r?.snap || k !== `img:${r.image}:${k.slice(-36)}`) problems.push(`stale index entry ${k}`);
  }
  const live = new Set(v.records.keys());
  for (const k of v.keys) {
    const m = /^(nam|dsc|use|key):([0-9a-f-]{36})/.exec(k);
    if (m && !live.has(m[2] ?? "")) problems.push(`dangling entry ${k}`);
  }
  return problems;
}
