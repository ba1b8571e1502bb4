// What the GC should do about an SR, decided from what it sees and nothing else (pure), so
// that the rules can be read and tested in one place. The worker applies a plan one action at
// a time; every action is idempotent, so a plan made from a stale view is still safe.
//
// What the GC owns:
//  - tombstones (`tomb:<image>`): destroyed heads kept because snapshots live on them. Their head
//    data is garbage at once: it is reclaimed by shrinking the head to zero, which keeps the
//    snapshots' data and copies nothing. Once no volume record references any snapshot of a
//    tombstone, the tombstone itself goes to the RBD trash.
//  - user snapshots that no record references (left by a crash, or by a destroyed snapshot
//    volume sharing nothing): removed (with clone v2, into the trash namespace if a clone reads them).
//  - orphaned clones: images whose parent is dead (a tombstone or in the trash) through a
//    snapshot no volume references. Flattened in the background, so the parent can be purged.
//  - clone chains deeper than the soft limit: flattened too (krbd cannot map beyond 16 levels).
//  - the namespace's RBD trash: purged once no clone reads an entry.
//  - housekeeping: dangling omap entries, old `gone:` marks, journal entries left by dead processes.
//
// What it never touches: a tombstone whose image is still in use (see `heldTombstone`) is held,
// reported as waiting, and treated as a live image; apply.ts asks again just before it acts.
import type { LongList } from "../../plugins/ceph/outputs.js";
import { K } from "../meta/layout.js";
import { type SrState } from "../meta/sr-state.js";
import type { Limits } from "./limits.js";

export interface ImageFacts {
  readonly id?: string | undefined;
  readonly size: number;
  readonly parent?: { readonly image: string; readonly snapshot: string } | undefined;
  readonly snaps: readonly string[];
  // Parents still read by this image's snapshots (a clone's snapshots keep its parent after the
  // head itself no longer does: reclaimed to size 0, or flattened without deep-flatten).
  readonly snapParents?: readonly string[] | undefined;
}

export interface TrashEntry {
  readonly id: string;
  readonly name: string;
  // What a trashed image still reads, trashed or not: its head's parent, and its snapshots'
  // parents (a snapshot in the trash namespace included: no listing of images shows those).
  readonly parents?: readonly string[] | undefined;
}

export type Action =
  | { kind: "reclaim"; image: string; bytes: number }
  | { kind: "snap-remove"; image: string; snap: string }
  | { kind: "trash-move"; image: string }
  | { kind: "flatten"; image: string; reason: string }
  | { kind: "trash-purge"; id: string; name: string }
  | { kind: "drop-entry"; entry: string };

export interface Waiting {
  readonly item: string;
  readonly why: string;
}

export interface Plan {
  readonly actions: readonly Action[];
  readonly waiting: readonly Waiting[];
  readonly tombstones: number;
  readonly depth: ReadonlyMap<string, number>;
}

export const HEAVY: ReadonlySet<Action["kind"]> = new Set(["flatten", "trash-purge"]);

export function imageFacts(list: LongList): Map<string, ImageFacts> {
  const out = new Map<string, { id?: string; size: number; parent?: { image: string; snapshot: string }; snaps: string[]; snapParents?: string[] }>();
  for (const row of list) {
    const f = out.get(row.image) ?? { size: 0, snaps: [] };
    if (row.snapshot === undefined) {
      f.size = row.size;
      if (row.id) f.id = row.id;
      if (row.parent) f.parent = { image: row.parent.image, snapshot: row.parent.snapshot };
    } else {
      f.snaps.push(row.snapshot);
      if (row.parent && !f.snapParents?.includes(row.parent.image)) f.snapParents = [...(f.snapParents ?? []), row.parent.image];
    }
    out.set(row.image, f);
  }
  return out;
}

// The image of each live (writable) volume, with its key.
const liveHeads = (state: SrState): ReadonlyMap<string, string> =>
  new Map([...state.volumes.values()].filter((v) => v.record.snap === undefined).map((v) => [v.record.image, v.key]));

// Why a tombstone's image must not be reclaimed or trashed, if it must not: it is the image of a
// live volume, or the volume destroyed into it is still active (its datapath may be writing).
// Destroy refuses an active volume and image names are never reused, so neither should happen;
// damaged metadata or a race must still cost a reclaim, never a running disk. A volume that a
// revert moved to a new image is active on that one: the old head is not held for it.
export function heldTombstone(state: SrState, image: string, heads = liveHeads(state)): string | undefined {
  const t = state.tombstones.get(image);
  if (!t) return undefined;
  const live = heads.get(image);
  if (live) return `tombstone held: ${image} is the image of live volume ${live} (see fsck)`;
  const a = state.active.get(t.key);
  if (a && !state.volumes.has(t.key)) return `tombstone held: its volume ${t.key} is active on host ${a.host}; deactivate it (or fence the host)`;
  return undefined;
}

export function makePlan(state: SrState, images: ReadonlyMap<string, ImageFacts>, trash: readonly TrashEntry[], limits: Limits, now = Date.now()): Plan {
  const actions: Action[] = [];
  const waiting: Waiting[] = [];
  const records = [...state.volumes.values()].map((v) => v.record);
  const referenced = new Set(records.filter((r) => r.snap !== undefined).map((r) => `${r.image}@${r.snap}`));
  // Snapshots whose data xapi destroyed: kept all the same, as the start of the next list of
  // changed blocks (RBD's diff needs the snapshot itself); their volume's destroy frees them.
  const cbtOnly = new Set(records.filter((r) => r.snap !== undefined && r.dataDestroyed).map((r) => `${r.image}@${r.snap}`));
  const heads = liveHeads(state);
  // Names an unfinished operation may still be working on: hands off.
  const busy = new Set<string>();
  const UUID = /(?:vol-|clone-)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/g;
  for (const text of state.ops.values()) {
    for (const m of text.matchAll(UUID)) {
      busy.add(m[0]);
      if (m[1]) busy.add(m[1]);
    }
  }
  const held = new Map<string, string>();
  for (const image of state.tombstones.keys()) {
    const why = heldTombstone(state, image, heads);
    if (why) held.set(image, why);
  }
  const tombstoned = (image: string) => state.tombstones.has(image) && !held.has(image);
  const trashed = new Set(trash.map((t) => t.name));
  const dead = (image: string) => tombstoned(image) || trashed.has(image) || (!images.has(image) && !heads.has(image));

  const depth = new Map<string, number>();
  const depthOf = (image: string, seen = new Set<string>()): number => {
    const known = depth.get(image);
    if (known !== undefined) return known;
    const parent = images.get(image)?.parent;
    const d = parent && !seen.has(parent.image) ? 1 + depthOf(parent.image, new Set([...seen, image])) : 0;
    depth.set(image, d);
    return d;
  };
  for (const image of images.keys()) depthOf(image);

  for (const [image, f] of images) {
    if (busy.has(image)) {
      waiting.push({ item: image, why: "an operation on it is under way" });
      continue;
    }
    const hold = held.get(image);
    if (hold) waiting.push({ item: image, why: hold });
    const tomb = tombstoned(image);
    if (tomb && f.size > 0) actions.push({ kind: "reclaim", image, bytes: f.size });
    for (const snap of f.snaps) {
      if (!referenced.has(`${image}@${snap}`) && !busy.has(snap) && !busy.has(snap.replace(/^clone-/, ""))) actions.push({ kind: "snap-remove", image, snap });
    }
    const liveSnaps = f.snaps.filter((s) => referenced.has(`${image}@${s}`));
    const cbt = liveSnaps.filter((s) => cbtOnly.has(`${image}@${s}`)).length;
    const cbtWhy = cbt > 0 ? ` (${cbt} of them cbt_metadata volumes, kept for incremental backups until destroyed)` : "";
    if (tomb && liveSnaps.length > 0) waiting.push({ item: image, why: `tombstone kept for ${liveSnaps.length} snapshot(s) still in use${cbtWhy}` });
    if (tomb && liveSnaps.length === 0) {
      actions.push({ kind: "trash-move", image });
      continue;
    }
    if (!tomb && !hold && !heads.has(image) && !f.snaps.some((s) => referenced.has(`${image}@${s}`))) {
      waiting.push({ item: image, why: "image not referenced by the SR's metadata (see fsck)" });
    }
    // A tombstone's head is garbage, reclaimed rather than flattened (a reclaim to size 0 also
    // detaches it from its parent; its snapshots keep reading the parent until they go).
    const parent = tomb ? undefined : f.parent;
    if (parent && dead(parent.image) && !referenced.has(`${parent.image}@${parent.snapshot}`)) {
      actions.push({ kind: "flatten", image, reason: `its parent ${parent.image} is destroyed` });
    } else if (parent && (depth.get(image) ?? 0) >= limits.softDepth) {
      actions.push({ kind: "flatten", image, reason: `clone depth ${depth.get(image)} reaches the soft limit ${limits.softDepth}` });
    }
  }
  // Tombstones whose image is gone (trashed already): only the entry is left.
  for (const image of state.tombstones.keys()) if (!images.has(image) && !busy.has(image)) actions.push({ kind: "drop-entry", entry: K.tomb(image) });

  const readers = new Map<string, string[]>();
  for (const [image, f] of images) {
    for (const p of new Set([...(f.parent ? [f.parent.image] : []), ...(f.snapParents ?? [])])) readers.set(p, [...(readers.get(p) ?? []), image]);
  }
  // A purge of the parent first would fail ("image has snapshots") and the mgr would retry it
  // only after its back-off, minutes after the clone is gone.
  for (const t of trash) for (const p of t.parents ?? []) readers.set(p, [...(readers.get(p) ?? []), t.name]);
  for (const t of trash) {
    const children = readers.get(t.name) ?? [];
    if (children.length === 0) actions.push({ kind: "trash-purge", id: t.id, name: t.name });
    else waiting.push({ item: t.name, why: `in the trash, read by ${children.length} clone(s) until they are flattened or purged` });
  }

  for (const entry of state.strays) {
    // A record this version cannot read may be a newer version's: never the GC's to delete.
    if (/^(vol|tomb):/.test(entry)) {
      waiting.push({ item: entry, why: "an unreadable record (see fsck)" });
      continue;
    }
    const key = /^[a-z]+:([0-9a-f-]{36})/.exec(entry)?.[1];
    if (!key || !busy.has(key)) actions.push({ kind: "drop-entry", entry });
  }
  for (const [key, since] of state.gone) {
    const when = Date.parse(since);
    if (Number.isFinite(when) && now - when > limits.goneDays * 86_400_000) actions.push({ kind: "drop-entry", entry: K.gone(key) });
  }
  return { actions, waiting, tombstones: state.tombstones.size, depth };
}
