// upgrade: brings an SR of an older metadata layout to this version's (layout.ts), online, from
// any host. An admin runs it once every host of the pool runs this version: the new layout is
// refused by older plugins, as Ceph's `require-osd-release` is the step after the last daemon
// is upgraded. Idempotent and crash-safe: the index entries are derived from the records and
// written page by page (a page written twice is the same page), and the version is written last,
// so an SR is of layout 2 only once its index is whole. Plugins of layout 2 write the index
// entry of every snapshot they record, whatever the SR's version, so nothing recorded while the
// upgrade runs is missed; an entry written for a volume destroyed meanwhile is stale, and the GC
// drops it.
import { withLock } from "../../plugins/ceph/locks.js";
import { crashPoint } from "../../plugins/crash.js";
import { SR_LOCK } from "../../plugins/wire/sr-object.js";
import { K, LAYOUT_VERSION } from "../meta/layout.js";
import { missingIndex } from "../meta/sr-state.js";
import { put, readSr, update, type Sr } from "../meta/store.js";

// Entries per omap write: well under the OSD's limits on one op's size.
const PAGE = 1000;

export interface UpgradeReport {
  readonly from: number;
  readonly to: number;
  readonly indexed: number;
}

export function upgrade(sr: Sr): Promise<UpgradeReport> {
  return withLock(sr, SR_LOCK, async () => {
    const state = await readSr(sr);
    const from = state.config.version;
    if (from === LAYOUT_VERSION) return { from, to: from, indexed: 0 };
    const missing = missingIndex(state).map(([, entry]) => entry);
    for (let i = 0; i < missing.length; i += PAGE) {
      await update(sr, Object.fromEntries(missing.slice(i, i + PAGE).map((k) => [k, ""])), []);
      crashPoint("upgrade:page");
    }
    crashPoint("upgrade:indexed");
    await put(sr, K.config, JSON.stringify({ ...state.config, version: LAYOUT_VERSION }));
    crashPoint("upgrade:done");
    sr.log.info(`SR layout upgraded from ${from} to ${LAYOUT_VERSION}: ${missing.length} index entries written`);
    return { from, to: LAYOUT_VERSION, indexed: missing.length };
  });
}
