// fsck: the SR's metadata against what the pool holds. Reports every mismatch; with repair,
// fixes those that can be fixed without risking data (orphans go to the trash, not away).
import { snapRemove, trashMove } from "../../plugins/ceph/rbd.js";
import { imageFacts } from "../gc/plan.js";
import { ignoreNotFound } from "../../plugins/ceph/errors.js";
import { LAYOUT_VERSION } from "../meta/layout.js";
import { missingIndex } from "../meta/sr-state.js";
import { drop, put, type Sr } from "../meta/store.js";
import { survey } from "../gc/survey.js";
import { recoverStale } from "../volume/recovery.js";

export interface Finding {
  kind: "journal" | "orphan-image" | "missing-image" | "missing-snapshot" | "dangling-entry" | "leaked-snapshot" | "cbt-record" | "index";
  item: string;
  detail: string;
  repairable: boolean;
  repaired?: boolean;
}

export async function fsck(sr: Sr, repair: boolean): Promise<Finding[]> {
  const { state, list, trash } = await survey(sr, "full");
  const images = imageFacts(list);
  const trashed = new Set(trash.map((t) => t.name));
  const records = [...state.volumes.values()];
  const referenced = new Set(records.filter((v) => v.record.snap).map((v) => `${v.record.image}@${v.record.snap}`));
  const used = new Set([...records.map((v) => v.record.image), ...state.tombstones.keys()]);
  const busy = [...state.ops.values()].join(" ");
  const findings: Finding[] = [];
  const fixes = new Map<Finding, () => Promise<unknown>>();
  const add = (f: Finding, fix?: () => Promise<unknown>) => {
    findings.push(f);
    if (fix) fixes.set(f, fix);
  };

  for (const [id, text] of state.ops) add({ kind: "journal", item: id, detail: `unfinished operation ${text.slice(0, 200)}`, repairable: true });
  for (const [image, f] of images) {
    if (!used.has(image) && !busy.includes(image)) {
      add({ kind: "orphan-image", item: image, detail: "an image of the SR's namespace that no volume or tombstone owns", repairable: true }, () =>
        ignoreNotFound(trashMove(sr.place, sr.log, image)),
      );
    }
    for (const snap of f.snaps) {
      if (!referenced.has(`${image}@${snap}`) && !busy.includes(snap)) {
        add({ kind: "leaked-snapshot", item: `${image}@${snap}`, detail: "a snapshot no volume references", repairable: true }, () =>
          ignoreNotFound(snapRemove(sr.place, sr.log, image, snap)),
        );
      }
    }
  }
  for (const v of records) {
    const f = images.get(v.record.image);
    if (!f)
      add({
        kind: "missing-image",
        item: v.key,
        detail: `volume ${v.key} names image ${v.record.image}, which ${trashed.has(v.record.image) ? "is in the trash" : "does not exist"}`,
        repairable: false,
      });
    else if (v.record.snap && !f.snaps.includes(v.record.snap))
      add({
        kind: "missing-snapshot",
        item: v.key,
        detail: `snapshot volume ${v.key} names ${v.record.image}@${v.record.snap}, which does not exist${v.record.dataDestroyed ? " (a cbt_metadata volume: no list of changed blocks can start from it; the next backup is full)" : ""}`,
        repairable: false,
      });
    // Only a snapshot with CBT can be data-destroyed (data-destroy.ts): anything else is a record
    // this version did not write, left as it is.
    if (v.record.dataDestroyed && (v.record.snap === undefined || v.record.cbt === undefined))
      add({ kind: "cbt-record", item: v.key, detail: `volume ${v.key} is marked data-destroyed but is not a snapshot with CBT`, repairable: false });
  }
  // Layout 2 only: a snapshot missing from the index would let a destroy of what shares its image
  // think it alone (destroy.ts).
  if (state.config?.version === LAYOUT_VERSION)
    for (const [key, entry] of missingIndex(state))
      add({ kind: "index", item: key, detail: `snapshot volume ${key} is missing from the image index (${entry})`, repairable: true }, () =>
        put(sr, entry, ""),
      );
  for (const entry of state.strays) {
    if (/^(vol|tomb):/.test(entry))
      add({ kind: "dangling-entry", item: entry, detail: "a record this version cannot read (left as it is)", repairable: false });
    else add({ kind: "dangling-entry", item: entry, detail: "an omap entry of no volume", repairable: true }, () => drop(sr, entry));
  }

  if (repair) {
    if (state.ops.size > 0) {
      const done = await recoverStale(sr, state);
      for (const f of findings.filter((x) => x.kind === "journal")) f.repaired = done > 0;
    }
    for (const [f, fix] of fixes) {
      try {
        await fix();
        f.repaired = true;
      } catch (e) {
        f.repaired = false;
        f.detail += ` (repair failed: ${(e as Error).message})`;
      }
    }
  }
  return findings;
}
