// Finishing an operation whose process died (rules in journal.ts): roll back before the commit
// point, roll forward after it. Every step tolerates "already done".
import { ignoreNotFound } from "../../plugins/ceph/errors.js";
import { imageInfo, imageRemove, snapRemove, trashMove } from "../../plugins/ceph/rbd.js";
import { K } from "../meta/layout.js";
import { type SrState } from "../meta/sr-state.js";
import { drop, dropAll, putRecord, update, type Sr } from "../meta/store.js";
import { crashPoint } from "../../plugins/crash.js";
import type { Entry } from "./journal.js";

const perVolume = (key: string) => [K.nam(key), K.dsc(key)];

export async function recoverEntry(sr: Sr, entry: Entry, state: SrState): Promise<void> {
  const op = entry.op;
  sr.log.warning(`recovering ${op.op} of ${op.key} left by process ${entry.owner} at ${entry.started}`);
  switch (op.op) {
    case "create":
      if (!state.volumes.has(op.key)) {
        await ignoreNotFound(imageRemove(sr.place, sr.log, op.image));
        await dropAll(sr, perVolume(op.key));
      }
      break;
    case "snapshot":
      if (!state.volumes.has(op.newKey)) {
        await ignoreNotFound(snapRemove(sr.place, sr.log, op.image, op.snap));
        await dropAll(sr, perVolume(op.newKey));
      }
      break;
    case "clone":
      if (!state.volumes.has(op.newKey)) {
        await ignoreNotFound(imageRemove(sr.place, sr.log, op.image));
        await dropAll(sr, perVolume(op.newKey));
      }
      // The temporary snapshot goes either way; with clone v2 a child keeps it in the trash.
      if (op.hidden) await ignoreNotFound(snapRemove(sr.place, sr.log, op.parent, op.parentSnap));
      break;
    case "destroy":
      if (state.volumes.has(op.key)) {
        if (op.mode === "tombstone") await drop(sr, K.tomb(op.image));
      } else {
        await finishDestroy(sr, op, state);
      }
      break;
    case "revert":
      // Not committed: the volume still reads its old head, which is no tombstone after all.
      if (state.volumes.get(op.key)?.record.image !== op.image) {
        await ignoreNotFound(imageRemove(sr.place, sr.log, op.image));
        await drop(sr, K.tomb(op.old));
      }
      break;
    case "resize": {
      // A grown image cannot be shrunk back safely: the record follows the image instead.
      const v = state.volumes.get(op.key);
      if (v && v.record.image === op.image) {
        const size = (await imageInfo(sr.place, sr.log, op.image)).size;
        if (size > v.record.size) await putRecord(sr, op.key, { ...v.record, size });
      }
      break;
    }
  }
  await drop(sr, K.op(entry.id));
}

// The steps of a destroy after its commit point (shared by the verb and by recovery), all at
// once: each is idempotent, and the journal entry stays until every one is done.
export async function finishDestroy(sr: Sr, op: Extract<Entry["op"], { op: "destroy" }>, state: SrState): Promise<void> {
  const data = async () => {
    if (op.mode === "delete") await ignoreNotFound(trashMove(sr.place, sr.log, op.image));
    if (op.mode === "snapshot" && op.snap) {
      const shared = [...state.volumes.values()].some((v) => v.key !== op.key && v.record.image === op.image && v.record.snap === op.snap);
      if (!shared) await ignoreNotFound(snapRemove(sr.place, sr.log, op.image, op.snap));
    }
  };
  await Promise.all([update(sr, { [K.gone(op.key)]: new Date().toISOString() }, op.entries), data()]);
  crashPoint("destroy:cleaned");
}
