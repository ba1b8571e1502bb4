// Capacity and health of the SR's pool, as xapi wants them in sr_stat. Health is cluster-wide:
// xapi refuses to scan an SR that is not Healthy, so only conditions that affect data
// (down OSDs, degraded or inactive placement groups, full pools) turn it to Recovering.
import { clusterDf, clusterHealth } from "../../plugins/ceph/mon.js";
import type { Health as CephHealth } from "../../plugins/ceph/outputs.js";
import type { Health } from "../../plugins/wire/records.js";
import type { Sr } from "../meta/store.js";

const DATA_AFFECTING =
  /^(OSD_DOWN|OSD_HOST_DOWN|OSD_ROOT_DOWN|PG_DEGRADED|PG_AVAILABILITY|PG_RECOVERY_FULL|PG_BACKFILL_FULL|OSD_FULL|POOL_FULL|MON_DOWN|OBJECT_UNFOUND|PG_DAMAGED)/;

export function healthOf(h: CephHealth): Health {
  const checks = Object.entries(h.checks);
  const affecting = checks.filter(([name]) => DATA_AFFECTING.test(name));
  if (affecting.length > 0) return ["Recovering", affecting.map(([n, c]) => `${n}: ${c.summary.message}`).join("; ")];
  return ["Healthy", checks.map(([n, c]) => `${n}: ${c.summary.message}`).join("; ")];
}

export async function clusterStat(sr: Sr): Promise<{ free: number; total: number; health: Health }> {
  const [df, health] = await Promise.all([clusterDf(sr.place.cluster, sr.log), clusterHealth(sr.place.cluster, sr.log)]);
  const pool = df.pools.find((p) => p.name === sr.place.pool);
  if (!pool) return { free: 0, total: 0, health: ["Unavailable", `pool ${sr.place.pool} does not exist`] };
  const { stored, max_avail, quota_bytes } = pool.stats;
  // A pool quota caps what the SR may use, whatever the cluster has free.
  const free = quota_bytes ? Math.max(0, Math.min(max_avail, quota_bytes - stored)) : max_avail;
  return { free, total: stored + free, health: healthOf(health) };
}
