// Recovery on touch: a verb that holds a volume's lock first finishes what a dead process left
// under that same lock (the lock proves the owner is gone), then works on a fresh view.
import { lockOf, parseEntry } from "../journal/journal.js";
import { recoverEntry } from "../journal/recover.js";
import { K, type SrState } from "../meta/layout.js";
import { readSr, type Sr } from "../meta/store.js";

export async function recoverOwn(sr: Sr, key: string, state: SrState): Promise<SrState> {
  const mine = [...state.ops.values()].map(parseEntry).filter((e) => e !== undefined && lockOf(e.op) === K.vol(key));
  if (mine.length === 0) return state;
  for (const entry of mine) if (entry) await recoverEntry(sr, entry, state);
  return readSr(sr);
}
