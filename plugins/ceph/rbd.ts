// RBD image operations, one small function each. Through this process's librados session
// where a verb needs them; the `rbd` CLI for what the GC and admin commands alone use (long
// listings, trash purges, flatten, image locks). Sizes are exact bytes.
import type { Logger } from "../log.js";
import { clientArgs, type Place } from "./cluster.js";
import { type Call, runCeph } from "./exec.js";
import { type ImageDiff, type ImageHeader, type ImageInfo, ImageLocks, type LongList, parseJson, type SnapList, type TrashList } from "./outputs.js";
import { librados } from "./session.js";
import { setting } from "../settings.js";

const rbd = (p: Place, log: Logger, args: string[], how?: Pick<Call, "read">) => runCeph({ tool: "rbd", args, connection: clientArgs(p.cluster), log, ...how });

export const imageSpec = (p: Place, image: string, snap?: string): string => `${p.pool}/${p.namespace}/${image}${snap ? `@${snap}` : ""}`;
const nsSpec = (p: Place): string => `${p.pool}/${p.namespace}`;

export async function imageCreate(p: Place, log: Logger, image: string, bytes: number, features: readonly string[]): Promise<void> {
  await librados(p, log, `create ${imageSpec(p, image)} ${bytes}B`, "image_create", { image, bytes, features });
}

export async function imageInfo(p: Place, log: Logger, image: string): Promise<ImageInfo> {
  return librados(p, log, `info ${imageSpec(p, image)}`, "image_info", { image });
}

export async function imageList(p: Place, log: Logger): Promise<string[]> {
  return librados(p, log, `ls ${nsSpec(p)}`, "image_list");
}

export async function imageResize(p: Place, log: Logger, image: string, bytes: number, allowShrink = false): Promise<void> {
  await librados(p, log, `resize ${imageSpec(p, image)} ${bytes}B`, "image_resize", { image, bytes, shrink: allowShrink });
}

export async function imageRemove(p: Place, log: Logger, image: string): Promise<void> {
  await librados(p, log, `rm ${imageSpec(p, image)}`, "image_remove", { image });
}

// Moving to the trash is O(1) and works while the image has snapshots or clone-v2 children.
export async function trashMove(p: Place, log: Logger, image: string): Promise<void> {
  await librados(p, log, `trash mv ${imageSpec(p, image)}`, "trash_move", { image });
}

// With the images each trashed image still reads, which must not be purged before it. Through
// the session, not `rbd trash ls --long`: that CLI fails as a whole when one entry's image
// vanishes under a purge in progress ("trash list: (2) No such file or directory"), which would
// fail every GC pass until the purge is done; the session's listing tolerates it entry by entry.
export async function trashList(p: Place, log: Logger): Promise<TrashList> {
  return librados(p, log, `trash ls --all --long ${nsSpec(p)}`, "trash_list");
}

// Snapshots a trashed image still has, of any namespace: while one is left it cannot be purged.
export async function trashSnapCount(p: Place, log: Logger, id: string): Promise<number> {
  return librados(p, log, `snap ls ${nsSpec(p)}/${id} (trash)`, "trash_snap_count", { image_id: id });
}

export async function trashRemove(p: Place, log: Logger, id: string): Promise<void> {
  await rbd(p, log, ["trash", "rm", "--no-progress", "--force", `${nsSpec(p)}/${id}`]);
}

export async function snapCreate(p: Place, log: Logger, image: string, snap: string): Promise<void> {
  await librados(p, log, `snap create ${imageSpec(p, image, snap)}`, "snap_create", { image, snap });
}

// With clone format 2 a snapshot that still has clones moves to the trash snapshot namespace.
export async function snapRemove(p: Place, log: Logger, image: string, snap: string): Promise<void> {
  await librados(p, log, `snap rm ${imageSpec(p, image, snap)}`, "snap_remove", { image, snap });
}

// Every snapshot, of any namespace (user, trash...).
export async function snapList(p: Place, log: Logger, image: string): Promise<SnapList> {
  return librados(p, log, `snap ls ${imageSpec(p, image)}`, "snap_list", { image });
}

// Clone format 2 (set for the whole session): no snapshot protection, trashable parents.
export async function clone(p: Place, log: Logger, parent: string, snap: string, child: string, features: readonly string[]): Promise<void> {
  await librados(p, log, `clone ${imageSpec(p, parent, snap)} ${imageSpec(p, child)}`, "clone", { parent, snap, image: child, features });
}

export async function namespaceCreate(p: Place, log: Logger): Promise<void> {
  await librados({ ...p, namespace: "" }, log, `namespace create ${nsSpec(p)}`, "ns_create", { name: p.namespace });
}

export async function namespaceRemove(p: Place, log: Logger): Promise<void> {
  await librados({ ...p, namespace: "" }, log, `namespace remove ${nsSpec(p)}`, "ns_remove", { name: p.namespace });
}

export async function namespaceList(p: Omit<Place, "namespace">, log: Logger): Promise<string[]> {
  return librados({ ...p, namespace: "" }, log, `namespace ls ${p.pool}`, "ns_list");
}

// Bytes allocated by the head (or by one snapshot) since the snapshot before it, as `rbd du`
// counts them: its own data, not its ancestors'.
export async function imageDiskUsage(p: Place, log: Logger, image: string, snap?: string): Promise<number> {
  return librados(p, log, `du ${imageSpec(p, image, snap)}`, "image_du", { image, ...(snap ? { snap } : {}) });
}

// What changed between user snapshot `since` and `snap` (the head when absent) in
// [offset, offset+length) (a negative length: to the end), as librbd's exact diff reports it, in
// objects first written after `since` narrowed to the 64 KiB blocks whose bytes differ
// (ceph_rbd_session_diff.py). The session stops at the deadline too, rather than be killed.
export async function imageDiff(
  p: Place,
  log: Logger,
  image: string,
  since: string,
  snap: string | undefined,
  offset: number,
  length: number,
): Promise<ImageDiff> {
  const seconds = setting("diffTimeout");
  const args = { image, since, ...(snap ? { snap } : {}), offset, length, seconds };
  return librados(p, log, `diff --from-snap ${since} ${imageSpec(p, image, snap)}`, "image_diff", args, seconds * 1000);
}

// Every image of the namespace with a digest of its header's facts (ceph_rbd_session_survey.py):
// one omap read each, no open. For the GC, never for a verb.
export async function imageHeaders(p: Place, log: Logger): Promise<ImageHeader[]> {
  return librados(p, log, `ls ${nsSpec(p)} (headers)`, "image_headers");
}

// The rows `rbd ls -l` gives of these images: each head and user snapshot with its clone parent.
// Opens each image; an image gone meanwhile has none.
export async function imageFacts(p: Place, log: Logger, images: readonly { id: string; name: string }[]): Promise<LongList> {
  return librados(p, log, `ls -l ${nsSpec(p)} (${images.length} images)`, "image_facts", { images });
}

// Copies the parent's data into the image (work proportional to the data): GC fallback only.
export async function imageFlatten(p: Place, log: Logger, image: string, deadlineMs: number): Promise<void> {
  await runCeph({ tool: "rbd", args: ["flatten", "--no-progress", imageSpec(p, image)], connection: clientArgs(p.cluster), log, deadlineMs });
}

// Breaks every lock on the image (the exclusive-lock owner included), without blocklisting:
// fencing blocklists the recorded clients itself. Returns how many were broken.
export async function imageLockBreakAll(p: Place, log: Logger, image: string): Promise<number> {
  const locks = parseJson(ImageLocks(), await rbd(p, log, ["lock", "ls", "--format", "json", imageSpec(p, image)], { read: true }), "rbd lock ls");
  for (const l of locks) await rbd(p, log, ["lock", "rm", "--rbd-blocklist-on-break-lock=false", imageSpec(p, image), l.id, l.locker]);
  return locks.length;
}
