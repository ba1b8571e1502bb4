// Fixtures for the GC planner's tests (test/unit/gc-plan-*.test.ts): SR metadata built exactly as
// the product writes it, `rbd ls -l` rows, and a `planOf` that runs volume/gc/plan.ts on them.
import type { LongList } from "../../plugins/ceph/outputs.js";
import type { Limits } from "../../volume/gc/limits.js";
import { imageFacts, makePlan, type Action, type Plan, type TrashEntry } from "../../volume/gc/plan.js";
import { parseEntry, type Op } from "../../volume/journal/journal.js";
import { K, type Tombstone, type VolumeRecord } from "../../volume/meta/layout.js";
import { parseSrState } from "../../volume/meta/sr-state.js";

// ---- fixtures -------------------------------------------------------------------------------

// Distinct, UUID-shaped names (volume keys, snapshot names, journal ids).
export const u = (n: number): string => `${n.toString(16).padStart(8, "0")}-7c3e-4b1a-9d2f-5e6a7b8c9d0e`;
export const img = (n: number): string => `vol-${u(n)}`;

export const GiB = 1024 ** 3;
export const CREATED = "2025-01-10T12:00:00.000Z";
export const NOW = Date.parse("2025-02-01T00:00:00.000Z");
export const DAY = 86_400_000;
export const LIMITS: Limits = { softDepth: 8, hardDepth: 14, goneDays: 7 };

export type Entry = [string, string];

export interface RecSpec {
  readonly key: string;
  readonly image: string;
  readonly snap?: string;
  readonly size?: number;
  readonly parent?: string;
}

// `vol:<key>`, as writeVolume stores it.
export const vol = (r: RecSpec): Entry => {
  const record: VolumeRecord = {
    uuid: r.key,
    image: r.image,
    ...(r.snap !== undefined ? { snap: r.snap } : {}),
    sharable: false,
    size: r.size ?? GiB,
    created: CREATED,
    ...(r.parent !== undefined ? { parent: r.parent } : {}),
    family: r.parent ?? r.key,
  };
  return [K.vol(r.key), JSON.stringify(record)];
};
export const head = (key: string, image: string): Entry => vol({ key, image });
// A snapshot volume: as Volume.snapshot makes it, the RBD snapshot is named after the new key.
export const snapVol = (key: string, image: string, snap = key): Entry => vol({ key, image, snap });
// `tomb:<image>`, as destroy and revert store it.
export const tomb = (image: string, key: string, since = CREATED): Entry => {
  const t: Tombstone = { image, key, since };
  return [K.tomb(image), JSON.stringify(t)];
};
// `op:<id>`, as journal.begin stores it; checked against the journal's own schema.
export const op = (id: string, o: Op): Entry => {
  const text = JSON.stringify({ id, started: CREATED, owner: "4242", op: o });
  if (!parseEntry(text)) throw new Error(`fixture: not a journal entry: ${text}`);
  return [K.op(id), text];
};
export const gone = (key: string, iso: string): Entry => [K.gone(key), iso];

// `rbd ls -l --format json` rows.
export const headRow = (image: string, size: number, parent?: { image: string; snapshot: string }): LongList[number] => ({
  image,
  id: `id-${image.slice(-6)}`,
  size,
  ...(parent ? { parent: { pool: "rbd", pool_namespace: "sr-ns", image: parent.image, snapshot: parent.snapshot } } : {}),
});
export const snapRow = (image: string, snapshot: string, size = GiB): LongList[number] => ({ image, id: `id-${image.slice(-6)}`, snapshot, size });

export interface World {
  readonly entries?: readonly Entry[];
  readonly rows?: LongList;
  readonly trash?: readonly TrashEntry[];
  readonly limits?: Partial<Limits>;
  readonly now?: number;
}

export const planOf = (w: World): Plan =>
  makePlan(parseSrState(new Map(w.entries ?? [])), imageFacts(w.rows ?? []), w.trash ?? [], { ...LIMITS, ...w.limits }, w.now ?? NOW);

export const on = (p: Plan, image: string): Action[] => p.actions.filter((a) => "image" in a && a.image === image);
export const kindsOn = (p: Plan, image: string): string[] => on(p, image).map((a) => a.kind);
export const waitingFor = (p: Plan, item: string) => p.waiting.filter((w) => w.item === item);
export const flattened = (p: Plan): string[] => p.actions.flatMap((a) => (a.kind === "flatten" ? [a.image] : []));
export const dropped = (p: Plan): string[] => p.actions.flatMap((a) => (a.kind === "drop-entry" ? [a.entry] : []));
export const index = (p: Plan, pred: (a: Action) => boolean): number => p.actions.findIndex(pred);
