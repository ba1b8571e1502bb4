// SRs and volumes for the topics: set-up, volume specs, filling, GC and clean-up.
import { randomUUID } from "node:crypto";
import { GiB, log } from "./base.mjs";
import { admin, callVerb } from "./commands.mjs";
import { pool } from "./process.mjs";
import { cluster } from "./state.mjs";

export const srConfiguration = (extra = {}) => ({
  pool: cluster.pool,
  conf: cluster.conf,
  ...(cluster.user !== "admin" ? { user: cluster.user } : {}),
  ...extra,
});

// A volume URI's parts and its `pool/namespace/image[@snap]` spec.
function parseUri(uri) {
  const m = /^([a-z+]+):\/\/([^/?]+)\/([^/?]*)\/([^/?]+)\?(.*)$/.exec(uri ?? "");
  if (!m) throw new Error(`not a ceph-rbd volume URI: ${uri}`);
  const snap = new URLSearchParams(m[5]).get("snap") ?? undefined;
  const [pool, namespace, image] = [m[2], m[3], m[4]].map(decodeURIComponent);
  return { scheme: m[1], pool, namespace, image, snap, spec: `${pool}/${namespace}/${image}${snap ? `@${snap}` : ""}` };
}
export const volumeSpec = (vol) => parseUri(vol.uri.find((u) => u.startsWith("rbd://")) ?? vol.uri[0]);

export const newVolume = (sr, name, size) => callVerb("Volume.create", { sr, name, description: "bench", size, sharable: false });

// Thin 1 GiB volumes `${prefix}-${from + 1}` .. `${prefix}-${to}` in the SR, four at a time (the
// SR's many-volume state of the listing and GC-memory topics); their Volume.create results.
export async function fillVolumes(sr, from, to, prefix) {
  log(`${prefix}: creating volumes ${from + 1}..${to}`);
  const made = await pool(to - from, 4, (i) => newVolume(sr, `${prefix}-${from + i + 1}`, GiB), { every: 100, label: `${prefix}: created` });
  return made.map((r) => r.json);
}

// GC passes until the SR holds nothing the GC would act on (untimed clean-up).
export async function collect(sr, { ignoreInterrupt = false } = {}) {
  for (let i = 0; i < 12; i++) {
    await admin(["gc", "run", "--sr", sr, "--json"], { ignoreInterrupt, allowFail: true });
    const st = (await admin(["gc", "status", "--sr", sr, "--json"], { ignoreInterrupt })).json;
    if (st && st.pending.length === 0 && st.tombstones === 0 && (st.tasks ?? []).length === 0) return;
  }
  log(`warning: the GC of SR ${sr} did not converge in 12 passes`);
}

// An SR for `fn` (created and attached through the verbs); afterwards every volume in it is
// destroyed, the GC collects and the SR is destroyed, so that its images leave the pool. With
// `keepOnThrowaway`, a throwaway cluster keeps it (it goes with the cluster: thin images only).
export async function withSr(name, fn, { extra = {}, keepOnThrowaway = false } = {}) {
  const uuid = randomUUID();
  const config = (await callVerb("SR.create", { uuid, configuration: srConfiguration(extra), name, description: "created by npm run bench" })).json;
  const sr = (await callVerb("SR.attach", { configuration: config })).json;
  const s = { uuid, config, sr, namespace: config.namespace };
  try {
    return await fn(s);
  } finally {
    if (!(keepOnThrowaway && cluster.throwaway)) await destroySr(s);
  }
}

async function destroySr(s) {
  const o = { ignoreInterrupt: true };
  try {
    const vols = (await callVerb("SR.ls", { sr: s.sr }, o)).json;
    const order = [...vols.filter((v) => !v.read_write), ...vols.filter((v) => v.read_write)];
    await pool(order.length, 4, (i) => callVerb("Volume.destroy", { sr: s.sr, key: order[i].key }, o), { every: 100, label: "clean-up: destroyed" });
    await collect(s.sr, o);
    await callVerb("SR.destroy", { sr: s.sr }, o);
  } catch (e) {
    log(`warning: clean-up of SR ${s.uuid} (namespace ${s.namespace}): ${e.message}`);
  }
}
