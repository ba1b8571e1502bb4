// Finishing what dead processes left half-done (rules in journal/journal.ts).
//  - On touch: a verb that holds a volume's lock first finishes the entries left under that
//    same lock (holding it proves their owner is gone), then works on a fresh view.
//  - On sight: SR.attach, SR.stat (and the GC) finish any entry older than the lock lease whose
//    lock they can take at once: a live operation renews its lock's lease, so its lock stays
//    busy however long it runs.
import { CephError } from "../../plugins/ceph/errors.js";
import { Busy } from "../../plugins/wire/errors.js";
import { lockOf, parseEntry, type Entry } from "../journal/journal.js";
import { recoverEntry } from "../journal/recover.js";
import { K } from "../meta/layout.js";
import { type SrState } from "../meta/sr-state.js";
import { readSr, type Sr, type SrRead } from "../meta/store.js";
import { leaseSeconds, withLock } from "../../plugins/ceph/locks.js";

const entries = (state: SrState): Entry[] => [...state.ops.values()].map(parseEntry).filter((e): e is Entry => e !== undefined);

// `state` may be one volume's view (readVolume): it holds every journal entry. Finishing one
// can concern other volumes (a snapshot's new key, an image another volume shares), so that
// rare path reads the whole SR, and answers with it.
export async function recoverOwn(sr: Sr, key: string, state: SrRead): Promise<SrRead> {
  const mine = entries(state).filter((e) => lockOf(e.op) === K.vol(key));
  if (mine.length === 0) return state;
  const whole = await readSr(sr);
  for (const entry of mine) await recoverEntry(sr, entry, whole);
  return readSr(sr);
}

// Returns how many entries it finished; an entry whose lock is busy is left for later.
export async function recoverStale(sr: Sr, state: SrState): Promise<number> {
  const cutoff = Date.now() - leaseSeconds() * 1000;
  const stale = entries(state).filter((e) => Date.parse(e.started) < cutoff);
  let done = 0;
  for (const entry of stale) {
    try {
      await withLock(
        sr,
        lockOf(entry.op),
        async () => {
          const fresh = await readSr(sr);
          if (fresh.ops.has(entry.id)) await recoverEntry(sr, entry, fresh);
        },
        { wait: false },
      );
      done++;
    } catch (e) {
      if (!(e instanceof CephError) && !(e instanceof Busy)) throw e;
      sr.log.warning(`could not recover ${entry.op.op} of ${entry.op.key} yet: ${(e as Error).message}`);
    }
  }
  return done;
}
