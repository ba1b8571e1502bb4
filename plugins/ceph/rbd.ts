// RBD image commands (`rbd`), one small function each. Sizes are exact bytes (`<n>B`).
import type { Logger } from "../log.js";
import { clientArgs, type Place } from "./cluster.js";
import { runCeph } from "./exec.js";
import { DiskUsage, ImageInfo, ImageLocks, LongList, Watchers, ImageList, NamespaceList, parseJson, SnapList, TrashList } from "./outputs.js";

const rbd = (p: Place, log: Logger, args: string[]) => runCeph({ tool: "rbd", args, connection: clientArgs(p.cluster), log });

export const imageSpec = (p: Place, image: string, snap?: string): string =>
  `${p.pool}/${p.namespace}/${image}${snap ? `@${snap}` : ""}`;
const nsSpec = (p: Place): string => `${p.pool}/${p.namespace}`;

export async function imageCreate(p: Place, log: Logger, image: string, bytes: number, features: readonly string[]): Promise<void> {
  await rbd(p, log, ["create", "--size", `${bytes}B`, "--image-feature", features.join(","), imageSpec(p, image)]);
}

export async function imageInfo(p: Place, log: Logger, image: string): Promise<ImageInfo> {
  return parseJson(ImageInfo, await rbd(p, log, ["info", "--format", "json", imageSpec(p, image)]), "rbd info");
}

export async function imageList(p: Place, log: Logger): Promise<string[]> {
  return parseJson(ImageList, await rbd(p, log, ["ls", "--format", "json", nsSpec(p)]), "rbd ls");
}

export async function imageResize(p: Place, log: Logger, image: string, bytes: number, allowShrink = false): Promise<void> {
  await rbd(p, log, ["resize", "--no-progress", "--size", `${bytes}B`, ...(allowShrink ? ["--allow-shrink"] : []), imageSpec(p, image)]);
}

export async function imageRemove(p: Place, log: Logger, image: string): Promise<void> {
  await rbd(p, log, ["rm", "--no-progress", imageSpec(p, image)]);
}

// Moving to the trash is O(1) and works while the image has snapshots or clone-v2 children.
export async function trashMove(p: Place, log: Logger, image: string): Promise<void> {
  await rbd(p, log, ["trash", "mv", imageSpec(p, image)]);
}

// Long: a trashed clone's parent, which must not be purged before it.
export async function trashList(p: Place, log: Logger) {
  return parseJson(TrashList, await rbd(p, log, ["trash", "ls", "--all", "--long", "--format", "json", nsSpec(p)]), "rbd trash ls");
}

export async function trashRemove(p: Place, log: Logger, id: string): Promise<void> {
  await rbd(p, log, ["trash", "rm", "--no-progress", "--force", `${nsSpec(p)}/${id}`]);
}

export async function snapCreate(p: Place, log: Logger, image: string, snap: string): Promise<void> {
  await rbd(p, log, ["snap", "create", "--no-progress", imageSpec(p, image, snap)]);
}

// With clone format 2 a snapshot that still has clones moves to the trash snapshot namespace.
export async function snapRemove(p: Place, log: Logger, image: string, snap: string): Promise<void> {
  await rbd(p, log, ["snap", "rm", "--no-progress", imageSpec(p, image, snap)]);
}

export async function snapList(p: Place, log: Logger, image: string) {
  return parseJson(SnapList, await rbd(p, log, ["snap", "ls", "--all", "--format", "json", imageSpec(p, image)]), "rbd snap ls");
}

export async function clone(p: Place, log: Logger, parent: string, snap: string, child: string, features: readonly string[]): Promise<void> {
  await rbd(p, log, [
    "clone",
    "--rbd-default-clone-format", "2",
    "--image-feature", features.join(","),
    imageSpec(p, parent, snap),
    imageSpec(p, child),
  ]);
}

export async function namespaceCreate(p: Place, log: Logger): Promise<void> {
  await rbd(p, log, ["namespace", "create", nsSpec(p)]);
}

export async function namespaceRemove(p: Place, log: Logger): Promise<void> {
  await rbd(p, log, ["namespace", "remove", nsSpec(p)]);
}

export async function namespaceList(p: Omit<Place, "namespace">, log: Logger): Promise<string[]> {
  const out = await rbd({ ...p, namespace: "" }, log, ["namespace", "ls", "--format", "json", p.pool]);
  return parseJson(NamespaceList, out, "rbd namespace ls").map((n) => n.name);
}

// Bytes allocated by the head (or by one snapshot): its own data, not its ancestors'.
export async function imageDiskUsage(p: Place, log: Logger, image: string, snap?: string): Promise<number> {
  const du = parseJson(DiskUsage, await rbd(p, log, ["du", "--format", "json", imageSpec(p, image, snap)]), "rbd du");
  return du.images.find((i) => i.snapshot === snap)?.used_size ?? 0;
}

// Every image and user snapshot of the namespace with its clone parent. Opens each image: for
// the GC and admin checks, never for a verb.
export async function imageLongList(p: Place, log: Logger): Promise<LongList> {
  return parseJson(LongList, await rbd(p, log, ["ls", "--long", "--format", "json", nsSpec(p)]), "rbd ls -l");
}

// Copies the parent's data into the image (work proportional to the data): GC fallback only.
export async function imageFlatten(p: Place, log: Logger, image: string, deadlineMs: number): Promise<void> {
  await runCeph({ tool: "rbd", args: ["flatten", "--no-progress", imageSpec(p, image)], connection: clientArgs(p.cluster), log, deadlineMs });
}

// Addresses of the librbd clients that have the image open (for fencing records).
export async function imageWatchers(p: Place, log: Logger, image: string): Promise<string[]> {
  return parseJson(Watchers, await rbd(p, log, ["status", "--format", "json", imageSpec(p, image)]), "rbd status").watchers.map((w) => w.address);
}

// Breaks every lock on the image (the exclusive-lock owner included), without blocklisting:
// fencing blocklists the recorded clients itself. Returns how many were broken.
export async function imageLockBreakAll(p: Place, log: Logger, image: string): Promise<number> {
  const locks = parseJson(ImageLocks, await rbd(p, log, ["lock", "ls", "--format", "json", imageSpec(p, image)]), "rbd lock ls");
  for (const l of locks) await rbd(p, log, ["lock", "rm", "--rbd-blocklist-on-break-lock=false", imageSpec(p, image), l.id, l.locker]);
  return locks.length;
}
