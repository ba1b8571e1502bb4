// SR.stat: the SR's names from its metadata, capacity and health from its pool (pool-stat.ts).
import { CephError } from "../../plugins/ceph/errors.js";
import { defineVerb } from "../../plugins/runtime/verb.js";
import type { SrStat } from "../../plugins/wire/records.js";
import { SrStatVerb } from "../../plugins/wire/verbs.js";
import { readSr } from "../meta/store.js";
import { recoverStale } from "../volume/recovery.js";
import { openSr } from "./open.js";
import { clusterStat } from "./pool-stat.js";

export default defineVerb(SrStatVerb, async (p, ctx): Promise<SrStat> => {
  const sr = openSr(ctx, p.sr);
  const sr_ = p.sr;
  const [meta, cluster] = await Promise.allSettled([readSr(sr), clusterStat(sr)]);
  if (meta.status === "rejected") {
    const e = meta.reason;
    // A cluster that does not answer is a health state xapi understands, not an error.
    if (e instanceof CephError && (e.kind === "unreachable" || e.kind === "timeout")) {
      return { sr: sr_, name: "", description: "", free_space: 0, total_space: 0, datasources: [], clustered: false, health: ["Unreachable", e.stderr] };
    }
    throw e;
  }
  if (meta.value.ops.size > 0) await recoverStale(sr, meta.value);
  const c = cluster.status === "fulfilled" ? cluster.value : undefined;
  const health: SrStat["health"] = c?.health ?? ["Unreachable", (cluster as PromiseRejectedResult).reason?.message ?? "no answer"];
  return {
    sr: sr_,
    name: meta.value.name,
    uuid: meta.value.config.uuid,
    description: meta.value.description,
    free_space: c?.free ?? 0,
    total_space: c?.total ?? 0,
    datasources: [],
    clustered: false,
    health,
  };
});
