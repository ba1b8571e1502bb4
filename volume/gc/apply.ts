// Carrying out one GC action. Heavy work (flatten, trash purge) goes to the mgr rbd_support
// task queue, which persists it in RADOS, retries it and runs one task at a time cluster-wide;
// where that module is missing, the GC does it itself, one at a time, within a deadline.
import { CephError, ignoreNotFound } from "../../plugins/ceph/errors.js";
import { taskAddFlatten, taskAddTrashRemove } from "../../plugins/ceph/mon.js";
import { imageFlatten, imageResize, snapRemove, trashMove, trashRemove, trashSnapCount } from "../../plugins/ceph/rbd.js";
import { assertHeld } from "../../plugins/ceph/holds.js";
import { crashPoint } from "../../plugins/crash.js";
import { K } from "../meta/layout.js";
import { drop, readTombstone, type Sr } from "../meta/store.js";
import { type Action, heldTombstone } from "./plan.js";

export interface ApplyOptions {
  // Cleared once the mgr answered that it has no rbd_support module, or did not answer within
  // its timeout: the rest of the work is done here, so a missing or stuck mgr costs one timeout.
  mgr: boolean;
  readonly flattenDeadlineMs: number;
}

const handOff = async (sr: Sr, opts: ApplyOptions, viaMgr: () => Promise<void>, locally: () => Promise<void>): Promise<"mgr" | "local"> => {
  if (opts.mgr) {
    try {
      await viaMgr();
      return "mgr";
    } catch (e) {
      if (!(e instanceof CephError && (e.kind === "unsupported" || e.kind === "timeout"))) throw e;
      sr.log.warning(`${e.message}: the GC does its heavy work itself from now on`);
      opts.mgr = false;
    }
  }
  await locally();
  return "local";
};

// The plan may be older than the metadata: just before a tombstone's image is shrunk or trashed,
// its tombstone and its volume's entries are read again, and an image that is no tombstone any
// more, or is held (plan.ts), is left alone. The action fails with the reason; the next pass plans
// it afresh. (Whether another live volume names the image was checked by the plan on the whole
// SR: no verb gives a volume an image that exists already, so that cannot become true since.)
async function ensureStillGarbage(sr: Sr, image: string): Promise<void> {
  const state = await readTombstone(sr, image);
  // The read may have waited out the pass's lease (a host cut off): the answer is another pass's now.
  assertHeld();
  const why = state.tombstones.has(image) ? heldTombstone(state, image) : `no tombstone names ${image} any more`;
  if (why) throw new Error(`left alone: ${why}`);
}

// A pass whose lease ran out (its host frozen or cut off) has another host's pass after it, which
// plans afresh: the stale plan's next action would change images behind that pass (Lock_lost).
export async function applyAction(sr: Sr, a: Action, opts: ApplyOptions): Promise<string> {
  crashPoint(`gc:${a.kind}`);
  assertHeld();
  switch (a.kind) {
    case "reclaim":
      await ensureStillGarbage(sr, a.image);
      // The tombstone's head shrinks to nothing; its snapshots keep their data. Nothing is copied.
      await imageResize(sr.place, sr.log, a.image, 0, true);
      return `reclaimed the head of ${a.image}`;
    case "snap-remove":
      await ignoreNotFound(snapRemove(sr.place, sr.log, a.image, a.snap));
      return `removed snapshot ${a.image}@${a.snap}`;
    case "trash-move":
      await ensureStillGarbage(sr, a.image);
      await ignoreNotFound(trashMove(sr.place, sr.log, a.image));
      crashPoint("gc:trash-moved");
      await drop(sr, K.tomb(a.image));
      return `moved tombstone ${a.image} to the trash`;
    case "flatten": {
      const how = await handOff(
        sr,
        opts,
        () => taskAddFlatten(sr.place, sr.log, a.image),
        // Flattened already (by an earlier pass that died, or by the mgr): done.
        () => ignoreNotFound(imageFlatten(sr.place, sr.log, a.image, opts.flattenDeadlineMs)),
      );
      return how === "mgr" ? `queued flatten of ${a.image} (${a.reason})` : `flattened ${a.image} (${a.reason})`;
    }
    case "trash-purge": {
      const how = await handOff(
        sr,
        opts,
        async () => {
          // The mgr would only fail on it and retry after minutes of back-off: a clone that has
          // just been flattened or purged may still be detaching from its snapshot.
          const left = await ignoreNotFound(trashSnapCount(sr.place, sr.log, a.id));
          if (left) throw new CephError("not_empty", `trash rm ${a.name}`, `${left} snapshot(s) left`);
          await taskAddTrashRemove(sr.place, sr.log, a.id);
        },
        () => ignoreNotFound(trashRemove(sr.place, sr.log, a.id)),
      );
      return how === "mgr" ? `queued purge of ${a.name}` : `purged ${a.name}`;
    }
    case "drop-entry":
      await drop(sr, a.entry);
      return `dropped ${a.entry}`;
  }
}
