// SR.probe: what a pool already holds. Each SR of this plugin in the pool is one complete
// result carrying its sr_stat; a namespace whose SR.create never finished is flagged
// incomplete; with no SR at all, the given configuration is offered for SR.create.
import { namespaceList } from "../../plugins/ceph/rbd.js";
import { defineVerb } from "../../plugins/runtime/verb.js";
import type { ProbeResult } from "../../plugins/wire/records.js";
import { SrProbe } from "../../plugins/wire/verbs.js";
import { parseSrState } from "../meta/sr-state.js";
import { readEntries, type Sr } from "../meta/store.js";
import { formatDeviceConfig, parseDeviceConfig } from "./config.js";
import { formatSrPlace, srPlaceOf } from "./sr-place.js";
import { clusterStat } from "./pool-stat.js";

export default defineVerb(SrProbe, async (p, ctx) => {
  if (!("pool" in p.configuration)) {
    // Everything given is still checked: a typo is an error, not an incomplete configuration.
    parseDeviceConfig({ ...p.configuration, pool: "unset" });
    return [{ configuration: p.configuration, complete: false, extra_info: { missing: "pool", hint: "give device-config:pool=<RBD pool>" } }];
  }
  const { sr_uuid: _u, namespace: _n, ...rest } = parseDeviceConfig(p.configuration);
  const base = srPlaceOf(rest, "");
  const namespaces = await namespaceList(base, ctx.log);
  const results: ProbeResult[] = [];
  let capacity: Awaited<ReturnType<typeof clusterStat>> | undefined;
  for (const namespace of namespaces) {
    const sr: Sr = { place: { ...base, namespace }, log: ctx.log };
    const entries = await readEntries(sr);
    if (!entries) continue;
    const state = parseSrState(entries);
    if (!state.config) {
      results.push({
        configuration: formatDeviceConfig({ ...rest, namespace }),
        complete: false,
        extra_info: { namespace, reason: "SR.create did not finish here" },
      });
      continue;
    }
    capacity ??= await clusterStat(sr);
    const configuration = formatDeviceConfig({ ...rest, namespace, sr_uuid: state.config.uuid });
    results.push({
      configuration,
      complete: true,
      sr: {
        sr: formatSrPlace(sr.place),
        name: state.name,
        uuid: state.config.uuid,
        description: state.description,
        free_space: capacity.free,
        total_space: capacity.total,
        datasources: [],
        clustered: false,
        health: capacity.health,
      },
      extra_info: { namespace, volumes: String(state.volumes.size) },
    });
  }
  if (results.length === 0)
    results.push({ configuration: formatDeviceConfig(rest), complete: true, extra_info: { hint: "no SR in this pool yet: usable for SR.create" } });
  return results;
});
